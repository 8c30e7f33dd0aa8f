"""Fixtures for these tests (helpers live in wq_helpers.py, importable by name)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wq_helpers import Workers, manual_executor

from parsl.executors.workqueue import WorkQueueExecutor


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Workers]:
    w = Workers(tmp_path)
    yield w
    w.stop()


@pytest.fixture
def executor(tmp_path: Path) -> Iterator[WorkQueueExecutor]:
    ex = manual_executor(tmp_path)
    ex.start()
    yield ex
    ex.shutdown()
