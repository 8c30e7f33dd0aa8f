"""``stdout=``/``stderr=`` as Parsl treats them: every accepted form, File streams staged out,
and the names Parsl's monitoring ``task`` table records for them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import AUTO_LOGNAME, File, bash_app, python_app
from parsl.app.futures import DataFuture
from parsl.config import Config
from parsl.data_provider.data_manager import default_staging
from parsl.data_provider.staging import Staging
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring.memory import MemorySink

pytestmark = pytest.mark.timeout(60)


@python_app
def quiet(stdout: Any = None, stderr: Any = None) -> None:
    return None


@bash_app
def shout(word: str, stdout: Any = None, stderr: Any = None, label: str | None = None) -> str:
    return f"echo {word}; echo {word}-err >&2"


class PathLike(os.PathLike[Any]):
    def __init__(self, path: str | bytes) -> None:
        self.path = path

    def __fspath__(self) -> Any:
        return self.path


class StageOutOnly(Staging):
    """Accepts ``arbitrary:`` URLs for stage-out only: staging such a stream *in* would fail."""

    def __init__(self) -> None:
        self.staged_out: list[str] = []

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "arbitrary"

    def stage_out(self, dm: Any, executor: str, file: File, app_fu: Any) -> Any | None:
        self.staged_out.append(file.url)
        return None


def _load(tmp_path: Path, sink: MemorySink | None = None, *staging: Staging) -> None:
    executor = ThreadPoolExecutor(label="threads", storage_access=[*default_staging, *staging])
    parsl.load(Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), monitoring=sink))


@pytest.mark.parametrize(
    ("given", "recorded"),
    [
        ("hello.txt", "hello.txt"),
        (None, ""),
        (("tuple.txt", "w"), "tuple.txt"),
        (PathLike("pl.txt"), "pl.txt"),
        (PathLike(b"pl2.txt"), "pl2.txt"),
        ((PathLike(b"pl4.txt"), "w"), "pl4.txt"),
        (File("arbitrary:abc123"), "arbitrary:abc123"),
        (File("file:///tmp/pl5"), "file:///tmp/pl5"),
    ],
)
@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_monitoring_records_parsls_name_for_each_form(
    given: Any, recorded: str, stream: str, tmp_path: Path
) -> None:
    sink = MemorySink(resource_monitoring_enabled=False)
    staging = StageOutOnly()
    _load(tmp_path, sink, staging)
    try:
        quiet(**{stream: given}).result(timeout=20)
    finally:
        parsl.clear()
    other = "stderr" if stream == "stdout" else "stdout"
    # Text, never bytes (a bytes value would be a BLOB in SQLite and refused by PostgreSQL).
    assert {getattr(t, stream) for t in sink.transitions} == {recorded}
    assert {getattr(t, other) for t in sink.transitions} == {""}
    if isinstance(given, File) and given.scheme == "arbitrary":
        assert staging.staged_out == ["arbitrary:abc123"]  # staged out, never in


def test_a_file_stream_is_staged_out_and_its_future_is_a_data_future(tmp_path: Path) -> None:
    out, err = File(str(tmp_path / "o.txt")), File(str(tmp_path / "e.txt"))
    _load(tmp_path)
    try:
        f = shout("hi", stdout=out, stderr=err)
        assert f.result(timeout=20) == 0
        assert isinstance(f.stdout, DataFuture) and isinstance(f.stderr, DataFuture)
        assert f.stdout.result(timeout=20) is out and f.stderr.file_obj is err
    finally:
        parsl.clear()
    assert Path(out.filepath).read_text() == "hi\n"
    assert Path(err.filepath).read_text() == "hi-err\n"


def test_auto_logname_carries_the_calls_label(tmp_path: Path) -> None:
    _load(tmp_path)
    try:
        labelled = shout("a", stdout=AUTO_LOGNAME, stderr=AUTO_LOGNAME, label="first")
        plain = shout("b", stdout=AUTO_LOGNAME)
        assert labelled.result(timeout=20) == 0 and plain.result(timeout=20) == 0
    finally:
        parsl.clear()
    assert os.path.basename(labelled.stdout) == f"task_{labelled.tid:04d}_shout_first.stdout"
    assert os.path.basename(labelled.stderr) == f"task_{labelled.tid:04d}_shout_first.stderr"
    assert os.path.basename(plain.stdout) == f"task_{plain.tid:04d}_shout.stdout"
    assert Path(labelled.stdout).read_text() == "a\n"
