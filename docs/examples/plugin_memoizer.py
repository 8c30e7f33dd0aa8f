# expect: run 1: 42 exec_done
# expect: run 2: 42 memo_done
# expect: the cache file holds 1 result
"""An out-of-tree memoizer: one JSON file shared by every run, no checkpoint_files needed."""

import json
import os
import threading
from concurrent.futures import Future

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memo_hash import task_hash
from parsl.dataflow.memoizer_base import Memoizer


class JSONFileMemoizer(Memoizer):
    """Keeps JSON-compatible results in one file, keyed by Parsl's task hash."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._table: dict[str, object] = {}
        self._lock = threading.Lock()

    def start(self, *, run_dir: str, config_run_dir: str) -> None:
        if os.path.exists(self.path):
            with open(self.path) as f:
                self._table = json.load(f)

    def check_memo(self, task) -> Future | None:
        task.hashsum = task_hash(task)
        with self._lock:
            if task.hashsum not in self._table:
                return None
            future: Future = Future()
            future.set_result(self._table[task.hashsum])
            return future

    def update_memo_result(self, task, r) -> None:
        with self._lock:
            self._table[task.hashsum] = r

    def update_memo_exception(self, task, e) -> None:
        pass  # failures are not kept: the next run tries again

    def checkpoint(self) -> str:
        with self._lock:
            data = json.dumps(self._table)
        with open(self.path + ".tmp", "w") as f:
            f.write(data)
        os.replace(self.path + ".tmp", self.path)  # never leave a half-written file
        return os.path.dirname(os.path.abspath(self.path))

    def close(self) -> None:
        self.checkpoint()


@python_app(cache=True)
def answer(x):
    return x * 6


for run in (1, 2):
    # A fresh memoizer each run, as a new program would make: it reads the file.
    config = Config(memoizer=JSONFileMemoizer("results.json"))
    with parsl.load(config):
        fut = answer(7)
        print(f"run {run}:", fut.result(), fut.task_status())

with open("results.json") as f:
    print(f"the cache file holds {len(json.load(f))} result")
