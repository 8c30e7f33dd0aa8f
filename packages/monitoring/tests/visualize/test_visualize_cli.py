"""The parsl-visualize command: opening databases, bad input, the report, and serving."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from workflow_builder import MonitoringDB

from parsl.monitoring.db import tables
from parsl.monitoring.visualization import (
    DatabaseOpenError,
    DatabaseURLError,
    NotFoundError,
    SchemaVersionError,
    build_report,
    open_database,
)
from parsl.monitoring.visualization.cli import main

SCRIPT = Path(sys.executable).with_name("parsl-visualize")


@pytest.mark.parametrize(
    ("url", "error", "message"),
    [
        ("mysql://u@localhost/db", DatabaseURLError, "unknown database dialect 'mysql'"),
        ("oracle+cx_oracle://x", DatabaseURLError, "reads SQLite"),
        ("runinfo/monitoring.db", DatabaseURLError, "write 'sqlite:///runinfo/monitoring.db'"),
        ("sqlite://", DatabaseURLError, "names no database file"),
        ("postgresql://::bad", DatabaseURLError, "not a valid database URL"),
        ("postgresql://u@h:port/db", DatabaseURLError, "not a valid database URL"),
        ("not a url://x", DatabaseURLError, "not a valid database URL"),
    ],
)
def test_bad_urls(url: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        open_database(url)


def test_missing_file_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "nothing.db"
    with pytest.raises(DatabaseOpenError, match="no monitoring database at"):
        open_database(f"sqlite:///{target}")
    assert not target.exists()


def test_other_schema_version_is_refused(monitoring_db: MonitoringDB) -> None:
    with contextlib.closing(sqlite3.connect(monitoring_db.path)) as raw, raw:
        raw.execute("UPDATE parsl_schema SET version = 1")
    expected = f"schema version 1; this parsl-visualize reads version {tables.SCHEMA_VERSION}"
    with pytest.raises(SchemaVersionError, match=expected):
        open_database(monitoring_db.url)


def test_database_without_version_table_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/parsl-like.db"
    engine = create_engine(url)
    tables.workflow.create(engine)
    tables.task.create(engine)
    engine.dispose()
    with pytest.raises(SchemaVersionError, match="no parsl_schema table"):
        open_database(url)


def test_empty_and_garbage_files(tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "empty.db").close()
    (tmp_path / "empty.db").touch()
    with pytest.raises(SchemaVersionError, match="none of the monitoring tables"):
        open_database(f"sqlite:///{tmp_path}/empty.db")
    (tmp_path / "junk.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseOpenError, match="cannot read"):
        open_database(f"sqlite:///{tmp_path}/junk.db")


def test_missing_postgresql_server_is_a_clear_error() -> None:
    # Nothing listens on this loopback port: a clear error, whatever the driver says.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises((DatabaseOpenError, DatabaseURLError), match=r"cannot (read|load)"):
        open_database(f"postgresql+psycopg://nobody@127.0.0.1:{port}/monitoring")


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["mysql://u@h/db"]) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("parsl-visualize: error: unknown database dialect")
        and "Traceback" not in err
    )
    assert main(["-p", "70000", f"sqlite:///{tmp_path}/x.db"]) == 1
    assert "is not a TCP port" in capsys.readouterr().err


def test_cli_port_in_use(monitoring_db: MonitoringDB, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port), monitoring_db.url]) == 1
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is already in use; choose another with --port" in err
    # The database it had opened is let go (no descriptor of this process left on it).
    assert not open_on(monitoring_db.path)


def open_on(path: str | os.PathLike[str]) -> list[str]:
    """This process's file descriptors open on ``path``."""
    real = os.path.realpath(path)
    found = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") == real:
                found.append(fd)
    return found


def test_cli_report_writes_one_self_contained_file(
    monitoring_db: MonitoringDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports" / "run.html"
    assert main(["report", "run-a", "-o", str(out), monitoring_db.url]) == 0
    assert "wrote the report of run-a" in capsys.readouterr().out
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<style>" in html and "<svg" in html
    no_ns = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"(src|href)=\"(https?:)?//", no_ns), "report refers to something outside"
    assert "http://" not in no_ns and "https://" not in no_ns
    assert 'href="/' not in html, "report links to server pages that do not exist offline"
    assert "data-poll" not in html
    # the same views as the web pages
    for section in (
        "summary",
        "progress",
        "apps",
        "tries-per-app",
        "stream",
        "dag",
        "tasks",
        "distributions",
        "over-memory",
        "efficiency",
        "nodes",
        "blocks",
    ):
        assert f'<section id="{section}">' in html
    # failed tasks in full, linked from the task table
    assert '<section id="task-12-facts">' in html and 'href="#task-12-facts"' in html
    assert "ValueError: bad input 12 (try 1)" in html


def test_cli_report_of_unknown_run(
    monitoring_db: MonitoringDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.html"
    assert main(["report", "nope", "-o", str(out), monitoring_db.url]) == 1
    assert "no workflow with run id 'nope'" in capsys.readouterr().err
    assert not out.exists()


def test_report_unwritable_target(
    monitoring_db: MonitoringDB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", "run-a", "-o", str(blocker / "run.html"), monitoring_db.url]) == 1
    assert "cannot write the report to" in capsys.readouterr().err


def test_report_api_unknown_run(monitoring_db: MonitoringDB) -> None:
    db = open_database(monitoring_db.url)
    try:
        with pytest.raises(NotFoundError):
            build_report(db, "nope")
    finally:
        db.close()


def test_default_url_is_runinfo_in_cwd(
    tmp_path: Path,
    monitoring_db: MonitoringDB,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    here = tmp_path / "project"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["report", "run-a", "-o", "r.html"]) == 1
    assert f"no monitoring database at {here}/runinfo/monitoring.db" in capsys.readouterr().err
    os.link(monitoring_db.path, here / "monitoring.db")  # run from inside runinfo/
    assert main(["report", "run-a", "-o", "r.html"]) == 0
    assert "sqlite:///./monitoring.db" in (here / "r.html").read_text()
    (here / "runinfo").mkdir()
    os.link(monitoring_db.path, here / "runinfo" / "monitoring.db")
    assert main(["report", "run-a", "-o", "r.html"]) == 0
    assert "sqlite:///./runinfo/monitoring.db" in (here / "r.html").read_text()


@pytest.fixture
def served(monitoring_db: MonitoringDB) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The real console script, serving on a free loopback port; stopped by its pid."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(SCRIPT), "--port", str(port), "--listen", "127.0.0.1", "--debug", monitoring_db.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"at http://127.0.0.1:{port}/" in line, line + proc.stderr.read()  # type: ignore[union-attr]
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.timeout(60)
def test_console_script_serves_and_stops_on_sigterm(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    proc, url = served
    with urllib.request.urlopen(url + "/", timeout=10) as r:
        assert r.status == 200 and "run-a" in r.read().decode()
    os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.returncode == 0
