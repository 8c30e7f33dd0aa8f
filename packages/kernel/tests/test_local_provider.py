"""LocalProvider with real processes: submit, status transitions, cancel, bad arguments."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from child_processes import reaped

from parsl import plugins
from parsl.errors import ConfigurationError
from parsl.jobs.states import JobState, JobStatus
from parsl.launchers import SimpleLauncher, SingleNodeLauncher
from parsl.providers import LocalProvider
from parsl.providers.base import ExecutionProvider
from parsl.providers.errors import SubmitException

MakeProvider = Callable[..., LocalProvider]


@pytest.fixture
def make_provider(tmp_path: Path) -> Iterator[MakeProvider]:
    """Build LocalProviders writing to tmp_path; cancel every block they started afterwards."""
    made: list[LocalProvider] = []

    def make(**kwargs: Any) -> LocalProvider:
        provider = LocalProvider(**kwargs)
        provider.script_dir = str(tmp_path / "scripts")
        provider.cancel_grace_s = 0.5
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.cancel(list(provider.resources))


def wait_for(provider: LocalProvider, job_id: str, *states: JobState) -> JobStatus:
    deadline = time.monotonic() + 15
    while True:
        status = provider.status([job_id])[0]
        if status.state in states:
            return status
        assert time.monotonic() < deadline, f"job {job_id} stuck in {status}"
        time.sleep(0.05)


def wait_for_file(path: Path) -> str:
    deadline = time.monotonic() + 15
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.02)
    return path.read_text().strip()


def is_alive(pid: int) -> bool:
    """True for a live process; a zombie (dead, not yet reaped by its adopter) is not alive."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] not in "ZX"


def test_local_provider_is_an_execution_provider_and_an_entry_point() -> None:
    assert issubclass(LocalProvider, ExecutionProvider)
    assert plugins.load("parsl.providers", "LocalProvider") is LocalProvider


def test_defaults_follow_parsl() -> None:
    provider = LocalProvider()
    assert provider.label == "local"
    assert provider.nodes_per_block == 1
    assert isinstance(provider.launcher, SingleNodeLauncher)
    assert (provider.init_blocks, provider.min_blocks, provider.max_blocks) == (1, 0, 1)
    assert provider.worker_init == ""
    assert provider.cmd_timeout == 30
    assert provider.parallelism == 1.0
    assert provider.move_files is None
    assert provider.script_dir is None
    assert provider.status_polling_interval == 1.0
    assert "LocalProvider(nodes_per_block=1" in repr(provider)


