# expect: 3 tasks ran in worker processes, not in this one: True
# expect: ZeroDivisionError came back from the worker
"""An out-of-tree executor: every task runs in a pool of separate Python processes."""

import multiprocessing
import os
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor as StdlibProcessPool

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors.base import ParslExecutor
from parsl.executors.errors import BadStateException
from parsl.serialize import deserialize, pack_apply_message, serialize, unpack_apply_message


def run_packed(payload: bytes) -> bytes:
    """Runs in a worker process: unpack the call, run it, pack the result."""
    func, args, kwargs = unpack_apply_message(payload)
    return serialize(func(*args, **kwargs))


class ProcessPoolExecutor(ParslExecutor):
    """Runs each task in one of ``workers`` child processes."""

    def __init__(self, label: str = "processes", workers: int = 2) -> None:
        self.label = label
        self.workers = workers
        self._pool: StdlibProcessPool | None = None

    def start(self) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._pool = StdlibProcessPool(max_workers=self.workers, mp_context=spawn)

    def submit(self, func, resource_specification, *args, **kwargs) -> Future:
        if self._pool is None:
            raise BadStateException(self.label, "executor is not running")
        if resource_specification:
            self.validate_resource_specification(resource_specification)
        # parsl's serializer (dill) handles functions defined in __main__ and closures.
        inner = self._pool.submit(run_packed, pack_apply_message(func, args, kwargs))
        outer: Future = Future()

        def settle(done: Future) -> None:
            if done.cancelled():
                outer.set_exception(BadStateException(self.label, "shut down before the task ran"))
            elif done.exception() is not None:
                outer.set_exception(done.exception())
            else:
                outer.set_result(deserialize(done.result()))

        inner.add_done_callback(settle)
        return outer

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


@python_app
def pid_of_worker(i):
    import os

    return os.getpid()


@python_app
def divide(a, b):
    return a / b


if __name__ == "__main__":  # needed: spawned workers import this file
    with parsl.load(Config(executors=[ProcessPoolExecutor(workers=3)])):
        futures = [pid_of_worker(i) for i in range(3)]
        pids = {f.result() for f in futures}
        print(
            f"{len(futures)} tasks ran in worker processes, not in this one: {os.getpid() not in pids}"
        )
        try:
            divide(1, 0).result()
        except ZeroDivisionError:
            print("ZeroDivisionError came back from the worker")
