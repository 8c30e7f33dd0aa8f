"""A worker process: runs one task at a time for its manager.

Started by the manager as ``python -m parsl.executors.high_throughput.worker``
with two inherited pipe descriptors (see :mod:`.frame_pipe`). It says
WORKER_READY, then answers every TASK frame, in order, with one RESULT frame
whose payload is the serialized return value, or a serialized
:class:`~parsl.app.errors.RemoteExceptionWrapper` when the task raised. A
task whose ``resource_spec`` carries ``env`` (MPI mode) runs with those
environment variables set. It
exits on SHUTDOWN, or at once when the manager is gone (end-of-file).
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import time
from typing import Any

from parsl.app.errors import RemoteExceptionWrapper
from parsl.executors.execute_task import execute_task
from parsl.executors.high_throughput.call_packing import serialize_value
from parsl.executors.high_throughput.errors import TaskExited
from parsl.executors.high_throughput.frame_pipe import read_frame, write_frame, write_frames
from parsl.executors.high_throughput.protocol import (
    MONITORING_HEAD,
    Result,
    Shutdown,
    Task,
    WorkerReady,
    decode,
)
from parsl.logconfigs.base import initialize_from_file
from parsl.monitoring.radios import htex as htex_radio
from parsl.serialize import serialize

logger = logging.getLogger("parsl.executors.high_throughput.worker")
_HOSTNAME = socket.gethostname()


class _ResultNotSerializable(Exception):
    """Stands in for a task's result or exception that cannot be serialized."""


def execute(payload: bytes, worker_id: str = "") -> bytes:
    """Run the packed call in ``payload``; return the serialized result or wrapped exception.

    A task that raises :class:`SystemExit` fails with :class:`TaskExited`
    (a ``WorkerLost``, as Parsl reports it) and this worker lives on.
    """
    try:
        result: Any = execute_task(payload)
    except Exception:
        result = RemoteExceptionWrapper(*sys.exc_info())
    except SystemExit as e:
        try:
            raise TaskExited(e.code, worker_id, _HOSTNAME) from e
        except TaskExited:
            result = RemoteExceptionWrapper(*sys.exc_info())
    try:
        return serialize_value(result, "task result")
    except Exception as e:
        what = "exception" if isinstance(result, RemoteExceptionWrapper) else "result"
        try:
            raise _ResultNotSerializable(
                f"the task's {what} ({type(result).__name__}) could not be serialized: {e}"
            ) from None
        except _ResultNotSerializable:
            return serialize(RemoteExceptionWrapper(*sys.exc_info()))


def _set_environment(env: Any) -> dict[str, str | None]:
    """Apply a task's ``env`` (MPI mode's variables); return what to restore afterwards."""
    if not isinstance(env, dict):
        return {}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update({str(k): str(v) for k, v in env.items()})
    return saved


def _restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


class _ResultPipe:
    """The worker's result pipe, shared by the task's thread and the resource sampler's.

    A task's last monitoring messages (sent with ``final=True``: its final
    resource sample, ``running_ended``) wait and go out in the same write as
    its RESULT: one wakeup of the manager instead of two. Every other
    monitoring frame goes out at once.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()
        self._held: list[bytes] = []
        self._task_thread = threading.current_thread()

    def write(self, frame: bytes) -> None:
        with self._lock:
            write_frame(self.fd, frame)

    def monitoring(self, batch: bytes, final: bool) -> None:
        frame = MONITORING_HEAD + batch  # what Monitoring(payload=batch).encode() makes
        with self._lock:
            if final and threading.current_thread() is self._task_thread:
                self._held.append(frame)
            else:
                write_frame(self.fd, frame)

    def result(self, frame: bytes) -> None:
        """Write the held monitoring frames and the RESULT together."""
        with self._lock:
            held, self._held = self._held, []
            write_frames(self.fd, [*held, frame])


def serve(task_fd: int, result_fd: int, worker_id: str) -> int:
    """Run tasks from ``task_fd`` until SHUTDOWN or end-of-file (the manager is gone).

    Monitoring messages from the task wrapper (HTEXRadio) go to the manager
    as MONITORING frames on the same pipe.
    """
    pipe = _ResultPipe(result_fd)
    htex_radio.install_channel(pipe.monitoring)
    pipe.write(WorkerReady(worker_id=worker_id, pid=os.getpid()).encode())
    while True:
        frame = read_frame(task_fd)
        if frame is None:
            logger.info("worker %s: the manager closed the task pipe; exiting", worker_id)
            return 0
        msg = decode(frame)
        if isinstance(msg, Task):
            logger.debug("worker %s running task %d", worker_id, msg.task_id)
            started = time.monotonic()
            saved = _set_environment(msg.resource_spec.get("env"))
            try:
                payload = execute(msg.payload, worker_id)
            finally:
                _restore_environment(saved)
            pipe.result(Result(task_id=msg.task_id, payload=payload).encode())
            logger.debug(
                "worker %s finished task %d in %.3f s",
                worker_id,
                msg.task_id,
                time.monotonic() - started,
            )
        elif isinstance(msg, Shutdown):
            return 0
        else:
            logger.error("worker %s: unexpected %s", worker_id, msg.kind)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--task-fd N --result-fd M --worker-id ID [--cpus 0,1] [--logfile F]
    [--log-config PICKLE] [--debug]``."""
    parser = argparse.ArgumentParser(description="HighThroughputExecutor worker process")
    parser.add_argument("--task-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--worker-id", required=True)
    parser.add_argument("--cpus", default="", help="comma-separated CPU ids to pin to")
    parser.add_argument("--logfile", default=None)
    parser.add_argument("--log-config", default=None, help="a pickled parsl.logconfigs LogConfig")
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    if args.cpus and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(c) for c in args.cpus.split(",")})
    if args.log_config and args.logfile:
        # The run's Config(initialize_logging=LogConfig): worker_<index> beside the manager's log.
        name = os.path.splitext(os.path.basename(args.logfile))[0]
        initialize_from_file(
            args.log_config, log_dir=os.path.dirname(args.logfile) or ".", log_name=name
        )
    elif args.logfile:
        handler = logging.FileHandler(args.logfile)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if args.debug else logging.INFO)
    try:
        return serve(args.task_fd, args.result_fd, args.worker_id)
    except BrokenPipeError:
        logger.info("worker %s: the manager closed the result pipe; exiting", args.worker_id)
        return 0


if __name__ == "__main__":
    sys.exit(main())
