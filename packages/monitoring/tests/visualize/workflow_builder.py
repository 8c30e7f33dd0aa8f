"""Realistic monitoring databases for the parsl-visualize tests and tools/bench-visualize.

Rows go straight into ``parsl.monitoring.db.tables`` with SQLAlchemy, as
the MonitoringHub's writer would leave them: a workflow, its tasks in
every state (pending, launched, running, running_ended, exec_done, failed,
dep_fail, memo_done), one try per attempt (retries for failures), the
state history, resource samples per try, nodes and blocks; with
``provenance=True`` also files read and written, environments and notes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance_builder import environment_id_of, provenance_rows
from sqlalchemy import Engine, create_engine, insert

from parsl.monitoring.db import tables

REPO_ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
"""Where the browser tests write each page's screenshot (git-ignored)."""

T0 = dt.datetime(2026, 12, 1, 9, 0, 0)
APPS = ("simulate", "analyse", "plot", "fetch_input")
RUNNING_MIX = ("pending", "launched", "running", "running_ended")


def new_database(path: Path | str) -> tuple[str, Engine]:
    """Create a schema-version-stamped database file; returns (URL, engine for writing)."""
    url = f"sqlite:///{path}"
    return url, stamp_database(url)


def stamp_database(url: str) -> Engine:
    """Create the monitoring tables at ``url`` (any dialect) with the schema version; an engine."""
    engine = create_engine(url)
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(tables.parsl_schema), [{"version": tables.SCHEMA_VERSION}])
    return engine


@dataclass
class WorkflowSpec:
    run_id: str = "run-a"
    name: str = "demo"
    tasks: int = 60
    hosts: int = 2
    workers_per_host: int = 4
    completed: bool = True
    failed_every: int = 13
    """Every n-th task fails (after one retry); tasks depending on it end dep_fail."""
    memo_every: int = 17
    samples_per_try: int = 3
    output_dir: Path | None = None
    """If set, bash-like tasks get real stdout/stderr files here."""
    seed: int = 1
    start: dt.datetime = T0
    apps: tuple[str, ...] = APPS
    running_tail: int = 10
    """For a running workflow: how many of the last tasks are still in flight."""
    provenance: bool = False
    """Add file provenance rows (see :mod:`provenance_builder`): files, environments, notes."""
    extra: dict[str, Any] = field(default_factory=dict)


def _chunks(rows: list[dict[str, Any]], n: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), n):
        yield rows[i : i + n]


