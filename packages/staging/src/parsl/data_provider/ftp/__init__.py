"""Stage-in of ``ftp://`` files, as a separate task or inside the app's task."""

from __future__ import annotations

from typing import ClassVar

from parsl.data_provider.downloads import FTP_SCHEMES, InTaskDownload, SeparateTaskDownload

__all__ = ["FTPInTaskStaging", "FTPSeparateTaskStaging"]


class FTPSeparateTaskStaging(SeparateTaskDownload):
    """Downloads FTP input files in a task of their own before the app runs.

    Logs in anonymously unless the URL carries ``user:password@``. The file
    lands in the executor's ``working_dir`` (or the worker's current directory)
    under the URL's file name. ``timeout`` bounds each network wait, in seconds.
    """

    schemes: ClassVar[frozenset[str]] = FTP_SCHEMES


class FTPInTaskStaging(InTaskDownload):
    """Downloads FTP input files inside the app's task, just before its function runs.

    Same login, placement and ``timeout`` as :class:`FTPSeparateTaskStaging`.
    """

    schemes: ClassVar[frozenset[str]] = FTP_SCHEMES
