"""A staging provider that runs its transfer as an app of its own, in Parsl's pattern.

Such a provider calls an app with ``outputs=[file]`` and
``_parsl_staging_inhibit=True`` (so the transfer's own output is not staged
again) and returns ``app_future.outputs[0]`` for the task to wait on.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.staging import Staging
from parsl.executors import ThreadPoolExecutor


def _copy_in(source: str, parent_fut: Any = None, outputs: list[File] = []) -> None:  # noqa: B006
    shutil.copy(source, outputs[0].local_path)


class CopyStaging(Staging):
    """``copy://NAME``: stage-in copies NAME from a store directory, as a task of its own."""

    def __init__(self, store: Path, work: Path) -> None:
        self.store, self.work = store, work

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "copy"

    def stage_in(self, dm: Any, executor: str, file: File, parent_fut: Any) -> Any:
        name = file.url.split("://", 1)[1]
        file.local_path = str(self.work / name)
        app = python_app(executors=[executor], data_flow_kernel=dm.dfk)(_copy_in)
        fut = app(
            str(self.store / name),
            parent_fut=parent_fut,
            outputs=[file],
            _parsl_staging_inhibit=True,
        )
        return fut.outputs[0]


@python_app
def read(f: File) -> str:
    with open(f) as fh:
        return fh.read()


def test_a_transfer_task_with_staging_inhibited_still_has_its_output_future(
    tmp_path: Path,
) -> None:
    store, work = tmp_path / "store", tmp_path / "work"
    store.mkdir()
    work.mkdir()
    (store / "data.txt").write_text("stored")
    ex = ThreadPoolExecutor(label="t", storage_access=[CopyStaging(store, work)])
    with parsl.load(Config(executors=[ex], run_dir=str(tmp_path / "runinfo"))) as dfk:
        assert read(File("copy://data.txt")).result(timeout=20) == "stored"
        assert (work / "data.txt").read_text() == "stored"
        assert dfk.task_count == 2  # the transfer ran as a task of its own
