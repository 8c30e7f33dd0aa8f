"""A block that outlives its walltime is killed by Slurm and seen as TIMEOUT by SlurmProvider.

Slurm's time limits are whole minutes and slurmctld checks them about every
30 s, so this one test takes about 90 s.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from parsl.jobs.states import JobState
from parsl.launchers import SimpleLauncher
from parsl.providers import SlurmProvider


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_block_past_its_walltime_is_timeout(slurm: object, tmp_path: Path) -> None:
    provider = SlurmProvider(
        partition="debug", launcher=SimpleLauncher(), walltime="00:01:00", exclusive=False
    )
    provider.script_dir = str(tmp_path / "scripts")
    started = time.monotonic()
    job = provider.submit("sleep 600", tasks_per_node=1, job_name="parsl.walltime")
    status = provider.status([job])[0]
    while not status.terminal and time.monotonic() - started < 200:
        time.sleep(1)
        status = provider.status([job])[0]
    elapsed = time.monotonic() - started
    assert status.state is JobState.TIMEOUT, status
    assert 55 < elapsed < 200  # killed by the one-minute limit, not before it
