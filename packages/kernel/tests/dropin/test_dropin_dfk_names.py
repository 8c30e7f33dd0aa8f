"""DataFlowKernel attributes under Parsl's names: task_count, workflow_name/_version, ..."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.dependency_resolvers import DEEP_DEPENDENCY_RESOLVER
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.memory import MemorySink


@python_app
def inc(x: int) -> int:
    return x + 1


def test_task_count_counts_submitted_tasks_without_taking_an_id(dfk: DataFlowKernel) -> None:
    assert dfk.task_count == 0
    futures = [inc(i) for i in range(3)]
    assert dfk.task_count == 3
    assert dfk.task_count == 3  # reading it takes no id
    assert [f.tid for f in futures] == [0, 1, 2]
    assert inc(futures[-1]).tid == 3
    assert dfk.task_count == 4


def test_workflow_name_and_version_default_to_the_script_and_start_time(
    run_dir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.argv", ["/home/me/analysis.py", "--fast"])
    before = time.time()
    with parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir)) as dfk:
        assert dfk.workflow_name == "analysis.py"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", dfk.workflow_version)
        assert before <= dfk.time_began <= time.time()
        assert dfk.dependency_resolver.traverse_to_gather is not None
        assert dfk.job_status_poller is dfk.poller


class NamedSink(MemorySink):
    workflow_name = "my-study"
    workflow_version = "v2"


def test_workflow_name_and_version_come_from_monitoring(tmp_path: Path) -> None:
    config = Config(
        executors=[ThreadPoolExecutor()],
        run_dir=str(tmp_path),
        monitoring=NamedSink(),
        dependency_resolver=DEEP_DEPENDENCY_RESOLVER,
    )
    with parsl.load(config) as dfk:
        assert (dfk.workflow_name, dfk.workflow_version) == ("my-study", "v2")
        assert dfk.dependency_resolver is DEEP_DEPENDENCY_RESOLVER


def test_the_names_are_read_only(dfk: DataFlowKernel) -> None:
    with pytest.raises(AttributeError):
        dfk.task_count = 7  # type: ignore[misc]
