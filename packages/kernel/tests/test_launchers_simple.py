"""SimpleLauncher and SingleNodeLauncher: rendered, then really run under bash."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from parsl import plugins
from parsl.errors import ConfigurationError
from parsl.launchers import SimpleLauncher, SingleNodeLauncher
from parsl.launchers.base import Launcher


def run_bash(script: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, timeout=timeout, check=False
    )


def record_line(path: Path) -> str:
    """A command that appends its rank and CORES to ``path``, one line per copy started."""
    return f'echo "${{PARSL_WORKER_RANK:-none}} ${{CORES:-none}}" >> {path}'


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_simple_launcher_returns_the_command_unchanged() -> None:
    assert SimpleLauncher()("echo hello", 1, 1) == "echo hello"


def test_simple_launcher_runs_the_command_once(tmp_path: Path) -> None:
    out = tmp_path / "copies"
    result = run_bash(SimpleLauncher()(record_line(out), 1, 1))
    assert result.returncode == 0, result.stderr
    assert lines(out) == ["none none"]


def test_simple_launcher_with_many_nodes_starts_one_copy_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "copies"
    with caplog.at_level(logging.WARNING, logger="parsl.launchers.simple"):
        rendered = SimpleLauncher()(record_line(out), 2, 3)
    assert run_bash(rendered).returncode == 0
    assert len(lines(out)) == 1
    assert "starts one copy" in caplog.text
    assert "ask for 6" in caplog.text


def test_simple_launcher_passes_the_exit_status_through() -> None:
    assert run_bash(SimpleLauncher(debug=False)("exit 3", 1, 1)).returncode == 3


@pytest.mark.parametrize("copies", [1, 2, 5])
def test_single_node_launcher_starts_one_copy_per_task(tmp_path: Path, copies: int) -> None:
    out = tmp_path / "copies"
    result = run_bash(SingleNodeLauncher()(record_line(out), copies, 1))
    assert result.returncode == 0, result.stderr
    got = lines(out)
    assert len(got) == copies
    ranks = sorted(int(line.split()[0]) for line in got)
    assert ranks == list(range(copies))
    cores = {line.split()[1] for line in got}
    assert cores == {str(os.sysconf("SC_NPROCESSORS_ONLN"))}


def test_single_node_launcher_copies_run_at_the_same_time(tmp_path: Path) -> None:
    # Each copy marks itself started, then waits until all three are; a
    # launcher running copies one after another would time every copy out.
    marks = tmp_path / "marks"
    marks.mkdir()
    command = (
        f"touch {marks}/started.$PARSL_WORKER_RANK\n"
        "for i in $(seq 200); do\n"
        f"    [ $(ls {marks} | wc -l) -ge 3 ] && exit 0\n"
        "    sleep 0.05\n"
        "done\n"
        "exit 1\n"
    )
    result = run_bash(SingleNodeLauncher(fail_on_any=True)(command, 3, 1))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("fail_on_any", "failing_ranks", "expect_failure"),
    [
        (False, [], False),
        (False, [0], False),
        (False, [0, 1, 2], True),
        (True, [], False),
        (True, [1], True),
        (True, [0, 1, 2], True),
    ],
)
def test_single_node_launcher_exit_status_follows_fail_on_any(
    fail_on_any: bool, failing_ranks: list[int], expect_failure: bool
) -> None:
    failing = " ".join(str(r) for r in failing_ranks)
    command = f'for r in {failing}; do [ "$r" = "$PARSL_WORKER_RANK" ] && exit 7; done; exit 0'
    result = run_bash(SingleNodeLauncher(fail_on_any=fail_on_any)(command, 3, 1))
    assert (result.returncode != 0) == expect_failure
    assert f"{len(failing_ranks)} of 3 copies failed" in result.stdout


def test_single_node_launcher_debug_false_prints_nothing_of_its_own() -> None:
    result = run_bash(SingleNodeLauncher(debug=False)("true", 2, 1))
    assert result.returncode == 0
    assert result.stdout == ""
    loud = run_bash(SingleNodeLauncher(debug=True)("true", 2, 1))
    assert "starting 2 copies" in loud.stdout


def test_single_node_launcher_keeps_a_multiline_command_with_quotes_intact(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    command = f"""X='it'"'"'s "quoted"'
cat >> {out} <<EOF
$X rank=$PARSL_WORKER_RANK
EOF"""
    assert run_bash(SingleNodeLauncher()(command, 2, 1)).returncode == 0
    assert sorted(lines(out)) == ['it\'s "quoted" rank=0', 'it\'s "quoted" rank=1']


def test_single_node_launcher_uses_only_this_node_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "copies"
    with caplog.at_level(logging.WARNING, logger="parsl.launchers.simple"):
        rendered = SingleNodeLauncher()(record_line(out), 2, 4)
    assert run_bash(rendered).returncode == 0
    assert len(lines(out)) == 2
    assert "nodes_per_block=4" in caplog.text


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_single_node_launcher_passes_sigterm_on_and_reaps_its_copies(tmp_path: Path) -> None:
    command = f"echo $BASHPID > {tmp_path}/pid.$PARSL_WORKER_RANK\nexec sleep 30"
    leader = subprocess.Popen(
        ["bash", "-c", SingleNodeLauncher(debug=False)(command, 2, 1)], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 10
        while len(list(tmp_path.glob("pid.*"))) < 2 or any(
            not p.read_text().strip() for p in tmp_path.glob("pid.*")
        ):
            assert time.monotonic() < deadline, "copies did not start"
            time.sleep(0.02)
        copy_pids = [int(p.read_text()) for p in tmp_path.glob("pid.*")]
        leader.send_signal(signal.SIGTERM)
        assert leader.wait(timeout=10) == 143
        # The leader waited for its copies, so they are gone, not orphaned.
        assert not any(_alive(pid) for pid in copy_pids)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(leader.pid, signal.SIGKILL)
        leader.wait(timeout=10)


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (SimpleLauncher, {"debug": "yes"}, "debug"),
        (SingleNodeLauncher, {"debug": 1}, "debug"),
        (SingleNodeLauncher, {"fail_on_any": "no"}, "fail_on_any"),
    ],
)
def test_bad_constructor_arguments_name_the_field(
    cls: type[Launcher], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize("launcher", [SimpleLauncher(), SingleNodeLauncher()])
@pytest.mark.parametrize(
    ("command", "tasks_per_node", "nodes_per_block", "field"),
    [
        ("", 1, 1, "command"),
        ("   ", 1, 1, "command"),
        (None, 1, 1, "command"),
        ("true", 0, 1, "tasks_per_node"),
        ("true", "2", 1, "tasks_per_node"),
        ("true", True, 1, "tasks_per_node"),
        ("true", 1, 0, "nodes_per_block"),
        ("true", 1, 1.5, "nodes_per_block"),
    ],
)
def test_bad_call_arguments_name_the_field(
    launcher: Launcher, command: object, tasks_per_node: object, nodes_per_block: object, field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        launcher(command, tasks_per_node, nodes_per_block)  # type: ignore[arg-type]
    assert info.value.field == field


def test_reprs_show_the_options() -> None:
    assert repr(SimpleLauncher(debug=False)) == "SimpleLauncher(debug=False)"
    assert (
        repr(SingleNodeLauncher(fail_on_any=True))
        == "SingleNodeLauncher(debug=True, fail_on_any=True)"
    )


def test_kernel_launchers_are_registered_as_entry_points() -> None:
    assert plugins.load("parsl.launchers", "SimpleLauncher") is SimpleLauncher
    assert plugins.load("parsl.launchers", "SingleNodeLauncher") is SingleNodeLauncher
