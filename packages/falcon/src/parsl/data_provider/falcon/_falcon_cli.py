"""Running the ``falcon`` program: finding it, and stopping its whole process group by pid."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess

from parsl.data_provider.falcon._protocol import FalconError

ENV_EXECUTABLE = "PARSL_FALCON_EXECUTABLE"
INSTALL_HINT = (
    "install falcon-datamover in its own virtual environment (see the parsl-falcon README) "
    f"and put its 'falcon' on PATH or in ${ENV_EXECUTABLE}"
)


def find_falcon(executable: str | None) -> str:
    """The path of the ``falcon`` program: ``executable``, ``$PARSL_FALCON_EXECUTABLE``, PATH."""
    name = executable or os.environ.get(ENV_EXECUTABLE) or "falcon"
    found = shutil.which(name)
    if found is None:
        raise FalconError(f"the Falcon program {name!r} was not found; {INSTALL_HINT}")
    return found


def stop(proc: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """Stop ``proc`` and the workers it forked (its own session): TERM, then KILL, then reap."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
    else:
        # Its forked workers may outlive it; they share its process group id.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def tail(text: str, limit: int = 1500) -> str:
    """The end of a log, for error messages."""
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]
