"""tools/parsl-surface: what a peer Parsl has that this project lacks, by module, name, method and parameter.

The peer here is a stand-in ``parsl`` package written by the test (an
interpreter run with ``-S`` and only that package on its path), so the gaps
it reports are known exactly; against this project itself nothing is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "parsl-surface"


def surface(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def counts(out: str) -> dict[str, int]:
    return {
        line.split()[0]: int(line.split()[1])
        for line in out.splitlines()
        if line.startswith(("missing_", "left_out_"))
    }


@pytest.fixture
def peer(tmp_path: Path) -> Path:
    """An interpreter whose ``parsl`` is a small package with known differences from ours."""
    pkg = tmp_path / "site" / "parsl"
    (pkg / "providers" / "aws").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "providers" / "__init__.py").write_text("")
    (pkg / "providers" / "aws" / "__init__.py").write_text("class AWSProvider: pass\n")
    (pkg / "no_such_module_here.py").write_text("X = 1\n")
    (pkg / "utils.py").write_text(
        textwrap.dedent(
            """
            import logging
            logger = logging.getLogger(__name__)        # a logger: not part of the surface
            VERSION = "1"                               # ours has it
            NOT_OURS = 5                                # a constant ours lacks
            def get_version(): ...                      # same signature
            def execute_wait(cmd, walltime=None, extra_option=1): ...  # one parameter more
            class Timer:
                def __init__(self, callback, *args, interval=5, name=None): ...
                def close(self, timeout=None): ...
                def pause(self): ...                    # a method ours lacks
            """
        )
    )
    wrapper = tmp_path / "peer-python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path / "site"} exec {sys.executable} -S "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.timeout(300)
def test_nothing_is_missing_against_this_project_itself() -> None:
    done = surface("--peer", sys.executable)
    assert done.returncode == 0, done.stderr
    found = counts(done.stdout)
    assert found == {
        "missing_modules": 0,
        "missing_names": 0,
        "missing_methods": 0,
        "missing_parameters": 0,
        "left_out_by_design": 0,
    }


@pytest.mark.timeout(300)
def test_a_peer_with_known_differences_is_reported_item_by_item(peer: Path) -> None:
    done = surface("--peer", str(peer), "--details")
    assert done.returncode == 0, done.stderr
    found = counts(done.stdout)
    assert found["missing_modules"] == 1 and "  parsl.no_such_module_here" in done.stdout
    assert found["missing_names"] == 1 and "  parsl.utils.NOT_OURS" in done.stdout
    assert found["missing_methods"] == 1 and "  parsl.utils.Timer.pause" in done.stdout
    assert found["missing_parameters"] == 1
    assert "  parsl.utils.execute_wait: lacks extra_option" in done.stdout
    assert found["left_out_by_design"] == 1  # parsl.providers.aws, with its reason
    assert "parsl.providers.aws: cloud provider" in done.stdout
    assert "logger" not in done.stdout


def test_a_peer_that_cannot_run_is_a_clear_error(tmp_path: Path) -> None:
    done = surface("--peer", str(tmp_path / "no-python"))
    assert done.returncode == 1
    assert "cannot run" in done.stderr and "Traceback" not in done.stderr
    missing_arg = surface()
    assert missing_arg.returncode == 2 and "--peer" in missing_arg.stderr


@pytest.mark.skipif(not os.path.exists("/bin/sh"), reason="the stand-in peer is a shell script")
def test_a_peer_without_parsl_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "bare-python"
    empty.write_text(f'#!/bin/sh\nexec {sys.executable} -S -I "$@"\n')
    empty.chmod(0o755)
    done = surface("--peer", str(empty))
    assert done.returncode == 1
    assert "listing parsl's modules failed" in done.stderr and "ModuleNotFoundError" in done.stderr
