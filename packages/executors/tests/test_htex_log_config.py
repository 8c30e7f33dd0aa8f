"""htex with Config(initialize_logging=LogConfig): the interchange, managers and workers use it too."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import htex_tasks
import pytest

from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.parsl_launch import PARSL_DEFAULT_LAUNCH_CMD
from parsl.executors.high_throughput.process_worker_pool import translate
from parsl.logconfigs.file import FileLogging
from parsl.logconfigs.json import JSONLogging

MakeHtex = Callable[..., HighThroughputExecutor]


def run_some(make_htex: MakeHtex, log_config: Any, **kwargs: Any) -> Path:
    htex = make_htex(start=False, **kwargs)
    htex.log_config = log_config  # what the DataFlowKernel sets before start()
    htex.start()
    futures = [htex.submit(htex_tasks.add, {}, i, 1) for i in range(6)]
    assert [f.result(timeout=60) for f in futures] == [1, 2, 3, 4, 5, 6]
    assert htex.logdir is not None
    return Path(htex.logdir)


def wait_for_files(root: Path, pattern: str, count: int) -> list[Path]:
    deadline = time.monotonic() + 20
    while len(found := sorted(root.rglob(pattern))) < count:
        assert time.monotonic() < deadline, f"only {found} under {root}"
        time.sleep(0.1)
    return found


@pytest.mark.parametrize("style", ["ours", "parsl"])
def test_file_logging_reaches_interchange_manager_and_workers(
    make_htex: MakeHtex, style: str
) -> None:
    kwargs = {"launch_cmd": PARSL_DEFAULT_LAUNCH_CMD} if style == "parsl" else {}
    logdir = run_some(make_htex, FileLogging(level=logging.DEBUG), **kwargs)
    assert (logdir / "log_config" / "log_config.pkl").is_file()
    assert "interchange" in (logdir / "interchange.log").read_text().lower()
    (manager,) = wait_for_files(logdir, "manager.log", 1)
    assert "starting with 2 workers" in manager.read_text()
    workers = wait_for_files(logdir, "worker_*.log", 2)
    assert any("running task" in w.read_text() for w in workers)  # a DEBUG record: level kept


def test_json_logging_writes_json_lines_in_every_process(make_htex: MakeHtex) -> None:
    logdir = run_some(make_htex, JSONLogging())
    files = [
        logdir / "interchange.jsonlog",
        *wait_for_files(logdir, "manager.jsonlog", 1),
        *wait_for_files(logdir, "worker_*.jsonlog", 1),
    ]
    for f in files:
        # A process opens its log file when it starts and writes its first record a moment
        # later: wait (bounded) for a complete line rather than reading at the first instant.
        deadline = time.monotonic() + 20
        while not (text := f.read_text()).endswith("\n"):
            assert time.monotonic() < deadline, f"{f} is empty"
            time.sleep(0.05)
        records = [json.loads(line) for line in text.splitlines()]
        assert records, f"{f} is empty"
        assert all("formatted" in r and "levelname" in r for r in records)


def test_without_a_log_config_the_plain_logs_stay(make_htex: MakeHtex) -> None:
    logdir = run_some(make_htex, None)
    assert not (logdir / "log_config").exists()
    assert (logdir / "interchange.log").is_file()
    wait_for_files(logdir, "manager.log", 1)


def test_parsl_logconf_flag_translates_and_none_is_no_config() -> None:
    base = ["-a", "127.0.0.1", "--port", "5000"]
    assert translate([*base, "--logconf=/shared/log_config.pkl"])[-2:] == [
        "--log-config",
        "/shared/log_config.pkl",
    ]
    assert "--log-config" not in translate([*base, "--logconf=None"])


def test_a_worker_pool_given_an_unreadable_log_config_exits_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from parsl.executors.high_throughput import worker_pool

    bad = tmp_path / "log_config.pkl"
    bad.write_bytes(b"not a pickle")
    code = worker_pool.main(
        [
            "--address",
            "127.0.0.1",
            "--port",
            "1",
            "--logdir",
            str(tmp_path),
            "--log-config",
            str(bad),
        ]
    )
    assert code == 2
    assert "cannot read the log configuration" in capsys.readouterr().err
