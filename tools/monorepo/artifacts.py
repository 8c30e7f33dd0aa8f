"""Building a package's sdist and wheel, checking them, and installing them beside the others."""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .workspace import KERNEL, KERNEL_DIST, Package

# Directories whose files belong to the kernel alone; other packages add subpackages beneath.
KERNEL_OWNED_DIRS = {
    "parsl",
    "parsl/executors",
    "parsl/providers",
    "parsl/launchers",
    "parsl/monitoring",
    "parsl/data_provider",
    "parsl/serialize",
}
STEP_TIMEOUT_S = 600


class ArtifactError(Exception):
    """A build failed, or its sdist or wheel is not what the package declares."""


@dataclass(frozen=True)
class Built:
    """The two files a build produced."""

    sdist: Path
    wheel: Path


def run(cmd: list[str], cwd: Path | None = None, what: str = "") -> str:
    """Run a command, bounded in time; raise ArtifactError with its output when it fails."""
    try:
        result = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as e:
        raise ArtifactError(f"{what or cmd[0]}: did not finish in {STEP_TIMEOUT_S} s") from e
    if result.returncode != 0:
        raise ArtifactError(
            f"{what or ' '.join(cmd)} failed (exit {result.returncode}):\n"
            + textwrap.indent((result.stdout + result.stderr).strip()[-4000:], "  ")
        )
    return result.stdout


def build(package_dir: Path, out: Path, *, wheel_only: bool = False) -> Built:
    """Build with hatchling (no network needed); return the sdist and wheel paths."""
    out.mkdir(parents=True, exist_ok=True)
    before = set(out.iterdir())
    targets = ["-t", "wheel"] if wheel_only else []
    run(
        [sys.executable, "-m", "hatchling", "build", *targets, "-d", str(out)],
        cwd=package_dir,
        what=f"hatchling build in {package_dir}",
    )
    new = set(out.iterdir()) - before
    wheels = [p for p in new if p.suffix == ".whl"]
    sdists = [p for p in new if p.name.endswith(".tar.gz")]
    if len(wheels) != 1 or (not wheel_only and len(sdists) != 1):
        raise ArtifactError(f"hatchling build in {package_dir} made {sorted(p.name for p in new)}")
    return Built(sdist=sdists[0] if sdists else wheels[0], wheel=wheels[0])


def _metadata(text: str) -> Message:
    return HeaderParser().parsestr(text)


def wheel_metadata(wheel: Path) -> tuple[Message, list[str], str]:
    """(METADATA headers, file names, entry_points.txt text) of a wheel."""
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if info is None:
            raise ArtifactError(f"{wheel.name} has no .dist-info/METADATA")
        eps = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
        return (
            _metadata(zf.read(info).decode()),
            names,
            zf.read(eps).decode() if eps else "",
        )


def sdist_metadata(sdist: Path) -> tuple[Message, list[str]]:
    """(PKG-INFO headers, member names without the top folder) of an sdist."""
    with tarfile.open(sdist) as tf:
        members = tf.getnames()
        top = members[0].split("/", 1)[0]
        handle = tf.extractfile(f"{top}/PKG-INFO")
        if handle is None:
            raise ArtifactError(f"{sdist.name} has no PKG-INFO")
        with handle:
            pkg_info = handle.read().decode()
    return _metadata(pkg_info), [m.split("/", 1)[1] for m in members if "/" in m]


