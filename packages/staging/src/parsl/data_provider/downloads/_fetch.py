"""Fetching one URL into a local file: HTTP(S) through urllib, FTP through ftplib.

A download streams into a temporary name beside the destination and is
renamed into place only once complete, so a reader never sees half a file.
Every failure becomes a :class:`DownloadError` naming the URL and the cause.
"""

from __future__ import annotations

import contextlib
import ftplib
import http.client
import os
import posixpath
import secrets
import shutil
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote, urlsplit, urlunsplit

from parsl.data_provider.staging_errors import DownloadError

CHUNK_SIZE = 1 << 20
USER_AGENT = "parsl-staging"

HTTP_SCHEMES = frozenset({"http", "https"})
FTP_SCHEMES = frozenset({"ftp"})


@dataclass(frozen=True)
class TLSSettings:
    """How ``https://`` downloads check the server: ``verify`` (on by default) against ``ca_file``.

    ``ca_file`` is a PEM bundle of CA certificates to trust instead of the
    system's (for servers with a private CA); None uses the system store
    (``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` are honoured).
    """

    verify: bool = True
    ca_file: str | None = None

    def context(self) -> ssl.SSLContext:
        """The SSL context for one download."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


DEFAULT_TLS = TLSSettings()


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def write_atomically(dest: str, fill: Callable[[BinaryIO], object]) -> None:
    """Create ``dest`` from what ``fill`` writes to a temporary file, renamed in when done.

    The parent directory is created if missing. On any failure the
    temporary file is removed and ``dest`` is left untouched.
    """
    directory = os.path.dirname(dest)
    if directory:
        os.makedirs(directory, exist_ok=True)
    partial = f"{dest}.{secrets.token_hex(4)}.part"
    try:
        with open(partial, "xb") as out:
            fill(out)
        os.replace(partial, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
        raise


def _describe(exc: BaseException, timeout: float) -> str:
    """A short human reason for a network-level failure."""
    if isinstance(exc, TimeoutError):
        return f"no response within {timeout:g} s (timed out)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def fetch_http(url: str, dest: str, timeout: float, tls: TLSSettings = DEFAULT_TLS) -> None:
    """Download an ``http://`` or ``https://`` URL to ``dest``, checking TLS as ``tls`` says."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    context = tls.context() if urlsplit(url).scheme.lower() == "https" else None
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            write_atomically(dest, lambda out: shutil.copyfileobj(response, out, CHUNK_SIZE))
    except urllib.error.HTTPError as e:
        e.close()
        raise DownloadError(redacted(url), f"HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, ssl.SSLCertVerificationError):
            raise DownloadError(
                redacted(url),
                f"TLS certificate verification failed ({e.reason.verify_message}); if the "
                "server's certificate comes from a private CA, give the provider "
                "ca_file='<PEM bundle of that CA>'",
            ) from e
        reason = e.reason if isinstance(e.reason, BaseException) else OSError(str(e.reason))
        raise DownloadError(redacted(url), _describe(reason, timeout)) from e
    except (OSError, http.client.HTTPException) as e:
        if isinstance(e, OSError) and e.filename is not None:
            raise DownloadError(redacted(url), f"cannot write {e.filename}: {e.strerror}") from e
        raise DownloadError(redacted(url), _describe(e, timeout)) from e


def fetch_ftp(url: str, dest: str, timeout: float) -> None:
    """Download an ``ftp://`` URL to ``dest`` (anonymous login unless the URL has a user)."""
    parts = urlsplit(url)
    shown = redacted(url)
    if not parts.hostname:
        raise DownloadError(shown, "the URL names no host")
    try:
        port = parts.port or ftplib.FTP_PORT
    except ValueError as e:
        raise DownloadError(shown, f"bad port: {e}") from e
    user = unquote(parts.username) if parts.username else "anonymous"
    password = unquote(parts.password) if parts.password else "anonymous@"
    # RFC 1738: the path is relative to the login directory.
    directory, name = posixpath.split(unquote(parts.path).lstrip("/"))
    if not name:
        raise DownloadError(shown, "the URL names no file")
    try:
        with ftplib.FTP(timeout=timeout) as ftp:
            ftp.connect(parts.hostname, port)
            ftp.login(user, password)
            if directory:
                ftp.cwd(directory)
            command = f"RETR {name}"
            write_atomically(dest, lambda out: ftp.retrbinary(command, out.write, CHUNK_SIZE))
    except ftplib.Error as e:
        raise DownloadError(shown, f"FTP server said: {str(e).strip()}") from e
    except (OSError, EOFError) as e:
        if isinstance(e, OSError) and e.filename is not None:
            raise DownloadError(shown, f"cannot write {e.filename}: {e.strerror}") from e
        raise DownloadError(shown, _describe(e, timeout)) from e


def fetch(url: str, dest: str, timeout: float, tls: TLSSettings = DEFAULT_TLS) -> None:
    """Download ``url`` to ``dest`` with the fetcher for its scheme."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in HTTP_SCHEMES:
        fetch_http(url, dest, timeout, tls)
    elif scheme in FTP_SCHEMES:
        fetch_ftp(url, dest, timeout)
    else:
        raise DownloadError(redacted(url), f"scheme {scheme!r} is not http, https or ftp")
