"""Fixtures for these tests: real vine_worker processes and a started TaskVineExecutor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from vine_helpers import manual_executor

from parsl.executors.cctools.testing import Workers, prepend_pythonpath
from parsl.executors.taskvine import TaskVineExecutor

# Workers (and the blocks and factories that start them) unpickle these tests' functions by module name.
prepend_pythonpath(Path(__file__).parent)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    with Workers("vine_worker", tmp_path) as w:
        yield w


@pytest.fixture
def executor(tmp_path: Path) -> Iterator[TaskVineExecutor]:
    ex = manual_executor(tmp_path)
    ex.start()
    yield ex
    ex.shutdown()
