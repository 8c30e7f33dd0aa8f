"""tools/parsl-testsuite: a Parsl-style test folder, copied out and run against this project.

The peer here is a stand-in ``parsl.tests`` package written by the test: a
conftest in Parsl's shape (a ``--config`` option and the legacy
``pytest_ignore_collect(path)`` hook that the tool rewrites), a file whose
tests pass, one with a failure and an error, one that never finishes (killed
at the file timeout), and folders Parsl's conftest skips. The stand-in's
interpreter (``-S``, only the stand-in on its path) is what ``--peer`` asks
where the tests are; the tests themselves run on this project.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from child_processes import run_in_own_group

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "parsl-testsuite"

CONFTEST = """
import pytest

def pytest_addoption(parser):
    parser.addoption("--config", action="store", nargs=1)

def pytest_ignore_collect(path):
    return "manual_tests" in path.strpath
"""

PASSING = """
import parsl
from parsl import python_app

def test_loads_this_projects_parsl():
    assert parsl.DataFlowKernel.__module__ == "parsl.dataflow.dflow"

def test_config_option_arrives(request):
    assert request.config.getoption("config") == ["local"]
"""

FAILING = """
import pytest

def test_passes():
    assert True

def test_fails():
    assert 1 == 2, "a deliberate failure"

@pytest.fixture
def broken():
    raise RuntimeError("a deliberate fixture error")

def test_errors(broken):
    pass
"""

HANGING = """
import time

def test_never_ends():
    time.sleep(600)
"""


@pytest.fixture
def peer(tmp_path: Path) -> Path:
    tests = tmp_path / "site" / "parsl" / "tests"
    (tests / "manual_tests").mkdir(parents=True)
    (tests / "integration").mkdir()
    (tmp_path / "site" / "parsl" / "__init__.py").write_text("")
    (tests / "__init__.py").write_text("")
    (tests / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    (tests / "test_good.py").write_text(textwrap.dedent(PASSING))
    (tests / "test_bad.py").write_text(textwrap.dedent(FAILING))
    (tests / "test_slow.py").write_text(textwrap.dedent(HANGING))
    for skipped in ("manual_tests", "integration"):
        (tests / skipped / "test_skipped.py").write_text("def test_x():\n    assert False\n")
    wrapper = tmp_path / "peer-python"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path / "site"} exec {sys.executable} -S "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    # In a process group of its own: on overrun the tool and every pytest it started go.
    return run_in_own_group([sys.executable, str(TOOL), *args], 540, cwd=ROOT)


@pytest.mark.timeout(600)
def test_runs_each_file_and_reports_what_did_not_pass(peer: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    done = run_tool(
        "--peer", str(peer), "--workdir", str(work), "--timeout", "120", "--file-timeout", "15",
        "--details",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "# 3 test files from" in out  # the skipped folders are left out
    assert "parsl/tests/test_good.py" not in out  # clean files are not listed
    assert "parsl/tests/test_bad.py: 1 failed, 1 passed, 1 error" in out
    assert "FAILED parsl/tests/test_bad.py::test_fails" in out
    assert "ERROR parsl/tests/test_bad.py::test_errors" in out
    assert "E AssertionError: a deliberate failure" in out
    assert "parsl/tests/test_slow.py:" in out and "(overran, killed)" in out
    assert "total: 3 passed, 1 failed, 1 error, 0 skipped; 2 of 3 files not clean" in out
    # The copy lives in the work folder, with the legacy hook rewritten for this pytest.
    conftest = (work / "parsl" / "tests" / "conftest.py").read_text()
    assert "def pytest_ignore_collect(collection_path):" in conftest


@pytest.mark.timeout(300)
def test_select_and_a_tests_folder_instead_of_a_peer(peer: Path, tmp_path: Path) -> None:
    folder = tmp_path / "site" / "parsl" / "tests"
    done = run_tool(
        "--tests-dir", str(folder), "--select", "test_good", "--workdir", str(tmp_path / "w")
    )
    assert done.returncode == 0, done.stderr
    assert "# 1 test files from" in done.stdout
    assert "total: 2 passed, 0 failed, 0 error, 0 skipped; 0 of 1 files not clean" in done.stdout
    # Without --workdir the copy goes to a temp dir of its own, removed at the end.
    temp = tmp_path / "tmp"
    temp.mkdir()
    again = run_in_own_group(
        [sys.executable, str(TOOL), "--tests-dir", str(folder), "--select", "test_good"],
        240,
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    assert again.returncode == 0, again.stderr
    assert "total: 2 passed" in again.stdout
    assert list(temp.glob("parsl-testsuite-*")) == []


@pytest.mark.timeout(120)
def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    missing = run_tool("--tests-dir", str(tmp_path), "--timeout", "0")
    assert missing.returncode == 2 and "--timeout" in missing.stderr
    neither = run_tool()
    assert neither.returncode == 2 and "one of the arguments --peer --tests-dir" in neither.stderr
    no_peer = run_tool("--peer", str(tmp_path / "no-such-python"))
    assert no_peer.returncode == 1 and "cannot run the peer interpreter" in no_peer.stderr
    no_parsl = run_tool("--peer", sys.executable + " -S", "--workdir", str(tmp_path / "w"))
    assert no_parsl.returncode == 1 and "Traceback" not in no_parsl.stderr
    not_tests = run_tool("--tests-dir", str(tmp_path))
    assert not_tests.returncode == 1 and "is not a parsl/tests folder" in not_tests.stderr
