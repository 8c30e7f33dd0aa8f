"""The SQL behind the pages, checked against what the builder inserted."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from parsl.monitoring.visualization import NotFoundError, dag, svg
from parsl.monitoring.visualization import queries_resource as qr
from parsl.monitoring.visualization import queries_task as qt
from parsl.monitoring.visualization import queries_workflow as qw
from parsl.monitoring.visualization.database import Database
from parsl.monitoring.visualization.states import state_colour, state_rank


def test_workflow_list_counts_tasks_by_outcome(db: Database) -> None:
    with db.engine.connect() as conn:
        rows = {r["run_id"]: r for r in qw.list_workflows(conn, 0)}
        assert qw.count_workflows(conn) == 2
    a, b = rows["run-a"], rows["run-b"]
    assert a["tasks_total"] == 60 and b["tasks_total"] == 30
    assert a["status"] == "failed"  # finished with failures
    assert b["status"] == "running"
    assert a["tasks_done"] + a["tasks_failed"] == 60
    assert a["tasks_failed"] >= 4  # every 13th task fails, dependents dep_fail
    assert b["tasks_other"] == 10  # the running tail
    assert a["runtime"] == pytest.approx(60 * 0.05 + 5)


def test_state_counts_and_apps(db: Database) -> None:
    with db.engine.connect() as conn:
        counts = dict(qw.state_counts(conn, "run-b"))
        apps = qw.apps_table(db, conn, "run-a")
    assert counts["pending"] == 3 and counts["launched"] == 3
    assert counts["running"] == 2 and counts["running_ended"] == 2
    assert [a["app"] for a in apps] == sorted(a["app"] for a in apps)
    assert sum(a["tasks"] for a in apps) == 60
    failed_row = next(a for a in apps if a["failed"])
    assert failed_row["mean_s"] > 0 and failed_row["max_s"] >= failed_row["mean_s"]


def test_task_paging_and_filters(db: Database) -> None:
    with db.engine.connect() as conn:
        first = qw.list_tasks(conn, "run-a", qw.TaskFilter(), 0)
        second = qw.list_tasks(conn, "run-a", qw.TaskFilter(), 1)
        failed = qw.list_tasks(conn, "run-a", qw.TaskFilter(state="failed"), 0)
        plots = qw.count_tasks(conn, "run-a", qw.TaskFilter(app="plot"))
    assert [t["task_id"] for t in first] == list(range(50))
    assert [t["task_id"] for t in second] == list(range(50, 60))
    assert failed and all(t["task_status_name"] == "failed" for t in failed)
    assert plots == 15


def test_unknown_run_and_task_are_not_found(db: Database) -> None:
    with db.engine.connect() as conn:
        with pytest.raises(NotFoundError, match="nope"):
            qw.get_workflow(conn, "nope")
        with pytest.raises(NotFoundError, match="no task 999"):
            qt.get_task(conn, "run-a", 999)


def test_task_detail_history_tries_samples(db: Database) -> None:
    with db.engine.connect() as conn:
        t = qt.get_task(conn, "run-a", 12)  # every 13th task fails after a retry
        hist = [h["task_status_name"] for h in qt.status_history(conn, "run-a", 12)]
        tries = qt.tries(conn, "run-a", 12)
        samples = qt.resource_series(db, conn, "run-a", 12)
        needed_by = qt.dependents(conn, "run-a", 12)
    assert t["task_status_name"] == "failed" and "ValueError" in t["task_fail_reason"]
    assert hist[0] == "pending" and hist[-1] == "failed" and "fail_retryable" in hist
    assert [r["try_id"] for r in tries] == [0, 1]
    assert all(r["task_try_fail_reason"] for r in tries)
    assert len(samples) == 6 and {s["try_id"] for s in samples} == {0, 1}
    with db.engine.connect() as conn:
        assert needed_by
        for d in needed_by:
            assert 12 in qt.get_task(conn, "run-a", d)["depends"]


def test_parse_depends_forms() -> None:
    assert qt.parse_depends(None) == []
    assert qt.parse_depends("1,2, 3") == [1, 2, 3]
    assert qt.parse_depends("[4 5]") == [4, 5]


def test_file_tail_reads_the_end(tmp_path: Path) -> None:
    p = tmp_path / "big.out"
    p.write_text("x" * 10000 + "THE END")
    tail = qt.file_tail(str(p), limit=100)
    assert tail is not None and tail.endswith("THE END") and tail.startswith("…")
    assert qt.file_tail(str(p) + ".missing") is None
    assert qt.file_tail(None) is None


def test_resource_distributions_and_memory_threshold(db: Database) -> None:
    with db.engine.connect() as conn:
        dists = {d["app"]: d for d in qr.distributions(conn, "run-a")}
        total, rows = qr.over_memory(conn, "run-a", 300 * 2**20, 0)
        none_total, _ = qr.over_memory(conn, "run-a", 10 * 2**30, 0)
    # "simulate" tasks carry 200 MiB more than the others
    assert dists["simulate"]["rss_mean"] > dists["plot"]["rss_mean"] + 150 * 2**20
    assert sum(dists["plot"]["rss_hist"]) == dists["plot"]["tries"]
    assert total == len(rows) > 0
    assert all(r["rss"] > 300 * 2**20 and r["task_func_name"] == "simulate" for r in rows)
    assert [r["rss"] for r in rows] == sorted((r["rss"] for r in rows), reverse=True)
    assert none_total == 0


def test_worker_efficiency_nodes_blocks(db: Database) -> None:
    with db.engine.connect() as conn:
        eff = qr.worker_efficiency(db, conn, "run-a")
        nodes = qr.nodes(conn, "run-a")
        blocks = qr.block_history(db, conn, "run-a")
    assert [e["hostname"] for e in eff] == ["node00", "node01"]
    for e in eff:
        assert e["workers"] == 4 and 0 < e["efficiency"] < 1
        assert e["available_s"] == pytest.approx(4 * (60 * 0.05 + 5))
    assert {n["hostname"] for n in nodes} == {"node00", "node01"}
    assert [s for _, s, _ in blocks[("htex", "0")]] == ["PENDING", "RUNNING", "COMPLETED"]
    with db.engine.connect() as conn:
        spans = qr.node_spans(db, conn, "run-a")
    assert [n["hostname"] for n in spans] == ["node00", "node01"]
    assert all(n["end"] - n["start"] == pytest.approx(60 * 0.05 + 5) for n in spans)
    assert "nodes over time" in svg.node_timeline(spans)


def test_tries_per_app_and_busy_bins(db: Database) -> None:
    with db.engine.connect() as conn:
        span, series = qw.tries_per_app(db, conn, "run-a", bins=10)
        tries = qw.count_tries(conn, "run-a")
        span2, busy = qw.busy_by_host(db, conn, "run-a", bins=10)
        bars = qw.gantt_bars(db, conn, "run-a")
    assert span is not None and span == span2
    assert sum(sum(c) for c in series.values()) == tries == len(bars)
    assert set(busy) == {"node00", "node01"} and all(len(v) == 10 for v in busy.values())


def test_empty_run_has_no_span(db: Database, monitoring_db: object) -> None:
    from workflow_builder import WorkflowSpec, build_workflow

    build_workflow(monitoring_db.engine, WorkflowSpec(run_id="empty", tasks=0))  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        assert qw.tries_per_app(db, conn, "empty") == (None, {})
        assert qw.busy_by_host(db, conn, "empty") == (None, {})
        assert qt.task_id_range(conn, "empty") is None
        assert qr.distributions(conn, "empty") == []


def _parse(fragment: str) -> ET.Element:
    """Every chart must be well-formed XML (a stray '<' from a task name would break it)."""
    return ET.fromstring(f"<div>{fragment}</div>")


def test_svg_charts_are_well_formed_and_escape_names() -> None:
    evil = "<script>x</script>&"
    colours = {evil: "#123456"}
    _parse(svg.progress_bar([("running", 3), ("exec_done", 5)]))
    _parse(svg.stacked_columns((0.0, 10.0), {evil: [1, 0, 2]}, colours))
    _parse(svg.line_chart({evil: [(0.0, 1.0), (2.0, 3.0)]}, colours, svg.fmt_bytes, "mem"))
    bars = [
        {
            "hostname": evil,
            "block_id": "0",
            "start": 0.0,
            "end": None,
            "fail": None,
            "app": evil,
            "task_id": 1,
            "try_id": 0,
        }
    ]
    out = svg.gantt(bars, colours, 5.0, lambda t: f"/task/{t}")
    _parse(out)
    assert "<script>" not in out
    _parse(svg.heatmap((0.0, 1.0), {evil: [0.0, 2.0]}))
    _parse(svg.histogram([0, 1, 3], "#000", 10.0, svg.fmt_bytes))
    _parse(
        svg.block_timeline({("htex", evil): [(0.0, "PENDING", None), (1.0, "RUNNING", "7")]}, 3.0)
    )
    tasks = [
        {"task_id": 1, "app": evil, "state": "failed", "depends": []},
        {"task_id": 2, "app": "b", "state": "running", "depends": [1, 99]},
    ]
    _parse(dag.render(tasks, lambda t: "#fff", lambda t: None))


def test_svg_empty_inputs_say_so() -> None:
    assert "No tasks" in svg.progress_bar([])
    assert "No tries" in svg.stacked_columns(None, {}, {})
    assert "No tries" in svg.gantt([], {}, 0.0, lambda t: None)
    assert "No tries" in svg.heatmap(None, {})
    assert "no samples" in svg.histogram([0, 0], "#000", 1.0, str)
    assert "No samples" in svg.line_chart({}, {}, str, "CPU")
    assert "No blocks" in svg.block_timeline({}, None)
    assert "No nodes" in svg.node_timeline([])
    assert "No tasks" in dag.render([], lambda t: "", lambda t: None)


def test_helpers() -> None:
    assert state_rank("exec_done") < state_rank("failed") < state_rank("something-new")
    assert state_colour("something-new") == state_colour(None)
    assert svg.fmt_seconds(0.25) == "250ms" and svg.fmt_seconds(12.34) == "12.3s"
    assert svg.fmt_seconds(245) == "4m05s" and svg.fmt_seconds(7380) == "2h03m"
    assert svg.fmt_bytes(512) == "512B" and svg.fmt_bytes(3 * 2**30) == "3.0GiB"
    assert svg.fmt_bytes(5 * 2**40) == "5.0TiB"
    assert svg.nice_ticks(0) == [0.0, 1.0]
    assert svg.nice_ticks(9)[-1] >= 9
    assert svg.pack_lanes([(0, 2), (1, 3), (2, 4), (3.5, 5)]) == [0, 1, 0, 1]
    assert dag.layers(
        [
            {"task_id": 0, "depends": []},
            {"task_id": 1, "depends": [0]},
            {"task_id": 2, "depends": [0, 1]},
            {"task_id": 3, "depends": [42]},
        ]
    ) == {0: 0, 1: 1, 2: 2, 3: 0}


def test_dependents_match_exactly(db: Database) -> None:
    with db.engine.connect() as conn:
        every = qw.list_tasks(conn, "run-a", qw.TaskFilter(), 0) + qw.list_tasks(
            conn, "run-a", qw.TaskFilter(), 1
        )
        for tid in (1, 2, 12, 21):
            expected = [t["task_id"] for t in every if tid in qt.parse_depends(t["task_depends"])]
            assert qt.dependents(conn, "run-a", tid) == expected


def test_relative_output_paths_are_found_beside_runinfo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script_dir = tmp_path / "project"
    (script_dir / "runinfo" / "000").mkdir(parents=True)
    (script_dir / "logs").mkdir()
    (script_dir / "logs" / "t.out").write_text("hello")
    monkeypatch.chdir(tmp_path)  # the viewer runs somewhere else
    rundir = str(script_dir / "runinfo" / "000")
    found = qt.locate_output("logs/t.out", rundir)
    assert found == str(script_dir / "logs" / "t.out") and qt.file_tail(found) == "hello"
    assert qt.locate_output("logs/missing.out", rundir) == "logs/missing.out"
    assert qt.locate_output("/abs/x.out", rundir) == "/abs/x.out"
    assert qt.locate_output(None, rundir) is None
    assert qt.locate_output("", rundir) is None  # Parsl records no stream as ""
    assert qt.locate_output("file:///abs/x.out", rundir) == "/abs/x.out"
    assert qt.locate_output("logs/t.out", None) == "logs/t.out"


def test_distribution_statistics_match_a_direct_computation(db: Database) -> None:
    from sqlalchemy import select

    from parsl.monitoring.db.tables import resource, task

    peaks: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with db.engine.connect() as conn:
        samples = conn.execute(
            select(
                resource.c.task_id,
                resource.c.try_id,
                resource.c.psutil_process_memory_resident,
                resource.c.psutil_process_cpu_percent,
            ).where(resource.c.run_id == "run-a")
        ).all()
        apps = dict(
            conn.execute(
                select(task.c.task_id, task.c.task_func_name).where(task.c.run_id == "run-a")
            ).all()
        )
        dists = {d["app"]: d for d in qr.distributions(conn, "run-a")}
    per_try: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for tid, k, rss, cpu in samples:
        per_try.setdefault((tid, k), []).append((rss, cpu))
    for (tid, _), vals in per_try.items():
        peaks.setdefault(apps[tid], []).append(max(v[0] for v in vals))
        cpus.setdefault(apps[tid], []).append(sum(v[1] for v in vals) / len(vals))
    assert set(dists) == set(peaks)
    for app, d in dists.items():
        assert d["tries"] == len(peaks[app]) == sum(d["rss_hist"]) == sum(d["cpu_hist"])
        assert d["rss_min"] == min(peaks[app]) and d["rss_max"] == max(peaks[app])
        assert d["rss_mean"] == pytest.approx(sum(peaks[app]) / len(peaks[app]))
        assert d["cpu_mean"] == pytest.approx(sum(cpus[app]) / len(cpus[app]))


def test_over_memory_pages(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qr, "PAGE_SIZE", 20)
    with db.engine.connect() as conn:
        total, first = qr.over_memory(conn, "run-a", 0, 0)
        again, second = qr.over_memory(conn, "run-a", 0, 2)
        past, nothing = qr.over_memory(conn, "run-a", 0, 5)
    assert total == again == past == 50  # every task that ran (not dep_fail or memo_done)
    assert len(first) == 20 and len(second) == 10 and nothing == []
    assert not {r["task_id"] for r in first} & {r["task_id"] for r in second}
