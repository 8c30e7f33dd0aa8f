"""A real PostgreSQL server that is not there at load, or goes away mid-run."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from monitoring_pg_server import PostgresServer

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.dataflow.states import States
from parsl.errors import NoDataFlowKernelError
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.hub import MonitoringDatabaseError, query
from parsl.monitoring.sink import TaskTransition


@python_app
def square(x: int) -> int:
    return x * x


class Records(logging.Handler):
    """Collects the records of one logger, whatever the logging setup of parsl.load()."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.ERROR]


@pytest.fixture
def monitoring_log() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("parsl.monitoring")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.timeout(60)
def test_an_unreachable_server_is_a_clear_error_at_load(tmp_path: Path) -> None:
    port = closed_port()
    hub = MonitoringHub(logging_endpoint=f"postgresql+psycopg://parsl:secret@127.0.0.1:{port}/mon")
    config = Config(
        executors=[ThreadPoolExecutor(label="threads")], run_dir=str(tmp_path), monitoring=hub
    )
    begin = time.monotonic()
    with pytest.raises(MonitoringDatabaseError) as info:
        parsl.load(config)
    assert time.monotonic() - begin < 15
    message = str(info.value)
    assert (
        f"cannot open monitoring database 'postgresql+psycopg://parsl:***@127.0.0.1:{port}/mon'"
        in message
    )
    assert "secret" not in message  # the password is never shown
    assert "refused" in message.lower() or "connect" in message.lower()
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()  # nothing was left loaded


@pytest.mark.timeout(120)
def test_the_server_going_away_mid_run_never_stops_the_workflow(
    tmp_path: Path, monitoring_log: Records
) -> None:
    server = PostgresServer.start()
    try:
        url = server.new_database()
        hub = MonitoringHub(logging_endpoint=url, workflow_name="doomed", close_timeout=5)
        config = Config(
            executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
            run_dir=str(tmp_path),
            monitoring=hub,
        )
        dfk = parsl.load(config)
        try:
            assert [f.result(timeout=30) for f in [square(i) for i in range(20)]] == [
                i * i for i in range(20)
            ]
            assert hub.flush(timeout=20)
            assert len(query.tasks(url, dfk.run_id)) == 20
            server.stop()  # SIGINT to the postmaster's pid: fast shutdown, connections cut
            assert server.proc.poll() is not None
            later = [square(i) for i in range(20, 220)]
            assert [f.result(timeout=30) for f in later] == [i * i for i in range(20, 220)]
            writer = hub._writer
            assert writer is not None
            assert writer.failed.wait(20), "the writer never noticed the server had gone"
            more = [square(i) for i in range(3)]
            assert [f.result(timeout=30) for f in more] == [0, 1, 4]
        finally:
            begin = time.monotonic()
            dfk.cleanup()
            cleanup_s = time.monotonic() - begin
            parsl.clear()
        assert cleanup_s < 15
        assert isinstance(hub.writer_error, MonitoringDatabaseError)
        assert hub.dropped_events > 0
        [lost] = monitoring_log.errors()  # reported once, not once per event
        assert "lost" in lost and "carries on" in lost
        assert "127.0.0.1" in lost
    finally:
        server.stop()


@pytest.mark.timeout(120)
def test_a_server_restart_mid_run_loses_nothing(
    tmp_path: Path, monitoring_log: Records, transition: Callable[..., TaskTransition]
) -> None:
    server = PostgresServer.start()
    try:
        url = server.new_database()
        hub = MonitoringHub(logging_endpoint=url)
        hub.start("run-0001", str(tmp_path / "000"))
        try:
            for tid in range(50):
                hub.task_transition(transition(tid, States.pending))
            assert hub.flush(timeout=20)
            old_pid = server.pid
            server.restart()  # the writer's connection is cut
            assert server.pid != old_pid
            for tid in range(50, 100):
                hub.task_transition(transition(tid, States.pending))
            assert hub.flush(timeout=20)
        finally:
            hub.close()
        assert hub.writer_error is None and hub.dropped_events == 0
        assert [t["task_id"] for t in query.tasks(url, "run-0001")] == list(range(100))
        assert monitoring_log.errors() == []
        warnings = [r.getMessage() for r in monitoring_log.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and "reconnecting" in warnings[0]
    finally:
        server.stop()
