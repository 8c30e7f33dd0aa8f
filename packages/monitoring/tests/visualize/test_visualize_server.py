"""The web server over HTTP: every route, the live JSON, and every failure as a plain page."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import OperationalError
from workflow_builder import MonitoringDB, WorkflowSpec, build_workflow, new_database

from parsl.monitoring.db import tables
from parsl.monitoring.visualization import BackgroundServer, Database, open_database
from parsl.monitoring.visualization import server as server_mod

PAGES = [
    "/",
    "/workflow/run-a",
    "/workflow/run-a/tasks",
    "/workflow/run-a/tasks?state=failed&app=simulate",
    "/workflow/run-a/dag",
    "/workflow/run-a/dag?color=state&start=10",
    "/workflow/run-a/resources",
    "/workflow/run-a/resources?memory_mb=250&page=0",
    "/workflow/run-a/task/12",
    "/workflow/run-a/task/2",
    "/workflow/run-b",
    "/workflow/run-b/task/29",
]


def get(url: str, method: str = "GET") -> tuple[int, str, str]:
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers["Content-Type"], r.read().decode()
    except urllib.error.HTTPError as e:
        body = e.read().decode()
        e.close()
        return e.code, e.headers["Content-Type"], body


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_self_contained(server: BackgroundServer, path: str) -> None:
    status, ctype, body = get(server.url + path)
    assert status == 200, body
    assert ctype.startswith("text/html")
    assert "<h1>" in body and "Traceback" not in body
    # nothing fetched from elsewhere: no external scripts, styles or images
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert (
        "https://" not in body and "<script src" not in body and '<link rel="stylesheet' not in body
    )


def test_pages_show_the_data(server: BackgroundServer) -> None:
    _, _, home = get(server.url + "/")
    assert "run-a" in home and "run-b" in home and "alice" in home
    _, _, wf = get(server.url + "/workflow/run-a")
    assert "simulate" in wf and 'data-state="exec_done"' in wf and "<svg" in wf
    _, _, task = get(server.url + "/workflow/run-a/task/12")
    assert "ValueError: bad input 12 (try 1)" in task and "fail_retryable" in task
    _, _, plot = get(server.url + "/workflow/run-a/task/2")  # a "plot" task with real output files
    assert "plotting 2" in plot and "fallback font" in plot
    _, _, res = get(server.url + "/workflow/run-a/resources?memory_mb=300")
    assert "task(s) over 300 MiB" in res and "node00" in res


def test_running_workflow_page_polls_and_finished_one_does_not(server: BackgroundServer) -> None:
    _, _, live = get(server.url + "/workflow/run-b")
    assert 'data-poll="/workflow/run-b?format=json"' in live
    _, _, done = get(server.url + "/workflow/run-a")
    assert "data-poll" not in done


def test_json_gives_live_sections(server: BackgroundServer) -> None:
    status, ctype, body = get(server.url + "/workflow/run-b?format=json")
    assert status == 200 and ctype == "application/json"
    data = json.loads(body)
    assert data["done"] is False
    assert {"summary", "progress", "apps", "tries-per-app", "stream"} <= set(data["sections"])
    assert "tabs" not in data["sections"]
    _, _, finished = get(server.url + "/workflow/run-a?format=json")
    assert json.loads(finished)["done"] is True


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/workflow/nope", 404, "no workflow with run id &#39;nope&#39;"),
        ("/workflow/run-a/task/9999", 404, "no task 9999"),
        ("/no/such/page", 404, "there is no page at /no/such/page"),
        ("/workflow/run-a/tasks?page=abc", 400, "page=&#39;abc&#39; is not a whole number"),
        ("/workflow/run-a/tasks?page=-1", 400, "must be at least 0"),
        ("/workflow/run-a/dag?color=pink", 400, "colour the DAG by"),
        ("/workflow/run-a/resources?memory_mb=lots", 400, "not a number of MiB"),
        ("/workflow/run-a/resources?memory_mb=-5", 400, "must be zero or more"),
    ],
)
def test_bad_requests_are_plain_pages(
    server: BackgroundServer, path: str, status: int, message: str
) -> None:
    code, ctype, body = get(server.url + path)
    assert code == status
    assert ctype.startswith("text/html")
    assert message in body and "Traceback" not in body


def test_json_errors_are_json(server: BackgroundServer) -> None:
    code, ctype, body = get(server.url + "/workflow/nope?format=json")
    assert code == 404 and ctype == "application/json"
    assert "nope" in json.loads(body)["error"]


def test_writes_are_refused(server: BackgroundServer, db: Database) -> None:
    code, _, body = get(server.url + "/", method="POST")
    assert code == 405 and "read-only" in body
    with pytest.raises(OperationalError, match="readonly"), db.engine.begin() as conn:
        conn.execute(text("DELETE FROM task"))


def test_database_error_is_a_503_page(
    server: BackgroundServer, monitoring_db: MonitoringDB
) -> None:
    # Someone else's process breaks the database under the running server.
    with contextlib.closing(sqlite3.connect(monitoring_db.path)) as raw, raw:
        raw.execute("DROP TABLE resource")
    code, _, body = get(server.url + "/workflow/run-a/resources")
    assert code == 503
    assert "could not be read" in body and "no such table: resource" in body
    assert "Traceback" not in body


def test_unexpected_error_is_a_500_page_without_traceback(
    server: BackgroundServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any) -> None:
        raise RuntimeError("renderer bug")

    monkeypatch.setattr(server_mod, "workflow_page", broken)
    code, _, body = get(server.url + "/workflow/run-a")
    assert code == 500
    assert "failed to render this page" in body
    assert "renderer bug" not in body and "Traceback" not in body
    assert "renderer bug" in caplog.text  # but the server's log has it


@pytest.mark.timeout(120)
def test_big_workflow_is_aggregated_and_paged(tmp_path: Path) -> None:
    url, engine = new_database(tmp_path / "big.db")
    spec = WorkflowSpec(run_id="big", tasks=1700, samples_per_try=0, failed_every=0, memo_every=0)
    build_workflow(engine, spec)
    with engine.begin() as conn:  # enough workflows for a second page of the list
        conn.execute(
            insert(tables.workflow),
            [
                {
                    "run_id": f"old-{i:02d}",
                    "time_began": spec.start - dt.timedelta(days=i + 1),
                    "host": "h",
                    "user": "u",
                    "rundir": "/r",
                    "tasks_failed_count": 0,
                    "tasks_completed_count": 0,
                }
                for i in range(55)
            ],
        )
    engine.dispose()
    db = open_database(url)
    srv = BackgroundServer(db)
    try:
        _, _, wf = get(srv.url + "/workflow/big")
        assert "More than 1500 tries: busy worker-time per host" in wf
        assert 'aria-label="busy time per host"' in wf
        _, _, dag_first = get(srv.url + "/workflow/big/dag")
        assert "tasks 0-299 of 0-1699" in dag_first and "later tasks »</a>" in dag_first
        assert dag_first.count('class="node"') == 300
        _, _, dag_last = get(srv.url + "/workflow/big/dag?start=1500&color=state")
        assert "earlier tasks</a>" in dag_last and dag_last.count('class="node"') == 200
        _, _, tasks = get(srv.url + "/workflow/big/tasks?page=33")
        assert "page 34 of 34 (1700 rows)" in tasks and ">1699</a>" in tasks
        _, _, home = get(srv.url + "/?page=1")
        assert "page 2 of 2 (56 rows)" in home and "old-54" in home
    finally:
        srv.stop()
        db.close()


def test_python_dash_m_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "parsl.monitoring.visualization", "--help"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},  # argparse wraps help to the terminal's width
    )
    assert done.returncode == 0, done.stderr
    for option in ("--port", "--listen", "--debug", "db_path", "report RUN_ID"):
        assert option in done.stdout, done.stdout


def test_template_error_is_a_500_page_too(
    server: BackgroundServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = server.server.get_app()
    assert app is not None

    def broken(*args: Any, **kwargs: Any) -> str:
        raise KeyError("template variable")

    monkeypatch.setattr(app.renderer, "page", broken)  # type: ignore[attr-defined]
    code, _, body = get(server.url + "/workflow/run-a")
    assert code == 500 and "failed to render this page" in body and "Traceback" not in body
    assert "template variable" in caplog.text
