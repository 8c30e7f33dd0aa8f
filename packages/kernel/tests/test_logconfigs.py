"""Config(initialize_logging=LogConfig): Parsl's log configuration objects."""

from __future__ import annotations

import json
import logging
import pathlib
from collections.abc import Callable
from pathlib import Path

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.logconfigs.base import (
    LogConfig,
    oneshot_initialize_logging,
    oneshot_uninitialize_logging,
)
from parsl.logconfigs.file import FileLogging
from parsl.logconfigs.json import JSONLogging
from parsl.logconfigs.noop import NoopLogging


@python_app
def double(x: int) -> int:
    return 2 * x


def handlers() -> set[int]:
    return {
        id(h)
        for name in ("", "parsl", "concurrent.futures")
        for h in logging.getLogger(name).handlers
    }


def run(tmp_path: Path, log_config: LogConfig | bool) -> parsl.DataFlowKernel:
    config = Config(
        executors=[ThreadPoolExecutor(label="t")],
        run_dir=str(tmp_path / "runinfo"),
        initialize_logging=log_config,
    )
    with parsl.load(config) as dfk:
        assert double(double(2)).result(timeout=20) == 8
        assert dfk.log_config is (log_config if isinstance(log_config, LogConfig) else None)
        assert dfk.executors["t"].log_config is dfk.log_config
    return dfk


def test_file_logging_writes_parsl_log_at_its_level_and_is_removed(tmp_path: Path) -> None:
    before = handlers()
    dfk = run(tmp_path, FileLogging(level=logging.INFO))
    text = (Path(dfk.run_dir) / "parsl.log").read_text()
    assert f"Run id is: {dfk.run_id}" in text
    assert "has dependency task" not in text  # a DEBUG record, below the level asked for
    assert handlers() == before


def test_file_logging_at_debug_has_the_per_task_records(tmp_path: Path) -> None:
    dfk = run(tmp_path, FileLogging())
    assert "task 1 has dependency task 0" in (Path(dfk.run_dir) / "parsl.log").read_text()


def test_json_logging_writes_one_object_per_record_with_parsl_attributes(tmp_path: Path) -> None:
    before = handlers()
    dfk = run(tmp_path, JSONLogging())
    lines = (Path(dfk.run_dir) / "parsl.jsonlog").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(
        {"created", "name", "levelname", "formatted"} <= r.keys() for r in records
    )
    run_line = [r for r in records if r["formatted"].startswith("Run id is: ")]
    assert [r["parsl.dfk"] for r in run_line] == [dfk.run_id]
    deps = [r for r in records if "parsl.dependency_task" in r]
    assert [(r["parsl.task"], r["parsl.dependency_task"]) for r in deps] == [("1", "0")]
    assert handlers() == before


def test_noop_logging_writes_no_log_file(tmp_path: Path) -> None:
    before = handlers()
    dfk = run(tmp_path, NoopLogging())
    assert not (Path(dfk.run_dir) / "parsl.log").exists()
    assert handlers() == before


def test_false_still_means_no_logging_and_true_the_classic_file(tmp_path: Path) -> None:
    assert not (Path(run(tmp_path / "off", False).run_dir) / "parsl.log").exists()
    assert (Path(run(tmp_path / "on", True).run_dir) / "parsl.log").exists()


def test_the_same_config_object_serves_two_runs_in_turn(tmp_path: Path) -> None:
    config = FileLogging()
    first, second = run(tmp_path / "a", config), run(tmp_path / "b", config)
    assert "Run id is" in (Path(second.run_dir) / "parsl.log").read_text()
    assert first.run_dir != second.run_dir


class Counting(LogConfig):
    def __init__(self, result: object = None, fail: bool = False) -> None:
        super().__init__()
        self.calls: list[tuple[pathlib.Path, str]] = []
        self.undone = 0
        self.result = result
        self.fail = fail

    def initialize_logging(self, *, log_dir: pathlib.Path, log_name: str) -> Callable[[], None]:
        self.calls.append((log_dir, log_name))
        if self.fail:
            raise OSError("no space left for the log")
        if self.result is not None:
            return self.result  # type: ignore[return-value]

        def undo() -> None:
            self.undone += 1

        return undo


def test_oneshot_sets_up_once_and_undoes_after_the_last_reference(tmp_path: Path) -> None:
    config = Counting()
    oneshot_initialize_logging(log_config=config, log_dir=tmp_path, log_name="parsl")
    oneshot_initialize_logging(log_config=config, log_dir=tmp_path / "x", log_name="worker_0")
    assert config.calls == [(tmp_path, "parsl")]
    oneshot_uninitialize_logging(log_config=config)
    assert config.undone == 0
    oneshot_uninitialize_logging(log_config=config)
    assert config.undone == 1
    with pytest.raises(ValueError, match="not set up"):
        oneshot_uninitialize_logging(log_config=config)


def test_bad_log_configs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not a callable"):
        oneshot_initialize_logging(log_config=Counting(result=42), log_dir=tmp_path, log_name="x")
    with pytest.raises(TypeError, match="LogConfig"):
        oneshot_initialize_logging(log_config="file", log_dir=tmp_path, log_name="x")  # type: ignore[arg-type]
    with pytest.raises((ConfigurationError, TypeError), match="initialize_logging"):
        Config(initialize_logging="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level"):
        FileLogging(level="DEBUG")  # type: ignore[arg-type]


def test_a_log_config_that_fails_fails_the_load_and_leaves_nothing(tmp_path: Path) -> None:
    before = handlers()
    config = Counting(fail=True)
    with pytest.raises(OSError, match="no space"):
        parsl.load(Config(run_dir=str(tmp_path), initialize_logging=config))
    assert handlers() == before
    with pytest.raises(ValueError, match="not set up"):  # nothing registered for it
        oneshot_uninitialize_logging(log_config=config)
    run(tmp_path / "after", FileLogging())  # the next load works
