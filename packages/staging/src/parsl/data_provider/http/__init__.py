"""Stage-in of ``http://`` and ``https://`` files, as a separate task or inside the app's task."""

from __future__ import annotations

from typing import ClassVar

from parsl.data_provider.downloads import HTTP_SCHEMES, InTaskDownload, SeparateTaskDownload

__all__ = ["HTTPInTaskStaging", "HTTPSeparateTaskStaging"]


class HTTPSeparateTaskStaging(SeparateTaskDownload):
    """Downloads HTTP(S) input files in a task of their own before the app runs.

    The file lands in the executor's ``working_dir`` (or the worker's current
    directory) under the URL's file name, and ``File.filepath`` points there.
    ``timeout`` bounds each network wait, in seconds. Stage-out is not supported.
    """

    schemes: ClassVar[frozenset[str]] = HTTP_SCHEMES


class HTTPInTaskStaging(InTaskDownload):
    """Downloads HTTP(S) input files inside the app's task, just before its function runs.

    Same placement and ``timeout`` as :class:`HTTPSeparateTaskStaging`, with no
    extra task per file. Stage-out is not supported.
    """

    schemes: ClassVar[frozenset[str]] = HTTP_SCHEMES
