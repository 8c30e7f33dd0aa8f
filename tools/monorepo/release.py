"""``tools/release``: prepare one package's release, or check that every package could be released.

tools/release <package> <new-version> [--dry-run] [--out DIR]
    Bump packages/<package>/pyproject.toml to <new-version>, collect its
    changelog fragments into its CHANGELOG.md (towncrier), build its sdist
    and wheel (hatchling), check their metadata and layout, install the
    wheel into a fresh venv beside every other package's current wheel
    (pip check proves the version ranges hold), import it, run a workflow,
    and print the tag <package>-v<new-version> to create. Nothing is
    pushed or tagged. With --dry-run the tree is left unchanged.

tools/release check
    Every package's parsl-kernel range admits the current kernel version,
    and every changelog fragment is well named (CI runs this).

tools/release --from-tag <package>-v<version> [--out DIR]
    CI on a release tag: build and check the tagged version as it is.
"""

from __future__ import annotations

import argparse
import datetime
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

from .artifacts import ArtifactError, build, check_artifacts, install_beside_others
from .changelog import (
    ChangelogError,
    add_release_notes,
    fragment_problems,
    fragments,
    render_fragments,
    unreleased_heading,
)
from .workspace import (
    KERNEL,
    ROOT,
    Package,
    WorkspaceError,
    load_packages,
    range_problems,
    set_version,
)

COPY_IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist", ".pytest_cache")


class ReleaseError(Exception):
    """The release cannot go ahead; the message says why and what to do."""


