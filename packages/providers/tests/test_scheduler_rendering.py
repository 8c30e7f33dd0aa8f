"""Golden submit scripts for PBS Pro, Torque, LSF and HTCondor, and their providers' argument checks."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from parsl.errors import ConfigurationError
from parsl.providers import CondorProvider, LSFProvider, PBSProProvider, TorqueProvider
from parsl.providers.cluster.condor import CondorScheduler, condor_environment
from parsl.providers.cluster.lsf import LSFScheduler, lsf_walltime
from parsl.providers.cluster.pbspro import PBSProScheduler
from parsl.providers.cluster.scheduler import SubmitContext
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.cluster.torque import TorqueScheduler


def context(**options: Any) -> SubmitContext:
    return SubmitContext(
        job_name="parsl.htex.block-0.17",
        nodes_per_block=2,
        tasks_per_node=4,
        walltime="01:30:20",
        scheduler_options="",
        worker_init="module load python",
        command="process_worker_pool.py --block 0",
        stdout_path="/run/b.stdout",
        stderr_path="/run/b.stderr",
        options=options,
    )


def with_settings(provider: ClusterProvider, **changes: Any) -> SubmitContext:
    return SubmitContext(
        **{**context().__dict__, "options": provider.scheduler_settings(), **changes}
    )


TAIL = """\
module load python

export JOBNAME=parsl.htex.block-0.17

process_worker_pool.py --block 0
"""

# -- PBS Pro -------------------------------------------------------------------------


def test_pbspro_golden() -> None:
    provider = PBSProProvider(
        account="proj", queue="debug", select_options="ngpus=4", cpus_per_node=64
    )
    ctx = with_settings(provider, scheduler_options="#PBS -l filesystems=home")
    assert PBSProScheduler().render_submit_script(ctx) == (
        """\
#!/bin/bash
# A Parsl block, rendered by PBSProProvider.
#PBS -N parsl.htex.block-0.17
#PBS -o /run/b.stdout
#PBS -e /run/b.stderr
#PBS -l walltime=01:30:20
#PBS -l select=2:ncpus=64:ngpus=4
#PBS -q debug
#PBS -A proj
#PBS -l filesystems=home
"""
        + TAIL
    )


def test_pbspro_defaults() -> None:
    script = PBSProScheduler().render_submit_script(with_settings(PBSProProvider()))
    assert "#PBS -l select=2:ncpus=1\n\nmodule load python" in script
    assert "#PBS -q" not in script and "#PBS -A" not in script


# -- Torque --------------------------------------------------------------------------


def test_torque_golden() -> None:
    ctx = with_settings(TorqueProvider(account="proj", queue="batch"))
    assert TorqueScheduler().render_submit_script(ctx) == (
        """\
#!/bin/bash
# A Parsl block, rendered by TorqueProvider.
#PBS -N parsl.htex.block-0.17
#PBS -o /run/b.stdout
#PBS -e /run/b.stderr
#PBS -l walltime=01:30:20
#PBS -l nodes=2:ppn=4
#PBS -q batch
#PBS -A proj

"""
        + TAIL
    )


# -- LSF -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("walltime", "minutes"),
    [("00:00:01", "00:01"), ("00:10:00", "00:10"), ("01:30:20", "01:31"), ("100:00:00", "100:00")],
)
def test_lsf_walltime_rounds_up_to_minutes(walltime: str, minutes: str) -> None:
    assert lsf_walltime(walltime) == minutes


def test_lsf_golden_by_nodes() -> None:
    ctx = with_settings(LSFProvider(project="CSC000", queue="batch"))
    assert LSFScheduler().render_submit_script(ctx) == (
        """\
#!/bin/bash
# A Parsl block, rendered by LSFProvider.
#BSUB -J parsl.htex.block-0.17
#BSUB -o /run/b.stdout
#BSUB -e /run/b.stderr
#BSUB -W 01:31
#BSUB -nnodes 2
#BSUB -P CSC000
#BSUB -q batch

