"""ClusterProvider, the I/O shell, against a real fake scheduler whose jobs are background processes."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cluster_fakes import (
    FakeBatchSystem,
    FakeScheduler,
    MakeProvider,
    group_alive,
    is_alive,
    wait_until,
)

from parsl.errors import ConfigurationError
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SingleNodeLauncher
from parsl.providers.cluster.commands import run_command
from parsl.providers.cluster.scheduler import VANISHED_MESSAGE
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.errors import ProviderError, ScriptPathError, SubmitException


def wait_for_state(provider: ClusterProvider, job_id: str, *states: JobState) -> JobStatus:
    deadline = time.monotonic() + 15
    while True:
        status = provider.status([job_id])[0]
        if status.state in states:
            return status
        assert time.monotonic() < deadline, f"job {job_id} stuck in {status}"
        time.sleep(0.05)


# -- submit, status, cancel ------------------------------------------------------


def test_submit_runs_the_rendered_script_and_reports_completion(
    make_provider: MakeProvider, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    provider = make_provider(worker_init="export GREETING=hello", nodes_per_block=1)
    job_id = provider.submit(
        f'echo "$GREETING $JOBNAME" > {marker}; echo out; echo err >&2', 1, "my block"
    )
    status = wait_for_state(provider, job_id, JobState.COMPLETED)
    assert status.message == "DONE"
    resource = provider.resources[job_id]
    assert marker.read_text().startswith("hello my_block.")
    assert status.stdout_path == resource["stdout_path"]
    assert status.stdout == "out\n"
    assert status.stderr == "err\n"
    assert resource["status"] is status


def test_script_dir_files(make_provider: MakeProvider, tmp_path: Path) -> None:
    script_dir = tmp_path / "deep" / "scripts"
    provider = make_provider(script_dir=str(script_dir))
    job_id = provider.submit("true", 1, "parsl.block")
    wait_for_state(provider, job_id, JobState.COMPLETED)
    assert stat.S_IMODE(script_dir.stat().st_mode) == 0o700
    script = Path(provider.resources[job_id]["script_path"])
    assert script.parent == script_dir
    assert script.name.startswith("parsl.block.") and script.suffix == ".submit"
    text = script.read_text()
    assert "#FAKE --nodes=1 --tasks-per-node=1 --time=00:10:00" in text
    assert text.rstrip().endswith("true")
    # The scheduler's answer to the submission is kept beside the script.
    assert Path(f"{script}.stdout").read_text() == f"queued job {job_id}\n"
    assert Path(f"{script}.stderr").read_text() == ""


def test_existing_script_dir_is_used_as_is(make_provider: MakeProvider, tmp_path: Path) -> None:
    script_dir = tmp_path / "shared"
    script_dir.mkdir(mode=0o755)
    script_dir.chmod(0o755)
    provider = make_provider(script_dir=str(script_dir))
    wait_for_state(provider, provider.submit("true", 1), JobState.COMPLETED)
    assert stat.S_IMODE(script_dir.stat().st_mode) == 0o755


def test_default_script_dir_is_a_private_temporary_directory(make_provider: MakeProvider) -> None:
    provider = make_provider(script_dir=None)
    try:
        job_id = provider.submit("true", 1)
        assert provider.script_dir is not None
        assert stat.S_IMODE(os.stat(provider.script_dir).st_mode) == 0o700
        assert provider.resources[job_id]["script_path"].startswith(provider.script_dir)
        wait_for_state(provider, job_id, JobState.COMPLETED)
    finally:
        if provider.script_dir:
            shutil.rmtree(provider.script_dir)


def test_failed_job_reports_its_exit_code(make_provider: MakeProvider) -> None:
    provider = make_provider()
    job_id = provider.submit("exit 7", 1)
    status = wait_for_state(provider, job_id, JobState.FAILED)
    assert status.exit_code == 7


def test_options_from_scheduler_settings_reach_the_script(
    fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    class WithSettings(ClusterProvider):
        def scheduler_settings(self) -> dict[str, object]:
            return {"queue": "fast"}

    provider = WithSettings(FakeScheduler(fake_system), script_dir=str(tmp_path / "s"))
    job_id = provider.submit("true", 1)
    assert "#FAKE --queue=fast\n" in Path(provider.resources[job_id]["script_path"]).read_text()


def test_tasks_per_node_reach_the_launcher(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider(launcher=SingleNodeLauncher(debug=False))
    out = tmp_path / "ranks"
    out.mkdir()
    job_id = provider.submit(f"touch {out}/rank-$PARSL_WORKER_RANK", 3)
    wait_for_state(provider, job_id, JobState.COMPLETED)
    assert sorted(p.name for p in out.iterdir()) == ["rank-0", "rank-1", "rank-2"]


def test_cancel_stops_a_running_job(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider()
    started = tmp_path / "started"
    job_id = provider.submit(f"touch {started}; sleep 60", 1)
    wait_until(started.exists, what="the job to start")
    assert provider.status([job_id])[0].state == JobState.RUNNING
    assert provider.cancel([job_id]) == [True]
    assert provider.status([job_id])[0].state == JobState.CANCELLED
    wait_until(lambda: not group_alive(int(job_id)), what="the job's processes to end")
    # Known to be over: no second cancel is sent, and it is refused.
    assert provider.cancel([job_id]) == [False]


def test_cancel_of_jobs_the_scheduler_refuses(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    provider = make_provider()
    running = provider.submit("sleep 60", 1)
    done = provider.submit("true", 1)
    wait_until((fake_system.state_dir / f"{done}.rc").exists, what="job to end")
    # `done` is still PENDING as far as the provider knows; the scheduler refuses it.
    assert provider.cancel([running, done, "424242"]) == [True, False, False]
    assert provider.resources[running]["status"].state == JobState.CANCELLED
    assert provider.resources[done]["status"].state == JobState.PENDING


def test_empty_lists_run_no_command(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider(scheduler=None)
    provider.scheduler = FakeScheduler(
        FakeBatchSystem(tmp_path / "other"), status="/nonexistent/status", cancel="/nonexistent/c"
    )
    assert provider.status([]) == []
    assert provider.cancel([]) == []


def test_status_is_in_order_and_asks_once_per_id(make_provider: MakeProvider) -> None:
    provider = make_provider()
    first = provider.submit("sleep 60", 1)
    second = provider.submit("true", 1)
    wait_for_state(provider, second, JobState.COMPLETED)
    statuses = provider.status([second, first, "999999", first])
    assert [s.state for s in statuses] == [
        JobState.COMPLETED,
        JobState.RUNNING,
        JobState.MISSING,
        JobState.RUNNING,
    ]


def test_finished_jobs_are_not_asked_about_again(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    provider = make_provider()
    job_id = provider.submit("exit 3", 1)
    wait_for_state(provider, job_id, JobState.FAILED)
    # A status command that would fail proves it is not run for a finished job.
    broken = fake_system.write_command("broken-status", "#!/bin/bash\nexit 9\n")
    provider.scheduler = FakeScheduler(fake_system, status=broken)
    assert provider.status([job_id])[0].exit_code == 3


def test_a_job_that_vanishes_after_running_is_completed_with_unknown_exit(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    provider = make_provider()
    started = tmp_path / "started"
    job_id = provider.submit(f"touch {started}; sleep 60", 1)
    wait_until(started.exists, what="the job to start")
    assert provider.status([job_id])[0].state == JobState.RUNNING
    fake_system.kill_all()
    fake_system.forget(job_id)
    status = provider.status([job_id])[0]
    assert status.state == JobState.COMPLETED
    assert status.message == VANISHED_MESSAGE
    assert status.stdout_path == provider.resources[job_id]["stdout_path"]


def test_unknown_job_id_is_missing(make_provider: MakeProvider) -> None:
    provider = make_provider()
    [status] = provider.status([123456789])
    assert status.state == JobState.MISSING
    assert 123456789 not in provider.resources and "123456789" not in provider.resources


# -- failures the user must be able to act on ----------------------------------


def test_failing_submission_carries_the_schedulers_stdout_and_stderr(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    refuse = fake_system.write_command(
        "refuse",
        "#!/bin/bash\necho 'queue closed for maintenance'\necho 'fake: error: partition down' >&2\nexit 3\n",
    )
    provider = make_provider(FakeScheduler(fake_system, submit=refuse))
    with pytest.raises(SubmitException) as info:
        provider.submit("true", 1)
    error = info.value
    assert error.stdout == "queue closed for maintenance\n"
    assert error.stderr == "fake: error: partition down\n"
    assert "queue closed for maintenance" in str(error)
    assert "partition down" in str(error)
    assert "exit code 3" in str(error)
    assert ".submit" in str(error)
    kept = list(Path(provider.script_dir or "").glob("*.submit.stderr"))
    assert [p.read_text() for p in kept] == ["fake: error: partition down\n"]
    assert provider.resources == {}


def test_submission_without_a_job_id_is_an_error(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    chatty = fake_system.write_command("chatty", "#!/bin/bash\necho 'thank you'\n")
    provider = make_provider(FakeScheduler(fake_system, submit=chatty))
    with pytest.raises(SubmitException, match="no job id") as info:
        provider.submit("true", 1)
    assert info.value.stdout == "thank you\n"


def test_missing_scheduler_command(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    provider = make_provider(
        FakeScheduler(fake_system, submit="/nonexistent/qsub", status="/nonexistent/qstat")
    )
    with pytest.raises(SubmitException, match="'/nonexistent/qsub' was not found"):
        provider.submit("true", 1)
    with pytest.raises(ProviderError, match="/nonexistent/qstat"):
        provider.status(["1"])


def test_command_that_cannot_be_executed(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    not_executable = fake_system.bin_dir / "not-executable"
    not_executable.write_text("#!/bin/bash\n")
    not_executable.chmod(0o644)
    provider = make_provider(FakeScheduler(fake_system, cancel=str(not_executable)))
    with pytest.raises(ProviderError, match="cannot run") as info:
        provider.cancel(["1"])
    assert "Permission denied" in str(info.value)


def test_failing_status_command_raises_with_its_output(
    make_provider: MakeProvider, fake_system: FakeBatchSystem
) -> None:
    broken = fake_system.write_command("broken", "#!/bin/bash\necho 'daemon down' >&2\nexit 2\n")
    provider = make_provider(FakeScheduler(fake_system, status=broken))
    with pytest.raises(ProviderError) as info:
        provider.status(["1"])
    assert info.value.stderr == "daemon down\n"


def test_unwritable_script_dir(make_provider: MakeProvider, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    provider = make_provider(script_dir=str(blocker / "scripts"))
    with pytest.raises(SubmitException, match="cannot use script_dir"):
        provider.submit("true", 1)


def test_script_that_cannot_be_written(make_provider: MakeProvider) -> None:
    # /proc is a directory nobody, root included, can create files in.
    provider = make_provider(script_dir="/proc")
    with pytest.raises(ScriptPathError, match="submit script /proc/.*: cannot write it"):
        provider.submit("true", 1)


@pytest.mark.parametrize(
    ("args", "field"),
    [((0, "n"), "tasks_per_node"), ((True, "n"), "tasks_per_node"), ((1, 5), "job_name")],
)
def test_bad_submit_arguments(
    make_provider: MakeProvider, args: tuple[Any, Any], field: str
) -> None:
    provider = make_provider()
    with pytest.raises(ConfigurationError) as info:
        provider.submit("true", *args)
    assert info.value.field == field


def test_empty_command_is_rejected_by_the_launcher(make_provider: MakeProvider) -> None:
    with pytest.raises(ConfigurationError, match="command"):
        make_provider().submit("  ", 1)


# -- never hang ----------------------------------------------------------------


def hanging_command(
    fake_system: FakeBatchSystem, name: str, pid_file: Path, escape: bool = False
) -> str:
    """A command that prints something, starts a child and waits for it for 60 s."""
    child = "setsid sleep 60 < /dev/null &" if escape else "sleep 60 &"
    return fake_system.write_command(
        name,
        f"#!/bin/bash\necho 'partial answer'\necho 'partial complaint' >&2\n"
        f'{child}\necho "$$ $!" > {pid_file}\nwait\n',
    )


def read_pids(pid_file: Path) -> list[int]:
    return [int(p) for p in pid_file.read_text().split()]


def test_hanging_submit_is_killed_after_cmd_timeout(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pids"
    hang = hanging_command(fake_system, "hang-submit", pid_file)
    provider = make_provider(FakeScheduler(fake_system, submit=hang), cmd_timeout=1)
    started = time.monotonic()
    with pytest.raises(SubmitException) as info:
        provider.submit("true", 1)
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed
    message = str(info.value)
    assert hang in message and "cmd_timeout=1" in message and "killed" in message
    assert info.value.stdout == "partial answer\n"
    assert info.value.stderr == "partial complaint\n"
    # The command and its child are gone: nothing is left running.
    pids = read_pids(pid_file)
    wait_until(lambda: not any(is_alive(pid) for pid in pids), timeout_s=2, what="no process left")
    kept = list(Path(provider.script_dir or "").glob("*.submit.stdout"))
    assert [p.read_text() for p in kept] == ["partial answer\n"]


@pytest.mark.parametrize("operation", ["status", "cancel"])
def test_hanging_status_and_cancel_are_killed(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, tmp_path: Path, operation: str
) -> None:
    pid_file = tmp_path / "pids"
    hang = hanging_command(fake_system, f"hang-{operation}", pid_file)
    provider = make_provider(FakeScheduler(fake_system, **{operation: hang}), cmd_timeout=1)
    started = time.monotonic()
    with pytest.raises(ProviderError, match="did not finish within cmd_timeout=1s") as info:
        getattr(provider, operation)(["1"])
    assert not isinstance(info.value, SubmitException)
    assert time.monotonic() - started < 4
    pids = read_pids(pid_file)
    wait_until(lambda: not any(is_alive(pid) for pid in pids), timeout_s=2, what="no process left")


def test_child_that_left_the_session_does_not_make_the_provider_hang(
    make_provider: MakeProvider, fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    # The child escapes the command's process group but keeps its pipes open.
    pid_file = tmp_path / "pids"
    hang = hanging_command(fake_system, "hang-escape", pid_file, escape=True)
    provider = make_provider(FakeScheduler(fake_system, status=hang), cmd_timeout=1)
    started = time.monotonic()
    try:
        with pytest.raises(ProviderError, match="cmd_timeout=1s"):
            provider.status(["1"])
        assert time.monotonic() - started < 6
        command_pid, _ = read_pids(pid_file)
        assert not is_alive(command_pid)
    finally:
        for pid in read_pids(pid_file):
            if is_alive(pid):
                os.kill(pid, 9)


def test_interrupt_while_waiting_kills_the_command(
    fake_system: FakeBatchSystem, tmp_path: Path
) -> None:
    # Ctrl-C during a scheduler command: the command's process group goes with it.
    pid_file = tmp_path / "pids"
    hang = hanging_command(fake_system, "hang-interrupted", pid_file)
    interrupter = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    interrupter.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_command([hang], 30, "fake")
    finally:
        interrupter.cancel()
    pids = read_pids(pid_file)
    wait_until(lambda: not any(is_alive(pid) for pid in pids), timeout_s=2, what="no process left")
