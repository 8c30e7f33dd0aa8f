"""Parsl's provider-module names for providers copied from Parsl's code: ``template_string`` and
the state tables. Each template is filled with the keys Parsl's ``submit`` gives it, through
``ClusterProvider._write_submit_script``, and the batch scripts are run by bash."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from parsl_written_provider import BackgroundBashProvider

from parsl.jobs.states import JobState
from parsl.providers.cluster.condor import CONDOR_STATES
from parsl.providers.cluster.lsf import LSF_STATES
from parsl.providers.cluster.pbs import PBS_STATES
from parsl.providers.cluster.slurm import SLURM_STATES


def _common(tmp_path: Path) -> dict[str, Any]:
    return {
        "submit_script_dir": str(tmp_path),
        "scheduler_options": "#EXTRA option from scheduler_options",
        "worker_init": f"echo init >> {tmp_path}/order",
        "user_script": f"echo user >> {tmp_path}/order; echo $JOBNAME > {tmp_path}/jobname",
    }


BATCH: dict[str, tuple[str, dict[str, Any]]] = {
    # the keys each of Parsl's providers puts in job_config besides the common ones
    "slurm": (
        "parsl.providers.slurm.template",
        {
            "nodes": 2,
            "tasks_per_node": 4,
            "walltime": 30,
            "job_stdout_path": "/tmp/o",
            "job_stderr_path": "/tmp/e",
        },
    ),
    "pbspro": (
        "parsl.providers.pbspro.template",
        {
            "nodes_per_block": 2,
            "ncpus": 8,
            "select_options": ":ngpus=1",
            "walltime": "00:30:00",
            "job_stdout_path": "/tmp/o",
            "job_stderr_path": "/tmp/e",
        },
    ),
    "torque": (
        "parsl.providers.torque.template",
        {"nodes_per_block": 2, "tasks_per_node": 4, "walltime": "00:30:00"},
    ),
    "grid_engine": ("parsl.providers.grid_engine.template", {"walltime": "00:30:00"}),
    "lsf": ("parsl.providers.lsf.template", {"walltime": 30}),
}


@pytest.mark.parametrize("name", sorted(BATCH))
def test_a_parsl_style_submit_renders_a_script_that_runs(name: str, tmp_path: Path) -> None:
    module, extra = BATCH[name]
    template_string = __import__(module, fromlist=["template_string"]).template_string
    provider = BackgroundBashProvider()
    script = tmp_path / "block.sh"
    provider._write_submit_script(
        template_string, str(script), "parsl.block.7", {**_common(tmp_path), **extra}
    )
    text = script.read_text()
    assert "#EXTRA option from scheduler_options" in text
    assert "${" not in text  # every placeholder filled
    done = subprocess.run(
        ["bash", str(script)], check=False, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "order").read_text().split() == ["init", "user"]
    assert (tmp_path / "jobname").read_text().strip() == "parsl.block.7"


def test_slurm_directives_carry_the_job_config() -> None:
    from parsl.providers.slurm.slurm import template_string

    assert "#SBATCH --nodes=${nodes}" in template_string
    assert "#SBATCH --time=${walltime}" in template_string


def test_condor_submit_file_and_kubernetes_command(tmp_path: Path) -> None:
    from parsl.providers.condor.condor import template_string as condor
    from parsl.providers.kubernetes.kube import template_string as kube

    provider = BackgroundBashProvider()
    path = tmp_path / "job.submit"
    configs = {
        "job_name": "parsl.7",
        "job_script": "/scripts/parsl.7.sh",
        "submit_script_dir": "/scripts",
        "nodes": 3,
        "environment": "A=1",
        "input_files": "",
        "requirements": "",
        "project": "proj",
        "scheduler_options": "",
    }
    provider._write_submit_script(condor, str(path), "parsl.7", configs)
    lines = path.read_text().splitlines()
    assert "arguments = /scripts/parsl.7.sh" in lines and lines[-1] == "queue 3"
    assert kube.format(worker_init="source env.sh", command="run") == "source env.sh\n\nrun\n"


def test_state_tables_agree_with_the_providers_reading() -> None:
    from parsl.providers.condor.condor import translate_table as condor
    from parsl.providers.grid_engine.grid_engine import translate_table as grid_engine
    from parsl.providers.kubernetes.kube import translate_table as kube
    from parsl.providers.lsf.lsf import translate_table as lsf
    from parsl.providers.pbspro.pbspro import translate_table as pbspro
    from parsl.providers.slurm.slurm import sacct_translate_table, squeue_translate_table
    from parsl.providers.torque.torque import translate_table as torque

    assert squeue_translate_table["PD"] is JobState.PENDING
    assert sacct_translate_table["TIMEOUT"] is JobState.TIMEOUT
    assert squeue_translate_table.keys() == SLURM_STATES.keys()
    assert (
        pbspro == torque and pbspro.keys() == PBS_STATES.keys() and pbspro["R"] is JobState.RUNNING
    )
    assert lsf.keys() == LSF_STATES.keys() and lsf["DONE"] is JobState.COMPLETED
    assert condor.keys() == CONDOR_STATES.keys() and condor["1"] is JobState.PENDING
    assert grid_engine["qw"] is JobState.PENDING and grid_engine["Eqw"] is JobState.FAILED
    assert kube == {
        "Running": JobState.RUNNING,
        "Pending": JobState.PENDING,
        "Succeeded": JobState.COMPLETED,
        "Failed": JobState.FAILED,
        "Unknown": JobState.UNKNOWN,
    }
