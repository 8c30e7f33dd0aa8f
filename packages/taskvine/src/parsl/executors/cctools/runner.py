"""The worker side of a task: read the call, point its ``File`` arguments at the sandbox, run, write the result.

Run as ``python3 -m parsl.executors.cctools.runner MAP FUNCTION RESULT`` by a
one-process-per-task worker, or called as :func:`run_task` inside a TaskVine
library process (function-call mode). The result file holds a serialized
``dict``: ``{"ok": True, "value": ...}`` or ``{"ok": False, "exception":
RemoteExceptionWrapper}``, plus ``"started"`` and ``"ended"`` (Unix times).
"""

from __future__ import annotations

import os
import pickle
import sys
import time
from typing import Any

from parsl.app.errors import RemoteExceptionWrapper
from parsl.serialize.facade import serialize, unpack_apply_message

__all__ = ["main", "not_an_exception", "run_task"]


def _point_files(value: Any, file_map: dict[str, str], sandbox: str) -> None:
    from parsl.executors.cctools.taskfiles import find_files

    for f in find_files(value):
        remote = file_map.get(f.path)
        if remote is not None:
            f.local_path = remote if os.path.isabs(remote) else os.path.join(sandbox, remote)


def not_an_exception(exc: BaseException) -> str | None:
    """Why the task failed, as text, when its exception is no :class:`Exception`; else None.

    ``SystemExit`` (the task called ``sys.exit()``) or ``KeyboardInterrupt``,
    raised by ``future.result()``, would end or interrupt the calling script:
    the submit side fails the future with an error of its own, caused by it.
    """
    if isinstance(exc, Exception):
        return None
    if isinstance(exc, SystemExit):
        return f"the task called sys.exit({exc.code!r})"
    return f"the task raised {type(exc).__name__}"


def run_task(map_file: str, function_file: str, result_file: str, sandbox: str = ".") -> bool:
    """Run the task whose files are named (relative names are inside ``sandbox``); True if it returned."""
    sandbox = os.path.abspath(sandbox)
    started = time.time()
    body: dict[str, Any]
    try:
        with open(os.path.join(sandbox, map_file), "rb") as f:
            file_map = pickle.load(f)
        with open(os.path.join(sandbox, function_file), "rb") as f:
            func, args, kwargs = unpack_apply_message(f.read())
        _point_files(args, file_map, sandbox)
        _point_files(kwargs, file_map, sandbox)
        body = {"ok": True, "value": func(*args, **kwargs)}
    except BaseException as e:
        body = {"ok": False, "exception": RemoteExceptionWrapper(type(e), e, e.__traceback__)}
    body["started"], body["ended"] = started, time.time()
    try:
        payload = serialize(body, name="task result")
    except Exception as e:  # the value or the exception does not serialize
        err = RuntimeError(
            f"the task's {'result' if body['ok'] else 'exception'} cannot be sent back: {e}"
        )
        body = {"ok": False, "exception": RemoteExceptionWrapper(RuntimeError, err, None)}
        body["started"], body["ended"] = started, time.time()
        payload = serialize(body, name="task result")
    tmp = os.path.join(sandbox, result_file) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, os.path.join(sandbox, result_file))
    return bool(body["ok"])


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m parsl.executors.cctools.runner MAP FUNCTION RESULT``."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        print(
            "usage: python -m parsl.executors.cctools.runner MAP FUNCTION RESULT", file=sys.stderr
        )
        return 2
    run_task(*argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
