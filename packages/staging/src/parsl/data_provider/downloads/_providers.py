"""The two shapes of download staging: a separate transfer task, or a wrapper around the task.

Concrete providers (HTTP, FTP) only choose the URL schemes they accept.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from parsl.app.futures import DataFuture
from parsl.data_provider.downloads._fetch import DEFAULT_TLS, TLSSettings, fetch, redacted
from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging
from parsl.data_provider.staging_errors import DownloadError
from parsl.errors import bad_value
from parsl.typecheck import typechecked

DEFAULT_TIMEOUT = 60.0


def check_timeout(owner: str, timeout: object) -> float:
    """``timeout`` as a float, or a ConfigurationError naming ``owner``."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise bad_value(f"{owner}.timeout", timeout, "a number of seconds > 0")
    return float(timeout)


def executor_working_dir(dm: Any, executor: str) -> str | None:
    """The ``working_dir`` of the executor labelled ``executor``, or None when it has none."""
    working_dir = getattr(dm.dfk.executors[executor], "working_dir", None)
    return working_dir if working_dir else None


def local_path_for(file: File, working_dir: str | None) -> str:
    """Where a staged-in copy of ``file`` goes: its file name inside ``working_dir``."""
    if not file.filename:
        raise DownloadError(redacted(file.url), "the URL's path names no file to save as")
    return os.path.join(working_dir, file.filename) if working_dir else file.filename


def _download_outputs(
    timeout: float,
    tls: TLSSettings = DEFAULT_TLS,
    outputs: Sequence[File] = (),
    _parsl_staging_inhibit: bool = True,
) -> None:
    """The body of a separate stage-in task: fetch each output file to its local path."""
    for file in outputs:
        fetch(file.url, file.local_path or file.filename, timeout, tls)


class DownloadThenRun:
    """A task function that first downloads ``file`` to its local path, then calls ``func``.

    A class rather than a closure so that it pickles for executors in other processes.
    """

    __name__: str
    __wrapped__: Callable[..., Any]

    def __init__(
        self, func: Callable[..., Any], file: File, timeout: float, tls: TLSSettings = DEFAULT_TLS
    ) -> None:
        functools.update_wrapper(self, func, updated=())
        self.func = func
        self.file = file
        self.timeout = timeout
        self.tls = tls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        fetch(self.file.url, self.file.local_path or self.file.filename, self.timeout, self.tls)
        return self.func(*args, **kwargs)


class _DownloadStaging(Staging):
    """Accepts files whose URL scheme is in :attr:`schemes`, for stage-in only."""

    schemes: ClassVar[frozenset[str]] = frozenset()

    @typechecked
    def __init__(
        self,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        verify: bool = True,
        ca_file: str | os.PathLike[str] | None = None,
    ) -> None:
        owner = type(self).__name__
        self.timeout = check_timeout(owner, timeout)
        if not isinstance(verify, bool):
            raise bad_value(f"{owner}.verify", verify, "True or False")
        if ca_file is not None:
            if not isinstance(ca_file, str | os.PathLike):
                raise bad_value(
                    f"{owner}.ca_file", ca_file, "a path to a PEM file of CA certificates"
                )
            ca_file = os.fspath(ca_file)
            if not os.path.isfile(ca_file):
                raise bad_value(
                    f"{owner}.ca_file", ca_file, "an existing PEM file of CA certificates"
                )
        self.tls = TLSSettings(verify=verify, ca_file=ca_file)

    def can_stage_in(self, file: File) -> bool:
        return file.scheme.lower() in self.schemes

    def can_stage_out(self, file: File) -> bool:
        return False

    def __repr__(self) -> str:
        extra = (
            ""
            if self.tls == DEFAULT_TLS
            else f", verify={self.tls.verify}, ca_file={self.tls.ca_file!r}"
        )
        return f"{type(self).__name__}(timeout={self.timeout:g}{extra})"


class SeparateTaskDownload(_DownloadStaging):
    """Downloads each file in a task of its own, on the app's executor, before the app runs."""

    def stage_in(self, dm: Any, executor: str, file: File, parent_fut: Any) -> DataFuture | None:
        from parsl.app.app import python_app

        file.local_path = local_path_for(file, executor_working_dir(dm, executor))
        app = python_app(executors=[executor], data_flow_kernel=dm.dfk)(_download_outputs)
        extra: dict[str, Any] = {} if parent_fut is None else {"parent_fut": parent_fut}
        app_fut = app(self.timeout, self.tls, outputs=[file], _parsl_staging_inhibit=True, **extra)
        outputs: list[DataFuture] = app_fut.outputs
        if outputs:
            return outputs[0]
        # A DFK that makes no output futures for staging-inhibited calls: make our own.
        return DataFuture(app_fut, file, tid=getattr(app_fut, "tid", None))


class InTaskDownload(_DownloadStaging):
    """Downloads each file inside the app's own task, just before the app's function runs."""

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        file.local_path = local_path_for(file, executor_working_dir(dm, executor))
        return DownloadThenRun(func, file, self.timeout, self.tls)
