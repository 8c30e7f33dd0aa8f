"""tools/components: components.toml, the entry points, the import paths and the generated files agree.

Each failure case edits a copy of the repository's data (components.toml,
the packages' pyproject files, workflows, configs) and runs the tool on it
with ``--root``; the import paths still resolve in the development venv.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / "tools" / "components"


def components(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args, "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what tools/components reads, generated files included."""
    copy = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "tests", "*.egg-info")
    shutil.copytree(ROOT / "packages", copy / "packages", ignore=ignore)
    shutil.copytree(ROOT / ".github" / "workflows", copy / ".github" / "workflows")
    shutil.copytree(ROOT / "configs", copy / "configs")
    (copy / "docs").mkdir()
    for rel in ("components.toml", "CODEOWNERS", "docs/components.md"):
        shutil.copy2(ROOT / rel, copy / rel)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def remove_table(path: Path, header: str) -> None:
    text = path.read_text()
    start = text.index(f"[{header}]\n")
    end = text.index("\n[", start + 1) + 1
    path.write_text(text[:start] + text[end:])


def test_the_repository_passes_the_check() -> None:
    result = components("check")
    assert result.returncode == 0, result.stdout
    m = re.search(r"OK \((\d+) components, (\d+) with a sponsor, \d+ packages\)", result.stdout)
    assert m is not None, result.stdout
    assert int(m.group(1)) >= 20


def test_generate_is_idempotent_and_a_fresh_copy_passes(repo: Path) -> None:
    assert components("check", root=repo).returncode == 0
    result = components("generate", root=repo)
    assert result.stdout.splitlines() == ["unchanged  CODEOWNERS", "unchanged  docs/components.md"]


