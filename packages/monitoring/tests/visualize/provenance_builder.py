"""File provenance rows for a built workflow, as MonitoringHub(capture_file_provenance=True) writes.

The apps of :mod:`workflow_builder` form a pipeline: every ``simulate`` try
reads one shared input (a file no task wrote: ``task_id`` NULL, and a name
HTML must escape) and a finished ``simulate`` task writes ``out_N.h5``; the
``analyse`` task after it reads that and writes ``result_N.csv``, which the
``plot`` task after it reads before writing ``plot_N.png``. Each executor
has an environment (``htex`` ran every task; ``threads`` none), and the run
has two notes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow_builder import WorkflowSpec

PURE_INPUT = '/data/in/params&<v2>\'s "best".json'
"""The input every ``simulate`` try reads; no task wrote it."""

NOTES = ("starting the sweep", "all <simulate> results written & checked")
"""The two notes (``misc_info``) of a run, the second logged when the last task is submitted."""

_STEPS = ("sim/out_{}.h5", "ana/result_{}.csv", "plot/plot_{}.png")
"""What the first three apps write (by position in ``spec.apps``)."""


def file_id_of(run_id: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}\0{name}"))


def environment_id_of(run_id: str, label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{run_id}\0env\0{label}"))


def written_name(spec: WorkflowSpec, task_id: int) -> str | None:
    """The file task ``task_id`` writes when it finishes (None for an app that writes none)."""
    step = task_id % len(spec.apps)
    if step >= len(_STEPS):
        return None
    return f"/scratch/{spec.run_id}/" + _STEPS[step].format(task_id)


def _file_row(spec: WorkflowSpec, name: str, task_id: int | None, try_id: int | None) -> Any:
    when = spec.start + dt.timedelta(seconds=(task_id or 0) * 0.05 + 1)
    return {
        "file_name": name,
        "file_id": file_id_of(spec.run_id, name),
        "run_id": spec.run_id,
        "task_id": task_id,
        "try_id": try_id,
        "timestamp": when if task_id is not None else spec.start - dt.timedelta(days=1),
        "size": 2048 if task_id is None else (task_id + 1) * 1_048_576,
        "md5sum": hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(),
    }


def _environments(spec: WorkflowSpec) -> list[dict[str, Any]]:
    return [
        {
            "environment_id": environment_id_of(spec.run_id, "htex"),
            "run_id": spec.run_id,
            "label": "htex",
            "address": "10.1.2.3",
            "provider": "SlurmProvider",
            "launcher": "SrunLauncher",
            "worker_init": "module load python/3.11\nsource ~/envs/sim/bin/activate",
        },
        {
            "environment_id": environment_id_of(spec.run_id, "threads"),
            "run_id": spec.run_id,
            "label": "threads",
            "address": None,
            "provider": None,
            "launcher": None,
            "worker_init": None,
        },
    ]


def provenance_rows(
    spec: WorkflowSpec, outcomes: dict[int, tuple[str, int]]
) -> dict[str, list[dict[str, Any]]]:
    """Rows by table name, given each task's (final state, number of tries)."""
    out: dict[str, list[dict[str, Any]]] = {
        "environment": _environments(spec),
        "file": [_file_row(spec, PURE_INPUT, None, None)],
        "input_file": [],
        "output_file": [],
        "misc_info": [
            {
                "run_id": spec.run_id,
                "timestamp": spec.start + dt.timedelta(seconds=0.01),
                "info": NOTES[0],
            },
            {
                "run_id": spec.run_id,
                "timestamp": spec.start + dt.timedelta(seconds=spec.tasks * 0.05),
                "info": NOTES[1],
            },
        ],
    }
    written: set[str] = set()
    for tid in sorted(outcomes):
        state, tries = outcomes[tid]
        step = tid % len(spec.apps)
        reads: str | None = None
        if step == 0:
            reads = PURE_INPUT
        elif step < len(_STEPS):
            before = written_name(spec, tid - 1)
            reads = before if before in written else None
        use = {"run_id": spec.run_id, "task_id": tid}
        if reads is not None:
            out["input_file"] += [
                {**use, "file_id": file_id_of(spec.run_id, reads), "try_id": k}
                for k in range(tries)
            ]
        name = written_name(spec, tid)
        if name is not None and state == "exec_done":
            written.add(name)
            out["file"].append(_file_row(spec, name, tid, tries - 1))
            out["output_file"].append(
                {**use, "file_id": file_id_of(spec.run_id, name), "try_id": tries - 1}
            )
    return out
