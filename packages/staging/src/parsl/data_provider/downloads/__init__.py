"""Download machinery shared by the HTTP and FTP staging providers.

``fetch`` moves one URL into a local file; :class:`SeparateTaskDownload` and
:class:`InTaskDownload` are the two provider shapes, which an out-of-tree
provider for another URL scheme can subclass by setting ``schemes``.
"""

from __future__ import annotations

from parsl.data_provider.downloads._fetch import (
    DEFAULT_TLS,
    FTP_SCHEMES,
    HTTP_SCHEMES,
    TLSSettings,
    fetch,
    fetch_ftp,
    fetch_http,
    redacted,
    write_atomically,
)
from parsl.data_provider.downloads._providers import (
    DEFAULT_TIMEOUT,
    DownloadThenRun,
    InTaskDownload,
    SeparateTaskDownload,
    check_timeout,
    executor_working_dir,
    local_path_for,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_TLS",
    "FTP_SCHEMES",
    "HTTP_SCHEMES",
    "DownloadThenRun",
    "InTaskDownload",
    "SeparateTaskDownload",
    "TLSSettings",
    "check_timeout",
    "executor_working_dir",
    "fetch",
    "fetch_ftp",
    "fetch_http",
    "local_path_for",
    "redacted",
    "write_atomically",
]
