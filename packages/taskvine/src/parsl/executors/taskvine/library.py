"""TaskVine function-call mode: a library process that runs many Parsl tasks without a new interpreter each.

The worker starts ``python3 -m parsl.executors.taskvine.library NAME`` with
``--in-pipe-fd``, ``--out-pipe-fd``, ``--task-id``, ``--library-cores``,
``--function-slots`` and ``--worker-pid``. It speaks the worker's library
protocol: every message is ``<length>\\n<body>``. At start the library sends
``{"name", "taskid", "exec_mode"}`` as JSON; the worker then sends
``"<task id> <function> <sandbox> <stdout file>"`` per call, and the library
answers ``"<task id> <exit code>"`` when the call is over, and sends the worker SIGCHLD
so that it reads the answer at once. Each call runs in
a forked child (``exec_mode`` ``fork``) inside the call's sandbox, so a
crashing task never takes the library down; Parsl and the task's modules
are imported once, in the parent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import sys

__all__ = ["FUNCTION_NAME", "main", "read_message", "write_message"]

FUNCTION_NAME = "run_parsl_task"


def write_message(fd: int, body: str) -> None:
    """Send one ``<length>\\n<body>`` message."""
    data = body.encode()
    os.write(fd, f"{len(data)}\n".encode() + data)


def read_message(stream: object) -> str | None:
    """Read one message from a binary file object; None at end of stream."""
    head = stream.readline()  # type: ignore[attr-defined]
    if not head:
        return None
    size = int(head.strip())
    data: bytes = stream.read(size)  # type: ignore[attr-defined]
    return data.decode()


def _run_call(sandbox: str, stdout_name: str) -> int:
    from parsl.executors.cctools.runner import run_task

    out = os.open(os.path.join(sandbox, stdout_name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.chdir(sandbox)
    run_task("parsl.map", "parsl.function", "parsl.result", sandbox)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Serve function calls until the worker closes the pipe."""
    parser = argparse.ArgumentParser(prog="parsl.executors.taskvine.library")
    parser.add_argument("name")
    parser.add_argument("--in-pipe-fd", type=int, required=True)
    parser.add_argument("--out-pipe-fd", type=int, required=True)
    parser.add_argument("--task-id", type=int, required=True)
    parser.add_argument("--library-cores", type=int, default=1)
    parser.add_argument("--function-slots", type=int, default=1)
    parser.add_argument("--worker-pid", type=int, default=0)
    args = parser.parse_args(argv)
    import parsl.executors.cctools.runner  # noqa: F401 - warm: every call forks with it loaded

    write_message(
        args.out_pipe_fd,
        json.dumps({"name": args.name, "taskid": args.task_id, "exec_mode": "fork"}),
    )
    _wake(args.worker_pid)
    calls = os.fdopen(args.in_pipe_fd, "rb", buffering=0)
    children: dict[int, int] = {}
    exits: dict[int, int] = {}  # child pid -> its pidfd, readable when it exits: answer at once
    while True:
        timeout = 1.0 if not children else (None if len(exits) == len(children) else 0.05)
        ready, _, _ = select.select([calls.fileno(), *exits.values()], [], [], timeout)
        if calls.fileno() in ready:
            message = read_message(calls)
            if message is None:
                break
            call_id, _function, sandbox, stdout_name = message.split(" ", 3)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child; its exit code is what the test sees
                code = 1
                try:
                    code = _run_call(sandbox, stdout_name)
                finally:
                    os._exit(code)
            children[pid] = int(call_id)
            with contextlib.suppress(AttributeError, OSError):  # no pidfds: poll every 50 ms
                exits[pid] = os.pidfd_open(pid)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            done_id = children.pop(pid, None)
            if pid in exits:
                os.close(exits.pop(pid))
            if done_id is not None:
                write_message(args.out_pipe_fd, f"{done_id} {os.waitstatus_to_exitcode(status)}")
                _wake(args.worker_pid)
        if args.worker_pid and not _alive(args.worker_pid):
            break
    return 0


def _wake(worker_pid: int) -> None:
    """The worker sleeps in its event loop; SIGCHLD makes it read our message now."""
    if worker_pid > 0:
        with contextlib.suppress(OSError):
            os.kill(worker_pid, signal.SIGCHLD)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover
        return True
    return True


if __name__ == "__main__":
    sys.exit(main())
