"""The database writer runs in its own process: it never outlives the workflow, ignores Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from parsl.dataflow.states import States
from parsl.monitoring.hub import MonitoringDatabaseError, MonitoringHub, query
from parsl.monitoring.hub.process import WriterProcess
from parsl.monitoring.sink import TaskTransition

PARENT = textwrap.dedent(
    """
    import os, sys, time
    from parsl.dataflow.states import States
    from parsl.monitoring.hub import MonitoringHub
    from parsl.monitoring.sink import TaskTransition

    url, run_dir, hold = sys.argv[1], sys.argv[2], sys.argv[3] == "fork"
    hub = MonitoringHub(logging_endpoint=url)
    hub.start("run-killed", run_dir)
    for tid in range(50):
        hub.task_transition(TaskTransition("run-killed", tid, 0, States.pending, time.time(),
                                           "f", "threads"))
    assert hub.flush()
    holder = 0
    if hold:  # a forked child keeps a copy of the pipe to the writer open
        holder = os.fork()
        if holder == 0:
            time.sleep(60)
            os._exit(0)
    print(hub._writer.pid, holder, flush=True)
    time.sleep(120)
    """
)


def _gone(pid: int) -> bool:
    """True when ``pid`` has exited (a zombie no one reaped counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _stop(pid: int) -> None:
    if pid and not _gone(pid):
        os.kill(pid, signal.SIGKILL)


@pytest.mark.timeout(90)
@pytest.mark.parametrize("hold", ["plain", "fork"])
def test_the_writer_process_exits_when_its_parent_is_killed(
    tmp_path: Path, sqlite_url: str, db_path: str, hold: str
) -> None:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script), sqlite_url, str(tmp_path / "runinfo"), hold],
        stdout=subprocess.PIPE,
        text=True,
    )
    writer_pid = holder = 0
    try:
        assert parent.stdout is not None
        writer_pid, holder = map(int, parent.stdout.readline().split())
        assert writer_pid and not _gone(writer_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        deadline = time.monotonic() + 20
        while not _gone(writer_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(writer_pid), f"writer process {writer_pid} outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(30)
        if parent.stdout is not None:
            parent.stdout.close()
        _stop(writer_pid)
        _stop(holder)
    # What was flushed before the kill is in a database that still opens.
    assert len(query.tasks(db_path, "run-killed")) == 50


def _ends_within(writer: WriterProcess, seconds: float) -> bool:
    """Whether the writer process has ended within ``seconds`` (waited on, not polled)."""
    writer.join(seconds)
    return not writer.is_alive()


@pytest.mark.timeout(60)
def test_sigint_to_the_writer_process_commits_what_it_has_and_stops_it(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    run_dir: str,
    transition: Callable[..., TaskTransition],
    run_id: str,
    db_path: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    started_hub = make_hub(logging_endpoint=sqlite_url)
    started_hub.start(run_id, run_dir)
    writer = started_hub._writer
    assert writer is not None and writer.pid is not None
    assert writer.pid != os.getpid()
    assert writer.ready.wait(20)
    assert os.getsid(writer.pid) != os.getsid(0)  # a Ctrl-C at the terminal does not reach it
    for tid in range(20):
        started_hub.task_transition(transition(tid, States.pending))
    assert started_hub.flush()
    os.kill(writer.pid, signal.SIGINT)  # as Parsl's test_kill_monitoring does to its dbm_proc
    assert _ends_within(writer, 20)
    assert len(query.tasks(db_path, run_id)) == 20  # what had arrived is committed
    started_hub.task_transition(transition(99, States.pending))  # nobody to write it now
    begin = time.monotonic()
    started_hub.close()
    assert time.monotonic() - begin < 5.0
    assert len(query.tasks(db_path, run_id)) == 20
    assert "stopped by SIGINT after writing 20 events" in str(started_hub.writer_error)
    assert started_hub.dropped_events == 1
    reports = [r for r in caplog.records if "stopped by SIGINT" in r.getMessage()]
    assert len(reports) == 1 and reports[0].levelno == logging.ERROR  # reported once


@pytest.mark.timeout(60)
def test_sigint_while_the_writer_process_starts_still_stops_it(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    run_dir: str,
    run_id: str,
    transition: Callable[..., TaskTransition],
) -> None:
    started_hub = make_hub(logging_endpoint=sqlite_url)
    started_hub.start(run_id, run_dir)
    writer = started_hub._writer
    assert writer is not None and writer.pid is not None
    os.kill(writer.pid, signal.SIGINT)  # at once: held until the writer can act on it
    assert _ends_within(writer, 20)
    assert started_hub.writer_error is not None  # stopped by SIGINT (or killed by it, if sooner)
    started_hub.task_transition(transition(1, States.pending))
    assert started_hub.dropped_events == 1
    begin = time.monotonic()
    started_hub.close()
    assert time.monotonic() - begin < 5.0


@pytest.mark.timeout(60)
def test_a_killed_writer_process_is_reported_and_later_events_dropped(
    make_hub: Callable[..., MonitoringHub],
    sqlite_url: str,
    run_dir: str,
    run_id: str,
    transition: Callable[..., TaskTransition],
    caplog: pytest.LogCaptureFixture,
) -> None:
    started_hub = make_hub(logging_endpoint=sqlite_url)
    started_hub.start(run_id, run_dir)
    writer = started_hub._writer
    assert writer is not None and writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    assert writer.failed.wait(20)
    error = started_hub.writer_error
    assert isinstance(error, MonitoringDatabaseError)
    assert f"pid {writer.pid}" in str(error) and "exited unexpectedly" in str(error)
    started_hub.task_transition(transition(1, States.pending))
    assert started_hub.dropped_events == 1
    assert started_hub.flush(timeout=1) is False
    begin = time.monotonic()
    started_hub.close()
    assert time.monotonic() - begin < 2.0
    assert any("exited unexpectedly" in r.getMessage() for r in caplog.records)


@pytest.mark.timeout(60)
def test_the_writer_process_collects_garbage_less_often_and_skips_its_startup_objects() -> None:
    # _tune_gc runs in the writer process only; here in a child of its own, so that this
    # process's collector keeps its settings.
    code = textwrap.dedent(
        """
        import gc
        from parsl.monitoring.hub.writer_process import GC_YOUNG_THRESHOLD, _tune_gc
        before = gc.get_threshold()
        _tune_gc()
        after = gc.get_threshold()
        assert after == (GC_YOUNG_THRESHOLD, *before[1:]) and after[0] > before[0], (before, after)
        assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()  # modules loaded so far
        cycle = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # cycles made later are still collected
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
