"""The file provenance pages over HTTP: content, links, escaping, JSON, 404 and 400 pages."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from provenance_builder import NOTES, PURE_INPUT, environment_id_of, file_id_of
from sqlalchemy import func, select
from test_visualize_server import get
from workflow_builder import WorkflowSpec, build_workflow, new_database

from parsl.monitoring.db import tables
from parsl.monitoring.visualization import BackgroundServer, Database, build_report, open_database

OUT_0 = "/scratch/run-a/sim/out_0.h5"
HTEX = environment_id_of("run-a", "htex")
THREADS = environment_id_of("run-a", "threads")
ESCAPED = "/data/in/params&amp;&lt;v2&gt;&#39;s &#34;best&#34;.json"
"""PURE_INPUT as the pages show it (Jinja's escaping)."""

PAGES = [
    "/files",
    "/files?q=%25.csv",
    "/files?q=nothing-matches",
    "/files?page=0&q=",
    "/workflow/run-a/files",
    "/workflow/run-a/files?direction=input&page=1",
    "/workflow/run-a/files?direction=output",
    "/workflow/run-b/files",
    f"/file/{file_id_of('run-a', OUT_0)}",
    f"/file/{file_id_of('run-a', PURE_INPUT)}?page=1",
    f"/environment/{HTEX}",
    f"/environment/{THREADS}",
    f"/workflow/run-a/tasks?environment={HTEX}&state=failed",
]


@pytest.mark.parametrize("path", PAGES)
def test_provenance_pages_render(server: BackgroundServer, path: str) -> None:
    status, ctype, body = get(server.url + path)
    assert status == 200, body
    assert ctype.startswith("text/html") and "<h1>" in body and "Traceback" not in body
    assert '<a href="/files">Files</a>' in body  # the site navigation
    status, ctype, data = get(server.url + path + ("&" if "?" in path else "?") + "format=json")
    assert status == 200 and ctype == "application/json"
    sections = json.loads(data)["sections"]
    assert sections and all(isinstance(v, str) for v in sections.values())


def test_overview_has_files_environments_and_notes(server: BackgroundServer) -> None:
    _, _, wf = get(server.url + "/workflow/run-a")
    assert 'id="file-summary-table"' in wf and '<a href="/workflow/run-a/files">Files</a>' in wf
    assert '<a href="/workflow/run-a/files?direction=input">' in wf
    assert f'<a href="/environment/{HTEX}">htex</a>' in wf and "SlurmProvider" in wf
    assert "starting the sweep" in wf and html.escape(NOTES[1], quote=False) in wf
    assert wf.index(NOTES[0]) < wf.index("results written")  # newest last
    _, _, live = get(server.url + "/workflow/run-b")  # no provenance captured
    assert "file-summary" not in live and "environments-table" not in live
    assert "/workflow/run-b/files" not in live  # no Files tab either


def test_run_files_page_lists_reads_and_writes(server: BackgroundServer, db: Database) -> None:
    with db.engine.connect() as conn:
        reads = conn.execute(
            select(func.count())
            .select_from(tables.input_file)
            .where(tables.input_file.c.run_id == "run-a")
        ).scalar()
        writes = conn.execute(
            select(func.count())
            .select_from(tables.output_file)
            .where(tables.output_file.c.run_id == "run-a")
        ).scalar()
    assert reads is not None and writes is not None
    _, _, first = get(server.url + "/workflow/run-a/files")
    total = reads + writes
    assert f"Files read and written ({total}, one row per task try)" in first
    assert f"page 1 of 2 ({total} rows)" in first and "?page=1" in first
    assert '<a href="/workflow/run-a/task/0">0</a>' in first
    assert f'<a href="/file/{file_id_of("run-a", OUT_0)}">{OUT_0}</a>' in first
    _, _, inputs = get(server.url + "/workflow/run-a/files?direction=input")
    assert f"Files read ({reads}," in inputs and 'class="dir-output"' not in inputs
    _, _, last = get(server.url + "/workflow/run-a/files?page=1")
    assert last.count("<tr>") == total - 50 + 1  # the rest, and the header
    _, _, none = get(server.url + "/workflow/run-b/files")
    assert "No task read or wrote a file." in none


def test_search_page(server: BackgroundServer) -> None:
    _, _, csv = get(server.url + "/files?q=" + quote("%.csv"))
    assert 'value="%.csv"' in csv and "Files named like “%.csv” (12)" in csv
    assert "result_1.csv" in csv and ".h5" not in csv
    _, _, exact = get(server.url + "/files?q=" + quote(OUT_0))
    assert "(1)" in exact and '<a href="/workflow/run-a/task/0">task 0</a> simulate' in exact
    _, _, all_files = get(server.url + "/files")
    assert "All files (37)" in all_files
    # the file no task wrote: "—" for its writer
    row = re.search(r"<tr><td><a href=\"/file/[^\"]+\">/data/in/.*?</tr>", all_files, re.S)
    assert row is not None and "<td>—</td>" in row.group(0)


def test_file_page_links_writer_environment_and_readers(server: BackgroundServer) -> None:
    _, _, out = get(server.url + f"/file/{file_id_of('run-a', OUT_0)}")
    assert f'<td id="file-name">{OUT_0}</td>' in out
    assert "1.0MiB (1048576 bytes)" in out
    assert '<a href="/workflow/run-a/task/0">task 0</a> simulate, try 0' in out
    assert f'<a href="/environment/{HTEX}">htex</a>' in out
    assert '<p id="readers-count">1 task try read it.</p>' in out
    assert '<a href="/workflow/run-a/task/1">1</a>' in out  # analyse read it
    _, _, raw = get(server.url + f"/file/{file_id_of('run-a', PURE_INPUT)}")
    assert "no task of the workflow wrote it" in raw and "/environment/" not in raw
    assert "0 task tries wrote it." in raw and 'id="readers-table"' in raw


def test_environment_page_and_its_task_filter(server: BackgroundServer) -> None:
    _, _, env = get(server.url + f"/environment/{HTEX}")
    assert "<h1>Environment htex of run-a</h1>" in env
    assert '<pre id="worker-init">module load python/3.11\nsource' in env
    link = f"/workflow/run-a/tasks?environment={HTEX}"
    count = re.search(rf'<a href="{re.escape(link)}">(\d+)</a>', env)
    assert count is not None
    _, _, tasks = get(server.url + link)
    assert f"Tasks ({count.group(1)}) that ran in environment htex" in tasks
    assert f'<input type="hidden" name="environment" value="{HTEX}">' in tasks
    _, _, failed = get(server.url + f"{link}&state=failed")
    assert "Tasks (4) that ran in environment htex" in failed
    _, _, threads = get(server.url + f"/environment/{THREADS}")
    assert "No task ran in this environment." in threads
    assert '<td id="environment-task-count">0</td>' in threads  # no link to an empty list


def test_task_page_shows_files_and_environment(server: BackgroundServer) -> None:
    _, _, task = get(server.url + "/workflow/run-a/task/1")
    assert f'<a href="/environment/{HTEX}">htex</a>' in task
    assert "Read (inputs): 1" in task and "Written (outputs): 1" in task
    assert f'<a href="/file/{file_id_of("run-a", OUT_0)}">{OUT_0}</a>' in task
    _, _, live = get(server.url + "/workflow/run-b/task/3")  # a run without provenance
    assert 'id="task-environment"' not in live and "Read (inputs)" not in live


def test_names_are_escaped_everywhere(server: BackgroundServer) -> None:
    fid = file_id_of("run-a", PURE_INPUT)
    for path in (
        "/files",
        "/files?q=" + quote("%params&<v2>%"),
        f"/file/{fid}",
        "/workflow/run-a/files",
        "/workflow/run-a/task/0",
    ):
        _, _, body = get(server.url + path)
        assert ESCAPED in body, path
        assert "<v2>" not in body and '"best"' not in body, path
    _, _, searched = get(server.url + "/files?q=" + quote('"><script>alert(1)</script>'))
    assert "<script>alert" not in searched and "&lt;script&gt;" in searched


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/file/nope", 404, "no file with id &#39;nope&#39;"),
        ("/environment/nope", 404, "no environment with id &#39;nope&#39;"),
        ("/workflow/nope/files", 404, "no workflow with run id &#39;nope&#39;"),
        ("/files?page=abc", 400, "page=&#39;abc&#39; is not a whole number"),
        ("/files?q=" + "%25" * 1001, 400, "at most 1000 are searched"),
        ("/workflow/run-a/files?direction=sideways", 400, "choose &#39;input&#39; or"),
        ("/workflow/run-a/files?page=-1", 400, "must be at least 0"),
        (f"/file/{file_id_of('run-a', OUT_0)}?page=x", 400, "is not a whole number"),
    ],
)
def test_bad_provenance_requests_are_plain_pages(
    server: BackgroundServer, path: str, status: int, message: str
) -> None:
    code, ctype, body = get(server.url + path)
    assert code == status and ctype.startswith("text/html")
    assert message in body and "Traceback" not in body
    assert '<a href="/files">Files</a>' in body
    code, ctype, data = get(server.url + path + ("&" if "?" in path else "?") + "format=json")
    assert code == status and ctype == "application/json" and json.loads(data)["error"]


