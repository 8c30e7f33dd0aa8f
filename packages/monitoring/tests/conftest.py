from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from monitoring_pg_server import PostgresServer

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
    **facts: object,
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
        **facts,  # type: ignore[arg-type]
    )


@pytest.fixture
def transition() -> Callable[..., TaskTransition]:
    """``transition(task_id, state, **fields)`` builds a TaskTransition (run id ``run_id``)."""
    return make_transition


@pytest.fixture
def run_id() -> str:
    return RUN_ID


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return f"{tmp_path}/mon/monitoring.db"


@pytest.fixture
def sqlite_url(db_path: str) -> str:
    return f"sqlite:///{db_path}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL 15 server on 127.0.0.1 for the session, stopped by pid."""
    server = PostgresServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """Each test that takes it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("pg_url"))


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
