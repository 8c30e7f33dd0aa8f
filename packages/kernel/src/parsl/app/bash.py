"""Bash apps: the function returns a command line, which runs under bash."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from functools import partial
from typing import IO, TYPE_CHECKING, Any, Literal

from parsl.app import children
from parsl.app.app import RESERVED_KWARGS, AppBase
from parsl.app.errors import (
    AppBadFormatting,
    AppTimeout,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    MissingOutputs,
)

if TYPE_CHECKING:
    from parsl.dataflow.dflow import DataFlowKernel

BASH = "/bin/bash"


class BashApp(AppBase):
    """An app whose function returns the command to run; its result is 0 on success.

    The arguments come in Parsl's order for this class (``cache`` before
    ``executors``), as :class:`~parsl.app.python.PythonApp`'s do.
    """

    kind = "bash"

    def __init__(
        self,
        func: Callable[..., Any],
        data_flow_kernel: DataFlowKernel | None = None,
        cache: bool = False,
        executors: Literal["all"] | Sequence[str] = "all",
        ignore_for_cache: Sequence[str] | None = None,
    ) -> None:
        super().__init__(func, data_flow_kernel, executors, cache, ignore_for_cache)

    def prepare(self, kwargs: dict[str, Any]) -> tuple[Callable[..., Any], dict[str, Any]]:
        """The callable an executor runs, and the keyword arguments to give it."""
        keep = frozenset(k for k in RESERVED_KWARGS if self.accepts(k))
        return partial(run_bash_app, self.func, self.__name__, keep), kwargs


def _bad_shape(spec: Any, name: str) -> BadStdStreamFile:
    from parsl.typecheck import StdStreamTypeError  # typeguard: imported on this error path only

    return StdStreamTypeError(
        f"{name}={spec!r}: expected a path or a (path, mode) tuple", field=name, value=spec
    )


def _open_stream(spec: Any, name: str) -> IO[bytes] | int:
    if spec is None:
        return subprocess.DEVNULL
    mode = "a+"
    path = spec
    if isinstance(spec, tuple):
        if len(spec) != 2 or not isinstance(spec[1], str):
            raise _bad_shape(spec, name)
        path, mode = spec
    if not isinstance(path, str | os.PathLike):
        raise _bad_shape(spec, name)
    path = os.fspath(path)
    try:
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        return open(path, mode + ("b" if "b" not in mode else ""))
    except (OSError, ValueError) as e:
        raise BadStdStreamFile(
            f"{name}={path!r} could not be opened with mode {mode!r}: {e}"
        ) from e


def run_bash_app(
    func: Callable[..., Any], app_name: str, keep: frozenset[str], /, *args: Any, **kwargs: Any
) -> int:
    """Build the command with ``func``, run it under bash, and check its outputs."""
    call_kwargs = {k: v for k, v in kwargs.items() if k not in RESERVED_KWARGS or k in keep}
    try:
        command = func(*args, **call_kwargs)
    except (KeyError, IndexError) as e:
        raise AppBadFormatting(f"bash_app {app_name} could not build its command: {e!r}") from e
    if not isinstance(command, str):
        raise BashAppNoReturn(
            f"bash_app {app_name} must return the command as a str, got {type(command).__name__}"
        )
    walltime = kwargs.get("walltime")
    out = _open_stream(kwargs.get("stdout"), "stdout")
    try:
        err = _open_stream(kwargs.get("stderr"), "stderr")
    except BadStdStreamFile:
        if not isinstance(out, int):
            out.close()
        raise
    err_start = err.tell() if not isinstance(err, int) else 0
    tail = None
    try:
        returncode = _run(command, out, err, walltime)
        if returncode not in (0, -1) and not isinstance(err, int):
            tail = _tail(err, err_start)
    finally:
        for stream in (out, err):
            if not isinstance(stream, int):
                stream.close()
    if returncode == -1:
        raise AppTimeout(f"bash_app {app_name} exceeded walltime {walltime} s")
    if returncode != 0:
        raise BashExitFailure(app_name, returncode, tail)
    _check_outputs(app_name, kwargs.get("outputs") or [])
    return 0


#: How much of a failed command's stderr its BashExitFailure shows.
STDERR_TAIL_BYTES = 2048
STDERR_TAIL_LINES = 10


def _tail(stream: IO[bytes], start: int) -> str | None:
    """The last lines written to ``stream``'s file after offset ``start`` (this run's), or None."""
    try:
        stream.flush()
        with open(stream.name, "rb") as f:  # the stream itself may be write-only
            end = f.seek(0, os.SEEK_END)
            f.seek(max(start, end - STDERR_TAIL_BYTES))
            data = f.read()
    except (OSError, ValueError, TypeError):  # not a named file, or gone: no tail
        return None
    lines = data.decode(errors="replace").splitlines()[-STDERR_TAIL_LINES:]
    return "\n".join(lines).strip() or None


def _run(command: str, out: IO[bytes] | int, err: IO[bytes] | int, walltime: Any) -> int:
    proc = subprocess.Popen(
        [BASH, "-c", command],
        stdout=out,
        stderr=err,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    children.register(proc)
    try:
        try:
            return proc.wait(timeout=float(walltime) if walltime is not None else None)
        except subprocess.TimeoutExpired:
            children.kill_group(proc)
            return -1
    finally:
        children.unregister(proc)
        if proc.returncode is None:
            children.kill_group(proc)


def _check_outputs(app_name: str, outputs: Sequence[Any]) -> None:
    missing = [o for o in outputs if not os.path.exists(getattr(o, "filepath", o))]
    if missing:
        raise MissingOutputs(f"bash_app {app_name} did not create them", missing)
