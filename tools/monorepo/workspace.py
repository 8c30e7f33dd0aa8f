"""The repository's packages as data: folders, distributions, versions, ranges and entry points.

Everything here reads ``packages/*/pyproject.toml`` only; nothing imports
the packages themselves, so the tools work before (or without) an install.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

KERNEL = "kernel"
KERNEL_DIST = "parsl-kernel"

# Component kinds: the table names in components.toml. Each plugin kind is
# registered in the entry-point group "parsl.<kind>" (see parsl.plugins.GROUPS).
PLUGIN_KINDS = (
    "executors",
    "providers",
    "launchers",
    "staging",
    "serializers",
    "monitoring",
    "memoizers",
)
SITE_CONFIGS = "site_configs"
KINDS = (*PLUGIN_KINDS, SITE_CONFIGS)

_VERSION_LINE = re.compile(r'^(version\s*=\s*")([^"]+)(")\s*$', re.M)


class WorkspaceError(Exception):
    """A package folder or its pyproject.toml is not what the tools expect."""


def group_of(kind: str) -> str:
    """The entry-point group of a plugin kind (``executors`` -> ``parsl.executors``)."""
    return f"parsl.{kind}"


@dataclass(frozen=True)
class Package:
    """One folder under ``packages/``: one independently versioned distribution."""

    name: str  # the folder name, e.g. "launchers"; also the tag prefix
    path: Path
    distribution: str
    version: str
    dependencies: tuple[str, ...]
    optional_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # group -> {entry-point name -> "module:attribute"}, for parsl.* groups only
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def pyproject(self) -> Path:
        """The package's pyproject.toml."""
        return self.path / "pyproject.toml"

    @property
    def src(self) -> Path:
        """The package's source root (holds the ``parsl`` directory)."""
        return self.path / "src"

    @property
    def changelog(self) -> Path:
        """The package's CHANGELOG.md."""
        return self.path / "CHANGELOG.md"

    @property
    def fragments_dir(self) -> Path:
        """Where the package's towncrier changelog fragments live."""
        return self.path / "changelog.d"

    def tag(self, version: str) -> str:
        """The git tag of a release of this package."""
        return f"{self.name}-v{version}"

    def kernel_requirement(self) -> Requirement | None:
        """The package's requirement on parsl-kernel, or None (the kernel itself)."""
        for spec in self.dependencies:
            req = Requirement(spec)
            if req.name == KERNEL_DIST:
                return req
        return None

    def module_file(self, module: str) -> Path | None:
        """The file (or package directory) of ``module`` inside this package's src, if here."""
        base = self.src.joinpath(*module.split("."))
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
        if (base / "__init__.py").is_file():
            return base
        return None


def read_pyproject(path: Path) -> dict[str, Any]:
    """Parse a pyproject.toml, naming the file in the error."""
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise WorkspaceError(f"{path}: {e}") from e


def load_package(path: Path) -> Package:
    """Read one package folder."""
    data = read_pyproject(path / "pyproject.toml")
    project = data.get("project")
    if not isinstance(project, dict) or "name" not in project or "version" not in project:
        raise WorkspaceError(f"{path / 'pyproject.toml'}: needs [project] with name and version")
    eps = project.get("entry-points", {})
    groups = {g: dict(names) for g, names in eps.items() if g.startswith("parsl.")}
    optional = {k: tuple(v) for k, v in project.get("optional-dependencies", {}).items()}
    return Package(
        name=path.name,
        path=path,
        distribution=str(project["name"]),
        version=str(project["version"]),
        dependencies=tuple(project.get("dependencies", [])),
        optional_dependencies=optional,
        entry_points=groups,
    )


def load_packages(root: Path = ROOT) -> dict[str, Package]:
    """Every package under ``root/packages``, by folder name (sorted, kernel first)."""
    folders = sorted(p.parent for p in (root / "packages").glob("*/pyproject.toml"))
    if not folders:
        raise WorkspaceError(f"no packages/*/pyproject.toml under {root}")
    packages = {p.name: load_package(p) for p in folders}
    if KERNEL not in packages:
        raise WorkspaceError(f"{root / 'packages'} has no kernel folder")
    ordered = [KERNEL, *sorted(n for n in packages if n != KERNEL)]
    return {n: packages[n] for n in ordered}


def range_problems(packages: dict[str, Package], kernel_version: str | None = None) -> list[str]:
    """Why some package's parsl-kernel range does not admit the kernel version (empty if all do).

    ``kernel_version`` defaults to the kernel's current version; pass a new
    version to ask whether a kernel release would break the ranges.
    """
    version = Version(kernel_version or packages[KERNEL].version)
    problems = []
    for pkg in packages.values():
        if pkg.name == KERNEL:
            continue
        req = pkg.kernel_requirement()
        if req is None:
            problems.append(
                f"{pkg.pyproject.relative_to(pkg.path.parent.parent)}: {pkg.distribution} does not "
                f"depend on {KERNEL_DIST}; every package needs a range such as "
                f'"{KERNEL_DIST}>={version.major}.{version.minor},<{next_breaking(version)}"'
            )
        elif not str(req.specifier):
            problems.append(
                f"{pkg.distribution}: requirement {str(req)!r} has no version range; "
                f"use e.g. '{KERNEL_DIST}>={version.major}.{version.minor},<{next_breaking(version)}'"
            )
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(
                f"{pkg.distribution} requires {req} but the kernel is {version}: widen its range "
                f"in packages/{pkg.name}/pyproject.toml (and release it), or keep the kernel "
                "inside the range"
            )
    return problems


def next_breaking(version: Version) -> str:
    """The first version that may break users of ``version`` (0.x: next minor; else next major)."""
    if version.major == 0:
        return f"0.{version.minor + 1}"
    return f"{version.major + 1}"


def compatible_range(version: str) -> str:
    """A requirement range that admits ``version`` and its compatible successors."""
    v = Version(version)
    return f">={v.major}.{v.minor},<{next_breaking(v)}"


def set_version(pyproject_text: str, new_version: str) -> str:
    """The pyproject text with [project]'s ``version = "..."`` replaced (exactly one such line)."""
    matches = _VERSION_LINE.findall(pyproject_text)
    if len(matches) != 1:
        raise WorkspaceError(
            f"expected exactly one 'version = \"...\"' line in pyproject.toml, found {len(matches)}"
        )
    return _VERSION_LINE.sub(lambda m: f"{m.group(1)}{new_version}{m.group(3)}", pyproject_text)
