"""An out-of-tree executor written the way Parsl's docs show: a BlockProviderExecutor subclass.

Its blocks come from a provider (LocalProvider in the tests); each block runs
``python -m oot_executor PORT KEY BLOCK``, a worker that connects back over
``multiprocessing.connection`` on 127.0.0.1 and runs one task at a time.
Only Parsl's public plugin surface is used: ``BlockProviderExecutor``,
``RepresentationMixin``, ``parsl.serialize`` and a provider.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import sys
import threading
from concurrent.futures import Future
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

from parsl.executors.errors import BadStateException
from parsl.executors.status_handling import BlockProviderExecutor
from parsl.providers import LocalProvider
from parsl.providers.base import ExecutionProvider
from parsl.serialize import deserialize, pack_apply_message, serialize, unpack_apply_message
from parsl.utils import RepresentationMixin

_STOP = b""


class QueueExecutor(RepresentationMixin, BlockProviderExecutor):
    """Tasks wait in a queue; every connected worker takes the next one."""

    def __init__(
        self,
        label: str = "oot",
        provider: ExecutionProvider | None = None,
        block_error_handler: Any = True,
    ) -> None:
        super().__init__(
            provider=provider if provider is not None else LocalProvider(),
            block_error_handler=block_error_handler,
        )
        self.label = label
        self._ids = itertools.count()
        self._queue: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
        self._listener: Listener | None = None
        self._connections: list[Connection] = []
        self._stopping = False
        self.worker_pids: dict[str, int] = {}

    def start(self) -> None:
        assert self.provider is not None
        self.provider.script_dir = os.path.join(self.run_dir, "submit_scripts")
        self._key = os.urandom(16)
        self._listener = Listener(("127.0.0.1", 0), authkey=self._key)
        threading.Thread(target=self._accept, name=f"{self.label}-accept", daemon=True).start()

    def _get_launch_command(self, block_id: str) -> str:
        assert self._listener is not None
        port = self._listener.address[1]
        return f"{sys.executable} -m oot_executor {port} {self._key.hex()} {block_id}"

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping:
            try:
                conn = self._listener.accept()
            except OSError:
                return
            if self._stopping:
                conn.close()
                return
            self._connections.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        _, block_id, pid = conn.recv()
        self.worker_pids[block_id] = pid
        while True:
            item = self._queue.get()
            if item is None:
                with contextlib.suppress(OSError):
                    conn.send_bytes(_STOP)
                return
            tid, payload = item
            future = self.tasks.get(tid)
            try:
                conn.send_bytes(payload)
                ok, body = conn.recv()
            except (EOFError, OSError) as e:
                if future is not None and not future.done():
                    future.set_exception(
                        BadStateException(self.label, f"worker of block {block_id} lost: {e}")
                    )
                return
            if future is not None and not future.done():
                value = deserialize(body)
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            self.tasks.pop(tid, None)

    def submit(
        self, func: Any, resource_specification: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Future[Any]:
        if self.bad_state_is_set:
            raise self.executor_exception or BadStateException(self.label, "bad state")
        tid = next(self._ids)
        future: Future[Any] = Future()
        self.tasks[tid] = future
        self._queue.put((tid, pack_apply_message(func, args, kwargs)))
        return future

    @property
    def outstanding(self) -> int:
        return sum(1 for f in list(self.tasks.values()) if not f.done())

    @property
    def workers_per_node(self) -> int:
        return 1

    def shutdown(self) -> None:
        self._stopping = True
        for _ in self._connections:
            self._queue.put(None)
        if self._listener is not None:
            with contextlib.suppress(OSError):  # wake the accept() call so its thread ends
                Client(self._listener.address, authkey=self._key).close()
            self._listener.close()
        for future in list(self.tasks.values()):
            if not future.done():
                future.set_exception(BadStateException(self.label, "executor shut down"))


def square(x: int) -> int:
    return x * x


def worker_identity() -> tuple[int, str]:
    return os.getpid(), os.environ.get("JOBNAME", "")


def boom(message: str) -> None:
    raise ValueError(message)


def _worker(port: int, key: bytes, block_id: str) -> None:
    conn = Client(("127.0.0.1", port), authkey=key)
    conn.send(("hello", block_id, os.getpid()))
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        if payload == _STOP:
            return
        func, args, kwargs = unpack_apply_message(payload)
        try:
            conn.send((True, serialize(func(*args, **kwargs))))
        except Exception as e:
            conn.send((False, serialize(e)))


if __name__ == "__main__":
    _worker(int(sys.argv[1]), bytes.fromhex(sys.argv[2]), sys.argv[3])
