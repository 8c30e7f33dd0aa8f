"""The file provenance queries, checked against the rows the builder inserted (run-a has them)."""

from __future__ import annotations

import datetime as dt

import pytest
from provenance_builder import NOTES, PURE_INPUT, environment_id_of, file_id_of
from sqlalchemy import Table, func, insert, select
from workflow_builder import MonitoringDB

from parsl.monitoring.db import tables
from parsl.monitoring.visualization import BadRequestError, NotFoundError
from parsl.monitoring.visualization import queries_files as qf
from parsl.monitoring.visualization.database import Database

OUT_0 = "/scratch/run-a/sim/out_0.h5"
"""Written by task 0 (simulate), read by task 1 (analyse)."""


def _all(db: Database, table: Table, run_id: str = "run-a") -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.run_id == run_id)).all()
    return [r._asdict() for r in rows]


def test_like_pattern_keeps_only_percent_as_wildcard() -> None:
    assert qf.like_pattern("%out_0.h5") == "%out\\_0.h5"
    assert qf.like_pattern("a\\b%") == "a\\\\b%"


def test_summary_counts_the_rows(db: Database) -> None:
    files = _all(db, tables.file)
    with db.engine.connect() as conn:
        summary = qf.file_summary(conn, "run-a")
        assert qf.run_has_files(conn, "run-a")
        assert not qf.run_has_files(conn, "run-b")
        assert qf.file_summary(conn, "run-b") == dict.fromkeys(summary, 0)
    assert summary["files"] == len(files) > 10
    assert summary["inputs_only"] == 1 == sum(f["task_id"] is None for f in files)
    assert summary["written"] == len(files) - 1
    assert summary["reads"] == len(_all(db, tables.input_file))
    assert summary["writes"] == len(_all(db, tables.output_file))


