"""Staging providers get their own copy of each File (Parsl's cleancopy); stage-out dependencies hold."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.staging import Staging
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor


class DemoStaging(Staging):
    """Stages demo:// files in the task: sets local_path on the execution side, as providers do."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.seen: list[File] = []

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "demo"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "demo"

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any]:
        self.seen.append(file)

        def staged(*args: Any, **kwargs: Any) -> Any:
            file.local_path = f"{self.root}/{file.filename}"
            return func(*args, **kwargs)

        return staged

    def replace_task_stage_out(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        self.seen.append(file)

        def staged(*args: Any, **kwargs: Any) -> Any:
            file.local_path = f"{self.root}/{file.filename}"
            return func(*args, **kwargs)

        return staged


class NoTaskStaging(Staging):
    """Accepts note:// outputs but inserts neither a task nor a wrapper."""

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "note"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[DataFlowKernel, DemoStaging]]:
    staging = DemoStaging(str(tmp_path))
    ex = ThreadPoolExecutor(label="t", storage_access=[staging, NoTaskStaging()])
    d = parsl.load(Config(executors=[ex], run_dir=str(tmp_path / "runinfo")))
    try:
        yield d, staging
    finally:
        parsl.clear()


@python_app
def path_of(inputs: list[File] = ()) -> str:  # type: ignore[assignment]
    return inputs[0].filepath


@python_app
def write_out(outputs: list[File] = ()) -> str:  # type: ignore[assignment]
    return outputs[0].filepath


@python_app
def wait_then(ev: threading.Event, outputs: list[File] = ()) -> int:  # type: ignore[assignment]
    ev.wait(20)
    return 1


def test_stage_in_never_changes_the_users_file(
    demo: tuple[DataFlowKernel, DemoStaging], tmp_path: Path
) -> None:
    _, staging = demo
    mine = File("demo://host/data/in.txt")
    assert path_of(inputs=[mine]).result(timeout=20) == f"{tmp_path}/in.txt"
    assert mine.local_path is None  # the provider staged its own copy
    assert staging.seen and staging.seen[0] is not mine
    assert staging.seen[0] == mine  # same URL


def test_stage_out_never_changes_the_users_file(
    demo: tuple[DataFlowKernel, DemoStaging], tmp_path: Path
) -> None:
    mine = File("demo://host/data/out.txt")
    fut = write_out(outputs=[mine])
    assert fut.result(timeout=20) == f"{tmp_path}/out.txt"
    assert mine.local_path is None
    assert fut.outputs[0].file_obj is mine  # the user's File is what the DataFuture names


def test_provider_with_no_task_keeps_the_stage_out_dependency(
    demo: tuple[DataFlowKernel, DemoStaging],
) -> None:
    ev = threading.Event()
    fut = wait_then(ev, outputs=[File("note://x/y.txt")])
    out = fut.outputs[0]
    try:
        assert not out.done()
    finally:
        ev.set()
    assert out.result(timeout=20) is out.file_obj
    assert fut.done()
