"""Real workflows under stress: a reader polling during 10,000 tasks, and Ctrl-C mid-run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import parsl
from parsl.app.app import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.hub import open_for_reading, query

READER = textwrap.dedent(
    """
    import json, os, sys, time
    from sqlalchemy import text
    from parsl.monitoring.hub import open_for_reading

    url, stop_file = sys.argv[1], sys.argv[2]
    while not os.path.exists(url.split(":///", 1)[1]):
        time.sleep(0.01)
    engine = open_for_reading(url)
    polls, errors, last = 0, [], (0, 0)
    while not os.path.exists(stop_file):
        try:
            with engine.connect() as conn:
                counts = tuple(
                    conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                    for t in ("task", "status")
                )
            if counts < last:
                errors.append(f"counts went back: {last} -> {counts}")
            last = counts
            polls += 1
        except Exception as e:  # every failure is reported, none ends the poll
            errors.append(repr(e))
        time.sleep(0.005)
    print(json.dumps({"polls": polls, "errors": errors[:5], "last": last}))
    """
)


@python_app
def noop(i: int) -> int:
    return i


@pytest.mark.timeout(300)
def test_a_reader_polling_during_10000_tasks_loses_no_rows(tmp_path: Path) -> None:
    n = 10_000
    db = tmp_path / "mon" / "monitoring.db"
    url = f"sqlite:///{db}"
    stop_file = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, url, str(stop_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        hub = MonitoringHub(logging_endpoint=url, workflow_name="ten-thousand")
        config = Config(
            executors=[ThreadPoolExecutor(max_threads=4, label="threads")],
            run_dir=str(tmp_path / "runinfo"),
            monitoring=hub,
        )
        with parsl.load(config) as dfk:
            run_id = dfk.run_id
            futures = [noop(i) for i in range(n)]
            assert sum(f.result(timeout=240) for f in futures) == n * (n - 1) // 2
    finally:
        stop_file.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    seen = json.loads(out)
    assert seen["errors"] == []
    assert seen["polls"] > 10  # it really read while the workflow ran
    assert hub.writer_error is None and hub.dropped_events == 0

    engine = open_for_reading(url)
    try:
        tasks = query.tasks(engine, run_id)
        assert len(tasks) == n
        assert {t["task_status_name"] for t in tasks} == {"exec_done"}
        assert len(query.tries(engine, run_id)) == n
        status = query.table_rows(engine, "status", run_id)
        by_name: dict[str, int] = {}
        for row in status:
            by_name[row["task_status_name"]] = by_name.get(row["task_status_name"], 0) + 1
        for name in ("pending", "launched", "exec_done"):
            assert by_name[name] == n, by_name
        [wf] = query.workflows(engine)
        assert wf["tasks_completed_count"] == n
    finally:
        engine.dispose()


SCRIPT = textwrap.dedent(
    """
    import sys, time
    import parsl
    from parsl.app.app import python_app
    from parsl.config import Config
    from parsl.executors import ThreadPoolExecutor
    from parsl.monitoring import MonitoringHub

    @python_app
    def nap(i):
        import time
        time.sleep(0.01)
        return i

    hub = MonitoringHub(logging_endpoint=sys.argv[1], workflow_name="interrupted")
    dfk = parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=4)],
                            run_dir=sys.argv[2], monitoring=hub))
    print(dfk.run_id, flush=True)
    i = 0
    while True:  # until Ctrl-C
        batch = [nap(i + k) for k in range(50)]
        for f in batch:
            f.result()
        i += 50
        if i == 200:
            hub.flush()
            print("RUNNING", flush=True)
    """
)


@pytest.mark.timeout(120)
def test_ctrl_c_mid_run_leaves_a_database_that_opens_with_the_workflow_row(tmp_path: Path) -> None:
    db = tmp_path / "mon" / "monitoring.db"
    url = f"sqlite:///{db}"
    script = tmp_path / "workflow.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), url, str(tmp_path / "runinfo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        run_id = proc.stdout.readline().strip()
        assert proc.stdout.readline().strip() == "RUNNING", (
            proc.stderr.read() if proc.stderr else ""
        )
        time.sleep(0.3)  # tasks in flight, the writer busy
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    [wf] = query.workflows(url)
    assert wf["run_id"] == run_id
    assert wf["workflow_name"] == "interrupted"
    tasks = query.tasks(url, run_id)
    assert len(tasks) >= 200
    assert sum(t["task_status_name"] == "exec_done" for t in tasks) >= 200


@pytest.mark.timeout(120)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGQUIT])
def test_killing_the_writer_process_leaves_the_workflow_running(
    tmp_path: Path, sig: signal.Signals
) -> None:
    # Parsl's test_kill_monitoring does this through hub.dbm_proc, as here.
    hub = MonitoringHub(logging_endpoint=f"sqlite:///{tmp_path}/monitoring.db")
    parsl.load(Config(executors=[ThreadPoolExecutor()], run_dir=str(tmp_path), monitoring=hub))
    try:
        proc = hub.dbm_proc
        assert proc is not None and proc.is_alive() and proc.pid not in (None, os.getpid())
        assert proc.pid is not None
        os.kill(proc.pid, sig)
        deadline = time.monotonic() + 30
        while proc.is_alive():
            assert time.monotonic() < deadline, "the writer outlived its signal"
            time.sleep(0.05)
        assert [noop(i).result(timeout=30) for i in range(5)] == list(range(5))
    finally:
        begin = time.monotonic()
        parsl.clear()
    assert time.monotonic() - begin < 15
    assert hub.writer_error is not None and "exited unexpectedly" in str(hub.writer_error)
