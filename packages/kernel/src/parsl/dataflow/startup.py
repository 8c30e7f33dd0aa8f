"""What the DataFlowKernel sets up around a run: its log file, the providers' script folder."""

from __future__ import annotations

import logging
import os

from parsl.executors.base import ParslExecutor


def prepare_script_dir(executor: ParslExecutor, run_dir: str) -> None:
    """As Parsl's DataFlowKernel does: a provider's ``script_dir`` is ``run_dir/submit_scripts``, made.

    Out-of-tree providers written for Parsl write their scripts there
    without creating it first.
    """
    provider = getattr(executor, "provider", None)
    if provider is not None and hasattr(provider, "script_dir"):
        provider.script_dir = os.path.join(run_dir, "submit_scripts")
        os.makedirs(provider.script_dir, exist_ok=True)


def start_logging(run_dir: str) -> logging.Handler:
    """Write the ``parsl`` loggers to ``run_dir/parsl.log`` (level from ``PARSL_LOG_LEVEL``)."""
    handler = logging.FileHandler(os.path.join(run_dir, "parsl.log"))
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(name)s:%(lineno)d %(threadName)s %(levelname)s %(message)s"
        )
    )
    level = os.environ.get("PARSL_LOG_LEVEL", "INFO").upper()
    handler.setLevel(level)
    root = logging.getLogger("parsl")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > handler.level:
        root.setLevel(handler.level)
    return handler