def test_submit_runs_the_command_and_completes(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider(launcher=SimpleLauncher(), worker_init="export GREETING=hello")
    out = tmp_path / "out"
    job_id = provider.submit(f"echo $GREETING $JOBNAME > {out}; echo to-stdout", 1, "my block")
    assert isinstance(job_id, str)
    assert job_id.isdigit()
    status = wait_for(provider, job_id, JobState.COMPLETED)
    assert out.read_text() == "hello my block\n"
    assert status.exit_code == 0
    assert status.terminal
    assert status.stdout == "to-stdout\n"
    assert status.stderr == ""
    # The script and its output files sit together in script_dir.
    script = Path(provider.resources[job_id]["script_path"])
    assert script.parent == tmp_path / "scripts"
    assert script.name.startswith("my_block.")
    assert "export GREETING=hello" in script.read_text()
    assert status.stdout_path == str(script.with_suffix(".stdout"))
    assert status.stderr_path == str(script.with_suffix(".stderr"))
    assert provider.resources[job_id]["status"].state == JobState.COMPLETED
    assert reaped(int(job_id))


def test_submit_uses_the_launcher_for_tasks_per_node(
    make_provider: MakeProvider, tmp_path: Path
) -> None:
    provider = make_provider()
    out = tmp_path / "ranks"
    job_id = provider.submit(f"echo $PARSL_WORKER_RANK >> {out}", 3)
    wait_for(provider, job_id, JobState.COMPLETED)
    assert sorted(out.read_text().split()) == ["0", "1", "2"]


def test_running_then_failed_with_exit_code(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    go = tmp_path / "go"
    job_id = provider.submit(
        f"while [ ! -e {go} ]; do sleep 0.02; done; echo broken >&2; exit 3", 1
    )
    assert provider.status([job_id])[0].state == JobState.RUNNING
    go.touch()
    status = wait_for(provider, job_id, JobState.FAILED)
    assert status.exit_code == 3
    assert "exited with code 3" in (status.message or "")
    assert status.stderr == "broken\n"
    assert reaped(int(job_id))


def test_a_block_killed_from_outside_is_failed_with_the_signal(make_provider: MakeProvider) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    job_id = provider.submit("kill -KILL $$", 1)
    status = wait_for(provider, job_id, JobState.FAILED)
    assert status.exit_code == -9
    assert "SIGKILL" in (status.message or "")


def test_status_keeps_order_and_reports_unknown_ids_missing(make_provider: MakeProvider) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    job_id = provider.submit("true", 1)
    wait_for(provider, job_id, JobState.COMPLETED)
    states = provider.status(["123456789", job_id, int(job_id)])
    assert [s.state for s in states] == [JobState.MISSING, JobState.COMPLETED, JobState.COMPLETED]
    assert "123456789" in (states[0].message or "")


def test_cancel_kills_the_whole_process_group(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider()
    # Each copy starts a grandchild of the block script and waits on it.
    job_id = provider.submit(
        f"sleep 60 & echo $! > {tmp_path}/grandchild.$PARSL_WORKER_RANK; wait", 2
    )
    grandchildren = [int(wait_for_file(tmp_path / f"grandchild.{rank}")) for rank in range(2)]
    assert all(is_alive(pid) for pid in grandchildren)
    assert provider.status([job_id])[0].state == JobState.RUNNING

    started = time.monotonic()
    assert provider.cancel([job_id]) == [True]
    assert time.monotonic() - started < 5

    assert not is_alive(int(job_id))
    assert not any(is_alive(pid) for pid in grandchildren)
    assert reaped(int(job_id))
    status = provider.status([job_id])[0]
    assert status.state == JobState.CANCELLED
    assert status.terminal


def test_cancel_sigkills_what_ignores_sigterm(make_provider: MakeProvider, tmp_path: Path) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    job_id = provider.submit(
        f"bash -c 'trap \"\" TERM; echo $$ > {tmp_path}/stubborn; while :; do sleep 0.1; done' &"
        "\nwait",
        1,
    )
    stubborn = int(wait_for_file(tmp_path / "stubborn"))
    started = time.monotonic()
    assert provider.cancel([job_id]) == [True]
    elapsed = time.monotonic() - started
    assert 0.4 < elapsed < 5  # the 0.5 s grace, then SIGKILL
    assert not is_alive(stubborn)
    assert provider.status([job_id])[0].state == JobState.CANCELLED


def test_cancel_several_blocks_at_once_shares_one_grace(
    make_provider: MakeProvider, tmp_path: Path
) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    marks = [tmp_path / f"trapped-{i}" for i in range(3)]
    ids = [
        provider.submit(f"trap '' TERM; touch {mark}; while :; do sleep 0.1; done", 1)
        for mark in marks
    ]
    assert len(set(ids)) == 3
    deadline = time.monotonic() + 10
    while not all(mark.exists() for mark in marks):  # every block now ignores SIGTERM
        assert time.monotonic() < deadline, "the blocks did not start"
        time.sleep(0.02)
    started = time.monotonic()
    assert provider.cancel(ids) == [True, True, True]
    assert time.monotonic() - started < 2  # not three graces in a row
    assert {s.state for s in provider.status(ids)} == {JobState.CANCELLED}


def test_processes_left_behind_by_a_finished_block_are_killed(
    make_provider: MakeProvider, tmp_path: Path
) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    # The script exits at once, leaving a background process in its group.
    job_id = provider.submit(f"sleep 60 & echo $! > {tmp_path}/straggler", 1)
    straggler = int(wait_for_file(tmp_path / "straggler"))
    status = wait_for(provider, job_id, JobState.COMPLETED)
    assert status.exit_code == 0
    deadline = time.monotonic() + 5
    while is_alive(straggler):
        assert time.monotonic() < deadline, "the straggler outlived its block"
        time.sleep(0.02)


def test_cancel_of_unknown_or_finished_jobs_returns_false(make_provider: MakeProvider) -> None:
    provider = make_provider(launcher=SimpleLauncher())
    job_id = provider.submit("exit 0", 1)
    wait_for(provider, job_id, JobState.COMPLETED)
    assert provider.cancel([job_id, "999999999"]) == [False, False]
    assert provider.status([job_id])[0].state == JobState.COMPLETED


def test_default_script_dir_is_a_fresh_temporary_directory() -> None:
    provider = LocalProvider(launcher=SimpleLauncher())
    job_id = provider.submit("true", 1)
    try:
        wait_for(provider, job_id, JobState.COMPLETED)
        assert provider.script_dir is not None
        assert os.path.isdir(provider.script_dir)
        assert Path(provider.resources[job_id]["script_path"]).parent == Path(provider.script_dir)
    finally:
        provider.cancel([job_id])
        if provider.script_dir:
            shutil.rmtree(provider.script_dir)


def test_unusable_script_dir_is_a_submit_exception(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    provider = LocalProvider()
    provider.script_dir = str(blocker / "scripts")
    with pytest.raises(SubmitException) as info:
        provider.submit("true", 1)
    assert "script_dir" in str(info.value)
    assert provider.resources == {}


def test_submit_rejects_bad_tasks_per_node_and_job_name(make_provider: MakeProvider) -> None:
    provider = make_provider()
    with pytest.raises(ConfigurationError) as info:
        provider.submit("true", 0)
    assert info.value.field == "tasks_per_node"
    with pytest.raises(ConfigurationError) as info:
        provider.submit("true", 1, job_name=7)  # type: ignore[arg-type]
    assert info.value.field == "job_name"
    assert provider.resources == {}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"nodes_per_block": 0}, "nodes_per_block"),
        ({"nodes_per_block": "1"}, "nodes_per_block"),
        ({"nodes_per_block": True}, "nodes_per_block"),
        ({"launcher": "srun"}, "launcher"),
        ({"init_blocks": -1}, "init_blocks"),
        ({"min_blocks": -1}, "min_blocks"),
        ({"max_blocks": 1.5}, "max_blocks"),
        ({"min_blocks": 2, "max_blocks": 1}, "min_blocks"),
        ({"worker_init": ["module load x"]}, "worker_init"),
        ({"cmd_timeout": 0}, "cmd_timeout"),
        ({"cmd_timeout": "30"}, "cmd_timeout"),
        ({"parallelism": 1.5}, "parallelism"),
        ({"parallelism": -0.1}, "parallelism"),
        ({"parallelism": "1"}, "parallelism"),
        ({"move_files": "yes"}, "move_files"),
    ],
)
def test_bad_arguments_raise_configuration_error_naming_the_field(
    kwargs: dict[str, object], field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        LocalProvider(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field
    assert field in str(info.value)


class _ThreeArgumentLauncher(SimpleLauncher):
    """A launcher written before Parsl added ``script_dir``: three parameters only."""

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:  # type: ignore[override]
        return f"{command}; echo three-args > three.txt"


class _ScriptDirLauncher(SimpleLauncher):
    """A launcher written for today's Parsl: it uses the ``script_dir`` the provider passes."""

    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        return f"echo {script_dir} > {script_dir}/seen.txt; {command}"


def test_launchers_with_and_without_script_dir_both_run_blocks(
    make_provider: MakeProvider, tmp_path: Path
) -> None:
    old = make_provider(launcher=_ThreeArgumentLauncher())
    old_job = old.submit(f"cd {tmp_path} && true", 1)
    assert wait_for(old, old_job, JobState.COMPLETED, JobState.FAILED).state is JobState.COMPLETED
    assert (tmp_path / "three.txt").read_text() == "three-args\n"

    new = make_provider(launcher=_ScriptDirLauncher())
    new.script_dir = tmp_path / "scripts"  # type: ignore[assignment]  # a Path, as Parsl's tests set
    new_job = new.submit("true", 1)
    assert wait_for(new, new_job, JobState.COMPLETED, JobState.FAILED).state is JobState.COMPLETED
    assert (tmp_path / "scripts" / "seen.txt").read_text().strip() == str(tmp_path / "scripts")
