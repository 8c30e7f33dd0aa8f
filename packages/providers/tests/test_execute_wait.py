"""execute_wait: Parsl's ClusterProvider method, here and on our own cluster providers (SlurmProvider)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from cluster_fakes import is_alive, wait_until
from parsl_written_provider import MakeBashProvider

from parsl.providers.cluster.slurm import SlurmProvider


def read_pids(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()] if path.exists() else []


def kill_pids(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_execute_wait_returns_exit_status_and_output(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider()
    assert provider.execute_wait("echo out; echo err >&2; exit 3") == (3, "out\n", "err\n")
    assert provider.execute_wait("printf '%s' \"$0\"") == (0, "/bin/bash", "")


def test_execute_wait_kills_an_overrunning_command_and_its_children(
    make_bash_provider: MakeBashProvider, tmp_path: Path
) -> None:
    provider = make_bash_provider()
    pid_file = tmp_path / "pids"
    started = time.monotonic()
    try:
        retcode, stdout, stderr = provider.execute_wait(
            f"echo $$ > {pid_file}; sleep 60 & echo $! >> {pid_file}; echo started; "
            "echo working >&2; sleep 61",
            timeout=1,
        )
        assert time.monotonic() - started < 6
        assert retcode == -signal.SIGKILL
        assert stdout == "started\n"
        assert stderr.startswith("working\n")
        assert "did not finish within timeout=1s" in stderr
        assert "process group" in stderr and "was killed" in stderr
        pids = read_pids(pid_file)
        assert len(pids) == 2
        wait_until(lambda: not any(is_alive(pid) for pid in pids), timeout_s=2, what="no pid left")
    finally:
        kill_pids(read_pids(pid_file))


def test_execute_wait_defaults_to_cmd_timeout(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider(cmd_timeout=1)
    started = time.monotonic()
    retcode, _, stderr = provider.execute_wait("sleep 30")
    assert time.monotonic() - started < 6
    assert retcode == -signal.SIGKILL
    assert "timeout=1s" in stderr


def test_execute_wait_with_a_background_job_holding_its_output(
    make_bash_provider: MakeBashProvider,
) -> None:
    # `job &` without redirecting its output: bash exits, but the job keeps the pipe open.
    provider = make_bash_provider()
    retcode, stdout, stderr = provider.execute_wait("sleep 60 & echo $!", timeout=1)
    pid = int(stdout)
    try:
        assert retcode == -signal.SIGKILL
        assert "bash exited 0, but a process it started kept its stdout" in stderr
        wait_until(lambda: not is_alive(pid), timeout_s=2, what="the background job killed")
    finally:
        kill_pids([pid])


def test_execute_wait_returns_even_when_a_process_left_the_session(
    make_bash_provider: MakeBashProvider, tmp_path: Path
) -> None:
    # A process that made its own session is outside the group that is killed, and holds the
    # pipes: execute_wait still returns, a couple of seconds after the timeout.
    provider = make_bash_provider()
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    try:
        retcode, _, stderr = provider.execute_wait(
            f"setsid sleep 60 & echo $! > {pid_file}; wait", timeout=1
        )
        assert time.monotonic() - started < 8
        assert retcode == -signal.SIGKILL
        assert "timeout=1s" in stderr
    finally:
        kill_pids(read_pids(pid_file))


def test_execute_wait_checks_its_arguments(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider()
    with pytest.raises(TypeError, match="shell command string"):
        provider.execute_wait(["echo", "hi"])  # type: ignore[arg-type]
    for bad in (0, -1, True, "5"):
        with pytest.raises(ValueError, match="timeout="):
            provider.execute_wait("true", timeout=bad)  # type: ignore[arg-type]


# -- our own cluster providers have it too ------------------------------------------


def test_slurm_provider_has_execute_wait() -> None:
    assert SlurmProvider().execute_wait("echo hi") == (0, "hi\n", "")
    retcode, _, stderr = SlurmProvider(cmd_timeout=1).execute_wait("sleep 30")
    assert retcode == -signal.SIGKILL and "timeout=1s" in stderr


def test_a_parsl_written_slurm_subclass_uses_execute_wait() -> None:
    class SiteSlurmProvider(SlurmProvider):
        def site_check(self) -> str:
            retcode, stdout, _ = self.execute_wait("echo site-ok", timeout=5)
            assert retcode == 0
            return stdout.strip()

    assert SiteSlurmProvider(partition="debug").site_check() == "site-ok"
