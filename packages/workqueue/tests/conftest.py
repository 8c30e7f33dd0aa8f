"""Fixtures for these tests: real work_queue_worker processes and a started WorkQueueExecutor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parsl.executors.cctools.processes import free_port
from parsl.executors.cctools.testing import Workers, prepend_pythonpath
from parsl.executors.workqueue import WorkQueueExecutor

# Workers (and the blocks that start them) unpickle these tests' functions by module name.
prepend_pythonpath(Path(__file__).parent)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    with Workers("work_queue_worker", tmp_path) as w:
        yield w


@pytest.fixture
def executor(tmp_path: Path) -> Iterator[WorkQueueExecutor]:
    ex = WorkQueueExecutor(provider=None, address="127.0.0.1", port=free_port())
    ex.run_dir = str(tmp_path / "runinfo")
    ex.start()
    yield ex
    ex.shutdown()
