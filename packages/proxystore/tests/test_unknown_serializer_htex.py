"""A worker that meets a serializer no installed package provides fails the task, saying so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ps_tasks import DriverOnlySerializer, length

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider
from parsl.serialize import DeserializationError
from parsl.serialize.facade import register_method_for_data, unregister_serializer


@pytest.fixture
def driver_only(tmp_path: Path) -> Iterator[None]:
    ser = DriverOnlySerializer()
    register_method_for_data(ser)
    htex = HighThroughputExecutor(
        label="htex", max_workers_per_node=1, provider=LocalProvider(init_blocks=1, max_blocks=1)
    )
    dfk = parsl.load(Config(executors=[htex], run_dir=str(tmp_path / "runinfo")))
    yield
    dfk.cleanup()
    parsl.clear()
    unregister_serializer(ser)


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("driver_only")
def test_task_fails_naming_the_entry_point_group() -> None:
    with pytest.raises(
        DeserializationError, match=r"DriverOnlySerializer.*parsl\.serializers"
    ) as info:
        length([1, 2, 3]).result(timeout=60)
    assert "install" in str(info.value)
