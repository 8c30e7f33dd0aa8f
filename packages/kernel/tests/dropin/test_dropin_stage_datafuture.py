"""A file one task makes, passed on as its DataFuture, is staged in for the next task (as in Parsl)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import File, python_app
from parsl.app.futures import DataFuture
from parsl.config import Config
from parsl.data_provider.staging import Staging
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor


def _name(file: File) -> str:
    return file.url.split("://", 1)[1]


class Shelf(Staging):
    """``shelf://name``: out copies the local file onto a shelf dir, in copies it back (in task)."""

    def __init__(self, shelf: Path, work: Path) -> None:
        self.shelf, self.work = shelf, work
        self.stage_ins: list[tuple[str, Any]] = []

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "shelf"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "shelf"

    def stage_in(self, dm: Any, executor: str, file: File, parent_fut: Any) -> None:
        file.local_path = str(self.work / f"in-{_name(file)}")
        self.stage_ins.append((file.url, parent_fut))

    def stage_out(self, dm: Any, executor: str, file: File, app_fu: Any) -> None:
        file.local_path = str(self.work / f"out-{_name(file)}")

    def replace_task(self, dm: Any, executor: str, file: File, func: Any) -> Any:
        def fetch_first(*args: Any, **kwargs: Any) -> Any:
            Path(file.local_path).write_text((self.shelf / _name(file)).read_text())
            return func(*args, **kwargs)

        return fetch_first

    def replace_task_stage_out(self, dm: Any, executor: str, file: File, func: Any) -> Any:
        def store_after(*args: Any, **kwargs: Any) -> Any:
            result = func(*args, **kwargs)
            (self.shelf / _name(file)).write_text(Path(file.local_path).read_text())
            return result

        return store_after


@python_app
def make(text: str, outputs: list[File]) -> None:
    with open(outputs[0], "w") as f:
        f.write(text)


@python_app
def read(f: File, inputs: list[File] = []) -> tuple[str, str | None]:  # noqa: B006
    with open(f) as fh:
        return fh.read(), f.local_path


@pytest.fixture
def shelf(tmp_path: Path) -> Iterator[tuple[Shelf, DataFlowKernel]]:
    (tmp_path / "shelf").mkdir()
    (tmp_path / "work").mkdir()
    provider = Shelf(tmp_path / "shelf", tmp_path / "work")
    ex = ThreadPoolExecutor(label="t", storage_access=[provider], max_threads=2)
    dfk = parsl.load(Config(executors=[ex], run_dir=str(tmp_path / "runinfo")))
    try:
        yield provider, dfk
    finally:
        dfk.cleanup()
        parsl.clear()


def test_the_next_task_gets_a_staged_in_copy_of_the_made_file(
    shelf: tuple[Shelf, DataFlowKernel], tmp_path: Path
) -> None:
    provider, _ = shelf
    user_file = File("shelf://greeting")
    made = make("hello", outputs=[user_file])
    text, local = read(made.outputs[0]).result(timeout=20)
    assert text == "hello"  # fetched from the shelf by the in-task stage-in
    assert local == str(tmp_path / "work" / "in-greeting")
    assert user_file.local_path is None  # the user's File is never changed
    # The provider saw the making task's DataFuture as the parent to wait for.
    ((url, parent),) = provider.stage_ins
    assert url == "shelf://greeting" and parent is made.outputs[0]


def test_the_staged_copy_waits_for_the_making_task(shelf: tuple[Shelf, DataFlowKernel]) -> None:
    gate = threading.Event()

    @python_app
    def slow_make(outputs: list[File]) -> None:
        gate.wait(10)
        with open(outputs[0], "w") as f:
            f.write("late")

    made = slow_make(outputs=[File("shelf://late")])
    reader = read(made.outputs[0])
    assert not reader.done()
    gate.set()
    assert reader.result(timeout=20)[0] == "late"


def test_a_plain_data_future_in_inputs_is_staged_too(shelf: tuple[Shelf, DataFlowKernel]) -> None:
    made = make("x", outputs=[File("shelf://a")])
    other = make("y", outputs=[File("shelf://b")])
    fut = read(made.outputs[0], inputs=[other.outputs[0]])
    assert fut.result(timeout=20)[0] == "x"


def test_a_data_future_of_a_file_no_provider_takes_fails_at_submit(tmp_path: Path) -> None:
    from parsl.data_provider.data_manager import NoStagingProvider

    parent: Future[Any] = Future()
    pending = DataFuture(parent, File("nowhere://x"))
    with parsl.load(Config(run_dir=str(tmp_path))):
        with pytest.raises(NoStagingProvider, match="nowhere://x"):
            read(pending)
    parent.set_result(None)
