"""globus-compute-endpoint (PyPI, requires parsl) runs Globus Compute tasks on our htex.

``globus_compute_endpoint.engines.GlobusComputeEngine`` wraps Parsl's
HighThroughputExecutor: it starts the interchange through its own CLI
(``globus-compute-endpoint python-exec ...interchange``), scales with the
kernel's ``JobStatusPoller``, submits each task with ``submit_payload`` and a
``task_executor`` context (the worker imports the endpoint's
``execute_task`` and runs it on the raw task message), and reports status
from ``connected_managers()``, ``connected_managers_packages()``,
``outstanding()`` and ``_task_counter``. ``globus_compute_engine_workflow.py``
drives the engine as an endpoint process would (no Globus service), in a
fresh interpreter and a process group of its own (stopped by pid if it
overruns). Installed with ``--no-deps`` beside ours by tools/setup-env.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from child_processes import pid_alive, run_in_own_group

HERE = Path(__file__).resolve().parent


@pytest.mark.timeout(240)
@pytest.mark.parametrize("launch", ["ours", "parsl"])
def test_globus_compute_engine_runs_tasks_on_htex_workers(tmp_path: Path, launch: str) -> None:
    args = [sys.executable, str(HERE / "globus_compute_engine_workflow.py"), str(tmp_path)]
    if launch == "parsl":  # a Parsl-style launch_cmd, which the engine rewrites
        args.append("--parsl-launch-cmd")
    done = run_in_own_group(args, timeout=200)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = {
        name: json.loads(value)
        for name, value in (line.split(": ", 1) for line in done.stdout.splitlines())
    }
    # The engine's own launch command for the interchange ran it.
    assert lines["interchange_launch_cmd"][:2] == ["globus-compute-endpoint", "python-exec"]
    assert lines["task_counter_before"] == 0
    if launch == "parsl":  # the worker pool started through the endpoint's CLI as well
        assert lines["launch_cmd"].startswith(
            "globus-compute-endpoint python-exec parsl.executors.high_throughput.process_worker_pool"
        )

    assert lines["ok_error"] is False
    assert lines["ok"]["value"] == 42
    worker = lines["ok"]["pid"]
    started = lines["started_pids"]
    assert worker in started  # a process the engine started, not the script or the interchange
    assert worker not in (lines["client_pid"], lines["interchange_pid"])

    assert lines["bad_error"] is True
    assert "ValueError: refused seven" in lines["bad_text"]

    assert lines["managers"] == 1
    # Each manager lists the packages installed where it runs.
    assert list(lines["manager_packages"].values()) == [["4.19.0", "4.19.0"]]
    assert lines["status"] == {
        "managers": 1,
        "total_workers": 2,
        "outstanding_tasks": 0,
        "total_tasks": 2,
    }
    [(job, [node])] = lines["node_info"].items()  # keyed by the provider's job id
    assert int(job) in started  # LocalProvider's job id: the pid of the block's shell
    assert (node["worker_count"], node["endpoint_version"]) == (2, "4.19.0")

    # engine.shutdown() stopped the interchange, the worker pool and its workers.
    assert lines["interchange_pid"] in started
    assert lines["alive_after_shutdown"] == []
    assert [pid for pid in started if pid_alive(pid)] == []
