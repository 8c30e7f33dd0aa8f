"""Work Queue's coprocess mode: one long-lived process per worker slot runs Parsl tasks as calls.

With ``WorkQueueExecutor(coprocess=True)`` each worker is started with
``--coprocess parsl-wq-coprocess`` (this module's console script). The
worker starts the coprocess in its workspace directory and reads one
message from its stdout: ``<length>\\n{"name": ..., "port": ...}``. The
coprocess listens on that TCP port on 127.0.0.1; for each task the worker
connects and sends ``"<function> <task id> <length>\\n"`` and the task's
``infile`` (JSON: ``fn_args`` are the sandbox names of the task's map,
function and result files, ``fn_kwargs`` its environment). The coprocess
answers ``<length>\\n<JSON>``, which becomes the task's output.

Each call runs in a forked child, in the task's sandbox (``t.<task id>``
under the workspace), with its output in ``parsl.coprocess.out`` there: a
task that crashes or calls ``os._exit`` never takes the coprocess down, and
Parsl and the task's modules are imported once, in the parent. A call whose
connection closes (the worker killed the task) has its process group
killed; when the worker exits (end of stdin, or this process re-parented)
the coprocess ends its running call and itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import sys
from typing import Any

import psutil

__all__ = ["COPROCESS_NAME", "COPROCESS_SCRIPT", "FUNCTION_NAME", "OUTPUT_NAME", "main"]

COPROCESS_SCRIPT = "parsl-wq-coprocess"
"""This module's console script: what ``work_queue_worker --coprocess`` runs."""

COPROCESS_NAME = "parsl_coprocess"
"""The name the coprocess announces; tasks ask for it (``RemoteTask(..., COPROCESS_NAME)``)."""
FUNCTION_NAME = "run_parsl_task"
OUTPUT_NAME = "parsl.coprocess.out"
"""The task's stdout and stderr, in its sandbox."""
_TAIL = 2000


def _message(body: str) -> bytes:
    data = body.encode()
    return f"{len(data)}\n".encode() + data


class _Requests:
    """The ``"<function> <task id> <length>\\n<input>"`` requests of one connection.

    Read into a buffer of our own, so that the serve loop knows when a whole
    request is already here and when it must wait on the socket (with the
    worker's exit) instead.
    """

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.buf = bytearray()

    def pending(self) -> bool:
        return b"\n" in self.buf

    def _more(self) -> bool:
        data = self.conn.recv(65536)
        self.buf += data
        return bool(data)

    def next(self) -> tuple[int, dict[str, Any]] | None:
        """The next request (blocks until it is whole); None at end of connection."""
        while b"\n" not in self.buf:
            if not self._more():
                return None
        head, _, rest = bytes(self.buf).partition(b"\n")
        _function, task_id, length = head.decode().split()
        size = int(length)
        self.buf = bytearray(rest)
        while len(self.buf) < size:
            if not self._more():
                return None
        body, self.buf = bytes(self.buf[:size]), self.buf[size:]
        return int(task_id), json.loads(body or b"{}")


