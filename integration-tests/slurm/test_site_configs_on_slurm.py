"""The catalog's Slurm entries on the real one-node Slurm of the test setup.

Each Slurm-based entry is retargeted to this cluster: partition ``debug``,
one node per block, and without the directives that name things only the
site has (account, QOS, node features, GPU requests, core and memory
counts larger than this node). Everything else (the launcher-wrapped worker
command, worker_init, walltime, --exclusive) is the entry's own, rendered by
SlurmProvider, and ``sbatch --test-only`` must accept it. One entry then
runs a real workflow through its blocks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl.configs import Entry, Plugin, list_entries, load_config, parameters_of
from parsl.configs.render import render_block_script

pytestmark = pytest.mark.timeout(120)

#: Provider options and parameters that only make sense at the entry's own site.
SITE_ONLY = {
    "account",
    "qos",
    "constraint",
    "partition",
    "cores_per_node",
    "mem_per_node",
    "scheduler_options",
    "clusters",
}
SLURM_ENTRIES = [e for e in list_entries() if e.scheduler == "slurm" and not e.unavailable]


def retarget(entry: Entry) -> tuple[Entry, dict[str, Any]]:
    """The entry aimed at this cluster's partition ``debug``, and values for its remaining parameters."""
    options = {k: v for k, v in entry.provider.options.items() if k not in SITE_ONLY}
    options |= {"partition": "debug", "nodes_per_block": 1, "walltime": "00:05:00"}
    parameters = {
        name: p
        for name, p in entry.parameters.items()
        if p.target.removeprefix("provider.") not in SITE_ONLY
    }
    moved = entry.model_copy(
        update={
            "provider": Plugin(type=entry.provider.type, options=options),
            "parameters": parameters,
        }
    )
    params = {n: "true" for n, p in parameters_of(moved).items() if p.required}
    return moved, params


def test_there_are_slurm_entries_to_check() -> None:
    names = {e.name for e in SLURM_ENTRIES}
    assert {"perlmutter-cpu", "perlmutter-gpu", "frontier", "generic-slurm"} <= names


@pytest.mark.parametrize("entry", SLURM_ENTRIES, ids=lambda e: e.name)
def test_sbatch_test_only_accepts_the_rendered_script(
    slurm: object, entry: Entry, tmp_path: Path
) -> None:
    moved, params = retarget(entry)
    script = render_block_script(moved, params, script_dir=str(tmp_path))
    assert "#SBATCH --partition=debug" in script
    path = tmp_path / f"{entry.name}.sbatch"
    path.write_text(script)
    result = subprocess.run(
        ["sbatch", "--test-only", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"{entry.name}: sbatch rejected the script: {result.stderr}"
    assert "to start at" in result.stderr


def test_sbatch_test_only_rejects_an_unknown_partition(slurm: object, tmp_path: Path) -> None:
    """The check above can fail: the site's own partition does not exist here."""
    entry = next(e for e in SLURM_ENTRIES if e.name == "frontier")
    moved, params = retarget(entry)
    script = render_block_script(moved, params, script_dir=str(tmp_path))
    path = tmp_path / "frontier.sbatch"
    path.write_text(script.replace("--partition=debug", "--partition=batch"))
    result = subprocess.run(
        ["sbatch", "--test-only", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0 and "partition" in result.stderr.lower()


@pytest.mark.timeout(180)
def test_workflow_runs_through_the_generic_slurm_entry(slurm: object, tmp_path: Path) -> None:
    config = load_config("generic-slurm", partition="debug", env_setup="true", walltime="00:05:00")
    executor: Any = config.executors[0]
    executor.provider.exclusive = False
    executor.provider.polling_interval_s = 0.5
    executor.max_workers_per_node = 1
    config.run_dir = str(tmp_path / "runinfo")

    @parsl.python_app
    def square(x: int) -> int:
        return x * x

    with parsl.load(config):
        assert [square(i).result(timeout=120) for i in range(3)] == [0, 1, 4]
