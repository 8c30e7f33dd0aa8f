from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor


@pytest.fixture
def run_dir(tmp_path: Path) -> str:
    return str(tmp_path / "runinfo")


@pytest.fixture
def dfk(run_dir: str) -> Iterator[DataFlowKernel]:
    d = parsl.load(
        Config(executors=[ThreadPoolExecutor(max_threads=4, label="threads")], run_dir=run_dir)
    )
    try:
        yield d
    finally:
        parsl.clear()