"""
        + TAIL
    )


def test_lsf_by_cores() -> None:
    provider = LSFProvider(request_by_nodes=False, cores_per_block=32, cores_per_node=16)
    script = LSFScheduler().render_submit_script(with_settings(provider))
    assert '#BSUB -n 32\n#BSUB -R "span[ptile=16]"\n' in script
    assert "-nnodes" not in script


def test_lsf_by_cores_needs_cores_per_block() -> None:
    with pytest.raises(ConfigurationError, match="cores_per_block"):
        LSFProvider(request_by_nodes=False)


def test_lsf_by_nodes_with_cores_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        LSFProvider(cores_per_block=4)
    assert "cores_per_block and cores_per_node are ignored" in caplog.text


# -- HTCondor ------------------------------------------------------------------------


def test_condor_writes_a_job_script_and_a_description() -> None:
    provider = CondorProvider(
        cores_per_slot=4,
        mem_per_slot=2.5,
        project="myproj",
        requirements='(OpSysAndVer == "AlmaLinux9")',
        environment={"OMP_NUM_THREADS": "4", "GREETING": 'it\'s "fine"'},
        transfer_input_files=["/home/a/in.txt", "/home/a/lib.tgz"],
    )
    ctx = with_settings(provider, scheduler_options="+WantGPU = true")
    files = CondorScheduler().submit_files(ctx, "/run/b.submit")
    assert list(files) == ["/run/b.submit", "/run/b.submit.condor"]
    assert files["/run/b.submit"] == (
        "#!/bin/bash\n"
        "# A Parsl block, rendered by CondorProvider (run by HTCondor as the job's executable).\n"
        + TAIL
    )
    assert files["/run/b.submit.condor"] == (
        """\
# A Parsl block's submit description, rendered by CondorProvider.
universe = vanilla
executable = /run/b.submit
output = /run/b.stdout
error = /run/b.stderr
log = /run/b.condor.log
batch_name = parsl.htex.block-0.17
periodic_remove = (JobStatus == 2) && (time() - EnteredCurrentStatus > 5420)
request_cpus = 4
request_memory = 2560
+ProjectName = "myproj"
requirements = (OpSysAndVer == "AlmaLinux9")
environment = "OMP_NUM_THREADS='4' GREETING='it''s ""fine""'"
should_transfer_files = YES
when_to_transfer_output = ON_EXIT
transfer_input_files = /home/a/in.txt,/home/a/lib.tgz
+WantGPU = true
queue 2
"""
    )


def test_condor_defaults_request_nothing_extra() -> None:
    description = CondorScheduler().render_description(with_settings(CondorProvider()), "/x")
    for word in ("request_cpus", "request_memory", "ProjectName", "requirements", "environment"):
        assert word not in description
    assert description.endswith("\nqueue 2\n")


def test_condor_environment_quoting() -> None:
    assert condor_environment({"A": "1", "B": "two words"}) == "\"A='1' B='two words'\""


# -- argument checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (PBSProProvider, {"cpus_per_node": 0}, "cpus_per_node"),
        (PBSProProvider, {"queue": "a\nb"}, "queue"),
        (PBSProProvider, {"account": 7}, "account"),
        (PBSProProvider, {"select_options": "a\nb"}, "select_options"),
        (TorqueProvider, {"queue": ""}, "queue"),
        (TorqueProvider, {"walltime": "1h"}, "walltime"),
        (LSFProvider, {"cores_per_block": 0}, "cores_per_block"),
        (LSFProvider, {"bsub_redirection": "yes"}, "bsub_redirection"),
        (LSFProvider, {"request_by_nodes": 1}, "request_by_nodes"),
        (CondorProvider, {"mem_per_slot": -1}, "mem_per_slot"),
        (CondorProvider, {"environment": {"1A": "x"}}, "environment"),
        (CondorProvider, {"environment": ["A=1"]}, "environment"),
        (CondorProvider, {"transfer_input_files": "a.txt"}, "transfer_input_files"),
        (CondorProvider, {"transfer_input_files": ["a,b"]}, "transfer_input_files"),
        (CondorProvider, {"requirements": "a\nb"}, "requirements"),
        (CondorProvider, {"project": None}, "project"),
    ],
)
def test_bad_arguments_name_the_field(cls: type, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        cls(**kwargs)


def test_parsl_defaults() -> None:
    assert (PBSProProvider().walltime, PBSProProvider().cmd_timeout) == ("00:20:00", 120)
    assert (TorqueProvider().walltime, TorqueProvider().cmd_timeout) == ("00:20:00", 120)
    assert (LSFProvider().walltime, LSFProvider().cmd_timeout) == ("00:10:00", 120)
    assert (CondorProvider().walltime, CondorProvider().cmd_timeout) == ("00:10:00", 60)
    assert PBSProProvider().cpus_per_node == 1
    assert LSFProvider().request_by_nodes is True