def _run_call(sandbox: str, request: dict[str, Any]) -> None:
    """In the forked child: the task's process group, sandbox, environment and output; run it."""
    from parsl.executors.cctools.runner import run_task

    os.setpgid(0, 0)
    out = os.open(os.path.join(sandbox, OUTPUT_NAME), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # not the worker's pipe
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.chdir(sandbox)
    names = request.get("fn_args")
    # Only files of the task's own sandbox: anyone on this host can connect to the port.
    if not (
        isinstance(names, list)
        and len(names) == 3
        and all(
            isinstance(n, str) and n == os.path.basename(n) not in ("", ".", "..") for n in names
        )
    ):
        print(f"parsl-wq-coprocess: not three file names of the sandbox: {names!r}", flush=True)
        os._exit(2)
    os.environ.update({str(k): str(v) for k, v in (request.get("fn_kwargs") or {}).items()})
    map_name, function_name, result_name = names
    run_task(map_name, function_name, result_name, sandbox)


def _answer(code: int, sandbox: str) -> str:
    tail = ""
    if code != 0:
        with contextlib.suppress(OSError), open(os.path.join(sandbox, OUTPUT_NAME), "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - _TAIL))
            tail = f.read().decode(errors="replace")
    return json.dumps({"Result": code, "StatusCode": 200 if code == 0 else 500, "Output": tail})


class _Exits:
    """Notice a process's exit: a pidfd where Linux has one (readable at exit), else polling."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self.fd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):  # pragma: no cover - not Linux >= 5.3
            self.fd = None
        self.poll_s = None if self.fd is not None else 0.05
        """How often to look when there is no pidfd to wait on."""

    def fds(self) -> list[int]:
        return [] if self.fd is None else [self.fd]

    def ended(self, ready: list[Any]) -> bool:
        if self.fd is not None:
            return self.fd in ready
        try:  # pragma: no cover - not Linux >= 5.3
            return bool(psutil.Process(self.pid).status() == psutil.STATUS_ZOMBIE)
        except psutil.Error:  # pragma: no cover - gone
            return True

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)


def _worker() -> _Exits:
    """The worker that started this coprocess: the parent, or the shell's parent (``sh -c``)."""
    parent = psutil.Process(os.getppid())
    with contextlib.suppress(psutil.Error):
        if parent.name() in ("sh", "dash", "bash") and parent.ppid() > 1:
            return _Exits(parent.ppid())
    return _Exits(parent.pid)


def _call(
    conn: socket.socket,
    listener: socket.socket,
    sandbox: str,
    request: dict[str, Any],
    worker: _Exits,
) -> int | None:
    """Run one call in a child; its exit code, or None if the worker gave up on it first."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; what it writes is what the tests check
        code = 1
        try:
            conn.close()
            listener.close()
            _run_call(sandbox, request)
            code = 0
        finally:
            os._exit(code)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # also here, so that the kill below never races the child's own call
    child = _Exits(pid)
    try:
        while True:
            ready, _, _ = select.select(
                [conn, sys.stdin, *child.fds(), *worker.fds()], [], [], child.poll_s
            )
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if conn in ready or sys.stdin in ready or worker.ended(ready):
                # The worker gave up on the task, or exited: end the call and its children.
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return None
    finally:
        child.close()


def serve(listener: socket.socket, workspace: str, worker: _Exits) -> None:
    """Answer calls until the worker exits (it holds this process's stdin, too)."""
    while True:
        ready, _, _ = select.select([listener, sys.stdin, *worker.fds()], [], [], 1.0)
        if sys.stdin in ready or worker.ended(ready):
            return
        if listener not in ready:
            continue
        conn, _ = listener.accept()
        with conn:
            requests = _Requests(conn)
            while True:
                if not requests.pending():  # wait for the next call, or the worker's exit
                    ready, _, _ = select.select([conn, sys.stdin, *worker.fds()], [], [], 1.0)
                    if sys.stdin in ready or worker.ended(ready):
                        return
                    if conn not in ready:
                        continue
                try:
                    request = requests.next()
                except ValueError:  # not a call (JSON errors are ValueErrors): drop the connection
                    break
                if request is None:
                    break
                task_id, body = request
                sandbox = os.path.join(workspace, f"t.{task_id}")
                code = _call(conn, listener, sandbox, body, worker)
                if code is None:
                    break
                conn.sendall(_message(_answer(code, sandbox)))


def main() -> int:
    """Entry point of ``parsl-wq-coprocess`` (started by ``work_queue_worker --coprocess``)."""
    import parsl.executors.cctools.runner  # noqa: F401 - warm: every call forks with it loaded

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    os.write(1, _message(json.dumps({"name": COPROCESS_NAME, "port": port})))
    try:
        serve(listener, os.getcwd(), _worker())
    except KeyboardInterrupt:
        return 130
    finally:
        listener.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