def test_report_carries_the_files_table(db: Database) -> None:
    page = build_report(db, "run-a")
    assert '<a href="#files">Files</a>' in page and 'id="run-files-table"' in page
    assert "The first 50 of" in page and ESCAPED in page
    assert "/file/" not in page and "/environment/" not in page  # no links out of the file
    assert "SrunLauncher" in page and NOTES[0] in page
    assert 'id="task-12-files"' in page  # a failed task's detail has its files too
    assert 'id="run-files-table"' not in build_report(db, "run-b")


@pytest.mark.timeout(120)
def test_big_run_files_are_paged(tmp_path: Path) -> None:
    url, engine = new_database(tmp_path / "big.db")
    spec = WorkflowSpec(
        run_id="big", tasks=4000, samples_per_try=0, failed_every=0, memo_every=0, provenance=True
    )
    build_workflow(engine, spec)
    engine.dispose()
    db = open_database(url)
    srv = BackgroundServer(db)
    try:
        _, _, wf = get(srv.url + "/workflow/big")
        assert '<td id="file-count">3001</td>' in wf  # 3 of 4 apps write one each, one input
        _, _, last = get(srv.url + "/workflow/big/files?page=119")
        assert "page 120 of 120 (6000 rows)" in last and ">3998</a>" in last
        plots = sum(str(t).startswith("3") for t in range(2, 4000, 4))  # plot_3*.png
        _, _, found = get(srv.url + "/files?q=" + quote("%/plot_3%") + "&page=1")
        assert f"page 2 of {-(-plots // 50)} ({plots} rows)" in found
        _, _, reader = get(srv.url + f"/file/{file_id_of('big', PURE_INPUT)}?page=19")
        assert "1000 task tries read it." in reader and "page 20 of 20" in reader
    finally:
        srv.stop()
        db.close()
