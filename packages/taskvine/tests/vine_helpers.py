"""A TaskVineExecutor whose workers the test starts itself (workers: parsl.executors.cctools.testing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from parsl.executors.cctools.processes import free_port
from parsl.executors.taskvine import TaskVineExecutor, TaskVineManagerConfig


def manual_executor(tmp_path: Path, **kwargs: Any) -> TaskVineExecutor:
    config = kwargs.pop("manager_config", None) or TaskVineManagerConfig(
        port=free_port(), address="127.0.0.1"
    )
    ex = TaskVineExecutor(worker_launch_method="manual", manager_config=config, **kwargs)
    ex.run_dir = str(tmp_path / "runinfo")
    return ex
