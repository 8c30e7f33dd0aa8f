"""File provenance in the database: file, input_file, output_file, environment, misc_info.

Hub tests run on SQLite and on a real PostgreSQL server (``db_url``); the
end-to-end test runs a real workflow on a ThreadPoolExecutor with files on disk.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

import parsl
from parsl import File, bash_app, python_app
from parsl.config import Config
from parsl.dataflow.states import States
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.db import provenance
from parsl.monitoring.db.provenance import FILE, ProvenanceRows, ProvenanceState, file_facts
from parsl.monitoring.db.rows import RowBatch
from parsl.monitoring.hub import query
from parsl.monitoring.sink import TaskTransition
from parsl.monitoring.types import MessageType

FILE_COLUMNS = FILE.columns


def _file(kind: MessageType, run_id: str, fid: str, path: Path | None, task: int, tr: int = 0,
          name: str | None = None) -> tuple[MessageType, dict[str, Any]]:  # fmt: skip
    return (
        kind,
        {
            "file_id": fid,
            "file_name": name or str(path),
            "file_path": None if path is None else str(path),
            "run_id": run_id,
            "task_id": task,
            "try_id": tr,
            "timestamp": time.time(),
        },
    )


def _count(db_url: str, sql: str) -> int:
    with query.connect(db_url) as conn:
        return int(conn.execute(text(sql)).scalar_one())


def _rows(db_url: str, table: str, run_id: str) -> list[dict[str, Any]]:
    return query.table_rows(db_url, table, run_id)


def test_files_written_and_read_with_sizes_md5_and_links(
    make_hub: Callable[..., MonitoringHub],
    db_url: str,
    run_dir: str,
    run_id: str,
    transition: Callable[..., TaskTransition],
    tmp_path: Path,
) -> None:
    raw, made = tmp_path / "raw.dat", tmp_path / "made.dat"
    raw.write_bytes(b"raw bytes")
    made.write_bytes(b"made by task 0")
    hub = make_hub(logging_endpoint=db_url, capture_file_provenance=True)
    hub.start(run_id, run_dir)
    hub.send(
        (
            MessageType.ENVIRONMENT_INFO,
            {
                "environment_id": "env-1",
                "run_id": run_id,
                "label": "htex",
                "address": "127.0.0.1",
                "provider": "LocalProvider",
                "launcher": "SingleNodeLauncher",
                "worker_init": "module load x",
            },
        )
    )
    for task in (0, 1):
        hub.task_transition(transition(task, States.launched, executor="htex"))
    hub.send(_file(MessageType.INPUT_FILE_INFO, run_id, "f-raw", raw, task=0))
    hub.send(_file(MessageType.OUTPUT_FILE_INFO, run_id, "f-made", made, task=0))
    hub.send(_file(MessageType.INPUT_FILE_INFO, run_id, "f-made", made, task=1))
    hub.send(_file(MessageType.INPUT_FILE_INFO, run_id, "f-raw", raw, task=1))
    now = time.time()
    for note in ("first", "second"):  # the same timestamp: both kept
        hub.send((MessageType.MISC_INFO, {"run_id": run_id, "timestamp": now, "info": note}))
    hub.close()

    files = {r["file_id"]: r for r in _rows(db_url, "file", run_id)}
    assert set(files) == {"f-raw", "f-made"}
    assert (files["f-made"]["task_id"], files["f-made"]["try_id"]) == (0, 0)
    assert files["f-made"]["size"] == len(b"made by task 0")
    assert files["f-made"]["md5sum"] == hashlib.md5(b"made by task 0").hexdigest()
    assert files["f-made"]["timestamp"].timestamp() == pytest.approx(
        os.stat(made).st_mtime, abs=1e-3
    )
    assert (
        files["f-raw"]["task_id"] is None and files["f-raw"]["try_id"] is None
    )  # no task wrote it
    assert files["f-raw"]["md5sum"] == hashlib.md5(b"raw bytes").hexdigest()
    assert files["f-raw"]["file_name"] == str(raw)

    inputs = sorted((r["task_id"], r["file_id"]) for r in _rows(db_url, "input_file", run_id))
    assert inputs == [(0, "f-raw"), (1, "f-made"), (1, "f-raw")]
    outputs = [(r["task_id"], r["file_id"]) for r in _rows(db_url, "output_file", run_id)]
    assert outputs == [(0, "f-made")]
    assert [
        n["info"] for n in sorted(_rows(db_url, "misc_info", run_id), key=lambda n: n["id"])
    ] == [
        "first",
        "second",
    ]
    [env] = _rows(db_url, "environment", run_id)
    assert (env["label"], env["provider"], env["worker_init"]) == (
        "htex",
        "LocalProvider",
        "module load x",
    )
    assert {t["task_environment"] for t in query.tasks(db_url, run_id)} == {"env-1"}
    # Parsl's other names for the tables are views over them.
    for view, table in (
        ("files", "file"),
        ("input_files", "input_file"),
        ("output_files", "output_file"),
    ):
        assert _count(db_url, f"SELECT COUNT(*) FROM {view}") == _count(
            db_url, f"SELECT COUNT(*) FROM {table}"
        )


def test_a_file_read_first_and_written_later_gets_its_writer(
    make_hub: Callable[..., MonitoringHub], db_url: str, run_dir: str, run_id: str, tmp_path: Path
) -> None:
    path = tmp_path / "late.txt"
    path.write_text("old")
    hub = make_hub(logging_endpoint=db_url, capture_file_provenance=True)
    hub.start(run_id, run_dir)
    hub.send(_file(MessageType.INPUT_FILE_INFO, run_id, "f", path, task=3))
    assert hub.flush(20)
    path.write_text("rewritten by task 4")
    hub.send(_file(MessageType.OUTPUT_FILE_INFO, run_id, "f", path, task=4, tr=1))
    hub.close()
    [row] = _rows(db_url, "file", run_id)
    assert (row["task_id"], row["try_id"]) == (4, 1)
    assert row["md5sum"] == hashlib.md5(b"rewritten by task 4").hexdigest()


def test_remote_missing_and_unreadable_files_have_no_size_or_md5(
    make_hub: Callable[..., MonitoringHub], db_url: str, run_dir: str, run_id: str, tmp_path: Path
) -> None:
    hub = make_hub(logging_endpoint=db_url, capture_file_provenance=True)
    hub.start(run_id, run_dir)
    url = "https://example.org/x.csv"
    hub.send(_file(MessageType.INPUT_FILE_INFO, run_id, "remote", None, task=0, name=url))
    hub.send(_file(MessageType.OUTPUT_FILE_INFO, run_id, "gone", tmp_path / "never-made", task=0))
    hub.send(_file(MessageType.OUTPUT_FILE_INFO, run_id, "dir", tmp_path, task=0))
    hub.close()
    files = {r["file_id"]: r for r in _rows(db_url, "file", run_id)}
    assert files["remote"]["file_name"] == url
    for fid in ("remote", "gone", "dir"):
        assert files[fid]["size"] is None and files[fid]["md5sum"] is None
    assert files["gone"]["timestamp"] is not None  # when the task reported it


def test_malformed_provenance_messages_are_refused_and_the_rest_kept() -> None:
    batch = RowBatch("run")
    batch.add_message((MessageType.OUTPUT_FILE_INFO, {"file_id": "x"}))  # no name, task, ...
    batch.add_message((MessageType.MISC_INFO, {"run_id": "run", "timestamp": "noon", "info": "x"}))
    batch.add_message((MessageType.MISC_INFO, {"run_id": "run", "timestamp": 1.0, "info": "ok"}))
    assert len(batch.rejected) == 2
    assert "OUTPUT_FILE_INFO" in batch.rejected[0] and "missing" in batch.rejected[0]
    assert [r[-1] for r in batch.provenance.notes] == ["ok"]


def test_big_files_get_a_size_but_no_md5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 100)
    monkeypatch.setattr(provenance, "MD5_MAX_BYTES", 99)
    mtime, size, md5 = file_facts(str(big))
    assert (size, md5) == (100, None) and mtime == os.stat(big).st_mtime
    monkeypatch.setattr(provenance, "MD5_MAX_BYTES", 100)
    assert file_facts(str(big))[2] == hashlib.md5(b"x" * 100).hexdigest()
    assert file_facts(None) == file_facts("") == (None, None, None)


def test_a_batch_reads_at_most_its_budget_for_md5_sums(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provenance, "MD5_BATCH_BYTES", 150)
    paths = []
    for name, size in (("a", 100), ("b", 100), ("c", 40)):
        (tmp_path / name).write_bytes(b"y" * size)
        paths.append(tmp_path / name)
    rows = ProvenanceRows(ProvenanceState(), lambda t: t)
    for i, path in enumerate(paths):
        rows.add(*_file(MessageType.OUTPUT_FILE_INFO, "r", f"f{i}", path, task=i))
    md5_at = FILE_COLUMNS.index("md5sum")
    size_at = FILE_COLUMNS.index("size")
    got = [(r[size_at], r[md5_at] is not None) for r in rows.written.values()]
    # a: hashed (50 bytes left); b: over what is left, size only; c: fits, hashed.
    assert got == [(100, True), (100, False), (40, True)]
    assert ProvenanceRows(ProvenanceState(), lambda t: t).hash_budget == 150  # per batch


def test_a_fifo_is_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    mtime, size, md5 = file_facts(str(fifo))  # opening it would block with no writer
    assert mtime is not None and size is None and md5 is None


def test_an_input_read_by_many_tasks_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = provenance.file_facts
    monkeypatch.setattr(
        provenance, "file_facts", lambda p, limit=None: calls.append(p) or real(p, limit)
    )
    src = tmp_path / "shared.txt"
    src.write_text("s")
    state = ProvenanceState()
    for batch_no in range(3):
        rows = ProvenanceRows(state, lambda t: t)
        for task in range(5):
            rows.add(
                *_file(MessageType.INPUT_FILE_INFO, "r", "shared", src, task=task + 5 * batch_no)
            )
        assert len(rows.inputs) == 5
    assert calls == [str(src)]
    monkeypatch.setattr(provenance, "MAX_REMEMBERED", 1)  # bounded: forgets, reads again
    rows = ProvenanceRows(state, lambda t: t)
    rows.add(*_file(MessageType.INPUT_FILE_INFO, "r", "other", src, task=99))
    rows.add(*_file(MessageType.INPUT_FILE_INFO, "r", "shared", src, task=99))
    assert len(calls) == 3 and len(state.input_facts) == 1


def test_capture_file_provenance_arguments() -> None:
    assert MonitoringHub().capture_file_provenance is False
    assert MonitoringHub(capture_file_provenance=True).capture_file_provenance is True
    # The other name Parsl's documentation uses for it.
    assert MonitoringHub(file_provenance=True).capture_file_provenance is True
    with pytest.raises(ConfigurationError, match="capture_file_provenance='yes'"):
        MonitoringHub(capture_file_provenance="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="file_provenance=1"):
        MonitoringHub(file_provenance=1)  # type: ignore[arg-type]


@bash_app
def initialize(outputs: list[File] = []) -> str:  # noqa: B006
    return f"echo 'Initialized' > {outputs[0]}"


@python_app
def split_data(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    data = Path(inputs[0].filepath).read_text()
    for i, out in enumerate(outputs):
        Path(out.filepath).write_text(f"{i + 1}\n{data}")


@python_app
def combine(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    Path(outputs[0].filepath).write_text("".join(Path(f.filepath).read_text() for f in inputs))


def test_a_workflow_records_its_files_tasks_and_notes(tmp_path: Path) -> None:
    db = tmp_path / "monitoring.db"
    work = tmp_path / "work"
    work.mkdir()
    dfk = parsl.load(
        Config(
            executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
            run_dir=str(tmp_path / "runinfo"),
            monitoring=MonitoringHub(
                logging_endpoint=f"sqlite:///{db}", capture_file_provenance=True
            ),
        )
    )
    try:
        dfk.log_info("Starting Run")
        init = initialize(outputs=[File(str(work / "init.txt"))])
        split = split_data(
            inputs=[init.outputs[0]], outputs=[File(str(work / f"s{i}.txt")) for i in range(3)]
        )
        done = combine(inputs=split.outputs, outputs=[File(str(work / "all.txt"))])
        done.result(timeout=30)
        dfk.log_info("Ending run")
    finally:
        parsl.clear()
    url, run_id = f"sqlite:///{db}", dfk.run_id
    assert len(query.tasks(url, run_id)) == 3
    assert len(_rows(url, "file", run_id)) == 5
    assert len(_rows(url, "input_file", run_id)) == 4
    assert len(_rows(url, "output_file", run_id)) == 5
    assert [n["info"] for n in _rows(url, "misc_info", run_id)] == ["Starting Run", "Ending run"]
    [env] = _rows(url, "environment", run_id)
    assert env["label"] == "threads"
    assert {t["task_environment"] for t in query.tasks(url, run_id)} == {env["environment_id"]}
    final = {r["file_name"]: r for r in _rows(url, "file", run_id)}[str(work / "all.txt")]
    assert final["task_id"] == done.tid
    assert final["md5sum"] == hashlib.md5((work / "all.txt").read_bytes()).hexdigest()
