from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringHub
from parsl.monitoring.sink import TaskTransition

RUN_ID = "run-0001"


def make_transition(
    task_id: int,
    state: States,
    *,
    try_id: int = 0,
    timestamp: float | None = None,
    func_name: str = "add",
    executor: str | None = "threads",
    fail_reason: str | None = None,
    run_id: str = RUN_ID,
) -> TaskTransition:
    """A TaskTransition as the DataFlowKernel would send it."""
    return TaskTransition(
        run_id=run_id,
        task_id=task_id,
        try_id=try_id,
        state=state,
        timestamp=time.time() if timestamp is None else timestamp,
        func_name=func_name,
        executor=executor,
        fail_reason=fail_reason,
    )


@pytest.fixture
def transition() -> Callable[..., TaskTransition]:
    """``transition(task_id, state, **fields)`` builds a TaskTransition (run id ``run_id``)."""
    return make_transition


@pytest.fixture
def run_id() -> str:
    return RUN_ID


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/mon/monitoring.db"


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return f"{tmp_path}/mon/monitoring.db"


@pytest.fixture
def run_dir(tmp_path: Path) -> str:
    d = tmp_path / "runinfo" / "000"
    d.mkdir(parents=True)
    return str(d)


@pytest.fixture
def make_hub() -> Iterator[Callable[..., MonitoringHub]]:
    """Build hubs that are always closed (and their writers joined) when the test ends."""
    hubs: list[MonitoringHub] = []

    def make(**kwargs: object) -> MonitoringHub:
        hub = MonitoringHub(**kwargs)  # type: ignore[arg-type]
        hubs.append(hub)
        return hub

    yield make
    for hub in hubs:
        hub.close()
        writer = hub._writer
        if writer is not None:
            writer.join(30)
            assert not writer.is_alive(), "monitoring writer thread leaked"


@pytest.fixture
def started_hub(make_hub: Callable[..., MonitoringHub], db_url: str, run_dir: str) -> MonitoringHub:
    hub = make_hub(logging_endpoint=db_url, workflow_name="wf", workflow_version="1.0")
    hub.start(RUN_ID, run_dir)
    return hub
