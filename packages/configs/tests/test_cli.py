"""The parsl-configs command: list, show, render, check, and its errors."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from parsl.configs import catalog_dir
from parsl.configs.cli import main


def test_list_names_every_entry_and_marks_unloadable(
    capsys: pytest.CaptureFixture[str], with_unloadable_entry: str
) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "perlmutter-gpu" in out and "workstation" in out and "kubernetes" in out
    (line,) = [line for line in out.splitlines() if "(not loadable)" in line]
    assert with_unloadable_entry in line


def test_show_gives_parameters_sources_and_notes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "polaris"]) == 0
    out = capsys.readouterr().out
    assert "queue (str, required)" in out and "docs.alcf.anl.gov" in out
    assert "nodes_per_block (int, optional" in out and "bond0" in out


def test_show_unloadable_entry(
    capsys: pytest.CaptureFixture[str], with_unloadable_entry: str
) -> None:
    assert main(["show", with_unloadable_entry]) == 0
    assert "NOT LOADABLE" in capsys.readouterr().out


def test_render_unloadable_entry_is_an_error(
    capsys: pytest.CaptureFixture[str], with_unloadable_entry: str
) -> None:
    assert main(["render", with_unloadable_entry, "--param", "partition=p"]) == 2
    assert "cannot be loaded" in capsys.readouterr().err


def test_render_kubernetes_prints_the_pods(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    args = ["render", "kubernetes", "--param", "namespace=science", "--param", "image=python:3.11"]
    assert main(args) == 0
    (pod,) = json.loads(capsys.readouterr().out)
    assert pod["kind"] == "Pod" and pod["metadata"]["namespace"] == "science"
    assert pod["spec"]["containers"][0]["args"][0].startswith("python3 -m parsl.executors")


def test_render_prints_the_block_script(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["render", "generic-slurm", "--param", "partition=debug", "--param", "env_setup=true"]
    assert main([*args, "--param", "nodes_per_block=2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("#!/bin/bash") and "#SBATCH --partition=debug" in out
    assert "#SBATCH --nodes=2" in out and "srun --nodes=2" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "generic-slurm", "--param", "env_setup=true"], "needs parameter.*partition"),
        (["render", "generic-slurm", "--param", "partition"], "not KEY=VALUE"),
        (["render", "generic-slurm", "--param", "nodes_per_block=two"], "must be an integer"),
        (["show", "nowhere"], "no catalog entry named 'nowhere'"),
        (["render", "kubernetes"], "needs parameter.*namespace"),
    ],
)
def test_errors_exit_2_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("parsl-configs: error:")
    assert __import__("re").search(message, err), err


def test_check_accepts_an_entry_file_and_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(catalog_dir() / "frontier.toml")]) == 0
    assert main(["check", "aurora"]) == 0
    assert capsys.readouterr().out == "frontier: valid\naurora: valid\n"


def test_check_rejects_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "frontier.toml"
    bad.write_text((catalog_dir() / "frontier.toml").read_text().replace("scheduler =", "sched ="))
    assert main(["check", str(bad)]) == 2
    assert "scheduler: Field required" in capsys.readouterr().err


def test_console_script_is_installed() -> None:
    exe = shutil.which("parsl-configs") or str(
        Path(__import__("sys").executable).parent / "parsl-configs"
    )
    result = subprocess.run([exe, "list"], check=False, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "polaris" in result.stdout
