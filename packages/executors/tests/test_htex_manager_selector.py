"""Manager selectors: the default spreads tasks by free slots; BlockIdManagerSelector fills the newest block."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import interchange_settings

from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.dispatch import TaskDispatch
from parsl.executors.high_throughput.instructions import SendTask
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings
from parsl.executors.high_throughput.manager_selector import (
    BlockIdManagerSelector,
    ManagerSelector,
    RandomManagerSelector,
)


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
