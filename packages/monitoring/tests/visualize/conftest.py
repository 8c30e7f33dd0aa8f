from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).parent))

from workflow_builder import MonitoringDB, WorkflowSpec, build_workflow, new_database

from parsl.monitoring.visualization import BackgroundServer, Database, open_database


@pytest.fixture(scope="session")
def template_db(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, WorkflowSpec, WorkflowSpec]:
    """Built once per session; each test gets its own copy of the file."""
    where = tmp_path_factory.mktemp("template")
    outputs = where / "outputs"
    outputs.mkdir()
    finished = WorkflowSpec(
        run_id="run-a", name="demo", tasks=60, output_dir=outputs, provenance=True
    )
    running = WorkflowSpec(
        run_id="run-b",
        name="live",
        tasks=30,
        completed=False,
        start=dt.datetime.now().replace(microsecond=0) - dt.timedelta(seconds=30),
    )
    _, engine = new_database(where / "monitoring.db")
    build_workflow(engine, finished)
    build_workflow(engine, running)
    engine.dispose()
    return where / "monitoring.db", finished, running


@pytest.fixture
def monitoring_db(
    tmp_path: Path, template_db: tuple[Path, WorkflowSpec, WorkflowSpec]
) -> Iterator[MonitoringDB]:
    path = tmp_path / "monitoring.db"
    shutil.copy(template_db[0], path)
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    yield MonitoringDB(url, path, engine, template_db[1], template_db[2])
    engine.dispose()


@pytest.fixture
def db(monitoring_db: MonitoringDB) -> Iterator[Database]:
    handle = open_database(monitoring_db.url)
    yield handle
    handle.close()


@pytest.fixture
def server(db: Database) -> Iterator[BackgroundServer]:
    """parsl-visualize on a free loopback port, in this process, stopped at the end."""
    srv = BackgroundServer(db, "127.0.0.1", 0, poll_ms=300)
    yield srv
    srv.stop()
    assert not srv.thread.is_alive()
