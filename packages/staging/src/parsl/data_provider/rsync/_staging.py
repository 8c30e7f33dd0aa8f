"""RSyncStaging: copy local files to and from the worker with rsync, inside the app's task."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

from parsl.data_provider.downloads import check_timeout, executor_working_dir
from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging
from parsl.data_provider.staging_errors import RSyncError
from parsl.errors import bad_value
from parsl.typecheck import typechecked

DEFAULT_TIMEOUT = 3600.0
_STDERR_TAIL = 2000


def pull_command(hostname: str, remote_path: str, local_path: str) -> list[str]:
    """The rsync argument list that copies ``hostname:remote_path`` to ``local_path``."""
    return ["rsync", f"{hostname}:{remote_path}", local_path]


def push_command(hostname: str, local_path: str, remote_path: str) -> list[str]:
    """The rsync argument list that copies ``local_path`` to ``hostname:remote_path``."""
    return ["rsync", local_path, f"{hostname}:{remote_path}"]


def run_rsync(command: list[str], timeout: float) -> None:
    """Run one rsync command; raise :class:`RSyncError` if it is missing, fails or overruns."""
    executable = shutil.which(command[0])
    if executable is None:
        raise RSyncError(
            command, "the 'rsync' program is not on the worker's PATH; install rsync there"
        )
    try:
        done = subprocess.run(
            [executable, *command[1:]],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise RSyncError(command, f"did not finish within {timeout:g} s") from e
    except OSError as e:
        raise RSyncError(command, f"could not start rsync: {e}") from e
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip()[-_STDERR_TAIL:]
        raise RSyncError(command, f"exit code {done.returncode}: {stderr or '(no stderr)'}")


class _RSyncWrapper:
    """Base of the two task wrappers; a class so that it pickles for remote executors."""

    __name__: str
    __wrapped__: Callable[..., Any]

    def __init__(self, func: Callable[..., Any], file: File, hostname: str, timeout: float) -> None:
        functools.update_wrapper(self, func, updated=())
        self.func = func
        self.file = file
        self.hostname = hostname
        self.timeout = timeout

    @property
    def local_path(self) -> str:
        """Where the file is on the worker."""
        return self.file.local_path or self.file.filename

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


class RSyncInThenRun(_RSyncWrapper):
    """Pulls the file to its local path with rsync, then calls the app's function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        directory = os.path.dirname(self.local_path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        run_rsync(pull_command(self.hostname, self.file.path, self.local_path), self.timeout)
        return self.func(*args, **kwargs)


class RunThenRSyncOut(_RSyncWrapper):
    """Calls the app's function, then pushes the file it wrote back with rsync."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        directory = os.path.dirname(self.local_path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        result = self.func(*args, **kwargs)
        run_rsync(push_command(self.hostname, self.local_path, self.file.path), self.timeout)
        return result


class RSyncStaging(Staging):
    """Moves local (``file://``) files between the submit host and the workers with rsync.

    For workers without a shared file system. Before the app runs, each input
    file is pulled from ``hostname:<path>`` into the executor's ``working_dir``
    (or the worker's current directory); after it succeeds, each output file is
    pushed back to ``hostname:<path>``. Use absolute paths: a relative one is
    relative to the home directory on ``hostname``. The workers need ``rsync``
    and non-interactive ssh access to ``hostname``. ``timeout`` bounds each
    transfer, in seconds.
    """

    @typechecked
    def __init__(self, hostname: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        if not isinstance(hostname, str) or not hostname or any(c.isspace() for c in hostname):
            raise bad_value(
                "RSyncStaging.hostname", hostname, "a host name such as 'login1' or 'user@login1'"
            )
        self.hostname = hostname
        self.timeout = check_timeout("RSyncStaging", timeout)

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "file"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "file"

    def _place(self, dm: Any, executor: str, file: File) -> None:
        working_dir = executor_working_dir(dm, executor)
        file.local_path = os.path.join(working_dir, file.filename) if working_dir else file.filename

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        self._place(dm, executor, file)
        return RSyncInThenRun(func, file, self.hostname, self.timeout)

    def replace_task_stage_out(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        self._place(dm, executor, file)
        return RunThenRSyncOut(func, file, self.hostname, self.timeout)

    def __repr__(self) -> str:
        return f"RSyncStaging(hostname={self.hostname!r}, timeout={self.timeout:g})"
