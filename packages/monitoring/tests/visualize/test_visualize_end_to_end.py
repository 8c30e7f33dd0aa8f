"""parsl-visualize over databases that the real MonitoringHub wrote, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import pytest
from provenance_builder import PURE_INPUT, environment_id_of, file_id_of
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from workflow_builder import WorkflowSpec, build_workflow, stamp_database

import parsl
from parsl import File
from parsl.app.app import bash_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.visualization import BackgroundServer, build_report, open_database


@python_app
def square(x: int) -> int:
    return x * x


@python_app
def explode(x: int) -> int:
    raise ValueError(f"cannot take {x}")


@python_app
def total(*xs: int) -> int:
    return sum(xs)


@bash_app
def shout(word: str, stdout: str | None = None, stderr: str | None = None) -> str:
    return f"echo loud {word}; echo quiet {word} >&2"


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        e.close()
        return e.code, body


@pytest.mark.timeout(120)
def test_a_real_workflow_is_shown(db_url: str, tmp_path: Path) -> None:
    """Runs on SQLite and on a real PostgreSQL server (the ``db_url`` fixture's two params)."""
    hub = MonitoringHub(
        logging_endpoint=db_url, workflow_name="e2e-viz", resource_monitoring_interval=0.2
    )
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
        run_dir=str(tmp_path / "runinfo"),
        monitoring=hub,
    )
    out = tmp_path / "shout.out"
    with parsl.load(config) as dfk:
        run_id = dfk.run_id
        parts = [square(i) for i in range(4)]
        summed = total(*parts)
        bad = explode(3)
        loud = shout("hello", stdout=str(out), stderr=str(tmp_path / "shout.err"))
        assert summed.result(timeout=30) == 14
        assert loud.result(timeout=30) == 0
        with pytest.raises(ValueError):
            bad.result(timeout=30)
        ids = summed.tid, bad.tid, loud.tid
    summed_id, bad_id, loud_id = ids

    db = open_database(db_url)
    server = BackgroundServer(db)
    try:
        status, home = fetch(server.url + "/")
        assert status == 200 and run_id in home and "e2e-viz" in home
        status, wf = fetch(f"{server.url}/workflow/{run_id}")
        assert status == 200
        for app in ("square", "total", "explode", "shout"):
            assert app in wf
        status, task = fetch(f"{server.url}/workflow/{run_id}/task/{bad_id}")
        assert status == 200 and "cannot take 3" in task and "failed" in task
        status, task = fetch(f"{server.url}/workflow/{run_id}/task/{loud_id}")
        assert status == 200 and "loud hello" in task and "quiet hello" in task
        status, dag = fetch(f"{server.url}/workflow/{run_id}/dag")
        assert status == 200 and dag.count('class="edge"') == 4  # total depends on four squares
        status, res = fetch(f"{server.url}/workflow/{run_id}/resources")
        assert status == 200, res
        # the thread pool's tries ran on this host (worker time); as in Parsl, the thread
        # pool records no resource samples (integration-tests check htex's per-app table)
        assert 'id="efficiency-table"' in res and 'id="dist-table"' not in res
        assert "No resource samples" in res
        assert f'data-task="{summed_id}"' in dag
        html = build_report(db, run_id)
        assert "cannot take 3" in html
    finally:
        server.stop()
        db.close()


@python_app
def shout_file(inputs: Sequence[File] = (), outputs: Sequence[File] = ()) -> None:
    with open(inputs[0]) as src, open(outputs[0], "w") as dst:
        dst.write(src.read().upper())


