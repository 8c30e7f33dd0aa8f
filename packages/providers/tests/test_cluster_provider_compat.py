"""parsl.providers.cluster_provider.ClusterProvider: a provider written for Parsl runs here unchanged.

The provider, :class:`~parsl_written_provider.BackgroundBashProvider`, is
driven directly and as the provider of a HighThroughputExecutor; then the
base class's own parts: ``_write_submit_script`` and the constructor.
``execute_wait`` is tested in ``test_execute_wait.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cluster_fakes import group_alive, wait_until
from parsl_written_provider import (
    BackgroundBashProvider,
    MakeBashProvider,
    kill_blocks,
    wait_terminal,
)

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.jobs.states import JobState
from parsl.launchers import SimpleLauncher
from parsl.providers.base import ExecutionProvider
from parsl.providers.cluster_provider import ClusterProvider
from parsl.providers.errors import (
    ProviderError,
    SchedulerMissingArgs,
    ScriptPathError,
    SubmitException,
)

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


# -- the provider, driven directly -----------------------------------------------


def test_a_block_runs_its_script_and_completes(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider(worker_init="export GREETING=hello")
    job_id = provider.submit('echo "$GREETING from the block"', 1, "parsl.block")
    status = wait_terminal(provider, job_id)
    assert status.state == JobState.COMPLETED
    assert status.exit_code == 0
    assert status.stdout == "hello from the block\n"
    script = next(Path(provider.script_dir or "").glob("parsl.block.*.sh")).read_text()
    assert script.startswith("#!/bin/bash\n# parsl block parsl.block.")
    assert "export GREETING=hello" in script
    assert script.rstrip().endswith("echo $? > " + provider.resources[job_id]["exit_code_file"])


def test_a_failing_block_is_failed_with_its_exit_code(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider(launcher=SimpleLauncher())
    job_id = provider.submit("bash -c 'echo broken >&2; exit 3'", 1)
    status = wait_terminal(provider, job_id)
    assert (status.state, status.exit_code, status.stderr) == (JobState.FAILED, 3, "broken\n")


def test_cancel_stops_the_blocks_whole_process_group(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider()
    job_id = provider.submit("sleep 60 & sleep 61; wait", 1)
    assert provider.status([job_id])[0].state == JobState.RUNNING
    assert group_alive(int(job_id))
    assert provider.cancel([job_id, "999999999"]) == [True, False]
    wait_until(lambda: not group_alive(int(job_id)), what="the cancelled block to exit")
    assert provider.status([job_id])[0].state == JobState.CANCELLED
    assert provider.cancel([job_id]) == [False]


def test_status_of_an_unknown_job_is_missing(make_bash_provider: MakeBashProvider) -> None:
    provider = make_bash_provider()
    job_id = provider.submit("true", 1)
    statuses = provider.status(["no-such-job", job_id])
    assert statuses[0].state == JobState.MISSING
    assert "no-such-job" in (statuses[0].message or "")
    assert statuses[1] is provider.resources[job_id]["status"]


# -- the end-to-end check: HighThroughputExecutor on blocks of a Parsl-written provider --


@python_app
def double(x: int) -> tuple[int, int]:
    import os

    return 2 * x, os.getpgrp()


@pytest.mark.timeout(90)
def test_htex_runs_apps_on_blocks_from_a_parsl_written_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    htex_module = pytest.importorskip(
        "parsl.executors.high_throughput.executor", reason="needs parsl-executors"
    )
    # The workers import this module to find the app, as a user's workers import theirs.
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", TESTS_DIR + (os.pathsep + path if path else ""))
    provider = BackgroundBashProvider(init_blocks=1, max_blocks=1)
    htex = htex_module.HighThroughputExecutor(
        label="htex_bash", max_workers_per_node=2, provider=provider
    )
    run_dir = tmp_path / "runinfo"
    try:
        with parsl.load(Config(executors=[htex], run_dir=str(run_dir), strategy="none")):
            results = [f.result(timeout=45) for f in [double(i) for i in range(6)]]
            assert [value for value, _ in results] == [2 * i for i in range(6)]
            (job_id,) = provider.resources
            # every task ran inside the block's process group: the block is the job's session
            assert {pgid for _, pgid in results} == {int(job_id)}
            assert provider.status([job_id])[0].state == JobState.RUNNING
            assert provider.script_dir is not None
            assert Path(provider.script_dir).parent.parent == run_dir
            assert Path(provider.script_dir).name == "submit_scripts"
            (script,) = Path(provider.script_dir).glob("*.sh")
            assert "worker_pool" in script.read_text()  # htex's worker command, launched
        # Shutdown stops the interchange, so the pool may exit by itself before its block is
        # cancelled: either way the block ends and none of its processes is left.
        wait_until(lambda: not group_alive(int(job_id)), what="the block to exit after shutdown")
        final = provider.status([job_id])[0]
        assert final.state in (JobState.COMPLETED, JobState.CANCELLED), final
    finally:
        parsl.clear()
        kill_blocks(provider)


# -- _write_submit_script ---------------------------------------------------------


def test_write_submit_script_substitutes_configs_and_jobname(
    make_bash_provider: MakeBashProvider, tmp_path: Path
) -> None:
    provider = make_bash_provider()
    configs = {"nodes": 2, "user_script": "echo $HOME"}
    target = tmp_path / "job.submit"
    template = "#SBATCH --job-name=${jobname}\n#SBATCH --nodes=$nodes\n$user_script\necho $$$$\n"
    provider._write_submit_script(template, str(target), "block-7", configs)
    assert target.read_text() == (
        "#SBATCH --job-name=block-7\n#SBATCH --nodes=2\necho $HOME\necho $$\n"
    )
    assert configs == {"nodes": 2, "user_script": "echo $HOME"}


def test_write_submit_script_names_every_missing_placeholder(
    make_bash_provider: MakeBashProvider, tmp_path: Path
) -> None:
    provider = make_bash_provider()
    target = tmp_path / "job.submit"
    with pytest.raises(SchedulerMissingArgs) as info:
        provider._write_submit_script(
            "${jobname} ${account} ${queue} ${account}", str(target), "b", {"partition": "x"}
        )
    assert isinstance(info.value, ProviderError)
    assert "account, queue" in str(info.value)
    assert info.value.provider == "background"
    assert not target.exists()


def test_write_submit_script_to_an_unwritable_path(
    make_bash_provider: MakeBashProvider, tmp_path: Path
) -> None:
    provider = make_bash_provider()
    target = tmp_path / "no-such-dir" / "job.submit"
    with pytest.raises(ScriptPathError, match="submit script .*no-such-dir.*: cannot write it"):
        provider._write_submit_script("${jobname}", str(target), "b", {})
    assert issubclass(ScriptPathError, SubmitException)


def test_write_submit_script_rejects_a_bare_dollar(
    make_bash_provider: MakeBashProvider, tmp_path: Path
) -> None:
    provider = make_bash_provider()
    with pytest.raises(ValueError, match="Invalid placeholder"):
        provider._write_submit_script("${jobname}\necho $?\n", str(tmp_path / "s"), "b", {})
    with pytest.raises(TypeError, match="configs"):
        provider._write_submit_script("x", str(tmp_path / "s"), "b", ["not", "a", "dict"])  # type: ignore[arg-type]


# -- construction -------------------------------------------------------------------

POSITIONAL = ("compat", 2, 1, 0, 3, 0.5, "01:00:00", SimpleLauncher())


class MinimalProvider(ClusterProvider):
    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.auto") -> str:
        raise NotImplementedError

    def _status(self) -> None:
        pass

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        return [False for _ in job_ids]


def test_constructor_takes_parsls_arguments_in_parsls_order() -> None:
    provider = MinimalProvider(*POSITIONAL)
    assert isinstance(provider, ExecutionProvider)
    assert (provider.label, provider.nodes_per_block, provider.init_blocks) == ("compat", 2, 1)
    assert (provider.min_blocks, provider.max_blocks, provider.parallelism) == (0, 3, 0.5)
    assert provider.walltime == "01:00:00"
    assert provider.launcher is POSITIONAL[7]
    assert provider.cmd_timeout == 10
    assert provider.script_dir is None
    assert provider.resources == {}
    assert provider.status_polling_interval == 60
    assert MinimalProvider(*POSITIONAL, cmd_timeout=3).cmd_timeout == 3
    with pytest.raises(AttributeError):
        provider.label = "renamed"  # type: ignore[misc]


def test_the_base_class_is_abstract() -> None:
    with pytest.raises(TypeError, match="abstract"):
        ClusterProvider(*POSITIONAL)  # type: ignore[abstract]
    assert ClusterProvider.__abstractmethods__ == {"submit", "_status", "cancel"}


BAD_ARGUMENTS: list[tuple[str, Any]] = [
    ("label", 5),
    ("label", ""),
    ("nodes_per_block", 0),
    ("nodes_per_block", "2"),
    ("init_blocks", -1),
    ("min_blocks", -1),
    ("max_blocks", -1),
    ("max_blocks", 1.5),
    ("parallelism", 2),
    ("parallelism", "all"),
    ("walltime", "1h"),
    ("walltime", 600),
    ("launcher", None),
    ("launcher", "srun"),
    ("cmd_timeout", 0),
    ("cmd_timeout", True),
]


@pytest.mark.parametrize(("field", "value"), BAD_ARGUMENTS)
def test_bad_constructor_arguments_name_the_field(field: str, value: Any) -> None:
    names = (
        "label",
        "nodes_per_block",
        "init_blocks",
        "min_blocks",
        "max_blocks",
        "parallelism",
        "walltime",
        "launcher",
    )
    kwargs: dict[str, Any] = dict(zip(names, POSITIONAL, strict=True))
    kwargs[field] = value
    with pytest.raises(ConfigurationError) as info:
        MinimalProvider(**kwargs)
    assert info.value.field == field
    assert f"{field}={value!r} is not valid: expected" in str(info.value)


def test_min_blocks_above_max_blocks() -> None:
    with pytest.raises(ConfigurationError, match="at most max_blocks=1"):
        MinimalProvider("compat", 1, 0, 2, 1, 1, "00:10:00", SimpleLauncher())


def test_importable_in_a_fresh_interpreter() -> None:
    code = (
        "from parsl.providers.cluster_provider import ClusterProvider\n"
        "from parsl.providers.base import ExecutionProvider\n"
        "assert issubclass(ClusterProvider, ExecutionProvider)\n"
        "print(ClusterProvider.__module__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "parsl.providers.cluster_provider"
