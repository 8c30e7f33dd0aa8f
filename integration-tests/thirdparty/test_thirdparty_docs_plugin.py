"""A plugin package written against Parsl's documented bases installs beside ours and runs a workflow.

``docs_plugin/`` holds a launcher (``Launcher``), a provider
(``ExecutionProvider``), a staging provider (``Staging``) and a serializer
(``SerializerBase``), each with ``RepresentationMixin``, registered through
Parsl's entry-point groups. The test installs it with pip (no network:
``--no-deps --no-build-isolation``) into a folder of its own and runs
``docs_plugin_workflow.py`` against it in a fresh interpreter: htex workers
started by the plugin's provider through the plugin's launcher, a file staged
by the plugin, and the plugin's serializer registered with Parsl's facade.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.mark.timeout(240)
def test_docs_style_plugin_installs_and_runs_a_workflow(tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(target),
            str(HERE / "docs_plugin"),
        ],
        check=True,
        timeout=180,
        capture_output=True,
    )
    assert any(p.name.startswith("parsl_docs_plugin-") for p in target.iterdir())
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])
    )
    done = subprocess.run(
        [sys.executable, str(HERE / "docs_plugin_workflow.py"), str(tmp_path)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    provider = " ".join(lines["provider"].split())  # RepresentationMixin may split long lines
    assert provider.startswith("SubprocessProvider( launcher=EnvLauncher(")
    assert "value='from-the-launcher'" in provider
    assert lines["launcher"] == "from-the-launcher"
    assert lines["staging"] == "staged by the plugin"
    assert lines["squares"] == "[0, 1, 4, 9]"
    assert lines["serializer"] == "json {'a': [1, 2]}"
