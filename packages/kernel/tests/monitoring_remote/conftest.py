from __future__ import annotations

import pytest
from recording_sink import RecordingSink


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
