"""parsl.load() that fails because of monitoring, or after it started, leaves nothing running."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from pathlib import Path

import pytest

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.dataflow.errors import BadCheckpoint
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.hub import MonitoringDatabaseError, query

pytestmark = pytest.mark.timeout(60)


@python_app
def square(x: int) -> int:
    return x * x


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _new_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    for _ in range(50):
        left = [t for t in set(threading.enumerate()) - before if t.is_alive()]
        if not left:
            return []
        time.sleep(0.1)
    return left


def _a_corrected_load_records_its_tasks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ok.db'}"
    dfk = parsl.load(
        Config(
            executors=[ThreadPoolExecutor(label="threads")],
            run_dir=str(tmp_path / "ok"),
            monitoring=MonitoringHub(logging_endpoint=url),
        )
    )
    run_id = dfk.run_id
    assert square(7).result(timeout=10) == 49
    parsl.clear()
    assert len(query.tasks(url, run_id)) == 1


def test_an_unreachable_postgresql_hub_leaves_no_thread_or_log_handler(tmp_path: Path) -> None:
    threads, handlers = set(threading.enumerate()), list(logging.getLogger("parsl").handlers)
    hub = MonitoringHub(logging_endpoint=f"postgresql://parsl@127.0.0.1:{_closed_port()}/mon")
    with pytest.raises(MonitoringDatabaseError):
        parsl.load(
            Config(
                executors=[ThreadPoolExecutor(label="threads")],
                run_dir=str(tmp_path / "runinfo"),
                monitoring=hub,
            )
        )
    assert _new_threads(threads) == []
    assert logging.getLogger("parsl").handlers == handlers
    _a_corrected_load_records_its_tasks(tmp_path)


def test_a_started_hub_is_closed_when_a_later_step_of_load_fails(tmp_path: Path) -> None:
    threads = set(threading.enumerate())
    bad = tmp_path / "tasks.pkl"
    bad.write_bytes(b"not a checkpoint")
    hub = MonitoringHub(logging_endpoint=f"sqlite:///{tmp_path / 'mon.db'}")
    # The checkpoint step comes after the hub has started; it fails naming the bad file.
    with pytest.raises(BadCheckpoint, match=re.escape(str(bad))):
        parsl.load(
            Config(
                executors=[ThreadPoolExecutor(label="threads")],
                run_dir=str(tmp_path / "runinfo"),
                monitoring=hub,
                checkpoint_files=[str(bad)],
            )
        )
    assert hub._writer is not None and not hub._writer.is_alive()  # started, then stopped
    assert _new_threads(threads) == []
    _a_corrected_load_records_its_tasks(tmp_path)
