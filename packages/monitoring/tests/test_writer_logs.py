"""The writer process's own log in the run directory: database_manager.log, as Parsl keeps one."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.logconfigs.base import LogConfig
from parsl.logconfigs.json import JSONLogging
from parsl.monitoring import MonitoringHub


@python_app
def inc(x: int) -> int:
    return x + 1


def run(tmp_path: Path, initialize_logging: bool | LogConfig) -> Path:
    config = Config(
        executors=[ThreadPoolExecutor(label="t")],
        run_dir=str(tmp_path / "runinfo"),
        monitoring=MonitoringHub(logging_endpoint=f"sqlite:///{tmp_path}/monitoring.db"),
        initialize_logging=initialize_logging,
    )
    with parsl.load(config) as dfk:
        assert inc(1).result(timeout=20) == 2
    return Path(dfk.run_dir)


def wait_for_text(path: Path, text: str) -> str:
    deadline = time.monotonic() + 10
    while not (path.exists() and text in path.read_text()):
        assert time.monotonic() < deadline, f"{path} never held {text!r}"
        time.sleep(0.05)
    return path.read_text()


def test_default_writer_log_is_database_manager_log(tmp_path: Path) -> None:
    run_dir = run(tmp_path, True)
    text = wait_for_text(run_dir / "database_manager.log", "monitoring writer")
    assert "INFO" in text or "DEBUG" in text


def test_json_log_config_gives_database_manager_jsonlog(tmp_path: Path) -> None:
    run_dir = run(tmp_path, JSONLogging(level=logging.DEBUG))
    path = run_dir / "database_manager.jsonlog"
    wait_for_text(path, "monitoring writer")
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records and all("formatted" in r for r in records)
    assert not (run_dir / "database_manager.log").exists()
    assert (run_dir / "parsl.jsonlog").exists()


class Unpicklable(JSONLogging):
    def __reduce__(self) -> object:
        raise TypeError("this configuration does not travel")


def test_a_log_config_that_does_not_pickle_leaves_the_plain_writer_log(tmp_path: Path) -> None:
    run_dir = run(tmp_path, Unpicklable())
    wait_for_text(run_dir / "database_manager.log", "monitoring writer")
    assert "does not pickle" in (run_dir / "parsl.jsonlog").read_text()
