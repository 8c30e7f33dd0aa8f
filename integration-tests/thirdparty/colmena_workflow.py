"""Run by test_thirdparty_colmena.py: Colmena's ParslTaskServer over our htex, in a fresh interpreter.

Colmena starts its task server as a child process (multiprocessing), which
loads the Parsl configuration, wraps each method in ``PythonApp`` (and an
executable method in ``PythonApp``, ``BashApp``, ``PythonApp``), and answers
requests that arrive on its queues. Prints one ``name: value`` line per check.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from colmena.models.methods import ExecutableMethod
from colmena.queue.python import PipeQueues
from colmena.task_server.parsl import ParslTaskServer

from parsl.config import Config
from parsl.executors import HighThroughputExecutor


def square(x: int) -> int:
    return x * x


def refuse(x: int) -> int:
    raise ValueError(f"refused {x}")


class CountWords(ExecutableMethod):
    """``wc -w`` on a file the preprocessing step writes into the task's run directory."""

    def __init__(self) -> None:
        super().__init__(executable=["wc", "-w"], name="count_words")

    def preprocess(
        self, run_dir: Path, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[list[str], None]:
        (run_dir / "words.txt").write_text(args[0])
        return [str(run_dir / "words.txt")], None

    def postprocess(self, run_dir: Path) -> int:
        return int((run_dir / "colmena.stdout").read_text().split()[0])


def main(work: Path) -> None:
    config = Config(
        executors=[HighThroughputExecutor(max_workers_per_node=2, address="127.0.0.1")],
        strategy=None,
        run_dir=str(work / "runinfo"),
    )
    queues = PipeQueues(serialization_method="pickle")
    server = ParslTaskServer([square, refuse, CountWords()], queues, config)
    server.start()
    try:
        for i in range(5):
            queues.send_inputs(i, method="square")
        queues.send_inputs(7, method="refuse")
        queues.send_inputs("the quick brown fox jumps", method="count_words")
        results = [queues.get_result(timeout=90) for _ in range(7)]
    finally:
        queues.send_kill_signal()
        server.join(60)
    squares = sorted(r.value for r in results if r.method == "square" and r.success)
    print("squares:", squares)
    (failed,) = [r for r in results if r.method == "refuse"]
    print("refuse:", failed.success, failed.failure_info.exception)
    (counted,) = [r for r in results if r.method == "count_words"]
    print("count_words:", counted.success, counted.value)
    print("server exit code:", server.exitcode)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
