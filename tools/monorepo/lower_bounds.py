"""``tools/lower-bounds <package>``: pip constraints pinning each direct dependency to its lower bound.

CI's lowest-direct-dependencies job installs a package with these
constraints, so its tests run against the oldest versions its
``pyproject.toml`` claims to support::

    python tools/lower-bounds staging > lowest.txt
    PIP_CONSTRAINT=lowest.txt pip install -e packages/kernel -e "packages/staging[test]"

The direct dependencies are the package's own (with every extra: its tests
exercise them, e.g. ``parsl-providers[kubernetes]``) and the kernel's, since the kernel is installed beside it. Our own
distributions (``parsl-*``) are not pinned: they are installed from this
tree, and ``tools/release check`` proves their ranges admit the versions
here. Standard library only, so it runs on a bare CI Python.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# name, optional [extras], version specifiers, optional ; marker
_REQUIREMENT = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(?P<spec>[^;]*?)\s*(;(?P<marker>.*))?$"
)
_LOWER = re.compile(r"(>=|==|~=)\s*(?P<version>[A-Za-z0-9.*+!_-]+)")


class LowerBoundError(Exception):
    """A dependency has no lower bound, so its lowest version cannot be tested."""


def lower_bound(requirement: str) -> tuple[str, str | None, str | None]:
    """(name, lowest allowed version or None, marker or None) of one requirement string."""
    m = _REQUIREMENT.match(requirement)
    if m is None:
        raise LowerBoundError(f"cannot parse requirement {requirement!r}")
    bounds = [b.group("version") for b in _LOWER.finditer(m.group("spec"))]
    marker = m.group("marker").strip() if m.group("marker") else None
    return m.group("name"), (bounds[0].rstrip(".*") if bounds else None), marker


def direct_requirements(package: str, root: Path = ROOT) -> list[str]:
    """The requirement strings of the package (with all its extras) and of the kernel."""
    requirements: list[str] = []
    for name in dict.fromkeys(["kernel", package]):
        pyproject = root / "packages" / name / "pyproject.toml"
        if not pyproject.is_file():
            have = sorted(p.parent.name for p in (root / "packages").glob("*/pyproject.toml"))
            raise LowerBoundError(f"no package {name!r}; packages: {', '.join(have)}")
        project = tomllib.loads(pyproject.read_text())["project"]
        requirements += project.get("dependencies", [])
        for extra in project.get("optional-dependencies", {}).values():
            requirements += extra
    return requirements


def constraints(package: str, root: Path = ROOT) -> str:
    """The constraints file text for ``package``."""
    lines = [
        f"# Lowest allowed versions of the direct dependencies of packages/{package} (and the kernel)."
    ]
    missing = []
    for req in direct_requirements(package, root):
        name, low, marker = lower_bound(req)
        if name.lower().startswith("parsl-"):
            continue
        if low is None:
            missing.append(req)
            continue
        lines.append(f"{name}=={low}" + (f" ; {marker}" if marker else ""))
    if missing:
        raise LowerBoundError(
            f"packages/{package}: these requirements have no lower bound, so their lowest version "
            f"cannot be tested; add one (e.g. 'name>=X.Y'): {', '.join(missing)}"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the constraints for one package."""
    parser = argparse.ArgumentParser(
        prog="tools/lower-bounds",
        description="Print pip constraints at each direct dependency's lower bound.",
    )
    parser.add_argument("package", help="a folder name under packages/, e.g. staging")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(constraints(args.package, args.root))
    except LowerBoundError as e:
        print(f"tools/lower-bounds: {e}", file=sys.stderr)
        return 1
    return 0
