"""Config: everything ``parsl.load()`` needs, validated when it is built."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from parsl.dataflow.dependency_resolvers import DependencyResolver
from parsl.dataflow.memoizer_base import CHECKPOINT_MODES, Memoizer
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import ConfigurationError, bad_value
from parsl.executors.base import ParslExecutor
from parsl.jobs.strategy import STRATEGIES
from parsl.logconfigs.base import LogConfig
from parsl.monitoring.sink import MonitoringSink
from parsl.typecheck import typechecked
from parsl.usage_tracking.levels import DISABLED, LEVEL_3

EXIT_MODES = ("cleanup", "skip", "wait")

USAGE_TRACKING_DISABLED = DISABLED
"""The lowest ``usage_tracking`` level (Parsl's name); see :mod:`parsl.usage_tracking.levels`."""
USAGE_TRACKING_LEVEL_3 = LEVEL_3
"""The highest ``usage_tracking`` level (Parsl's name)."""


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class Config:
    """Parsl configuration.

    Every argument is checked here: a wrong value raises
    :class:`~parsl.errors.ConfigurationError` naming the field, the value and
    what was expected; a wrongly typed argument is also typeguard's
    ``TypeCheckError``, as in Parsl. ``executors=None`` (or empty) means one
    ``ThreadPoolExecutor``. ``usage_tracking`` is accepted for compatibility
    and never sends anything anywhere.
    """

    @typechecked
    def __init__(
        self,
        executors: Sequence[ParslExecutor] | None = None,
        app_cache: bool = True,
        checkpoint_files: Sequence[str] | None = None,
        checkpoint_mode: Literal["task_exit", "periodic", "dfk_exit", "manual"] | None = None,
        checkpoint_period: str | None = None,
        dependency_resolver: DependencyResolver | None = None,
        exit_mode: Literal["cleanup", "skip", "wait"] = "cleanup",
        garbage_collect: bool = True,
        internal_tasks_max_threads: int = 10,
        retries: int = 0,
        retry_handler: Callable[[BaseException, TaskRecord], float] | None = None,
        run_dir: str = "runinfo",
        std_autopath: Callable[..., str] | None = None,
        strategy: str | None = "simple",
        strategy_period: float = 5,
        max_idletime: float = 120.0,
        monitoring: MonitoringSink | None = None,
        usage_tracking: int | bool = 0,
        project_name: str | None = None,
        initialize_logging: bool | LogConfig = True,
        memoizer: Memoizer | None = None,
    ) -> None:
        if executors is None or (isinstance(executors, list | tuple) and len(executors) == 0):
            from parsl.executors.threads import ThreadPoolExecutor

            executors = [ThreadPoolExecutor()]
        if isinstance(executors, ParslExecutor) or not isinstance(executors, list | tuple):
            raise bad_value(
                "executors", executors, "a list of executors, e.g. [ThreadPoolExecutor()]"
            )
        for i, ex in enumerate(executors):
            if not isinstance(ex, ParslExecutor):
                raise bad_value(f"executors[{i}]", ex, "a ParslExecutor instance")
        labels = [ex.label for ex in executors]
        dupes = sorted({lb for lb in labels if labels.count(lb) > 1})
        if dupes:
            raise ConfigurationError(
                f"executors: duplicate labels {dupes}; give each executor a unique label=",
                field="executors",
                value=labels,
            )
        for name, value in (
            ("app_cache", app_cache),
            ("garbage_collect", garbage_collect),
        ):
            if not _is_bool(value):
                raise bad_value(name, value, "True or False")
        if not (_is_bool(initialize_logging) or isinstance(initialize_logging, LogConfig)):
            raise bad_value(
                "initialize_logging",
                initialize_logging,
                "True, False or a parsl.logconfigs LogConfig (e.g. FileLogging())",
            )
        if checkpoint_mode not in CHECKPOINT_MODES:
            raise bad_value("checkpoint_mode", checkpoint_mode, f"one of {CHECKPOINT_MODES}")
        if checkpoint_period is not None and checkpoint_mode != "periodic":
            raise bad_value(
                "checkpoint_period", checkpoint_period, "None unless checkpoint_mode='periodic'"
            )
        if checkpoint_files is not None and (
            isinstance(checkpoint_files, str)
            or not all(isinstance(f, str) for f in checkpoint_files)
        ):
            raise bad_value(
                "checkpoint_files", checkpoint_files, "a list of checkpoint directories"
            )
        if memoizer is not None and not isinstance(memoizer, Memoizer):
            raise bad_value("memoizer", memoizer, "a parsl Memoizer instance or None")
        if memoizer is not None and (checkpoint_files or checkpoint_mode or checkpoint_period):
            raise ConfigurationError(
                "give checkpoint_files/checkpoint_mode/checkpoint_period to the memoizer, "
                "not to Config, when Config(memoizer=...) is set",
                field="memoizer",
                value=memoizer,
            )
        if dependency_resolver is not None and not isinstance(
            dependency_resolver, DependencyResolver
        ):
            raise bad_value(
                "dependency_resolver", dependency_resolver, "a DependencyResolver or None"
            )
        if exit_mode not in EXIT_MODES:
            raise bad_value("exit_mode", exit_mode, f"one of {EXIT_MODES}")
        if not isinstance(internal_tasks_max_threads, int) or internal_tasks_max_threads < 1:
            raise bad_value("internal_tasks_max_threads", internal_tasks_max_threads, "an int >= 1")
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise bad_value("retries", retries, "an int >= 0")
        if retry_handler is not None and not callable(retry_handler):
            raise bad_value(
                "retry_handler", retry_handler, "a callable(exception, task_record) -> float"
            )
        if not isinstance(run_dir, str) or not run_dir:
            raise bad_value("run_dir", run_dir, "a non-empty path string")
        if std_autopath is not None and not callable(std_autopath):
            raise bad_value("std_autopath", std_autopath, "a callable(taskrecord, kw) -> str")
        if strategy is not None and strategy not in STRATEGIES:
            raise bad_value("strategy", strategy, f"None or one of {STRATEGIES}")
        if not _is_number(strategy_period) or strategy_period <= 0:
            raise bad_value("strategy_period", strategy_period, "seconds > 0")
        if not _is_number(max_idletime) or max_idletime < 0:
            raise bad_value("max_idletime", max_idletime, "seconds >= 0")
        if monitoring is not None and not isinstance(monitoring, MonitoringSink):
            raise bad_value(
                "monitoring", monitoring, "a MonitoringSink such as MonitoringHub, or None"
            )
        if not (
            _is_bool(usage_tracking)
            or (
                isinstance(usage_tracking, int)
                and USAGE_TRACKING_DISABLED <= usage_tracking <= USAGE_TRACKING_LEVEL_3
            )
        ):
            raise bad_value("usage_tracking", usage_tracking, "a bool or an int 0-3")
        if project_name is not None and not isinstance(project_name, str):
            raise bad_value("project_name", project_name, "a string or None")

        self.executors: list[ParslExecutor] = list(executors)
        self.app_cache = app_cache
        self.checkpoint_files = list(checkpoint_files) if checkpoint_files is not None else None
        self.checkpoint_mode = checkpoint_mode
        self.checkpoint_period = checkpoint_period
        self.dependency_resolver = dependency_resolver
        self.exit_mode = exit_mode
        self.garbage_collect = garbage_collect
        self.internal_tasks_max_threads = internal_tasks_max_threads
        self.retries = retries
        self.retry_handler = retry_handler
        self.run_dir = run_dir
        self.std_autopath = std_autopath
        self.strategy = strategy
        self.strategy_period = strategy_period
        self.max_idletime = max_idletime
        self.monitoring = monitoring
        self.usage_tracking = usage_tracking
        self.project_name = project_name
        self.initialize_logging = initialize_logging
        self.memoizer = memoizer

    def __repr__(self) -> str:
        return f"Config(executors={self.executors!r}, retries={self.retries}, run_dir={self.run_dir!r})"