def test_codeowners_keeps_every_package_folder_and_repository_path() -> None:
    owners = dict(
        line.split(maxsplit=1)
        for line in (ROOT / "CODEOWNERS").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for folder in (ROOT / "packages").glob("*/pyproject.toml"):
        assert owners[f"/packages/{folder.parent.name}/"].startswith("@parsl/")
    for path in ("*", "/configs/", "/docs/", "/tools/", "/.github/", "/integration-tests/"):
        assert owners[path].startswith("@parsl/"), path


def test_an_entry_point_missing_from_components_toml_fails(repo: Path) -> None:
    remove_table(repo / "components.toml", "launchers.SrunLauncher")
    result = components("check", root=repo)
    assert result.returncode == 1
    assert (
        "packages/launchers/pyproject.toml registers parsl.launchers entry point 'SrunLauncher', "
        "but components.toml has no [launchers.SrunLauncher]"
    ) in result.stdout


def test_a_listed_component_that_no_package_registers_fails(repo: Path) -> None:
    with (repo / "components.toml").open("a") as f:
        f.write(
            '\n[executors.GhostExecutor]\npackage = "executors"\n'
            'import_path = "parsl.executors.GhostExecutor"\nsponsor = "@parsl/executors-sponsors"\n'
            'maturity = "experimental"\ndescription = "Not there."\n'
        )
    # Appended after [site_configs], so TOML reads it as a table of its own: still an executor.
    result = components("check", root=repo)
    assert result.returncode == 1
    assert (
        "components.toml lists [executors.GhostExecutor], but no packages/*/pyproject.toml"
        in result.stdout
    )


def test_an_import_path_that_does_not_import_fails(repo: Path) -> None:
    edit(
        repo / "components.toml",
        '"parsl.launchers.SrunLauncher"',
        '"parsl.launchers.NoSuchLauncher"',
    )
    result = components("check", root=repo)
    assert result.returncode == 1
    assert (
        "[launchers.SrunLauncher]: import_path 'parsl.launchers.NoSuchLauncher' does not import"
        in result.stdout
    )


def test_an_import_path_naming_another_object_fails(repo: Path) -> None:
    edit(
        repo / "components.toml",
        '"parsl.launchers.SrunLauncher"',
        '"parsl.launchers.SimpleLauncher"',
    )
    result = components("check", root=repo)
    assert result.returncode == 1
    assert (
        "not the object the entry point registers ('parsl.launchers.hpc.srun:SrunLauncher')"
        in result.stdout
    )


def test_stale_generated_files_fail_until_regenerated(repo: Path) -> None:
    edit(
        repo / "components.toml",
        'staging = "@parsl/staging-sponsors"',
        'staging = "@parsl/data-team"',
    )
    result = components("check", root=repo)
    assert result.returncode == 1
    assert "CODEOWNERS is out of date with components.toml" in result.stdout
    assert "+/packages/staging/" in result.stdout  # the diff shows the new line
    assert "docs/components.md is out of date" in result.stdout
    assert components("generate", root=repo).returncode == 0
    assert components("check", root=repo).returncode == 0
    codeowners = (repo / "CODEOWNERS").read_text()
    assert re.search(r"^/packages/staging/ +@parsl/data-team$", codeowners, re.M)
    # Its components keep their sponsor, so their own modules get lines of their own.
    assert re.search(
        r"^/packages/staging/src/parsl/data_provider/http/ +@parsl/staging-sponsors$",
        codeowners,
        re.M,
    )


def test_a_component_with_its_own_sponsor_gets_its_own_codeowners_line(repo: Path) -> None:
    text = (repo / "components.toml").read_text()
    srun = text.index("[launchers.SrunLauncher]")
    head, tail = text[:srun], text[srun:]
    tail = tail.replace(
        'sponsor = "@parsl/launchers-sponsors"', 'sponsor = "@parsl/slurm-sponsors"', 1
    )
    (repo / "components.toml").write_text(head + tail)
    assert components("generate", root=repo).returncode == 0
    codeowners = (repo / "CODEOWNERS").read_text()
    assert re.search(
        r"^/packages/launchers/src/parsl/launchers/hpc/srun.py +@parsl/slurm-sponsors$",
        codeowners,
        re.M,
    )
    page = (repo / "docs" / "components.md").read_text()
    assert (
        "| `SrunLauncher` | `from parsl.launchers import SrunLauncher` | `parsl-launchers` | `@parsl/slurm-sponsors` |"
        in page
    )


def test_an_unsponsored_component_is_counted_and_shown_as_wanted(repo: Path) -> None:
    edit(repo / "components.toml", 'sponsor = "@parsl/monitoring-sponsors"', 'sponsor = ""')
    assert components("generate", root=repo).returncode == 0
    page = (repo / "docs" / "components.md").read_text()
    total = int(re.search(r"\*\*(\d+) components", page).group(1))  # type: ignore[union-attr]
    assert f"**{total} components, {total - 1} with a sponsor.**" in page.replace("\n", " ")
    assert "| `MonitoringHub` |" in page and "| *wanted* |" in page


@pytest.mark.parametrize(
    "old, new, message",
    [
        (
            'maturity = "experimental"',
            'maturity = "alpha"',
            "maturity 'alpha' is not one of experimental, beta, stable, deprecated",
        ),
        ('sponsor = "@parsl/kernel-sponsors"', 'sponsor = "kernel team"', "is not a GitHub handle"),
        ('package = "launchers"', 'package = "hpc"', "package 'hpc' is not listed in [packages]"),
        (
            'import_path = "parsl.executors.ThreadPoolExecutor"\n',
            "",
            "missing field(s) import_path",
        ),
        ('maturity = "beta"', "maturity = 3", "maturity must be a string, not int"),
    ],
)
def test_malformed_entries_are_reported_with_their_table(
    repo: Path, old: str, new: str, message: str
) -> None:
    edit(repo / "components.toml", old, new)
    result = components("check", root=repo)
    assert result.returncode == 1
    assert message in result.stdout


def test_a_site_configuration_file_that_is_not_listed_fails(repo: Path) -> None:
    (repo / "configs" / "frontier.py").write_text("config = None\n")
    result = components("check", root=repo)
    assert result.returncode == 1
    assert (
        "configs/frontier.py is a site configuration that components.toml does not list"
        in result.stdout
    )


def test_a_listed_site_configuration_passes(repo: Path) -> None:
    (repo / "configs" / "testsite.py").write_text("config = 'a Config would go here'\n")
    with (repo / "components.toml").open("a") as f:
        f.write(
            '\n[site_configs.testsite]\npackage = "configs"\nimport_path = "configs.testsite.config"\n'
            'sponsor = "@parsl/configs-sponsors"\nmaturity = "experimental"\n'
            'description = "A test site."\npath = "configs/testsite.py"\n'
        )
    assert components("generate", root=repo).returncode == 0
    result = components("check", root=repo)
    assert result.returncode == 0, result.stdout
    assert (
        "| `testsite` | `from configs.testsite import config` |"
        in (repo / "docs" / "components.md").read_text()
    )


def test_a_package_without_its_workflow_fails(repo: Path) -> None:
    (repo / ".github" / "workflows" / "package-staging.yml").unlink()
    result = components("check", root=repo)
    assert result.returncode == 1
    assert "packages/staging has no CI workflow" in result.stdout


def test_a_new_package_folder_needs_a_sponsor(repo: Path) -> None:
    shutil.copytree(repo / "packages" / "monitoring", repo / "packages" / "radios")
    edit(
        repo / "packages" / "radios" / "pyproject.toml",
        'name = "parsl-monitoring"',
        'name = "parsl-radios"',
    )
    result = components("check", root=repo)
    assert result.returncode == 1
    assert "packages/radios/ has no sponsor" in result.stdout
