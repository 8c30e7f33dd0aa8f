"""File provenance over real htex workers on LocalProvider: Parsl's documented scenario.

A bash app writes a file, a python app splits it into four, four apps process
one each, and one combines them: seven tasks, ten files (each written once),
nine reads, and two notes from ``log_info``, as Parsl records it. The files
are read back by the monitoring writer for their sizes and md5 sums, and the
executor's environment names its provider, launcher and worker_init.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from monitoring_db import rows

import parsl
from parsl import File, bash_app, python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.monitoring import MonitoringHub
from parsl.providers import LocalProvider

pytestmark = pytest.mark.timeout(180)


@bash_app
def initialize(outputs: list[File] = []) -> str:  # noqa: B006
    return f"echo 'Initialized' > {outputs[0]}"


@python_app
def split_data(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    with open(inputs[0]) as fh:
        data = fh.read()
    for i, op in enumerate(outputs):
        with open(op, "w") as out:
            out.write(f"{i + 1}\n{data}")


@python_app
def process(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    with open(inputs[0]) as fh, open(outputs[0], "w") as out:
        out.write(f"{fh.read()} processed")


@python_app
def combine(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
    with open(outputs[0], "w") as out:
        for f in inputs:
            with open(f) as fh:
                out.write(fh.read() + "\n")


def test_parsl_provenance_scenario_on_htex(tmp_path: Path) -> None:
    db = tmp_path / "monitoring.db"
    work = tmp_path / "provenance"
    work.mkdir()
    config = Config(
        executors=[
            HighThroughputExecutor(
                label="htex_local",
                address="127.0.0.1",
                max_workers_per_node=2,
                provider=LocalProvider(
                    init_blocks=1, min_blocks=1, max_blocks=1, worker_init="export PROV=1"
                ),
            )
        ],
        run_dir=str(tmp_path / "runinfo"),
        strategy="simple",
        strategy_period=0.1,
        monitoring=MonitoringHub(logging_endpoint=f"sqlite:///{db}", capture_file_provenance=True),
    )
    with parsl.load(config) as dfk:
        run_id = dfk.run_id
        dfk.log_info("Starting Run")
        init = initialize(outputs=[File(str(work / "initialize.txt"))])
        sd = split_data(
            inputs=[init.outputs[0]],
            outputs=[File(str(work / f"split_data_{i}.txt")) for i in range(4)],
        )
        p = [
            process(inputs=[o], outputs=[File(str(work / f"processed_data_{i}.txt"))])
            for i, o in enumerate(sd.outputs)
        ]
        c = combine(
            inputs=[pp.outputs[0] for pp in p], outputs=[File(str(work / "combined_data.txt"))]
        )
        c.result(timeout=90)
        dfk.log_info("Ending run")

    def count(table: str) -> int:
        return int(rows(db, f"SELECT COUNT(*) FROM {table} WHERE run_id = ?", run_id)[0][0])

    # Parsl's counts, under both of the names Parsl's code uses for the tables.
    assert count("task") == 7
    assert count("file") == count("files") == 10
    assert count("input_file") == count("input_files") == 9
    assert count("output_file") == count("output_files") == 10
    assert count("misc_info") == 2

    [(env_id, label, provider, launcher, worker_init, address)] = rows(
        db,
        "SELECT environment_id, label, provider, launcher, worker_init, address "
        "FROM environment WHERE run_id = ?",
        run_id,
    )
    assert (label, provider, launcher) == ("htex_local", "LocalProvider", "SingleNodeLauncher")
    assert worker_init == "export PROV=1" and address == "127.0.0.1"
    assert rows(db, "SELECT DISTINCT task_environment FROM task WHERE run_id = ?", run_id) == [
        (env_id,)
    ]

    combined = work / "combined_data.txt"
    [(task_id, size, md5)] = rows(
        db, "SELECT task_id, size, md5sum FROM file WHERE file_name = ?", str(combined)
    )
    assert task_id == c.tid
    assert size == os.path.getsize(combined)
    assert md5 == hashlib.md5(combined.read_bytes()).hexdigest()
    # Who read what the split wrote: each processing task one file.
    readers = rows(
        db,
        "SELECT i.task_id, f.file_name FROM input_file i JOIN file f ON f.file_id = i.file_id "
        "WHERE f.task_id = ? ORDER BY i.task_id",
        sd.tid,
    )
    assert readers == [(pp.tid, str(work / f"split_data_{i}.txt")) for i, pp in enumerate(p)]
