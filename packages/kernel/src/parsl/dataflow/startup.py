"""What the DataFlowKernel sets up around a run: log file, script folder, memoizer, added executors."""

from __future__ import annotations

import logging
import os
import pathlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from parsl.errors import ConfigurationError, bad_value
from parsl.executors.base import ParslExecutor
from parsl.log_utils import DEFAULT_FORMAT, attach_handler
from parsl.logconfigs.base import (
    LogConfig,
    oneshot_initialize_logging,
    oneshot_uninitialize_logging,
)

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from parsl.config import Config
    from parsl.dataflow.memoizer_base import Memoizer


def prepare_script_dir(executor: ParslExecutor, run_dir: str) -> None:
    """As Parsl's DataFlowKernel does: a provider's ``script_dir`` is ``run_dir/submit_scripts``, made.

    Out-of-tree providers written for Parsl write their scripts there
    without creating it first.
    """
    provider = getattr(executor, "provider", None)
    if provider is not None and hasattr(provider, "script_dir"):
        provider.script_dir = os.path.join(run_dir, "submit_scripts")
        os.makedirs(provider.script_dir, exist_ok=True)


def announce_executor(executor: ParslExecutor) -> None:
    """Parsl's log record for an executor joining the run, with its label and type as attributes."""
    kind = f"{type(executor).__module__}.{type(executor).__name__}"
    logger.info(
        "Adding executor %s of type %s",
        executor.label,
        kind,
        extra={"parsl.executor.label": executor.label, "parsl.executor.type": kind},
    )


def start_logging(
    run_dir: str, initialize_logging: bool | LogConfig
) -> tuple[LogConfig | None, Callable[[], None]]:
    """Set up the run's logging as ``Config.initialize_logging`` says; its LogConfig and undo.

    ``True``: the ``parsl`` loggers go to ``run_dir/parsl.log`` (level from
    ``PARSL_LOG_LEVEL``). ``False``: nothing. A :class:`LogConfig`: it is set
    up for ``run_dir`` under the name ``parsl`` (once per process, see
    :func:`~parsl.logconfigs.base.oneshot_initialize_logging`), and is the
    DataFlowKernel's ``log_config``, which its executors are given too.
    """
    if isinstance(initialize_logging, LogConfig):
        config = initialize_logging
        oneshot_initialize_logging(
            log_config=config, log_dir=pathlib.Path(run_dir), log_name="parsl"
        )
        return config, lambda: oneshot_uninitialize_logging(log_config=config)
    if not initialize_logging:
        return None, lambda: None
    return None, _log_to_run_dir(run_dir)


def _log_to_run_dir(run_dir: str) -> Callable[[], None]:
    """Write the ``parsl`` loggers to ``run_dir/parsl.log`` (level from ``PARSL_LOG_LEVEL``)."""
    handler = logging.FileHandler(os.path.join(run_dir, "parsl.log"))
    handler.setFormatter(logging.Formatter(DEFAULT_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    handler.setLevel(os.environ.get("PARSL_LOG_LEVEL", "INFO").upper())
    root = logging.getLogger("parsl")
    if root.level == logging.NOTSET or root.level > handler.level:
        root.setLevel(handler.level)
    return attach_handler(handler, root)


def start_memoizer(memoizer: Memoizer, run_dir: str, config: Config) -> None:
    """Start the run's memoizer with Parsl's arguments; ours also hears ``Config.app_cache``.

    A memoizer written for Parsl's interface takes ``run_dir`` and
    ``config_run_dir`` only; :class:`~parsl.dataflow.memoization.BasicMemoizer`
    also turns caching off when ``Config(app_cache=False)``.
    """
    from parsl.dataflow.memoization import BasicMemoizer

    if isinstance(memoizer, BasicMemoizer):
        memoizer.start(run_dir=run_dir, config_run_dir=config.run_dir, app_cache=config.app_cache)
    else:
        memoizer.start(run_dir=run_dir, config_run_dir=config.run_dir)


def new_executor_labels(executors: object, taken: Sequence[str]) -> list[str]:
    """The labels of ``executors`` (for ``dfk.add_executors``): a list of executors, each label new."""
    if isinstance(executors, ParslExecutor | str | bytes) or not isinstance(executors, Sequence):
        raise bad_value("executors", executors, "a list of executors")
    labels: list[str] = []
    for ex in executors:
        if not isinstance(ex, ParslExecutor):
            raise bad_value("executors", ex, "a list of parsl executors")
        if ex.label in taken or ex.label in labels:
            raise ConfigurationError(
                f"an executor labelled {ex.label!r} is already in this run: labels must be unique"
            )
        labels.append(ex.label)
    return labels
