from __future__ import annotations

import pytest

from parsl.monitoring.memory import MemorySink


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()
