"""Golden files: each entry's rendered block script, so a provider or launcher change shows as a diff.

Regenerate after an intended change with:
    PARSL_CONFIGS_REGENERATE_GOLDEN=1 .venv/bin/pytest packages/configs/tests/test_render_golden.py
and review the diff of packages/configs/tests/golden/.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import sample_params

from parsl.configs import get_entry, list_entries, render_script
from parsl.configs.render import normalize_for_golden

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("PARSL_CONFIGS_REGENERATE_GOLDEN") == "1"
LOADABLE = [e.name for e in list_entries() if not e.unavailable]
#: Batch entries render a bash script; the Kubernetes entry renders its pods as JSON.
SCRIPTS = [name for name in LOADABLE if get_entry(name).scheduler != "kubernetes"]


def golden_path(name: str) -> Path:
    suffix = ".json" if get_entry(name).scheduler == "kubernetes" else ".sh"
    return GOLDEN / f"{name}{suffix}"


@pytest.mark.parametrize("name", LOADABLE)
def test_rendered_script_matches_golden_file(name: str) -> None:
    entry = get_entry(name)
    script = normalize_for_golden(render_script(name, **sample_params(entry)))
    path = golden_path(name)
    if REGENERATE:
        path.write_text(script)
    assert path.is_file(), (
        f"no golden file {path}; regenerate with PARSL_CONFIGS_REGENERATE_GOLDEN=1"
    )
    assert script == path.read_text(), f"{name}: rendered script differs from {path}"


def test_every_golden_file_belongs_to_an_entry() -> None:
    expected = {golden_path(name) for name in LOADABLE}
    stale = sorted(p.name for p in GOLDEN.iterdir() if p not in expected)
    assert stale == []


def test_kubernetes_rendering_is_pods_the_client_accepts() -> None:
    import json

    from kubernetes.client import ApiClient

    pods = json.loads(render_script("kubernetes", namespace="default", image="python:3.11"))
    client: Any = ApiClient()
    models = [client._ApiClient__deserialize(p, "V1Pod") for p in pods]  # the client's own reader
    assert [client.sanitize_for_serialization(m) for m in models] == pods


@pytest.mark.parametrize("name", SCRIPTS)
def test_rendered_script_is_valid_bash(name: str) -> None:
    import subprocess

    script = render_script(name, **sample_params(get_entry(name)))
    result = subprocess.run(
        ["bash", "-n"], input=script, text=True, capture_output=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


def test_site_facts_reach_the_script() -> None:
    polaris = render_script(
        "polaris", account="A1", queue="debug", filesystems="home:eagle", env_setup="true"
    )
    assert "#PBS -l filesystems=home:eagle" in polaris
    assert "#PBS -l select=1:ncpus=32:ngpus=4" in polaris
    assert "--cpu-bind none" in polaris and "--depth=64 --ppn 1" in polaris
    assert "--available-accelerators 0,1,2,3" in polaris
    gpu = render_script("perlmutter-gpu", account="m1", env_setup="true", qos="regular")
    assert "#SBATCH --constraint=gpu" in gpu and "#SBATCH --qos=regular" in gpu
    assert "#SBATCH --gpus-per-node=4" in gpu


def test_common_parameters_change_the_block_shape() -> None:
    script = render_script(
        "generic-slurm", partition="p", env_setup="true", nodes_per_block=3, walltime="02:00:00"
    )
    assert "#SBATCH --nodes=3" in script and "#SBATCH --time=02:00:00" in script
