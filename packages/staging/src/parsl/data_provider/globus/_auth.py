"""Globus credentials: a confidential client from the environment, or stored native-app tokens.

Unattended batch runs set ``PARSL_GLOBUS_CLIENT_ID`` and
``PARSL_GLOBUS_CLIENT_SECRET`` (a confidential client registered with Globus
Auth); the client-credentials grant then gets a Transfer token for that client.
Interactive users log in once with ``parsl-globus-auth``: the native-app flow
stores a refresh token in globus-sdk's own ``JSONTokenStorage`` (a file the SDK
creates with mode 0600) and every run refreshes its access token from it.
No token is ever logged or put into an exception message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parsl.data_provider.staging_errors import GlobusAuthError

if TYPE_CHECKING:
    import globus_sdk
    from globus_sdk.token_storage import JSONTokenStorage

ENV_CLIENT_ID = "PARSL_GLOBUS_CLIENT_ID"
ENV_CLIENT_SECRET = "PARSL_GLOBUS_CLIENT_SECRET"
ENV_NATIVE_CLIENT_ID = "PARSL_GLOBUS_NATIVE_CLIENT_ID"
ENV_TOKEN_FILE = "PARSL_GLOBUS_TOKEN_FILE"
TRANSFER_RESOURCE_SERVER = "transfer.api.globus.org"
APP_NAME = "parsl-staging"
INSTALL_HINT = "install the Globus extra: pip install 'parsl-staging[globus]'"


def sdk() -> Any:
    """The ``globus_sdk`` module, or a GlobusAuthError saying how to install it."""
    try:
        import globus_sdk
    except ImportError as e:  # pragma: no cover - the test environment has the extra
        raise GlobusAuthError(f"Globus staging needs globus-sdk 4.x; {INSTALL_HINT}") from e
    return globus_sdk


def default_token_file() -> str:
    """``$PARSL_GLOBUS_TOKEN_FILE``, else ``~/.parsl/globus-tokens.json``."""
    return os.environ.get(ENV_TOKEN_FILE) or os.path.join(
        os.path.expanduser("~"), ".parsl", "globus-tokens.json"
    )


def token_storage(native_client_id: str, token_file: str | None = None) -> JSONTokenStorage:
    """The SDK's JSON token storage for this native app (one namespace per client id)."""
    from globus_sdk.token_storage import JSONTokenStorage

    return JSONTokenStorage(token_file or default_token_file(), namespace=native_client_id)


def describe_api_error(e: globus_sdk.GlobusAPIError) -> str:
    """Status, code and message of a Globus API error; never a header or a token."""
    return f"HTTP {e.http_status} {e.code}: {e.message}"


@dataclass(frozen=True)
class GlobusAuth:
    """How GlobusStaging authenticates; by default from the environment and the token file.

    ``native_client_id`` (else ``$PARSL_GLOBUS_NATIVE_CLIENT_ID``) names the
    native app whose tokens ``parsl-globus-auth`` stored in ``token_file``
    (else ``$PARSL_GLOBUS_TOKEN_FILE`` or ``~/.parsl/globus-tokens.json``). A
    confidential client in ``$PARSL_GLOBUS_CLIENT_ID`` /
    ``$PARSL_GLOBUS_CLIENT_SECRET`` takes precedence.
    """

    native_client_id: str | None = None
    token_file: str | None = None

    def authorizer(self) -> globus_sdk.authorizers.GlobusAuthorizer:
        """An authorizer for the Transfer API, or a GlobusAuthError saying what is missing."""
        g = sdk()
        client_id = os.environ.get(ENV_CLIENT_ID, "")
        secret = os.environ.get(ENV_CLIENT_SECRET, "")
        if client_id or secret:
            if not (client_id and secret):
                raise GlobusAuthError(
                    f"set both {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} for a confidential "
                    "client, or neither to use the tokens from parsl-globus-auth"
                )
            confidential = g.ConfidentialAppAuthClient(client_id, secret, app_name=APP_NAME)
            return g.ClientCredentialsAuthorizer(  # type: ignore[no-any-return]
                confidential, g.TransferClient.scopes.all
            )
        native = self.native_client_id or os.environ.get(ENV_NATIVE_CLIENT_ID)
        if not native:
            raise GlobusAuthError(
                f"no Globus credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} for a "
                f"confidential client, or log in with 'parsl-globus-auth --client-id <native "
                f"app id>' and set {ENV_NATIVE_CLIENT_ID}"
            )
        storage = token_storage(native, self.token_file)
        data = storage.get_token_data(TRANSFER_RESOURCE_SERVER)
        if data is None or not data.refresh_token:
            raise GlobusAuthError(
                f"no stored Globus Transfer refresh token for client {native} in "
                f"{storage.filepath}; run 'parsl-globus-auth --client-id {native}' first"
            )
        return g.RefreshTokenAuthorizer(  # type: ignore[no-any-return]
            data.refresh_token,
            g.NativeAppAuthClient(native, app_name=APP_NAME),
            access_token=data.access_token,
            expires_at=data.expires_at_seconds,
            on_refresh=storage.store_token_response,
        )

    def transfer_client(self) -> globus_sdk.TransferClient:
        """A TransferClient with this authorizer; refusals of the credentials become GlobusAuthError."""
        g = sdk()
        try:
            authorizer = self.authorizer()
        except g.AuthAPIError as e:
            raise GlobusAuthError(
                f"Globus Auth refused the credentials ({describe_api_error(e)}); "
                "check the client id and secret, or log in again with parsl-globus-auth"
            ) from None
        return g.TransferClient(authorizer=authorizer, app_name=APP_NAME)  # type: ignore[no-any-return]


def login(
    native_client_id: str,
    token_file: str | None = None,
    *,
    read_code: Callable[[str], str] | None = None,
    show: Callable[[str], object] | None = None,
) -> str:
    """Run the native-app login: show the URL, read the code, store the tokens; return the file."""
    g = sdk()
    read_code = read_code or input
    show = show or print
    client = g.NativeAppAuthClient(native_client_id, app_name=APP_NAME)
    client.oauth2_start_flow(requested_scopes=g.TransferClient.scopes.all, refresh_tokens=True)
    show("Log in to Globus at this URL, then paste the authorization code it shows:")
    show(client.oauth2_get_authorize_url())
    code = read_code("Authorization code: ").strip()
    if not code:
        raise GlobusAuthError("no authorization code given; nothing stored")
    try:
        tokens = client.oauth2_exchange_code_for_tokens(code)
    except g.AuthAPIError as e:
        raise GlobusAuthError(
            f"Globus Auth did not accept the code ({describe_api_error(e)}); run the login again"
        ) from None
    if TRANSFER_RESOURCE_SERVER not in tokens.by_resource_server:
        raise GlobusAuthError("Globus Auth returned no Transfer token; nothing stored")
    storage = token_storage(native_client_id, token_file)
    storage.store_token_response(tokens)
    return storage.filepath
