"""The generated per-site pages: complete, current, and written by the command."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsl.configs import get_entry, list_entries
from parsl.configs.cli import main
from parsl.configs.sitedocs import site_page, write_site_pages

DOCS_SITES = Path(__file__).resolve().parents[3] / "docs" / "sites"


@pytest.mark.parametrize("name", [e.name for e in list_entries()])
def test_committed_page_is_current(name: str) -> None:
    path = DOCS_SITES / f"{name}.md"
    assert path.is_file(), f"missing {path}: run parsl-configs docs docs/sites"
    assert path.read_text() == site_page(get_entry(name)), (
        f"{path} is out of date: run .venv/bin/parsl-configs docs docs/sites"
    )


def test_page_has_parameters_script_and_sources() -> None:
    page = site_page(get_entry("frontier"))
    assert "| `account` | yes | OLCF project" in page
    assert "#SBATCH --partition=batch" in page and "- OLCF user docs" in page
    assert "## Notes" in page


def test_unloadable_entry_page_says_so_and_has_no_script(with_unloadable_entry: str) -> None:
    page = site_page(get_entry(with_unloadable_entry))
    assert "**Not loadable:**" in page and "## The script one block submits" not in page


def test_kubernetes_page_shows_the_pods_as_json() -> None:
    page = site_page(get_entry("kubernetes"))
    assert (
        "## The pods one block creates" in page
        and '```json\n[\n  {\n    "apiVersion": "v1"' in page
    )


def test_docs_command_writes_every_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs", str(tmp_path / "out")]) == 0
    written = sorted(p.stem for p in (tmp_path / "out").glob("*.md"))
    assert written == sorted(e.name for e in list_entries())
    assert len(capsys.readouterr().out.splitlines()) == len(written)
    assert write_site_pages(tmp_path / "again")[0].read_text().startswith("# ")
