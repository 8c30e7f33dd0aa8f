"""A pyftpdlib FTP server on 127.0.0.1 for the tests, run as its own process.

Usage: python ftp_server_process.py ROOT USER PASSWORD. Serves ROOT to
anonymous users and to USER with PASSWORD; prints the bound port on the
first line of stdout, then serves until killed.
"""

from __future__ import annotations

import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer  # type: ignore[import-untyped]
from pyftpdlib.handlers import FTPHandler  # type: ignore[import-untyped]
from pyftpdlib.servers import FTPServer  # type: ignore[import-untyped]


def main(root: str, user: str, password: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root)
    authorizer.add_user(user, password, root, perm="elr")
    FTPHandler.authorizer = authorizer  # this process serves nothing else
    server = FTPServer(("127.0.0.1", 0), FTPHandler)
    print(server.address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:4])
