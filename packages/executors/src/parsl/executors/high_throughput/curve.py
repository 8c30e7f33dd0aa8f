"""CurveZMQ keys for the HighThroughputExecutor: one key pair for the interchange, one for its peers.

``create_certificates(cert_dir)`` writes, into a directory of mode 0700,
``server.key``/``server.key_secret`` (the interchange) and
``client.key``/``client.key_secret`` (the executor and the managers, which
must be able to read the directory, e.g. on a shared file system). The
interchange authenticates peers (ZAP) against the public keys found in the
directory, so a peer without the client's secret key cannot connect, submit
or receive anything.
"""

from __future__ import annotations

import os

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from parsl.executors.high_throughput.errors import HighThroughputError


class CertificateError(HighThroughputError):
    """The CurveZMQ key directory or a key file in it is missing or unusable."""


def create_certificates(cert_dir: str) -> str:
    """Create the key pairs in ``cert_dir`` (mode 0700; secret files 0600); return the directory."""
    os.makedirs(cert_dir, mode=0o700, exist_ok=True)
    os.chmod(cert_dir, 0o700)
    for name in ("server", "client"):
        _, secret_file = zmq.auth.create_certificates(cert_dir, name)
        os.chmod(secret_file, 0o600)
    return cert_dir


def _load(cert_dir: str, name: str, secret: bool) -> tuple[bytes, bytes | None]:
    path = os.path.join(cert_dir, f"{name}.key_secret" if secret else f"{name}.key")
    try:
        public, secret_key = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as e:
        raise CertificateError(f"cannot load CurveZMQ key {path}: {e}") from e
    if secret and secret_key is None:
        raise CertificateError(f"{path} holds no secret key")
    return public, secret_key


def make_server(sock: zmq.Socket[bytes], cert_dir: str) -> None:
    """Make ``sock`` a CurveZMQ server with the interchange's keys (before bind)."""
    public, secret = _load(cert_dir, "server", secret=True)
    sock.curve_secretkey = secret
    sock.curve_publickey = public
    sock.curve_server = True


def make_client(sock: zmq.Socket[bytes], cert_dir: str) -> None:
    """Make ``sock`` a CurveZMQ client of the interchange (before connect)."""
    public, secret = _load(cert_dir, "client", secret=True)
    server_public, _ = _load(cert_dir, "server", secret=False)
    sock.curve_secretkey = secret
    sock.curve_publickey = public
    sock.curve_serverkey = server_public


def start_authenticator(
    context: zmq.Context[zmq.Socket[bytes]], cert_dir: str
) -> ThreadAuthenticator:
    """Accept CurveZMQ peers only if their public key is one of the ``*.key`` files in ``cert_dir``."""
    auth = ThreadAuthenticator(context)
    auth.start()
    auth.configure_curve(domain="*", location=cert_dir)
    return auth