def existing_tag(root: Path, tag: str) -> bool:
    """True if the git repository at ``root`` already has ``tag`` (False outside git)."""
    try:
        out = subprocess.run(
            ["git", "tag", "--list", tag],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and tag in out.stdout.split()


def check_all(root: Path) -> int:
    """``tools/release check``: ranges and fragments of every package."""
    packages = load_packages(root)
    problems = range_problems(packages)
    for pkg in packages.values():
        problems += fragment_problems(pkg)
        try:
            Version(pkg.version)
        except InvalidVersion:
            problems.append(
                f"packages/{pkg.name}: version {pkg.version!r} is not a PEP 440 version"
            )
    if problems:
        print(f"tools/release check: {len(problems)} problem(s)")
        for p in problems:
            print(f"- {p}")
        return 1
    kernel = packages[KERNEL].version
    pending = sum(len(fragments(p)) for p in packages.values())
    print(
        f"tools/release check: OK (every package's parsl-kernel range admits kernel {kernel}; "
        f"{pending} changelog fragment(s) waiting for a release)"
    )
    return 0


def _validate_version(pkg: Package, new: str) -> Version:
    try:
        version = Version(new)
    except InvalidVersion as e:
        raise ReleaseError(f"{new!r} is not a PEP 440 version (e.g. 0.2.0)") from e
    if str(version) != new:
        raise ReleaseError(f"write the version in its normal form: {version} (not {new!r})")
    current = Version(pkg.version)
    first_release = version == current and unreleased_heading(new).search(pkg.changelog.read_text())
    if version < current or (version == current and not first_release):
        raise ReleaseError(
            f"{pkg.distribution} is at {current}; the new version must be greater "
            f"(or equal, for a first release whose CHANGELOG.md has '## {current} (unreleased)')"
        )
    return version


def copy_package(source: Path, staged: Path) -> None:
    """Copy a package folder, and the files its wheel force-includes from outside it.

    A path such as ``../../configs`` (parsl-configs ships the repository's
    catalog) is copied to the same place relative to the copy, so the build
    finds it there too.
    """
    import tomllib

    shutil.copytree(source, staged, ignore=COPY_IGNORE)
    meta = tomllib.loads((source / "pyproject.toml").read_text())
    wheel = (
        meta.get("tool", {}).get("hatch", {}).get("build", {}).get("targets", {}).get("wheel", {})
    )
    for rel in wheel.get("force-include", {}):
        if not rel.startswith(".."):
            continue
        origin, target = (source / rel).resolve(), (staged / rel).resolve()
        if origin.is_dir() and not target.exists():
            shutil.copytree(origin, target, ignore=COPY_IGNORE)
        elif origin.is_file() and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


def stage(pkg: Package, new: str, work: Path, date: str) -> tuple[Path, str, int]:
    """A copy of the package folder with the new version and release notes; (folder, CHANGELOG, fragments)."""
    staged = work / "src" / pkg.name
    copy_package(pkg.path, staged)
    frags = fragments(pkg)
    notes = render_fragments(staged, new, date) if frags else None
    try:
        changelog = add_release_notes(pkg.changelog.read_text(), new, date, notes)
    except ChangelogError as e:
        raise ReleaseError(
            f"packages/{pkg.name}: {e}; add a fragment such as "
            f"packages/{pkg.name}/changelog.d/+what-changed.feature.md"
        ) from e
    (staged / "pyproject.toml").write_text(set_version(pkg.pyproject.read_text(), new))
    (staged / "CHANGELOG.md").write_text(changelog)
    for frag in frags:
        (staged / "changelog.d" / frag.name).unlink()
    return staged, changelog, len(frags)


def build_and_verify(
    pkg: Package, version: str, source: Path, packages: dict[str, Package], work: Path
) -> list[Path]:
    """Build from ``source``, check the artifacts, install beside the others; return the artifacts."""
    built = build(source, work / "dist")
    print(f"  built      {built.sdist.name}, {built.wheel.name}")
    problems = check_artifacts(pkg, version, built)
    if problems:
        raise ReleaseError("the built artifacts are not right:\n  " + "\n  ".join(problems))
    print(
        "  metadata   name, version, summary, README, license, kernel range, entry points, layout: OK"
    )
    installed = install_beside_others(pkg, built, packages, work / "fresh")
    if installed.get(pkg.distribution) != version:
        raise ReleaseError(
            f"the fresh venv has {pkg.distribution} {installed.get(pkg.distribution)}"
        )
    print("  fresh venv " + ", ".join(f"{d} {v}" for d, v in sorted(installed.items())))
    print("             pip check OK; entry points load; a workflow ran")
    return [built.sdist, built.wheel]


def release_section(changelog: str, version: str) -> str:
    """The ``## <version> (...)`` section of a changelog text."""
    m = re.search(rf"^## {re.escape(version)} \(.*?(?=^## |\Z)", changelog, re.M | re.S)
    return m.group(0).rstrip() + "\n" if m else ""


def prepare(root: Path, name: str, new: str, *, dry_run: bool, out: Path | None) -> int:
    """``tools/release <package> <new-version>``."""
    packages = load_packages(root)
    pkg = packages.get(name)
    if pkg is None:
        raise ReleaseError(f"no package {name!r}; packages: {', '.join(packages)}")
    version = _validate_version(pkg, new)
    tag = pkg.tag(new)
    if existing_tag(root, tag):
        raise ReleaseError(f"tag {tag} already exists: {pkg.distribution} {new} was released")
    problems = range_problems(packages, new if name == KERNEL else None)
    bad_fragments = fragment_problems(pkg)
    if problems or bad_fragments:
        raise ReleaseError(
            f"{pkg.distribution} {version} would break the version ranges or has bad fragments:\n  "
            + "\n  ".join(problems + bad_fragments)
        )
    print(f"Releasing {pkg.distribution} {pkg.version} -> {new}{' (dry run)' if dry_run else ''}")
    date = datetime.date.today().isoformat()
    with tempfile.TemporaryDirectory(prefix=f"release-{name}-") as tmp:
        work = Path(tmp)
        staged, changelog, n_fragments = stage(pkg, new, work, date)
        print(f"  changelog  {n_fragments} fragment(s) collected into CHANGELOG.md")
        artifacts = build_and_verify(pkg, new, staged, packages, work)
        if dry_run:
            print("Dry run: the tree is unchanged. CHANGELOG.md would get this section:\n")
            print(release_section(changelog, new))
        else:
            pkg.pyproject.write_text((staged / "pyproject.toml").read_text())
            pkg.changelog.write_text(changelog)
            for frag in fragments(pkg):
                frag.unlink()
            print(
                f"  updated    packages/{name}/pyproject.toml, packages/{name}/CHANGELOG.md; fragments removed"
            )
        if out is not None or not dry_run:
            dest = out or root / "build" / "release" / f"{name}-{new}"
            dest.mkdir(parents=True, exist_ok=True)
            for a in artifacts:
                shutil.copy2(a, dest)
            print(f"  artifacts  {dest}")
    if not dry_run:
        print(
            "Next: review, commit, then create and push the tag:\n"
            f'  git commit -am "{pkg.distribution} {new}" && git tag -a {tag} -m "{pkg.distribution} {new}"\n'
            f"  git push origin {tag}   # the release workflow builds and publishes it"
        )
    print(f"tag: {tag}")
    return 0


def from_tag(root: Path, tag: str, out: Path | None) -> int:
    """``tools/release --from-tag <package>-v<version>``: build and check a tagged tree as it is."""
    name, sep, version = tag.rpartition("-v")
    packages = load_packages(root)
    if not sep or name not in packages:
        raise ReleaseError(
            f"tag {tag!r} is not <package>-v<version> with a package in {', '.join(packages)}"
        )
    pkg = packages[name]
    if pkg.version != version:
        raise ReleaseError(
            f"tag {tag} names {version}, but packages/{name}/pyproject.toml has {pkg.version}"
        )
    problems = range_problems(packages)
    if problems:
        raise ReleaseError("the version ranges do not hold:\n  " + "\n  ".join(problems))
    print(f"Building {pkg.distribution} {version} from tag {tag}")
    with tempfile.TemporaryDirectory(prefix=f"release-{name}-") as tmp:
        work = Path(tmp)
        staged = work / "src" / name
        copy_package(pkg.path, staged)
        artifacts = build_and_verify(pkg, version, staged, packages, work)
        dest = out or root / "build" / "release" / f"{name}-{version}"
        dest.mkdir(parents=True, exist_ok=True)
        for a in artifacts:
            shutil.copy2(a, dest)
        print(f"  artifacts  {dest}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="tools/release",
        description="Prepare one package's release (bump, changelog, build, check, tag name).",
        epilog="tools/release check: ranges and fragments of every package.",
    )
    parser.add_argument("package", nargs="?", help="folder under packages/, or 'check'")
    parser.add_argument("version", nargs="?", help="the new version, e.g. 0.1.1")
    parser.add_argument("--dry-run", action="store_true", help="build and check, change nothing")
    parser.add_argument("--out", type=Path, help="copy the sdist and wheel here")
    parser.add_argument(
        "--from-tag", metavar="TAG", help="build and check a tagged version as it is"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.from_tag:
            return from_tag(root, args.from_tag, args.out)
        if args.package == "check" and args.version is None:
            return check_all(root)
        if not args.package or not args.version:
            parser.error("give <package> <new-version>, or 'check', or --from-tag TAG")
        return prepare(root, args.package, args.version, dry_run=args.dry_run, out=args.out)
    except (ReleaseError, WorkspaceError, ArtifactError, ChangelogError) as e:
        print(f"tools/release: {e}", file=sys.stderr)
        return 1
