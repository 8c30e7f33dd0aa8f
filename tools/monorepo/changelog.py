"""Changelog fragments (towncrier) and the CHANGELOG.md of a package."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .workspace import Package, read_pyproject

FRAGMENT_TYPES = ("feature", "bugfix", "doc", "removal", "misc")
IGNORED = {"readme.md", ".gitignore", ".gitkeep"}
_FRAGMENT = re.compile(r"^(\+[\w.-]+|\d+)\.(?P<type>[a-z]+)(\.\d+)?\.md$")


class ChangelogError(Exception):
    """The fragments or the CHANGELOG.md of a package cannot be turned into release notes."""


def fragments(pkg: Package) -> list[Path]:
    """The fragment files of a package (everything in changelog.d but its README)."""
    if not pkg.fragments_dir.is_dir():
        return []
    return sorted(p for p in pkg.fragments_dir.iterdir() if p.name.lower() not in IGNORED)


def fragment_problems(pkg: Package) -> list[str]:
    """Misnamed or empty fragments, and a missing towncrier configuration."""
    problems = []
    config = read_pyproject(pkg.pyproject).get("tool", {}).get("towncrier")
    if not isinstance(config, dict) or config.get("directory") != "changelog.d":
        problems.append(
            f'packages/{pkg.name}/pyproject.toml needs [tool.towncrier] with directory = "changelog.d"'
        )
    if not pkg.changelog.is_file():
        problems.append(f"packages/{pkg.name}/CHANGELOG.md is missing")
    for frag in fragments(pkg):
        rel = f"packages/{pkg.name}/changelog.d/{frag.name}"
        m = _FRAGMENT.match(frag.name)
        if not frag.is_file() or m is None or m.group("type") not in FRAGMENT_TYPES:
            problems.append(
                f"{rel}: a fragment is named <issue>.<type>.md or +<slug>.<type>.md with type one of "
                f"{', '.join(FRAGMENT_TYPES)}"
            )
        elif not frag.read_text().strip():
            problems.append(f"{rel} is empty: write what changed, for the package's users")
    return problems


def render_fragments(package_dir: Path, version: str, date: str) -> str:
    """The release notes towncrier makes from a package folder's fragments (nothing written)."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "towncrier",
            "build",
            "--draft",
            "--version",
            version,
            "--date",
            date,
        ],
        cwd=package_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise ChangelogError(
            f"towncrier could not render the fragments of {package_dir}:\n{result.stdout}{result.stderr}"
        )
    return result.stdout.strip() + "\n"


def unreleased_heading(version: str) -> re.Pattern[str]:
    """The heading of a hand-written section for a version not yet released."""
    return re.compile(rf"^## {re.escape(version)} \(unreleased\)[ \t]*$", re.M)


def add_release_notes(changelog: str, version: str, date: str, notes: str | None) -> str:
    """CHANGELOG.md with this release's section: after the title, newest first.

    A hand-written ``## <version> (unreleased)`` section becomes the release's
    section (dated), with the fragments' notes appended to it.
    """
    heading = unreleased_heading(version)
    body = ""
    if notes:
        lines = notes.strip().splitlines()
        body = "\n".join(lines[1:]).strip() + "\n" if lines[0].startswith("## ") else notes
    m = heading.search(changelog)
    if m is not None:
        start = m.end()
        nxt = re.compile(r"^## ", re.M).search(changelog, start)
        end = nxt.start() if nxt else len(changelog)
        section = changelog[start:end].rstrip("\n")
        merged = f"## {version} ({date}){section}\n" + (f"\n{body}" if body else "") + "\n"
        return changelog[: m.start()] + merged + changelog[end:].lstrip("\n")
    if not notes:
        raise ChangelogError(f"no changelog fragments and no '## {version} (unreleased)' section")
    title_end = 0
    if changelog.startswith("# "):
        first_newline = changelog.find("\n")
        title_end = len(changelog) if first_newline < 0 else first_newline + 1
    head, tail = changelog[:title_end], changelog[title_end:].lstrip("\n")
    section = f"## {version} ({date})\n\n{body}".rstrip("\n") + "\n"
    return f"{head}\n{section}\n{tail}".rstrip("\n") + "\n"
