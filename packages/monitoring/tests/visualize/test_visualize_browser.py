"""parsl-visualize in a real browser: Debian's headless Chromium driven by Playwright.

Every page must render with its data and without a JavaScript console
error; a live page must change while rows are added, without reloading.
Each page's screenshot is written to build/screenshots/ (repo root).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from provenance_builder import PURE_INPUT, environment_id_of, file_id_of
from sqlalchemy import update
from workflow_builder import SCREENSHOTS, MonitoringDB, add_running_tasks

from parsl.monitoring.db import tables
from parsl.monitoring.visualization import BackgroundServer, write_report
from parsl.monitoring.visualization.database import Database

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page whose console errors and uncaught exceptions are collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.errors.append(msg.text)

    def open(self, url: str, shot: str) -> Page:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"), full_page=True)
        assert self.errors == [], f"console errors on {url}: {self.errors}"
        return self.page


@pytest.fixture
def watched(browser: Browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield Watched(page)
    context.close()


PAGES = [
    ("workflows", "/", ["#workflows-table", "text=run-a", "text=run-b"]),
    ("workflow", "/workflow/run-a", ["#summary-table", "#apps-table", "svg.chart rect"]),
    ("workflow-running", "/workflow/run-b", ["#summary-table", "text=running"]),
    ("tasks", "/workflow/run-a/tasks", ["#tasks-table", "#task-filter"]),
    ("tasks-failed", "/workflow/run-a/tasks?state=failed", ["#tasks-table"]),
    ("dag-by-app", "/workflow/run-a/dag", ["svg.dag circle.node", "svg.dag line.edge"]),
    ("dag-by-state", "/workflow/run-a/dag?color=state", ["svg.dag circle.node"]),
    (
        "resources",
        "/workflow/run-a/resources?memory_mb=250",
        [
            "#dist-table svg",
            "#memory-table",
            "#efficiency-table",
            "#nodes-table",
            "#nodes svg.chart rect",
            "#blocks svg",
        ],
    ),
    (
        "task-failed",
        "/workflow/run-a/task/12",
        [
            "#fail-reason",
            "#status-table",
            "#tries-table",
            "#cpu svg polyline",
            "#memory svg polyline",
        ],
    ),
    ("task-with-output", "/workflow/run-a/task/2", ["#tail-stdout", "#tail-stderr"]),
    (
        "workflow-provenance",
        "/workflow/run-a",
        ["#file-summary-table", "#environments-table", "#notes-table"],
    ),
    ("run-files", "/workflow/run-a/files", ["#run-files-table", "#direction-switch", ".pager"]),
    ("files-search", "/files?q=%25.csv", ["#file-search", "#files-table"]),
    ("files-all", "/files", ["#files-table", "text=—"]),
    (
        "file",
        f"/file/{file_id_of('run-a', '/scratch/run-a/sim/out_0.h5')}",
        ["#file-facts", "#writers-table", "#readers-table", "#file-writer a"],
    ),
    ("file-input", f"/file/{file_id_of('run-a', PURE_INPUT)}", ["#file-facts", "#readers-table"]),
    (
        "environment",
        f"/environment/{environment_id_of('run-a', 'htex')}",
        ["#environment-facts", "#worker-init", "#environment-states"],
    ),
    (
        "task-files",
        "/workflow/run-a/task/1",
        ["#task-input-files", "#task-output-files", "#task-environment a"],
    ),
]


@pytest.mark.parametrize(("shot", "path", "selectors"), PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_without_console_errors(
    server: BackgroundServer, watched: Watched, shot: str, path: str, selectors: list[str]
) -> None:
    page = watched.open(server.url + path, shot)
    for sel in selectors:
        assert page.locator(sel).count() > 0, f"{sel} missing on {path}"


def test_links_lead_somewhere(server: BackgroundServer, watched: Watched) -> None:
    page = watched.open(server.url + "/", "workflows")
    page.click("#workflows-table >> text=run-a >> nth=0")
    page.wait_for_selector("#apps-table")
    page.click("#apps-table >> text=simulate")
    page.wait_for_selector("#tasks-table")
    assert page.locator("#tasks-table tr").count() == 16  # header + 15 simulate tasks
    page.click('#tasks-table a >> text="12"')
    page.wait_for_selector("#fail-reason")
    assert "ValueError" in page.text_content("#fail-reason")  # type: ignore[operator]
    page.goto(server.url + "/workflow/run-a/resources")
    page.fill("#memory-mb", "350")
    page.click("text=Show")
    page.wait_for_url("**memory_mb=350**")
    assert "over 350 MiB" in page.text_content("#over-count")  # type: ignore[operator]
    assert watched.errors == []


def test_file_provenance_links_lead_somewhere(server: BackgroundServer, watched: Watched) -> None:
    """Search a file, open it, its writer task, that task's environment and its tasks."""
    page = watched.open(server.url + "/workflow/run-a", "workflow")
    page.click("header >> text=Files")
    page.wait_for_selector("#file-search")
    page.fill("#file-q", "%out_0.h5")
    page.click("#file-search button")
    page.wait_for_url("**q=%25out_0.h5**")
    assert page.locator("#files-table tr").count() == 2  # header + out_0.h5 ("_" is no wildcard)
    page.click('#files-table >> text="/scratch/run-a/sim/out_0.h5"')
    page.wait_for_selector("#file-facts")
    assert page.text_content("#file-name") == "/scratch/run-a/sim/out_0.h5"
    page.click("#file-writer >> text=task 0")
    page.wait_for_selector("#task-input-files")
    assert PURE_INPUT in page.text_content("#task-input-files")  # type: ignore[operator]
    page.click("#task-environment a")
    page.wait_for_selector("#worker-init")
    page.click("#environment-task-count a")
    page.wait_for_selector("#tasks-table")
    assert "that ran in environment htex" in page.text_content("#tasks h2")  # type: ignore[operator]
    page.select_option("#task-filter select[name=state]", "failed")
    page.click("#task-filter button")
    page.wait_for_url("**state=failed**")
    assert "environment=" in page.url and page.locator("#tasks-table tr").count() == 5
    assert watched.errors == []


