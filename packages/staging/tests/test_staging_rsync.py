"""RSyncStaging: command construction, validation, and the failure when rsync is missing.

This machine has no rsync binary and no sshd, so no test moves a file with
rsync; the missing-binary failure is exercised for real with an empty PATH.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from parsl import File, python_app
from parsl.data_provider.rsync import (
    RSyncInThenRun,
    RSyncStaging,
    RunThenRSyncOut,
    pull_command,
    push_command,
    run_rsync,
)
from parsl.data_provider.staging_errors import RSyncError
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError

LoadParsl = Callable[..., DataFlowKernel]


@pytest.fixture
def no_rsync_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_commands() -> None:
    assert pull_command("login1", "/data/in.txt", "/work/in.txt") == [
        "rsync",
        "login1:/data/in.txt",
        "/work/in.txt",
    ]
    assert push_command("me@login1", "/work/out.txt", "/data/out.txt") == [
        "rsync",
        "/work/out.txt",
        "me@login1:/data/out.txt",
    ]


@pytest.mark.parametrize("hostname", ["", None, 5, "two words"])
def test_bad_hostname_is_a_configuration_error(hostname: object) -> None:
    with pytest.raises(ConfigurationError, match=r"RSyncStaging\.hostname"):
        RSyncStaging(hostname)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1, "10", True])
def test_bad_timeout_is_a_configuration_error(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match=r"RSyncStaging\.timeout"):
        RSyncStaging("login1", timeout=timeout)  # type: ignore[arg-type]


def test_accepts_only_local_files() -> None:
    staging = RSyncStaging("login1")
    assert staging.can_stage_in(File("/data/a.txt"))
    assert staging.can_stage_out(File("file:///data/a.txt"))
    assert not staging.can_stage_in(File("http://host/a.txt"))
    assert not staging.can_stage_out(File("ftp://host/a.txt"))
    assert repr(staging) == "RSyncStaging(hostname='login1', timeout=3600)"


def test_run_rsync_without_the_binary(no_rsync_on_path: None) -> None:
    with pytest.raises(RSyncError, match="not on the worker's PATH") as info:
        run_rsync(["rsync", "a", "b"], timeout=5)
    assert info.value.command == ["rsync", "a", "b"]


def test_stage_in_without_rsync_fails_the_app_before_it_runs(
    load_parsl: LoadParsl, tmp_path: Path, no_rsync_on_path: None
) -> None:
    ran = []

    @python_app
    def consume(inputs: list[File]) -> str:
        ran.append(True)
        return inputs[0].filepath

    work = tmp_path / "work"
    load_parsl([RSyncStaging("login1")], working_dir=str(work))
    exc = consume(inputs=[File("/data/in.txt")]).exception(timeout=30)
    assert isinstance(exc, RSyncError)
    assert exc.command == ["rsync", "login1:/data/in.txt", str(work / "in.txt")]
    assert ran == []
    assert work.is_dir()


def test_stage_out_without_rsync_fails_after_the_app_wrote_its_file(
    load_parsl: LoadParsl, tmp_path: Path, no_rsync_on_path: None
) -> None:
    @python_app
    def produce(outputs: list[File]) -> None:
        Path(outputs[0].filepath).write_text("result")

    work = tmp_path / "work"
    load_parsl([RSyncStaging("login1")], working_dir=str(work))
    fut = produce(outputs=[File("/data/out.txt")])
    exc = fut.exception(timeout=30)
    assert isinstance(exc, RSyncError)
    assert exc.command == ["rsync", str(work / "out.txt"), "login1:/data/out.txt"]
    assert (work / "out.txt").read_text() == "result"
    assert isinstance(fut.outputs[0].exception(timeout=5), RSyncError)


def test_wrappers_keep_the_function_name() -> None:
    def analyse() -> None:
        pass

    file = File("/data/a.txt")
    assert RSyncInThenRun(analyse, file, "h", 1.0).__name__ == "analyse"
    assert RunThenRSyncOut(analyse, file, "h", 1.0).__wrapped__ is analyse


# run_rsync runs the argument list it is given; with rsync absent here, its
# exit-code, stderr and timeout handling are exercised with coreutils programs.


def test_run_rsync_success_returns_quietly() -> None:
    run_rsync(["true"], timeout=10)


def test_run_rsync_nonzero_exit_reports_code_and_stderr() -> None:
    command = ["sh", "-c", "echo 'rsync error: some files could not be transferred' >&2; exit 23"]
    with pytest.raises(RSyncError, match="exit code 23: rsync error: some files") as info:
        run_rsync(command, timeout=10)
    assert info.value.command == command


def test_run_rsync_overrunning_transfer_is_stopped() -> None:
    with pytest.raises(RSyncError, match=r"did not finish within 0\.3 s"):
        run_rsync(["sleep", "30"], timeout=0.3)