@pytest.mark.timeout(120)
def test_real_file_provenance_is_shown(db_url: str, tmp_path: Path) -> None:
    """A two-step file pipeline recorded with capture_file_provenance, then browsed."""
    raw = tmp_path / "in <raw> & 'x'.txt"
    raw.write_text("hello\n")
    loud, louder = tmp_path / "loud.txt", tmp_path / "louder.txt"
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=2, label="threads")],
        run_dir=str(tmp_path / "runinfo"),
        monitoring=MonitoringHub(logging_endpoint=db_url, capture_file_provenance=True),
    )
    with parsl.load(config) as dfk:
        dfk.log_info("starting <the> pipeline")
        first = shout_file(inputs=[File(str(raw))], outputs=[File(str(loud))])
        second = shout_file(inputs=[first.outputs[0]], outputs=[File(str(louder))])
        second.result(timeout=30)
        run_id, first_id, second_id = dfk.run_id, first.tid, second.tid

    db = open_database(db_url)
    server = BackgroundServer(db)
    try:
        status, wf = fetch(f"{server.url}/workflow/{run_id}")
        assert status == 200 and '<td id="file-count">3</td>' in wf
        assert "starting &lt;the&gt; pipeline" in wf and ">threads</a>" in wf
        status, files = fetch(f"{server.url}/workflow/{run_id}/files")
        assert status == 200 and "Files read and written (4," in files
        status, found = fetch(server.url + "/files?q=" + quote(f"{tmp_path}/%.txt"))
        assert status == 200 and "(3)" in found and "in &lt;raw&gt; &amp; &#39;x&#39;.txt" in found
        link = re.search(r'<a href="(/file/[^"]+)">' + re.escape(str(loud)) + "</a>", found)
        assert link is not None
        status, page = fetch(server.url + link.group(1))
        assert status == 200 and "6B (6 bytes)" in page  # "HELLO\n"
        assert f'<a href="/workflow/{run_id}/task/{first_id}">task {first_id}</a>' in page
        assert f'<a href="/workflow/{run_id}/task/{second_id}">{second_id}</a>' in page
        env = re.search(r'<a href="(/environment/[^"]+)">threads</a>', page)
        assert env is not None
        status, env_page = fetch(server.url + env.group(1))
        assert status == 200 and '<td id="environment-label">threads</td>' in env_page
        assert re.search(r'<td id="environment-task-count"><a href="[^"]+">2</a>', env_page)
        status, task = fetch(f"{server.url}/workflow/{run_id}/task/{second_id}")
        assert status == 200 and "Read (inputs): 1" in task and "louder.txt" in task
    finally:
        server.stop()
        db.close()


@pytest.mark.timeout(120)
def test_postgresql_is_read_only(pg_url: str) -> None:
    engine = stamp_database(pg_url)
    build_workflow(engine, WorkflowSpec(run_id="pg-run", tasks=40, provenance=True))
    engine.dispose()
    db = open_database(pg_url)
    try:
        with pytest.raises(DBAPIError, match="read-only transaction"), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM task"))
        server = BackgroundServer(db)
        try:
            for path in (
                "/",
                "/workflow/pg-run",
                "/workflow/pg-run/resources",
                "/workflow/pg-run/task/12",
                "/workflow/pg-run/dag",
            ):
                status, body = fetch(server.url + path)
                assert status == 200, body
            status, body = fetch(server.url + "/workflow/pg-run/resources?memory_mb=300")
            assert "task(s) over 300 MiB" in body and "simulate" in body
            # file provenance: LIKE with only % as a wildcard, the union of reads and writes
            status, body = fetch(server.url + "/files?q=%25out_0.h5")
            assert status == 200 and "Files named like “%out_0.h5” (1)" in body
            status, body = fetch(server.url + "/workflow/pg-run/files?page=1")
            assert status == 200 and "page 2 of" in body and "run-files-table" in body
            for path in (
                f"/file/{file_id_of('pg-run', PURE_INPUT)}",
                f"/environment/{environment_id_of('pg-run', 'htex')}",
                "/workflow/pg-run/task/1",
            ):
                status, body = fetch(server.url + path)
                assert status == 200, body
        finally:
            server.stop()
    finally:
        db.close()
