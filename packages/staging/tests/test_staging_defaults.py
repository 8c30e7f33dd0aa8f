"""An executor without ``storage_access`` stages with Parsl's ``default_staging``, as in Parsl."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl
from parsl import File, bash_app, python_app
from parsl.config import Config
from parsl.data_provider.data_manager import NoStagingProvider
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.states import States
from parsl.executors import ThreadPoolExecutor


@python_app
def copy_text(inputs: list[File], outputs: list[File]) -> str:
    with open(inputs[0]) as src, open(outputs[0], "w") as dst:
        text = src.read()
        dst.write(text)
    return text


@bash_app
def say(stdout: File | None = None, stderr: File | None = None) -> str:
    return "echo to-out; echo to-err >&2"


@pytest.fixture
def dfk(tmp_path: Path) -> Iterator[DataFlowKernel]:
    config = Config(
        executors=[ThreadPoolExecutor(label="plain", max_threads=2)],  # no storage_access
        run_dir=str(tmp_path / "runinfo"),
        strategy=None,
    )
    loaded = parsl.load(config)
    try:
        yield loaded
    finally:
        loaded.cleanup()
        parsl.clear()


def test_http_input_and_zip_output_without_storage_access(
    dfk: DataFlowKernel, http_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    archive = tmp_path / "results.zip"
    fut = copy_text(
        inputs=[File(f"{http_url}/x.txt")], outputs=[File(f"zip:{archive}/copies/x.txt")]
    )
    assert fut.result(timeout=30) == "hello from the server\n"
    fut.outputs[0].result(timeout=30)
    with zipfile.ZipFile(archive) as z:
        assert z.read("copies/x.txt").decode() == "hello from the server\n"
    # The HTTP download ran as a task of its own (HTTPSeparateTaskStaging, first in Parsl's list).
    assert dfk.task_state_counts[States.exec_done] == 2


def test_bash_app_streams_to_a_zip_archive_without_storage_access(
    dfk: DataFlowKernel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the streams are written here first, under the member names
    archive = tmp_path / "streams.zip"
    out, err = File(f"zip:{archive}/logs/out.txt"), File(f"zip:{archive}/logs/err.txt")
    assert say(stdout=out, stderr=err).result(timeout=30) == 0
    with zipfile.ZipFile(archive) as z:
        assert z.read("logs/out.txt").decode() == "to-out\n"
        assert z.read("logs/err.txt").decode() == "to-err\n"


def test_a_scheme_no_default_provider_takes_is_still_refused(dfk: DataFlowKernel) -> None:
    with pytest.raises(NoStagingProvider, match="store://"):
        copy_text(inputs=[File("store://inbox/a.txt")], outputs=[])
