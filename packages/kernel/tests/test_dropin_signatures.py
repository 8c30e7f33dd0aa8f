"""Constructor signatures a Parsl script relies on: BasicMemoizer's keyword-only arguments and
``memoize=``, and Config's positional order."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memoization import BasicMemoizer
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor

#: Config's parameters in Parsl's documented order (memoizer, ours, may follow).
PARSL_CONFIG_ORDER = [
    "executors",
    "app_cache",
    "checkpoint_files",
    "checkpoint_mode",
    "checkpoint_period",
    "dependency_resolver",
    "exit_mode",
    "garbage_collect",
    "internal_tasks_max_threads",
    "retries",
    "retry_handler",
    "run_dir",
    "std_autopath",
    "strategy",
    "strategy_period",
    "max_idletime",
    "monitoring",
    "usage_tracking",
    "project_name",
    "initialize_logging",
]


@python_app(cache=True)
def counted(x: int) -> int:
    return x * 2


def test_config_positional_order_is_parsls() -> None:
    names = list(inspect.signature(Config).parameters)
    assert names[: len(PARSL_CONFIG_ORDER)] == PARSL_CONFIG_ORDER
    config = Config([ThreadPoolExecutor(label="t")], False)
    assert config.executors[0].label == "t" and config.app_cache is False


def test_basic_memoizer_arguments_are_keyword_only() -> None:
    params = inspect.signature(BasicMemoizer).parameters
    assert list(params) == ["checkpoint_files", "checkpoint_period", "checkpoint_mode", "memoize"]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    with pytest.raises(TypeError):
        BasicMemoizer(["runinfo/000"])  # type: ignore[misc]
    with pytest.raises(ConfigurationError, match="memoize"):
        BasicMemoizer(memoize="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(("memoize", "expected_hits"), [(True, 1), (False, 0)])
def test_memoize_false_turns_caching_off(tmp_path: Path, memoize: bool, expected_hits: int) -> None:
    memoizer = BasicMemoizer(memoize=memoize, checkpoint_mode="task_exit")
    config = Config(
        executors=[ThreadPoolExecutor(label="t")], run_dir=str(tmp_path), memoizer=memoizer
    )
    with parsl.load(config):
        first = counted(21)
        assert first.result(timeout=10) == 42
        second = counted(21)
        assert second.result(timeout=10) == 42
    hits = [f for f in (first, second) if f.task_record.status.name == "memo_done"]
    assert len(hits) == expected_hits
    checkpoint = tmp_path / "000" / "checkpoint"
    assert checkpoint.exists() is memoize
