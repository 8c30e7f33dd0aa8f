"""Manager selectors: the default spreads tasks by free slots; BlockIdManagerSelector fills the newest block."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import htex_tasks
import pytest
from conftest import interchange_settings, wait_until

from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.dispatch import TaskDispatch
from parsl.executors.high_throughput.instructions import SendTask
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings
from parsl.executors.high_throughput.manager_selector import (
    BlockIdManagerSelector,
    ManagerSelector,
    RandomManagerSelector,
    dump_selector,
    load_selector,
    sorts_its_own,
)
from parsl.providers import LocalProvider


def managers_used(dispatch: TaskDispatch, tasks: int) -> list[str]:
    # Register the oldest block first, so "newest block" differs from "registered first";
    # block 10 is newer than 9 (numbers, not text).
    for manager, block in (("m-old", "9"), ("m-new", "10"), ("m-none", None)):
        dispatch.manager_registered(manager, 4, 0, block, now=0.0)
    out: list[Any] = []
    for task in range(tasks):
        out += dispatch.task_submitted(task, None, {})
    return [i.manager_id for i in out if isinstance(i, SendTask)]


def test_default_spreads_by_free_slots() -> None:
    used = managers_used(TaskDispatch(30.0), 3)
    assert sorted(used) == ["m-new", "m-none", "m-old"]


def test_newest_block_first_fills_it_before_older_ones() -> None:
    used = managers_used(TaskDispatch(30.0, prefer_newest_block=True), 10)
    assert used[:4] == ["m-new"] * 4  # block 10 fills up first, as in Parsl
    assert used[4:8] == ["m-old"] * 4  # then block 9
    assert used[8:] == ["m-none"] * 2  # a manager without a block id comes last


def test_executor_accepts_the_public_selectors() -> None:
    assert isinstance(HighThroughputExecutor().manager_selector, RandomManagerSelector)
    ex = HighThroughputExecutor(manager_selector=BlockIdManagerSelector())
    assert ex.manager_selector.prefer_newest_block
    assert repr(ex.manager_selector) == "BlockIdManagerSelector()"
    assert not ManagerSelector.prefer_newest_block
    with pytest.raises(ConfigurationError, match="not a ManagerSelector"):
        HighThroughputExecutor(manager_selector="block")  # type: ignore[arg-type]


def test_the_choice_reaches_the_interchange_settings() -> None:
    settings = interchange_settings("/tmp", prefer_newest_block=True)
    assert InterchangeSettings.from_json(settings.to_json()).prefer_newest_block is True


class Reversed(ManagerSelector):
    """Newest registration last (served first, as in Parsl); records what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[bytes, Any], set[bytes]]] = []

    def sort_managers(
        self, ready_managers: dict[bytes, Any], manager_list: set[bytes]
    ) -> list[bytes]:
        self.calls.append((dict(ready_managers), set(manager_list)))
        return sorted(manager_list, key=lambda m: ready_managers[m]["start_time"])


def test_a_selector_of_ones_own_orders_the_managers_it_is_given() -> None:
    selector = Reversed()
    dispatch = TaskDispatch(30.0, selector=selector)
    dispatch.manager_registered("m-a", 2, 0, "0", now=1.0, hostname="host-a")
    dispatch.manager_registered("m-b", 2, 0, "1", now=2.0, hostname="host-b")
    sent: list[Any] = []
    for task in range(5):
        sent += dispatch.task_submitted(task, None, {})
    used = [i.manager_id for i in sent if isinstance(i, SendTask)]
    assert used == ["m-b", "m-b", "m-a", "m-a"]  # the last first, each filled in turn; one waits
    assert dispatch.queue_length() == 1
    ready, listed = selector.calls[0]
    assert listed == {b"m-a", b"m-b"}  # bytes ids, as Parsl's interchange gives them
    record = ready[b"m-a"]
    assert record["block_id"] == "0" and record["hostname"] == "host-a"
    assert record["worker_count"] == 2 and record["max_capacity"] == 2
    assert record["tasks"] == [] and record["active"] and not record["draining"]
    assert record["start_time"] == 1.0 and record["last_heartbeat"] == 1.0
    # only managers with free slots are offered: after m-b filled up, m-a alone
    assert any(set(listed) == {b"m-a"} for _, listed in selector.calls)
    dispatch.result_received("m-b", 0)  # a slot frees: the queued task goes there
    assert selector.calls[-1][1] == {b"m-b"}