def test_bad_run_id_is_a_404_page(server: BackgroundServer, watched: Watched) -> None:
    response = watched.page.goto(server.url + "/workflow/missing-run")
    assert response is not None and response.status == 404
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watched.page.screenshot(path=str(SCREENSHOTS / "not-found.png"))
    assert "no workflow with run id 'missing-run'" in watched.page.text_content("#error-message")  # type: ignore[operator]


def test_live_page_updates_while_rows_are_added(
    server: BackgroundServer, watched: Watched, monitoring_db: MonitoringDB
) -> None:
    page = watched.open(server.url + "/workflow/run-b", "live-before")
    assert page.text_content("#task-total") == "30"
    page.evaluate("window.__sameDocument = true")
    add_running_tasks(monitoring_db.engine, monitoring_db.running, first=30, count=25)
    page.wait_for_function(
        "document.getElementById('task-total').textContent === '55'", timeout=15000
    )
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded instead of updating"
    assert "exec_done" in page.text_content("[data-live=progress]")  # type: ignore[operator]
    # The workflow finishes: the page says so, and stops polling.
    with monitoring_db.engine.begin() as conn:
        conn.execute(
            update(tables.workflow)
            .where(tables.workflow.c.run_id == "run-b")
            .values(time_completed=dt.datetime.now())
        )
    page.wait_for_function(
        "document.querySelector('#summary-table .status-completed') !== null", timeout=15000
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "live-after.png"), full_page=True)
    assert watched.errors == []


def test_live_task_page_follows_its_task(
    server: BackgroundServer, watched: Watched, monitoring_db: MonitoringDB
) -> None:
    page = watched.open(server.url + "/workflow/run-b/task/28", "task-running")
    before = page.locator("#status-table tr").count()
    with monitoring_db.engine.begin() as conn:
        conn.execute(
            tables.status.insert(),
            [
                {
                    "task_id": 28,
                    "task_status_name": "exec_done",
                    "run_id": "run-b",
                    "try_id": 0,
                    "timestamp": dt.datetime.now(),
                }
            ],
        )
    page.wait_for_function(
        f"document.querySelectorAll('#status-table tr').length > {before}", timeout=15000
    )
    assert watched.errors == []


def test_report_opens_offline(browser: Browser, db: Database, tmp_path: Path) -> None:
    path = write_report(db, "run-a", tmp_path / "run-a.html")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, offline=True)
    page = context.new_page()
    w = Watched(page)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
    assert requests == [path.as_uri()], f"the report fetched more than itself: {requests}"
    assert w.errors == []
    assert page.locator("svg.chart").count() >= 4
    page.click('#tasks-table a >> text="12"')
    assert page.evaluate("location.hash") == "#task-12-facts"
    context.close()


def test_live_refresh_keeps_what_the_user_typed(
    server: BackgroundServer, watched: Watched, monitoring_db: MonitoringDB
) -> None:
    page = watched.open(server.url + "/workflow/run-b/resources", "resources-running")
    before = page.text_content("#over-count")
    page.fill("#memory-mb", "77")
    add_running_tasks(monitoring_db.engine, monitoring_db.running, first=30, count=25)
    page.wait_for_function(
        f"document.getElementById('over-count').textContent !== {before!r}", timeout=15000
    )
    assert page.input_value("#memory-mb") == "77"
    assert watched.errors == []
