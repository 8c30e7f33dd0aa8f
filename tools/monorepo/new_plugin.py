"""``tools/new-plugin``: generate an out-of-tree plugin package (executor, provider or staging).

    tools/new-plugin executor acme-cluster ../acme-cluster
    tools/new-plugin staging  acme-store   ../acme-store  --venv ../acme-store/.venv

The package depends on parsl-kernel only, registers its class in the kind's
entry-point group, holds a small working implementation written against the
kernel's public interfaces, and its own tests, among them a Parsl workflow
run through the plugin as Parsl discovers it (by entry point). With
``--venv`` the tool also creates (or reuses) that virtual environment,
installs parsl-kernel from this repository and the plugin (editable, with
its test extra), and runs the plugin's tests: one command from a clean clone
to a plugin running a workflow.

Standard library only: it runs with any Python 3.11+.
"""

from __future__ import annotations

import argparse
import keyword
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "tools" / "plugin-templates"
KERNEL_DIR = ROOT / "packages" / "kernel"
INSTALL_TIMEOUT_S = 600
TEST_TIMEOUT_S = 600


@dataclass(frozen=True)
class Kind:
    """What differs between the kinds of plugin."""

    module: str  # the module holding the class
    suffix: str  # the class name's suffix
    group: str  # the entry-point group
    public_package: str  # the parsl package whose name lookup finds it
    summary: str


KINDS = {
    "executor": Kind(
        "executor",
        "Executor",
        "parsl.executors",
        "executors",
        "A Parsl executor that runs each task in a pool of worker processes.",
    ),
    "provider": Kind(
        "provider",
        "Provider",
        "parsl.providers",
        "providers",
        "A Parsl provider that runs each block as a process group on this machine.",
    ),
    "staging": Kind(
        "staging",
        "Staging",
        "parsl.staging",
        "data_provider",
        "A Parsl staging provider for objects in a directory-backed store.",
    ),
}
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class PluginError(Exception):
    """The plugin cannot be generated or set up; the message says why."""


def kernel_range(kernel_dir: Path = KERNEL_DIR) -> str:
    """The parsl-kernel range a new plugin should require: the current kernel's compatible versions."""
    version = tomllib.loads((kernel_dir / "pyproject.toml").read_text())["project"]["version"]
    m = re.match(r"^(\d+)\.(\d+)", version)
    if m is None:
        raise PluginError(f"cannot read the kernel's version {version!r}")
    major, minor = int(m.group(1)), int(m.group(2))
    upper = f"0.{minor + 1}" if major == 0 else f"{major + 1}"
    return f">={major}.{minor},<{upper}"


def tokens(kind_name: str, name: str, kernel: str) -> dict[str, str]:
    """The template tokens for a plugin ``name`` of kind ``kind_name``."""
    name = name.replace("_", "-").lower()
    if not _NAME.match(name):
        raise PluginError(
            f"name {name!r}: use lowercase letters, digits and dashes, starting with a letter "
            "(e.g. acme-cluster)"
        )
    package = name.replace("-", "_")
    if package == "parsl" or keyword.iskeyword(package) or package in sys.stdlib_module_names:
        raise PluginError(f"name {name!r}: its import package {package!r} would shadow {package}")
    kind = KINDS[kind_name]
    parts = name.split("-")
    camel = "".join(p.capitalize() for p in parts)
    cls = camel if camel.endswith(kind.suffix) else camel + kind.suffix
    scheme = "-".join(parts[:-1]) if parts[-1] == "staging" and len(parts) > 1 else name
    if kind_name == "staging":
        example = f'from parsl.plugins import load\n\n{cls} = load("parsl.staging", "{cls}")'
    else:
        example = f"from parsl.{kind.public_package} import {cls}"
    return {
        "__DIST__": name,
        "__PACKAGE__": package,
        "__CLASS__": cls,
        "__MODULE__": kind.module,
        "__GROUP__": kind.group,
        "__KIND__": kind_name,
        "__KIND_PACKAGE__": kind.public_package,
        "__SUMMARY__": kind.summary,
        "__KERNEL_RANGE__": kernel,
        "__SCHEME__": scheme,
        "__IMPORT_EXAMPLE__": example,
    }


