"""Config validates every field at construction."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.config import Config
from parsl.dataflow.dependency_resolvers import DEEP_DEPENDENCY_RESOLVER
from parsl.dataflow.memoization import BasicMemoizer
from parsl.errors import ConfigurationError, ParslError
from parsl.executors import ThreadPoolExecutor


def test_defaults_embed_a_thread_pool() -> None:
    c = Config()
    assert len(c.executors) == 1
    assert isinstance(c.executors[0], ThreadPoolExecutor)
    assert c.exit_mode == "cleanup"
    assert c.retries == 0
    assert c.run_dir == "runinfo"
    assert c.garbage_collect is True
    assert Config(executors=[]).executors[0].label == "threads"


def test_duplicate_labels_rejected() -> None:
    with pytest.raises(ConfigurationError, match=r"duplicate labels \['x'\]") as e:
        Config(executors=[ThreadPoolExecutor(label="x"), ThreadPoolExecutor(label="x")])
    assert e.value.field == "executors"


BAD: list[tuple[str, Any, str]] = [
    ("executors", ThreadPoolExecutor(), "a list of executors"),
    ("executors", ["not an executor"], "a ParslExecutor instance"),
    ("executors", "threads", "a list of executors"),
    ("app_cache", "yes", "True or False"),
    ("garbage_collect", 1, "True or False"),
    ("initialize_logging", None, "True, False or a parsl.logconfigs LogConfig"),
    ("checkpoint_mode", "sometimes", "one of"),
    ("checkpoint_files", "runinfo/000/checkpoint", "a list of checkpoint directories"),
    ("checkpoint_files", [1, 2], "a list of checkpoint directories"),
    ("memoizer", object(), "Memoizer"),
    ("dependency_resolver", lambda x: x, "DependencyResolver"),
    ("exit_mode", "explode", "one of"),
    ("internal_tasks_max_threads", 0, "an int >= 1"),
    ("retries", -1, "an int >= 0"),
    ("retries", 1.5, "an int >= 0"),
    ("retries", True, "an int >= 0"),
    ("retry_handler", 3, "a callable"),
    ("run_dir", "", "a non-empty path"),
    ("run_dir", 7, "a non-empty path"),
    ("std_autopath", "x", "a callable"),
    ("strategy", "greedy", "one of"),
    ("strategy_period", 0, "seconds > 0"),
    ("strategy_period", "5", "seconds > 0"),
    ("max_idletime", -1, "seconds >= 0"),
    ("monitoring", "hub", "MonitoringSink"),
    ("usage_tracking", 9, "a bool or an int 0-3"),
    ("usage_tracking", "yes", "a bool or an int 0-3"),
    ("project_name", 5, "a string or None"),
]


@pytest.mark.parametrize(("field", "value", "expected"), BAD, ids=[f"{b[0]}={b[1]!r}" for b in BAD])
def test_bad_values_name_field_value_and_expectation(field: str, value: Any, expected: str) -> None:
    with pytest.raises(ConfigurationError) as e:
        Config(**{field: value})
    msg = str(e.value)
    assert msg.startswith(field)
    assert repr(value)[:20] in msg or field == "executors"
    assert expected in msg
    assert isinstance(e.value, ParslError)


def test_checkpoint_period_needs_periodic_mode() -> None:
    with pytest.raises(ConfigurationError, match="checkpoint_period"):
        Config(checkpoint_period="00:01:00")
    Config(checkpoint_mode="periodic", checkpoint_period="00:01:00")


def test_memoizer_and_checkpoint_settings_are_exclusive() -> None:
    with pytest.raises(ConfigurationError, match="memoizer"):
        Config(memoizer=BasicMemoizer(), checkpoint_mode="task_exit")
    assert isinstance(Config(memoizer=BasicMemoizer()).memoizer, BasicMemoizer)


def test_good_values_are_kept() -> None:
    def handler(e: BaseException, t: object) -> float:
        return 1.0

    c = Config(
        retries=3,
        retry_handler=handler,
        dependency_resolver=DEEP_DEPENDENCY_RESOLVER,
        exit_mode="wait",
        strategy="none",
        usage_tracking=True,
        project_name="p",
        checkpoint_files=["a"],
        checkpoint_mode="manual",
    )
    assert c.retries == 3 and c.retry_handler is handler
    assert c.dependency_resolver is DEEP_DEPENDENCY_RESOLVER
    assert c.checkpoint_files == ["a"]
    assert "retries=3" in repr(c)
