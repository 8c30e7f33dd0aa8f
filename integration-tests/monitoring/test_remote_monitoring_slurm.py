"""Remote monitoring of htex on the real one-node Slurm: block rows carry the batch job, node rows the manager.

The block's manager runs inside a Slurm batch job (through ``SrunLauncher``);
its worker reports over htex's channel. The MonitoringHub's database gets
``block`` rows for each provider state the block passes through (with the
Slurm job id), ``node`` rows for the manager, and running/running_ended and
resource rows from the worker.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from monitoring_db import rows

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import SrunLauncher
from parsl.monitoring import MonitoringHub
from parsl.monitoring.radios import HTEXRadio, UDPRadio
from parsl.providers import SlurmProvider

pytestmark = pytest.mark.timeout(240)


@python_app
def job_id_after(seconds: float) -> str:
    import os
    import time

    time.sleep(seconds)
    return os.environ.get("SLURM_JOB_ID", "none")


@pytest.mark.parametrize("radio", [HTEXRadio, UDPRadio])
def test_block_and_node_rows_for_htex_on_slurm(slurm: Any, tmp_path: Path, radio: Any) -> None:
    db = tmp_path / "monitoring.db"
    provider = SlurmProvider(
        partition="debug",
        launcher=SrunLauncher(),
        exclusive=False,
        init_blocks=1,
        min_blocks=0,
        max_blocks=1,
        walltime="00:05:00",
        nodes_per_block=1,
    )
    provider.polling_interval_s = 0.5  # type: ignore[attr-defined]
    htex = HighThroughputExecutor(
        label="slurm_htex",
        provider=provider,
        max_workers_per_node=1,
        heartbeat_period=1,
        heartbeat_threshold=5,
        remote_monitoring_radio=radio(),
    )
    hub = MonitoringHub(logging_endpoint=f"sqlite:///{db}", resource_monitoring_interval=0.2)
    config = Config(
        executors=[htex], run_dir=str(tmp_path / "runinfo"), monitoring=hub, strategy="none"
    )
    with parsl.load(config) as dfk:
        run_id = dfk.run_id
        seen = {f.result(timeout=120) for f in [job_id_after(0.5) for _ in range(3)]}
        jobs = dict(htex.blocks)  # block id -> Slurm job id
        assert seen <= set(jobs.values())
        time.sleep(2)  # a heartbeat and a status poll while running

    for block_id, job_id in jobs.items():
        blocks = rows(
            db,
            "SELECT status, job_id, executor_label FROM block WHERE run_id = ? AND block_id = ? "
            "ORDER BY timestamp",
            run_id,
            block_id,
        )
        states = [s for s, _, _ in blocks]
        assert states[0] == "PENDING" and "RUNNING" in states, states
        # Shutdown scales the block in (Parsl's SCALED_IN), then Slurm's own last state.
        assert states.count("SCALED_IN") == 1, states
        assert states[-1] in ("CANCELLED", "COMPLETED"), states
        assert {(j, label) for _, j, label in blocks} == {(job_id, "slurm_htex")}

    nodes = rows(
        db,
        "SELECT block_id, worker_count, cpu_count, total_memory FROM node WHERE run_id = ?",
        run_id,
    )
    assert nodes and all(n[0] in jobs and n[1] == 1 and n[2] >= 1 and n[3] > 0 for n in nodes)

    running = rows(
        db,
        "SELECT task_id, task_status_name FROM status WHERE run_id = ? "
        "AND task_status_name IN ('running', 'running_ended') ORDER BY task_id, timestamp",
        run_id,
    )
    assert running == [(t, s) for t in range(3) for s in ("running", "running_ended")]
    resource = rows(db, "SELECT DISTINCT task_id FROM resource WHERE run_id = ?", run_id)
    assert sorted(t for (t,) in resource) == [0, 1, 2]