def check_artifacts(pkg: Package, version: str, built: Built) -> list[str]:
    """Problems with a package's built sdist and wheel (empty when both are right)."""
    problems: list[str] = []
    meta, names, eps_text = wheel_metadata(built.wheel)
    smeta, snames = sdist_metadata(built.sdist)
    for label, m in (("wheel", meta), ("sdist", smeta)):
        if canonicalize_name(m.get("Name", "")) != canonicalize_name(pkg.distribution):
            problems.append(f"{label}: Name is {m.get('Name')!r}, expected {pkg.distribution!r}")
        if m.get("Version") != version:
            problems.append(f"{label}: Version is {m.get('Version')!r}, expected {version!r}")
        for field in ("Summary", "Requires-Python"):
            if not m.get(field):
                problems.append(f"{label}: metadata has no {field}")
        if m.get("Description-Content-Type") != "text/markdown" or not m.get_payload():
            problems.append(f"{label}: the README is not its long description (text/markdown)")
        if not (m.get("License-Expression") or m.get("License")):
            problems.append(f"{label}: metadata names no license")
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
    kernel_reqs = [r for r in requires if r.name == KERNEL_DIST and not r.marker]
    if pkg.name != KERNEL and (len(kernel_reqs) != 1 or not str(kernel_reqs[0].specifier)):
        problems.append(
            f"wheel: Requires-Dist must hold one ranged {KERNEL_DIST} requirement, has {kernel_reqs}"
        )
    problems += _check_layout(pkg, names)
    problems += _check_entry_points(pkg, eps_text)
    for needed in ("pyproject.toml", "README.md", "CHANGELOG.md"):
        if needed not in snames:
            problems.append(f"sdist: {needed} is missing")
    if not any(n.startswith("src/parsl/") for n in snames):
        problems.append("sdist: no source under src/parsl/")
    return problems


def _check_layout(pkg: Package, names: list[str]) -> list[str]:
    problems = []
    code = [n for n in names if ".dist-info/" not in n]
    if not code:
        problems.append("wheel: contains no code")
    for name in code:
        parent = name.rpartition("/")[0]
        if not name.startswith("parsl/"):
            problems.append(f"wheel: {name} is outside the parsl namespace")
        elif pkg.name != KERNEL and parent in KERNEL_OWNED_DIRS:
            problems.append(
                f"wheel: {name} is a file directly in {parent}/, which belongs to the kernel; "
                "ship a subpackage of your own beneath it"
            )
    return problems


def _check_entry_points(pkg: Package, eps_text: str) -> list[str]:
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(eps_text)
    in_wheel = {
        g: {k: v.strip() for k, v in parser.items(g)}
        for g in parser.sections()
        if g.startswith("parsl.")
    }
    if in_wheel != pkg.entry_points:
        return [f"wheel: entry points {in_wheel} differ from pyproject.toml's {pkg.entry_points}"]
    return []


SMOKE_SCRIPT = """
import importlib.metadata as md, json, sys
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

dist, groups = sys.argv[1], json.loads(sys.argv[2])
for group, names in groups.items():
    wanted = set(names)
    for ep in md.entry_points(group=group):
        if ep.name in wanted:
            ep.load()
            wanted.discard(ep.name)
    assert not wanted, f"not found in {group}: {sorted(wanted)}"

@python_app
def double(x):
    return 2 * x

with parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=2)], run_dir=sys.argv[3])):
    assert double(double(5)).result(timeout=60) == 20
versions = {d.metadata["Name"]: d.version for d in md.distributions() if d.metadata["Name"].startswith("parsl-")}
print(json.dumps({"released": [dist, md.version(dist)], "installed": versions}))
"""


def install_beside_others(
    pkg: Package, built: Built, others: dict[str, Package], work: Path
) -> dict[str, str]:
    """Install the new wheel with every other package's current wheel into a fresh venv; smoke-test it.

    Returns the parsl-* distributions and versions installed there.
    """
    wheels = work / "wheels"
    for other in others.values():
        if other.name != pkg.name:
            build(other.path, wheels, wheel_only=True)
    shutil.copy2(built.wheel, wheels)
    venv = work / "venv"
    # Without a pip of its own (ensurepip costs seconds): this interpreter's pip installs into
    # it (--python), and skips byte-compiling what a throwaway venv mostly never imports.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], what="creating a fresh venv")
    python = str(venv / "bin" / "python")
    pip = [sys.executable, "-m", "pip", "--python", python, "--disable-pip-version-check", "-q"]
    run(
        [*pip, "install", "--no-compile", *map(str, sorted(wheels.iterdir()))],
        what="pip install of the wheels",
    )
    run([*pip, "check"], what="pip check (do the inter-package ranges hold?)")
    out = run(
        [
            python,
            "-c",
            SMOKE_SCRIPT,
            pkg.distribution,
            json.dumps(pkg.entry_points),
            str(work / "runinfo"),
        ],
        cwd=work,
        what="importing the package and running a workflow in the fresh venv",
    )
    report = json.loads(out.strip().splitlines()[-1])
    installed: dict[str, str] = report["installed"]
    return installed