def substitute(text: str, values: dict[str, str]) -> str:
    """Replace every token in ``text`` (longest tokens first, so none is a prefix of another)."""
    for token in sorted(values, key=len, reverse=True):
        text = text.replace(token, values[token])
    return text


def generate(kind_name: str, name: str, dest: Path, kernel: str | None = None) -> dict[str, str]:
    """Write the plugin package into ``dest`` (absent or empty); return its tokens."""
    if kind_name not in KINDS:
        raise PluginError(f"kind {kind_name!r}: expected one of {', '.join(KINDS)}")
    values = tokens(kind_name, name, kernel or kernel_range())
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise PluginError(f"{dest} exists and is not an empty directory")
    for source_root in (TEMPLATES / "common", TEMPLATES / kind_name):
        for source in sorted(source_root.rglob("*")):
            if source.is_dir() or "__pycache__" in source.parts:
                continue
            rel = substitute(source.relative_to(source_root).as_posix(), values)
            rel = rel.removesuffix(".tmpl")
            if rel == "gitignore":
                rel = ".gitignore"
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(substitute(source.read_text(), values))
    return values


def _run(
    cmd: list[str], what: str, cwd: Path | None = None, timeout: float = INSTALL_TIMEOUT_S
) -> None:
    print(f"== {what}", flush=True)
    try:
        result = subprocess.run(cmd, cwd=cwd, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise PluginError(f"{what}: did not finish in {timeout:.0f} s") from e
    if result.returncode != 0:
        raise PluginError(f"{what} failed (exit {result.returncode}): {' '.join(cmd)}")


def set_up_and_test(dest: Path, venv: Path, dist: str) -> None:
    """Create or reuse ``venv``, install the kernel and the plugin, run the plugin's tests."""
    python = venv / "bin" / "python"
    if not python.exists():
        _run([sys.executable, "-m", "venv", str(venv)], f"creating the virtual environment {venv}")
    pip = [str(python), "-m", "pip", "-q", "--disable-pip-version-check"]
    has_kernel = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; m.version('parsl-kernel')"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if has_kernel.returncode != 0:
        _run([*pip, "install", str(KERNEL_DIR)], f"installing parsl-kernel from {KERNEL_DIR}")
    _run(
        [*pip, "install", "-e", f"{dest}[test]"],
        f"installing {dist} (editable, with its tests)",
    )
    _run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        "running the plugin's tests",
        cwd=dest,
        timeout=TEST_TIMEOUT_S,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="tools/new-plugin", description="Generate an out-of-tree Parsl plugin package."
    )
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("name", help="distribution name, e.g. acme-cluster")
    parser.add_argument("dest", type=Path, help="directory to create (must be absent or empty)")
    parser.add_argument(
        "--venv",
        type=Path,
        help="also install it (and parsl-kernel) into this venv and run its tests",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    dest: Path = args.dest.resolve()
    try:
        values = generate(args.kind, args.name, dest)
        files = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file())
        print(
            f"Generated {values['__DIST__']} in {dest}: {values['__CLASS__']} ({values['__GROUP__']})"
        )
        for f in files:
            print(f"  {f}")
        if args.venv is None:
            print(
                "Next:\n"
                f"  python -m venv {dest}/.venv && {dest}/.venv/bin/pip install {KERNEL_DIR}\n"
                f'  {dest}/.venv/bin/pip install -e "{dest}[test]" && (cd {dest} && .venv/bin/pytest)'
            )
            return 0
        set_up_and_test(dest, args.venv.resolve(), values["__DIST__"])
    except PluginError as e:
        print(f"tools/new-plugin: {e}", file=sys.stderr)
        return 1
    print(
        f"{values['__CLASS__']}: generated, installed, found by entry point, workflow ran "
        f"({time.monotonic() - started:.1f} s)"
    )
    return 0