class Failing(ManagerSelector):
    def __init__(self, answer: Any) -> None:
        self.answer = answer

    def sort_managers(self, ready_managers: dict[bytes, Any], manager_list: set[bytes]) -> Any:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    "answer", [RuntimeError("selector bug"), "m-a", None, [["unhashable"]]], ids=repr
)
def test_a_failing_selector_is_logged_once_and_the_tasks_still_go_out(
    answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    dispatch = TaskDispatch(30.0, selector=Failing(answer))
    dispatch.manager_registered("m-a", 2, 0, "0", now=0.0)
    sent = [i for t in range(3) for i in dispatch.task_submitted(t, None, {})]
    assert [i.task_id for i in sent if isinstance(i, SendTask)] == [0, 1]  # nothing lost
    assert dispatch.counters.selector_errors == 2  # not asked when no manager has a slot
    failures = [r for r in caplog.records if "manager_selector" in r.getMessage()]
    assert len(failures) == 1 and "most free slots instead" in failures[0].getMessage()


def test_unknown_and_repeated_ids_in_the_answer_are_ignored() -> None:
    dispatch = TaskDispatch(30.0, selector=Failing(["m-a", b"m-a", b"m-a", b"gone"]))
    dispatch.manager_registered("m-a", 1, 0, "0", now=0.0)
    dispatch.manager_registered("m-b", 1, 0, "0", now=0.0)
    sent = [i for t in range(3) for i in dispatch.task_submitted(t, None, {})]
    assert [i.manager_id for i in sent if isinstance(i, SendTask)] == ["m-a"]
    assert dispatch.counters.selector_errors == 0


def test_the_built_in_selectors_sort_as_parsl_documents() -> None:
    ready: dict[bytes, Any] = {
        b"a": {"block_id": "2"},
        b"b": {"block_id": "10"},
        b"c": {"block_id": None},
        b"d": {"block_id": "1"},
    }
    # Parsl's order: served from the end, so no block first, then the oldest to the newest
    assert BlockIdManagerSelector().sort_managers(ready, set(ready)) == [b"c", b"d", b"a", b"b"]
    shuffled = RandomManagerSelector().sort_managers(ready, set(ready))
    assert sorted(shuffled) == [b"a", b"b", b"c", b"d"]
    with pytest.raises(TypeError, match="abstract"):
        ManagerSelector()  # type: ignore[abstract]


def test_only_a_selector_of_ones_own_runs_in_the_interchange() -> None:
    class Newest(BlockIdManagerSelector):
        pass

    assert not sorts_its_own(RandomManagerSelector())
    assert not sorts_its_own(Newest())  # the built-in policy, applied by the dispatch
    assert sorts_its_own(Reversed())
    rebuilt = load_selector(dump_selector(Reversed()))
    assert type(rebuilt).__name__ == "Reversed"
    with pytest.raises(ValueError, match="not a ManagerSelector"):
        load_selector(dump_selector(42))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="cannot be rebuilt in the interchange"):
        load_selector("bm90IGEgcGlja2xl")


class HoldsAGenerator(Reversed):
    def __init__(self) -> None:
        super().__init__()
        self.numbers = (n for n in range(3))  # dill cannot pickle a generator


def test_a_selector_that_cannot_be_pickled_fails_the_start_naming_it(make_htex: Any) -> None:
    htex = make_htex(start=False, manager_selector=HoldsAGenerator())
    with pytest.raises(ConfigurationError, match="manager_selector=.*cannot be sent"):
        htex.start()


def test_a_selector_of_ones_own_steers_a_real_htex(make_htex: Any) -> None:
    htex = make_htex(
        max_workers_per_node=1,
        provider=LocalProvider(init_blocks=2, min_blocks=2, max_blocks=2),
        manager_selector=htex_tasks.OnlyBlockSelector("1"),
    )
    wait_until(lambda: htex.connected_workers == 2, timeout=30)
    blocks = {htex.submit(htex_tasks.block_id, {}).result(timeout=30) for _ in range(8)}
    assert blocks == {"1"}  # block 0's manager is never chosen


def test_a_selector_the_interchange_cannot_import_fails_the_start(
    make_htex: Any, tmp_path: Path
) -> None:
    source = tmp_path / "elsewhere_selector.py"
    source.write_text(
        "from parsl.executors.high_throughput.manager_selector import ManagerSelector\n"
        "class Elsewhere(ManagerSelector):\n"
        "    def sort_managers(self, ready, managers):\n"
        "        return list(managers)\n"
    )
    spec = importlib.util.spec_from_file_location("elsewhere_selector", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["elsewhere_selector"] = module
    try:
        spec.loader.exec_module(module)
        htex = make_htex(start=False, manager_selector=module.Elsewhere())
        with pytest.raises(Exception, match="cannot be rebuilt in the interchange"):
            htex.start()
    finally:
        del sys.modules["elsewhere_selector"]


SCRIPT = """
import os, sys
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.manager_selector import ManagerSelector
from parsl.providers import LocalProvider

class SecondBlockOnly(ManagerSelector):  # defined in the script: travels by value
    def sort_managers(self, ready_managers, manager_list):
        return [m for m in manager_list if ready_managers[m]["block_id"] == "1"]

def block():
    return os.environ["PARSL_WORKER_BLOCK_ID"]

htex = HighThroughputExecutor(
    max_workers_per_node=1, manager_selector=SecondBlockOnly(),
    provider=LocalProvider(init_blocks=2, min_blocks=2, max_blocks=2),
)
htex.run_dir = sys.argv[1]
htex.start()
try:
    print(sorted({htex.submit(block, {}).result(timeout=30) for _ in range(8)}))
finally:
    htex.shutdown()
"""


def test_a_selector_defined_in_the_script_itself(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "['1']"