def _flush(engine: Engine, pending: dict[str, list[dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for name in ("task", "try", "status", "resource"):
            for chunk in _chunks(pending[name]):
                conn.execute(insert(tables.TABLES[name]), chunk)
            pending[name].clear()


def tries_of(state: str) -> int:
    """How many tries a task that ended in ``state`` has (retries for failures)."""
    return {"failed": 2, "dep_fail": 0, "memo_done": 0, "pending": 0}.get(state, 1)


def task_rows(
    spec: WorkflowSpec, first: int, count: int, rng: random.Random, state_of: dict[int, str]
) -> dict[str, list[dict[str, Any]]]:
    """Rows of tasks ``first .. first+count-1`` (task, try, status, resource)."""
    out: dict[str, list[dict[str, Any]]] = {"task": [], "try": [], "status": [], "resource": []}
    hosts = [f"node{h:02d}" for h in range(spec.hosts)]
    for tid in range(first, first + count):
        app = spec.apps[tid % len(spec.apps)]
        deps = (
            sorted({rng.randrange(max(0, tid - 40), tid) for _ in range(rng.randint(0, 2))})
            if tid
            else []
        )
        invoked = spec.start + dt.timedelta(seconds=tid * 0.05)
        in_tail = not spec.completed and tid >= spec.tasks - spec.running_tail
        if in_tail:
            state = RUNNING_MIX[tid % len(RUNNING_MIX)]
        elif any(state_of.get(d) in ("failed", "dep_fail") for d in deps):
            state = "dep_fail"
        elif spec.failed_every and tid % spec.failed_every == spec.failed_every - 1:
            state = "failed"
        elif spec.memo_every and tid % spec.memo_every == spec.memo_every - 1:
            state = "memo_done"
        else:
            state = "exec_done"
        state_of[tid] = state
        n_tries = tries_of(state)
        history = [("pending", invoked, 0)]
        t = invoked + dt.timedelta(seconds=0.01)
        host = hosts[tid % len(hosts)]
        fail_reason = None
        for k in range(n_tries):
            launched = t
            running = launched + dt.timedelta(seconds=0.02)
            runtime = 0.3 + (tid % 7) * 0.1 + rng.random() * 0.2
            returned = running + dt.timedelta(seconds=runtime)
            last = k == n_tries - 1
            try_state = state if last else "fail_retryable"
            reached_running = try_state not in ("launched",)
            ended = try_state in ("exec_done", "failed", "fail_retryable", "running_ended")
            why = (
                f"ValueError: bad input {tid} (try {k})"
                if try_state in ("failed", "fail_retryable")
                else None
            )
            fail_reason = why or fail_reason
            history.append(("launched", launched, k))
            if reached_running:
                history.append(("running", running, k))
            if ended:
                history.append(("running_ended", returned, k))
                if try_state != "running_ended":
                    history.append((try_state, returned + dt.timedelta(milliseconds=1), k))
            out["try"].append(
                {
                    "try_id": k,
                    "task_id": tid,
                    "run_id": spec.run_id,
                    "block_id": str(tid % len(hosts)),
                    "hostname": host,
                    "task_executor": "htex",
                    "task_try_time_launched": launched,
                    "task_try_time_running": running if reached_running else None,
                    "task_try_time_returned": returned if ended else None,
                    "task_fail_history": why,
                    "task_joins": None,
                    "task_try_fail_reason": why,
                }
            )
            if reached_running:
                samples = spec.samples_per_try
                for s in range(samples):
                    ts = running + dt.timedelta(seconds=runtime * (s + 1) / (samples + 1))
                    rss = (20 + (tid % 5) * 40 + s * 10 + (200 if app == "simulate" else 0)) * 2**20
                    out["resource"].append(
                        {
                            "try_id": k,
                            "task_id": tid,
                            "run_id": spec.run_id,
                            "timestamp": ts,
                            "resource_monitoring_interval": 1.0,
                            "psutil_process_pid": 1000 + tid,
                            "psutil_process_memory_percent": 1.0,
                            "psutil_process_children_count": 0,
                            "psutil_process_time_user": 0.1 * (s + 1),
                            "psutil_process_time_system": 0.01,
                            "psutil_process_memory_virtual": rss * 3,
                            "psutil_process_memory_resident": rss,
                            "psutil_process_disk_read": 4096.0 * s,
                            "psutil_process_disk_write": 1024.0 * s,
                            "psutil_process_status": "running",
                            "psutil_cpu_num": "0",
                            "psutil_process_num_ctx_switches_voluntary": 3.0,
                            "psutil_process_num_ctx_switches_involuntary": 1.0,
                            "psutil_process_cpu_percent": 30.0 + (tid % 4) * 20 + s * 5,
                            "psutil_process_num_threads": 2,
                            "hostname": host,
                        }
                    )
            t = returned + dt.timedelta(seconds=0.05)
        if state == "dep_fail":
            history.append(("dep_fail", t, 0))
        if state == "memo_done":
            history.append(("memo_done", t, 0))
        for name, ts, k in history:
            out["status"].append(
                {
                    "task_id": tid,
                    "task_status_name": name,
                    "timestamp": ts,
                    "run_id": spec.run_id,
                    "try_id": k,
                }
            )
        stdout = stderr = None
        if spec.output_dir is not None and app == "plot":
            stdout = str(spec.output_dir / f"task{tid}.out")
            stderr = str(spec.output_dir / f"task{tid}.err")
            Path(stdout).write_text(f"plotting {tid}\n" + "line\n" * 5 + f"done {tid}\n")
            Path(stderr).write_text(f"warning: task {tid} used a fallback font\n")
        final = state in ("exec_done", "failed", "dep_fail", "memo_done")
        out["task"].append(
            {
                "task_id": tid,
                "run_id": spec.run_id,
                "task_depends": ",".join(map(str, deps)) or None,
                "task_func_name": app,
                "task_memoize": str(state == "memo_done"),
                "task_hashsum": f"h{tid:08x}",
                "task_inputs": None,
                "task_outputs": None,
                "task_stdin": None,
                "task_stdout": stdout,
                "task_stderr": stderr,
                "task_time_invoked": invoked,
                "task_time_returned": t if final else None,
                "task_fail_count": 2 if state == "failed" else 0,
                "task_fail_cost": 2.0 if state == "failed" else 0.0,
                "task_status_name": state,
                "task_executor": "htex" if n_tries else None,
                "task_environment": environment_id_of(spec.run_id, "htex")
                if spec.provenance and n_tries
                else None,
                "task_fail_reason": fail_reason
                if state == "failed"
                else (
                    f"DependencyError: dependency of task {tid} failed"
                    if state == "dep_fail"
                    else None
                ),
            }
        )
    return out


def build_workflow(engine: Engine, spec: WorkflowSpec, chunk: int = 20000) -> None:
    """Insert one whole workflow described by ``spec``."""
    rng = random.Random(spec.seed)
    end = spec.start + dt.timedelta(seconds=spec.tasks * 0.05 + 5)
    failed = sum(
        1
        for t in range(spec.tasks)
        if spec.failed_every and t % spec.failed_every == spec.failed_every - 1
    )
    with engine.begin() as conn:
        conn.execute(
            insert(tables.workflow),
            [
                {
                    "run_id": spec.run_id,
                    "workflow_name": spec.name,
                    "workflow_version": "1.0",
                    "time_began": spec.start,
                    "time_completed": end if spec.completed else None,
                    "host": "login1",
                    "user": "alice",
                    "rundir": f"/home/alice/runinfo/{spec.run_id}",
                    "tasks_failed_count": failed if spec.completed else 0,
                    "tasks_completed_count": spec.tasks - failed if spec.completed else 0,
                }
            ],
        )
        for h in range(spec.hosts):
            conn.execute(
                insert(tables.node),
                [
                    {
                        "run_id": spec.run_id,
                        "hostname": f"node{h:02d}",
                        "uid": f"mgr-{h}",
                        "block_id": str(h),
                        "cpu_count": 8,
                        "total_memory": 16.0 * 2**30,
                        "active": not spec.completed,
                        "worker_count": spec.workers_per_host,
                        "python_v": "3.11.7",
                        "timestamp": spec.start,
                        "last_heartbeat": end,
                    }
                ],
            )
            for i, status in enumerate(
                ("PENDING", "RUNNING", "COMPLETED") if spec.completed else ("PENDING", "RUNNING")
            ):
                conn.execute(
                    insert(tables.block),
                    [
                        {
                            "run_id": spec.run_id,
                            "executor_label": "htex",
                            "block_id": str(h),
                            "job_id": f"{1000 + h}",
                            "timestamp": spec.start
                            + dt.timedelta(seconds=i * (spec.tasks * 0.025 + 1)),
                            "status": status,
                        }
                    ],
                )
    state_of: dict[int, str] = {}
    for first in range(0, spec.tasks, chunk):
        rows = task_rows(spec, first, min(chunk, spec.tasks - first), rng, state_of)
        _flush(engine, rows)
    if spec.provenance:
        with engine.begin() as conn:
            outcomes = {tid: (st, tries_of(st)) for tid, st in state_of.items()}
            for name, rows in provenance_rows(spec, outcomes).items():
                for part in _chunks(rows):
                    conn.execute(insert(tables.TABLES[name]), part)


def add_running_tasks(engine: Engine, spec: WorkflowSpec, first: int, count: int) -> None:
    """Append ``count`` tasks (from id ``first``) to a running workflow, as a live run would."""
    rng = random.Random(first)
    grown = WorkflowSpec(
        **{
            **spec.__dict__,
            "tasks": first + count,
            "completed": True,
            "failed_every": 0,
            "memo_every": 0,
        }
    )
    _flush(engine, task_rows(grown, first, count, rng, {}))


@dataclass
class MonitoringDB:
    """A database with a finished workflow ``run-a`` (with real output files) and a running ``run-b``."""

    url: str
    path: Path
    engine: Engine
    finished: WorkflowSpec
    running: WorkflowSpec