def test_run_file_uses_are_paged_in_task_order(db: Database) -> None:
    reads = _all(db, tables.input_file)
    writes = _all(db, tables.output_file)
    names = {f["file_id"]: f["file_name"] for f in _all(db, tables.file)}
    with db.engine.connect() as conn:
        total = qf.count_run_file_uses(conn, "run-a")
        pages = [qf.run_file_uses(conn, "run-a", None, p, size=20) for p in range(5)]
        inputs = qf.run_file_uses(conn, "run-a", "input", 0, size=1000)
        assert qf.count_run_file_uses(conn, "run-a", "output") == len(writes)
    rows = [r for page in pages for r in page]
    assert total == len(reads) + len(writes) == len(rows)
    assert all(len(p) == 20 for p in pages[: total // 20])
    keys = [(r["task_id"], r["direction"], r["try_id"], r["file_id"]) for r in rows]
    assert keys == sorted(keys)
    assert {(r["task_id"], r["try_id"], r["file_id"]) for r in inputs} == {
        (r["task_id"], r["try_id"], r["file_id"]) for r in reads
    }
    assert all(r["file_name"] == names[r["file_id"]] for r in rows)
    first = rows[:2]  # task 0 (simulate) reads the shared input and writes out_0.h5
    assert [(r["direction"], r["file_name"], r["task_func_name"]) for r in first] == [
        ("input", PURE_INPUT, "simulate"),
        ("output", OUT_0, "simulate"),
    ]


def test_check_direction_refuses_other_words() -> None:
    qf.check_direction(None)
    qf.check_direction("input")
    with pytest.raises(BadRequestError, match="direction='sideways'"):
        qf.check_direction("sideways")


def test_search_matches_percent_wildcards_only(db: Database, monitoring_db: MonitoringDB) -> None:
    # A name that "out_0.h5" would match if "_" were a wildcard too.
    with monitoring_db.engine.begin() as conn:
        conn.execute(
            insert(tables.file),
            [{"file_name": "/scratch/outX0.h5", "file_id": "decoy", "run_id": "run-b"}],
        )
    with db.engine.connect() as conn:
        csv = qf.search_files(conn, "%.csv", 0)
        assert qf.count_files(conn, "%.csv") == len(csv) > 0
        exact = qf.search_files(conn, OUT_0, 0)
        underscore = qf.search_files(conn, "%out_0.h5", 0)
        everything = qf.count_files(conn, None)
        first, second = qf.search_files(conn, None, 0, size=10), qf.search_files(conn, "", 1, 10)
        assert qf.count_files(conn, "%nothing like this%") == 0
    assert all(f["file_name"].endswith(".csv") for f in csv)
    assert [f["file_name"] for f in exact] == [OUT_0]
    assert [f["file_name"] for f in underscore] == [OUT_0]
    assert exact[0]["task_func_name"] == "simulate" and exact[0]["workflow_name"] == "demo"
    assert everything == len(_all(db, tables.file)) + 1
    names = [f["file_name"] for f in first + second]
    assert names == sorted(names) and len(set(names)) == 20


def test_get_file_with_its_writer_and_environment(db: Database) -> None:
    with db.engine.connect() as conn:
        out = qf.get_file(conn, file_id_of("run-a", OUT_0))
        raw = qf.get_file(conn, file_id_of("run-a", PURE_INPUT))
        with pytest.raises(NotFoundError, match="no file with id 'nope'"):
            qf.get_file(conn, "nope")
    assert (out["task_id"], out["try_id"], out["task_func_name"]) == (0, 0, "simulate")
    assert out["environment_id"] == environment_id_of("run-a", "htex")
    assert out["environment_label"] == "htex" and out["workflow_name"] == "demo"
    assert out["size"] == 1_048_576 and len(out["md5sum"]) == 32
    assert isinstance(out["timestamp"], dt.datetime)
    assert raw["file_name"] == PURE_INPUT and raw["task_id"] is None
    assert raw["environment_id"] is None


def test_file_readers_are_every_try_that_read_it(db: Database) -> None:
    fid = file_id_of("run-a", PURE_INPUT)
    with db.engine.connect() as conn:
        simulate_tries = conn.execute(
            select(func.count())
            .select_from(
                tables.try_.join(tables.task, tables.task.c.task_id == tables.try_.c.task_id)
            )
            .where(
                tables.try_.c.run_id == "run-a",
                tables.task.c.run_id == "run-a",
                tables.task.c.task_func_name == "simulate",
            )
        ).scalar()
        total = qf.count_file_uses(conn, fid, "input")
        pages = [qf.file_uses(conn, fid, "input", p, size=4) for p in range(10)]
        writers = qf.file_uses(conn, file_id_of("run-a", OUT_0), "output", 0)
        assert qf.count_file_uses(conn, fid, "output") == 0
    readers = [r for p in pages for r in p]
    assert total == simulate_tries == len(readers)
    assert [(r["task_id"], r["try_id"]) for r in readers] == sorted(
        (r["task_id"], r["try_id"]) for r in readers
    )
    assert {r["task_func_name"] for r in readers} == {"simulate"}
    twice = [r["try_id"] for r in readers if r["task_id"] == 12]  # failed after a retry
    assert twice == [0, 1]
    assert all(r["hostname"] and r["task_try_time_launched"] for r in readers)
    assert [(w["task_id"], w["try_id"], w["task_status_name"]) for w in writers] == [
        (0, 0, "exec_done")
    ]


def test_task_files_by_direction(db: Database) -> None:
    with db.engine.connect() as conn:
        analyse = qf.task_files(conn, "run-a", 1)
        failed = qf.task_files(conn, "run-a", 12)
        nothing = qf.task_files(conn, "run-a", 3)  # fetch_input reads and writes no File
        limited = qf.task_files(conn, "run-a", 12, limit=1)
    assert [f["file_name"] for f in analyse["input"][1]] == [OUT_0]
    assert [f["file_name"] for f in analyse["output"][1]] == ["/scratch/run-a/ana/result_1.csv"]
    assert failed["input"][0] == 2 and failed["output"] == (0, [])
    assert [f["try_id"] for f in failed["input"][1]] == [0, 1]
    assert nothing == {"input": (0, []), "output": (0, [])}
    assert limited["input"][0] == 2 and len(limited["input"][1]) == 1


def test_environments_and_their_tasks(db: Database) -> None:
    htex = environment_id_of("run-a", "htex")
    with db.engine.connect() as conn:
        env = qf.get_environment(conn, htex)
        threads = qf.get_environment(conn, environment_id_of("run-a", "threads"))
        listed = qf.run_environments(conn, "run-a")
        ran = conn.execute(
            select(func.count())
            .select_from(tables.task)
            .where(tables.task.c.run_id == "run-a", tables.task.c.task_executor.is_not(None))
        ).scalar()
        assert qf.find_environment(conn, None) is None
        assert qf.find_environment(conn, "nope") is None
        with pytest.raises(NotFoundError, match="no environment with id 'nope'"):
            qf.get_environment(conn, "nope")
        assert qf.run_environments(conn, "run-b") == []
    assert env["label"] == "htex" and env["provider"] == "SlurmProvider"
    assert env["launcher"] == "SrunLauncher" and "module load" in env["worker_init"]
    assert env["workflow_name"] == "demo"
    assert env["tasks"] == ran == sum(n for _, n in env["states"])
    assert dict(env["states"])["failed"] == 4
    assert threads["tasks"] == 0 and threads["states"] == []
    assert [(e["label"], e["tasks"]) for e in listed] == [("htex", ran), ("threads", 0)]


def test_notes_newest_last_and_bounded(db: Database, monitoring_db: MonitoringDB) -> None:
    with db.engine.connect() as conn:
        total, rows = qf.notes(conn, "run-a")
        assert qf.notes(conn, "run-b") == (0, [])
    assert total == 2 and [r["info"] for r in rows] == list(NOTES)
    later = dt.datetime(2027, 1, 1)
    with monitoring_db.engine.begin() as conn:
        conn.execute(
            insert(tables.misc_info),
            [
                {"run_id": "run-a", "timestamp": later + dt.timedelta(seconds=i), "info": f"n{i}"}
                for i in range(qf.MAX_NOTES + 5)
            ],
        )
    with db.engine.connect() as conn:
        total, rows = qf.notes(conn, "run-a")
    assert total == qf.MAX_NOTES + 7 and len(rows) == qf.MAX_NOTES
    assert [r["info"] for r in rows] == [f"n{i}" for i in range(5, qf.MAX_NOTES + 5)]
