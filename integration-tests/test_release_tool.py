"""tools/release and tools/lower-bounds, on copies of the packages.

A release bumps one package, collects its changelog fragments, builds and
checks its sdist and wheel, installs the wheel into a fresh venv beside the
other packages' current wheels, and prints the tag; ``--dry-run`` changes
nothing. A kernel version outside another package's range is refused.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RELEASE = ROOT / "tools" / "release"
LOWER_BOUNDS = ROOT / "tools" / "lower-bounds"


def tool(script: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the packages (sources, pyproject files, changelogs) to release from."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist")
    shutil.copytree(ROOT / "packages", copy / "packages", ignore=ignore)
    shutil.copytree(ROOT / "configs", copy / "configs", ignore=ignore)  # parsl-configs ships it
    # Start from "just released": the fragments waiting in the real tree are not the tests' own.
    for waiting in (copy / "packages").glob("*/changelog.d/*.md"):
        if waiting.name != "README.md":
            waiting.unlink()
    return copy


def snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def version_of(repo: Path, package: str) -> str:
    data = tomllib.loads((repo / "packages" / package / "pyproject.toml").read_text())
    return str(data["project"]["version"])


def next_patch(version: str) -> str:
    major, minor, patch = (int(x) for x in version.split(".")[:3])
    return f"{major}.{minor}.{patch + 1}"


def test_the_repository_passes_the_release_check() -> None:
    result = tool(RELEASE, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every package's parsl-kernel range admits kernel" in result.stdout


@pytest.mark.timeout(300)
def test_a_dry_run_builds_checks_and_installs_but_changes_nothing(repo: Path) -> None:
    fragments = repo / "packages" / "kernel" / "changelog.d"
    (fragments / "+faster.feature.md").write_text("Tasks start `twice` as fast.\n")
    (fragments / "17.bugfix.md").write_text("Shutdown no longer waits forever.\n")
    before = snapshot(repo)
    new = next_patch(version_of(repo, "kernel"))
    result = tool(RELEASE, "kernel", new, "--dry-run", "--root", str(repo))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "2 fragment(s) collected" in out
    assert f"built      parsl_kernel-{new}.tar.gz, parsl_kernel-{new}-py3-none-any.whl" in out
    assert f"parsl-kernel {new}" in out and "parsl-launchers" in out  # installed beside the others
    assert "pip check OK; entry points load; a workflow ran" in out
    assert "### Features\n\n- Tasks start `twice` as fast." in out
    assert "### Bugfixes\n\n- Shutdown no longer waits forever. (#17)" in out
    assert out.rstrip().endswith(f"tag: kernel-v{new}")
    assert snapshot(repo) == before


@pytest.mark.timeout(300)
def test_a_release_bumps_collects_builds_and_names_the_tag(repo: Path) -> None:
    old = version_of(repo, "launchers")
    new = next_patch(old)
    fragment = repo / "packages" / "launchers" / "changelog.d" / "+quiet.feature.md"
    fragment.write_text("`SrunLauncher` accepts `overrides`.\n")
    kernel_before = (repo / "packages" / "kernel" / "pyproject.toml").read_text()
    result = tool(RELEASE, "launchers", new, "--root", str(repo))
    assert result.returncode == 0, result.stdout + result.stderr
    assert version_of(repo, "launchers") == new
    changelog = (repo / "packages" / "launchers" / "CHANGELOG.md").read_text()
    assert changelog.startswith("# Changelog: parsl-launchers\n\n## " + new + " (")
    assert "- `SrunLauncher` accepts `overrides`." in changelog
    assert f"## {old} " in changelog  # the earlier section is still there, below
    assert not fragment.exists()
    assert (repo / "packages" / "launchers" / "changelog.d" / "README.md").exists()
    built = sorted(p.name for p in (repo / "build" / "release" / f"launchers-{new}").iterdir())
    assert built == [f"parsl_launchers-{new}-py3-none-any.whl", f"parsl_launchers-{new}.tar.gz"]
    assert f"git tag -a launchers-v{new}" in result.stdout
    assert result.stdout.rstrip().endswith(f"tag: launchers-v{new}")
    assert (repo / "packages" / "kernel" / "pyproject.toml").read_text() == kernel_before


def test_a_kernel_version_outside_the_other_packages_ranges_is_refused(repo: Path) -> None:
    before = snapshot(repo)
    result = tool(RELEASE, "kernel", "9.0.0", "--dry-run", "--root", str(repo))
    assert result.returncode == 1
    for package in ("executors", "launchers", "monitoring", "providers", "staging"):
        assert f"parsl-{package} requires parsl-kernel" in result.stderr
        assert f"widen its range in packages/{package}/pyproject.toml" in result.stderr
    assert snapshot(repo) == before


def test_the_range_check_fails_when_a_package_excludes_the_current_kernel(repo: Path) -> None:
    pyproject = repo / "packages" / "staging" / "pyproject.toml"
    text = pyproject.read_text()
    pyproject.write_text(text.replace('"parsl-kernel>=0.1,<0.2"', '"parsl-kernel>=0.5,<0.6"'))
    result = tool(RELEASE, "check", "--root", str(repo))
    assert result.returncode == 1
    assert "parsl-staging requires parsl-kernel<0.6,>=0.5 but the kernel is" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["kernel", "banana"], "'banana' is not a PEP 440 version"),
        (["kernel", "0.0.1"], "the new version must be greater"),
        (["kernel", "0.1.01"], "write the version in its normal form"),
        (["gadgets", "1.0.0"], "no package 'gadgets'"),
        (["launchers", "0.1.9"], "no changelog fragments and no '## 0.1.9 (unreleased)' section"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(repo: Path, args: list[str], message: str) -> None:
    result = tool(RELEASE, *args, "--dry-run", "--root", str(repo))
    assert result.returncode == 1
    assert message in result.stderr


def test_misnamed_fragments_fail_the_check(repo: Path) -> None:
    (repo / "packages" / "monitoring" / "changelog.d" / "notes.txt").write_text("hi\n")
    (repo / "packages" / "monitoring" / "changelog.d" / "+x.feature.md").write_text("\n")
    result = tool(RELEASE, "check", "--root", str(repo))
    assert result.returncode == 1
    assert "packages/monitoring/changelog.d/notes.txt: a fragment is named" in result.stdout
    assert "packages/monitoring/changelog.d/+x.feature.md is empty" in result.stdout


def test_a_tag_that_does_not_match_the_version_is_refused(repo: Path) -> None:
    result = tool(RELEASE, "--from-tag", "kernel-v9.9.9", "--root", str(repo))
    assert result.returncode == 1
    assert "tag kernel-v9.9.9 names 9.9.9, but packages/kernel/pyproject.toml has" in result.stderr


def test_lower_bounds_pin_third_party_dependencies_only() -> None:
    result = tool(LOWER_BOUNDS, "staging")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    assert "dill==0.3.6" in lines  # the kernel's, installed beside it
    assert "pyftpdlib==2.0" in lines  # staging's test extra
    assert not [line for line in lines if line.startswith("parsl")]


def test_lower_bounds_refuse_a_dependency_without_one(tmp_path: Path) -> None:
    for name, deps in (
        ("kernel", '["dill"]'),
        ("widgets", '["parsl-kernel>=0.1,<0.2", "requests"]'),
    ):
        (tmp_path / "packages" / name).mkdir(parents=True)
        (tmp_path / "packages" / name / "pyproject.toml").write_text(
            f'[project]\nname = "parsl-{name}"\nversion = "0.1.0"\ndependencies = {deps}\n'
        )
    result = tool(LOWER_BOUNDS, "widgets", "--root", str(tmp_path))
    assert result.returncode == 1
    assert "have no lower bound" in result.stderr
    assert result.stderr.rstrip().endswith("dill, requests")
