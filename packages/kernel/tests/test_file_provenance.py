"""File provenance on the kernel side: what a sink that asks for it is sent, and log_info.

A real sink (MemorySink: it keeps what the kernel hands it) over real workflows on a
real ThreadPoolExecutor, with files on disk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.provenance import _where, environment_message, file_id
from parsl.dataflow.task_facts import files_in
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.sink import MonitoringSink
from parsl.monitoring.types import MessageType
from parsl.providers import LocalProvider

PROVENANCE_KINDS = {
    MessageType.INPUT_FILE_INFO,
    MessageType.OUTPUT_FILE_INFO,
    MessageType.ENVIRONMENT_INFO,
    MessageType.MISC_INFO,
}


def _load(run_dir: str, sink: MonitoringSink | None) -> DataFlowKernel:
    return parsl.load(
        Config(
            executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
            run_dir=run_dir,
            monitoring=sink,
            retries=1,
        )
    )


@pytest.fixture
def capturing(run_dir: str) -> Iterator[tuple[DataFlowKernel, MemorySink]]:
    sink = MemorySink(capture_file_provenance=True)
    dfk = _load(run_dir, sink)
    try:
        yield dfk, sink
    finally:
        parsl.clear()


@python_app
def copy_upper(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    text = "".join(Path(f.filepath).read_text() for f in inputs)
    Path(outputs[0].filepath).write_text(text.upper())


_attempts: dict[str, int] = {}


@python_app
def write_on_second_try(key: str, inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    n = _attempts[key] = _attempts.get(key, 0) + 1
    if n == 1:
        raise OSError("disk hiccup")
    Path(outputs[0].filepath).write_text("ok")


@python_app
def never_writes(outputs: list[File] = []) -> None:  # noqa: B006
    raise ValueError("gave up")


def test_a_file_one_task_writes_and_another_reads_has_one_id(
    capturing: tuple[DataFlowKernel, MemorySink], tmp_path: Path
) -> None:
    dfk, sink = capturing
    raw = tmp_path / "raw.txt"
    raw.write_text("abc")
    first = copy_upper(inputs=[File(str(raw))], outputs=[File(str(tmp_path / "mid.txt"))])
    second = copy_upper(inputs=[first.outputs[0]], outputs=[File(str(tmp_path / "end.txt"))])
    second.result(timeout=20)
    assert (tmp_path / "end.txt").read_text() == "ABC"

    inputs = sink.of(MessageType.INPUT_FILE_INFO)
    outputs = sink.of(MessageType.OUTPUT_FILE_INFO)
    assert [(m["task_id"], m["file_name"]) for m in inputs] == [
        (first.tid, str(raw)),
        (second.tid, str(tmp_path / "mid.txt")),
    ]
    assert [(m["task_id"], m["file_name"]) for m in outputs] == [
        (first.tid, str(tmp_path / "mid.txt")),
        (second.tid, str(tmp_path / "end.txt")),
    ]
    # The DataFuture second read stands for the File first wrote: the same file id.
    assert inputs[1]["file_id"] == outputs[0]["file_id"]
    assert len({m["file_id"] for m in inputs + outputs}) == 3
    for m in inputs + outputs:
        assert m["run_id"] == dfk.run_id
        assert m["file_path"] == m["file_name"]  # local files: read where they are
        assert m["try_id"] == 0


def test_each_try_reports_its_inputs_and_only_success_reports_outputs(
    capturing: tuple[DataFlowKernel, MemorySink], tmp_path: Path
) -> None:
    _, sink = capturing
    src = tmp_path / "in.txt"
    src.write_text("x")
    ok = write_on_second_try(
        "retry", inputs=[File(str(src))], outputs=[File(str(tmp_path / "out.txt"))]
    )
    ok.result(timeout=20)
    bad = never_writes(outputs=[File(str(tmp_path / "never.txt"))])
    with pytest.raises(ValueError, match="gave up"):
        bad.result(timeout=20)

    tries = [(m["task_id"], m["try_id"]) for m in sink.of(MessageType.INPUT_FILE_INFO)]
    assert tries == [(ok.tid, 0), (ok.tid, 1)]
    outputs = sink.of(MessageType.OUTPUT_FILE_INFO)
    assert [(m["task_id"], m["try_id"]) for m in outputs] == [(ok.tid, 1)]


def test_a_relative_path_is_recorded_absolute(
    capturing: tuple[DataFlowKernel, MemorySink], tmp_path: Path, monkeypatch: Any
) -> None:
    _, sink = capturing
    monkeypatch.chdir(tmp_path)
    Path("rel.txt").write_text("r")
    copy_upper(inputs=[File("rel.txt")], outputs=[File("rel_out.txt")]).result(timeout=20)
    names = [m["file_name"] for m in sink.of(MessageType.INPUT_FILE_INFO)]
    assert names == [str(tmp_path / "rel.txt")]


def test_executors_environment_is_sent_once_each_but_not_the_internal_one(
    capturing: tuple[DataFlowKernel, MemorySink],
) -> None:
    dfk, sink = capturing
    envs = sink.of(MessageType.ENVIRONMENT_INFO)
    assert [e["label"] for e in envs] == ["threads"]
    assert envs[0]["run_id"] == dfk.run_id
    assert envs[0]["provider"] is None and envs[0]["launcher"] is None


def test_environment_names_the_provider_launcher_and_worker_init() -> None:
    class ProvidedThreads(ThreadPoolExecutor):
        provider = LocalProvider(worker_init="module load x")
        address = "127.0.0.1"

    kind, body = environment_message("run-1", ProvidedThreads(label="prov"))
    assert kind is MessageType.ENVIRONMENT_INFO
    assert body["label"] == "prov"
    assert body["provider"] == "LocalProvider"
    assert body["launcher"] == "SingleNodeLauncher"
    assert body["worker_init"] == "module load x"
    assert body["address"] == "127.0.0.1"
    other = environment_message("run-1", ProvidedThreads(label="prov"))[1]
    assert other["environment_id"] != body["environment_id"]


def test_an_executor_that_cannot_be_described_still_runs(run_dir: str, caplog: Any) -> None:
    class Unready(ThreadPoolExecutor):
        @property
        def address(self) -> str:
            raise RuntimeError("no address before start()")

    sink = MemorySink(capture_file_provenance=True)
    parsl.load(Config(executors=[Unready(label="unready")], run_dir=run_dir, monitoring=sink))
    try:
        assert add_one(1).result(timeout=20) == 2
    finally:
        parsl.clear()
    assert sink.of(MessageType.ENVIRONMENT_INFO) == []
    assert "cannot describe executor 'unready'" in caplog.text


@python_app
def add_one(x: int) -> int:
    return x + 1


def test_remote_files_are_named_by_url_and_not_read_locally(tmp_path: Path) -> None:
    remote = File("https://example.org/data/x.csv")
    assert files_in([remote, "not a file", 3]) == [remote]
    assert files_in("inputs") == []
    assert _where(remote) == ("https://example.org/data/x.csv", None)
    remote.local_path = str(tmp_path / "x.csv")
    assert _where(remote) == ("https://example.org/data/x.csv", str(tmp_path / "x.csv"))
    assert file_id("r", "a") == file_id("r", "a") != file_id("r2", "a")


def test_nothing_is_sent_unless_the_sink_asks(run_dir: str, tmp_path: Path) -> None:
    sink = MemorySink()
    _load(run_dir, sink)
    try:
        src = tmp_path / "a.txt"
        src.write_text("a")
        copy_upper(inputs=[File(str(src))], outputs=[File(str(tmp_path / "b.txt"))]).result(
            timeout=20
        )
    finally:
        parsl.clear()
    kinds = {kind for kind, _ in sink.messages}
    assert MessageType.TASK_INFO in kinds  # the thread pool's own reports still come
    assert kinds.isdisjoint(PROVENANCE_KINDS)


def test_log_info_sends_a_note_and_logs_it(
    capturing: tuple[DataFlowKernel, MemorySink], caplog: Any
) -> None:
    dfk, sink = capturing
    with caplog.at_level(logging.INFO, logger="parsl.dataflow.provenance"):
        dfk.log_info("Starting Run")
    notes = sink.of(MessageType.MISC_INFO)
    assert [(n["run_id"], n["info"]) for n in notes] == [(dfk.run_id, "Starting Run")]
    assert isinstance(notes[0]["timestamp"], float)
    assert "Starting Run" in caplog.text


def test_log_info_refuses_what_is_not_text_and_a_finished_run(
    capturing: tuple[DataFlowKernel, MemorySink],
) -> None:
    dfk, sink = capturing
    with pytest.raises(TypeError, match="needs a str, not int"):
        dfk.log_info(42)  # type: ignore[arg-type]
    dfk.cleanup()
    with pytest.raises(ConfigurationError, match="after cleanup"):
        dfk.log_info("too late")
    assert sink.of(MessageType.MISC_INFO) == []


def test_log_info_without_monitoring_only_logs(run_dir: str) -> None:
    dfk = _load(run_dir, None)
    try:
        dfk.log_info("no database here")
    finally:
        parsl.clear()
    with open(os.path.join(dfk.run_dir, "parsl.log")) as fh:
        assert "log_info: no database here" in fh.read()
