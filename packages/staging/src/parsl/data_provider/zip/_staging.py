"""ZipFileStaging: ``zip:`` files are read from and written into zip archives inside the task."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

from parsl.data_provider.downloads import check_timeout, executor_working_dir
from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging
from parsl.data_provider.zip._archive import (
    ZipLocation,
    append_member,
    extract_member,
    local_member_path,
    parse_zip_url,
)
from parsl.typecheck import typechecked

DEFAULT_LOCK_TIMEOUT = 120.0


class _ZipWrapper:
    """Base of the two task wrappers; a class so that it pickles for remote executors."""

    __name__: str
    __wrapped__: Callable[..., Any]

    def __init__(
        self, func: Callable[..., Any], file: File, location: ZipLocation, timeout: float
    ) -> None:
        functools.update_wrapper(self, func, updated=())
        self.func = func
        self.file = file
        self.location = location
        self.timeout = timeout

    @property
    def local_path(self) -> str:
        return self.file.local_path or local_member_path(self.location, None)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class ZipExtractThenRun(_ZipWrapper):
    """Extracts the member to its local path, then calls the app's function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        extract_member(self.location, self.local_path, self.file.url, self.timeout)
        return self.func(*args, **kwargs)


class RunThenZipAppend(_ZipWrapper):
    """Calls the app's function, then appends the file it wrote to the archive."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        directory = os.path.dirname(self.local_path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        result = self.func(*args, **kwargs)
        append_member(self.location, self.local_path, self.file.url, self.timeout)
        return result


class ZipFileStaging(Staging):
    """Stages ``zip:`` files: members of a zip archive on a file system the workers share.

    ``File("zip:/data/run.zip/out/a.txt")`` names the member ``out/a.txt`` of
    ``/data/run.zip``. As an output, the app writes ``out/a.txt`` inside the
    executor's ``working_dir`` (or its current directory) and, once the app has
    succeeded, the file is appended to the archive (created if missing) under an
    exclusive lock, so many concurrent tasks can fill one archive. As an input,
    the member is extracted to that same local path before the app runs.
    ``timeout`` bounds the wait for the archive's lock, in seconds. A malformed
    URL raises :class:`~parsl.data_provider.staging_errors.ZipStagingError` from
    the app call itself (a host part: :class:`ZipAuthorityError`, as in Parsl);
    a missing archive or member, or a duplicate member name, fails the task
    with one.
    """

    @typechecked
    def __init__(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.timeout = check_timeout("ZipFileStaging", timeout)

    def can_stage_in(self, file: File) -> bool:
        return file.scheme.lower() == "zip"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme.lower() == "zip"

    def stage_in(self, dm: Any, executor: str, file: File, parent_fut: Any) -> None:
        """No separate task: the member is extracted in the app's task. A bad URL fails the call."""
        parse_zip_url(file.url)

    def stage_out(self, dm: Any, executor: str, file: File, app_fu: Any) -> None:
        """No separate task: the member is appended in the app's task. A bad URL fails the call."""
        parse_zip_url(file.url)

    def _place(self, dm: Any, executor: str, file: File) -> ZipLocation:
        location = parse_zip_url(file.url)
        file.local_path = local_member_path(location, executor_working_dir(dm, executor))
        return location

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        return ZipExtractThenRun(func, file, self._place(dm, executor, file), self.timeout)

    def replace_task_stage_out(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        return RunThenZipAppend(func, file, self._place(dm, executor, file), self.timeout)

    def __repr__(self) -> str:
        return f"ZipFileStaging(timeout={self.timeout:g})"
