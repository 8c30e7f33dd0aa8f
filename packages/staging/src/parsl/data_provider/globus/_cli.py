"""``parsl-globus-auth``: log in to Globus ahead of a run (native-app flow, refresh tokens)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from parsl.data_provider.globus._auth import (
    ENV_NATIVE_CLIENT_ID,
    ENV_TOKEN_FILE,
    default_token_file,
    login,
)
from parsl.data_provider.staging_errors import GlobusAuthError


def main(argv: Sequence[str] | None = None) -> int:
    """Run the login; exit 0 with the token file's path, or 1 with the reason."""
    parser = argparse.ArgumentParser(
        prog="parsl-globus-auth",
        description=(
            "Log in to Globus for GlobusStaging: opens the native-app login, then keeps "
            "a refresh token in globus-sdk's token storage (a file only you can read)."
        ),
    )
    parser.add_argument(
        "--client-id",
        default=os.environ.get(ENV_NATIVE_CLIENT_ID),
        help=f"the Globus native app's client id (default ${ENV_NATIVE_CLIENT_ID})",
    )
    parser.add_argument(
        "--token-file",
        default=None,
        help=f"where to keep the tokens (default ${ENV_TOKEN_FILE} or ~/.parsl/globus-tokens.json)",
    )
    args = parser.parse_args(argv)
    if not args.client_id:
        parser.error(f"give --client-id or set {ENV_NATIVE_CLIENT_ID}")
    try:
        path = login(args.client_id, args.token_file or default_token_file())
    except (GlobusAuthError, EOFError, KeyboardInterrupt) as e:
        reason = str(e) or "no authorization code was entered"
        print(f"parsl-globus-auth: {reason}", file=sys.stderr)
        return 1
    print(f"Globus tokens stored in {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
