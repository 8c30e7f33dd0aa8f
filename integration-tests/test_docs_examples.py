"""The documentation's examples run and print what they say, and the pages show them verbatim.

* Every ``docs/examples/*.py`` runs in a fresh interpreter, in an empty
  temporary directory, and must exit 0 with nothing on stderr. Its
  ``# expect: <line>`` comments (at the top of the file) must appear as
  whole lines of its stdout, in that order.
* Every fenced ```python block in ``docs/*.md`` whose first line is
  ``# example: <file>`` must hold exactly that file's text after that line,
  and every example must be shown on some page.
* ``docs/errors.md``'s exception tree names real classes with the
  subclassing it shows, and lists every public exception of the kernel.
* ``docs/packages.md`` names every entry point each package registers.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from child_processes import run_in_own_group

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = DOCS / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.py"))
RUN_TIMEOUT_S = 45

EXPECT_RE = re.compile(r"^# expect: (.*)$")
FENCE_RE = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)
MARKER_RE = re.compile(r"^# example: (\S+)$")
ERROR_ITEM_RE = re.compile(r"^( *)- `(\w+)` \(`([\w.]+)`\)")


def expected_lines(path: Path) -> list[str]:
    """The ``# expect:`` lines of the comment block at the top of an example."""
    lines = []
    for line in path.read_text().splitlines():
        m = EXPECT_RE.match(line)
        if m is None:
            break
        lines.append(m.group(1))
    return lines


def run_example(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one example in its own process group; kill the group if it overruns."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return run_in_own_group([sys.executable, str(path)], RUN_TIMEOUT_S, cwd=cwd, env=env)


def is_subsequence(wanted: list[str], lines: list[str]) -> bool:
    it = iter(lines)
    return all(any(line == w for line in it) for w in wanted)


def test_examples_exist() -> None:
    assert len(EXAMPLE_FILES) >= 10, EXAMPLE_FILES


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_has_expectations(path: Path) -> None:
    assert expected_lines(path), f"{path.name} has no '# expect: ...' line at its top"


@pytest.mark.timeout(RUN_TIMEOUT_S + 15)
@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_runs_and_prints_what_it_expects(path: Path, tmp_path: Path) -> None:
    result = run_example(path, tmp_path)
    detail = f"\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, f"{path.name} exited {result.returncode}{detail}"
    assert result.stderr == "", f"{path.name} wrote to stderr{detail}"
    wanted = expected_lines(path)
    assert is_subsequence(wanted, result.stdout.splitlines()), (
        f"{path.name}: expected these lines in order:\n" + "\n".join(wanted) + detail
    )


def test_is_subsequence_checks_order_and_whole_lines() -> None:
    assert is_subsequence(["a", "c"], ["a", "b", "c"])
    assert not is_subsequence(["c", "a"], ["a", "b", "c"])
    assert not is_subsequence(["a"], ["ab"])


def marked_blocks() -> list[tuple[Path, str, str]]:
    """(page, example file name, block text after the marker line) for every marked block."""
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for m in FENCE_RE.finditer(page.read_text()):
            first, _, rest = m.group(1).partition("\n")
            marker = MARKER_RE.match(first)
            if marker is not None:
                found.append((page, marker.group(1), rest))
    return found


def test_pages_have_marked_examples() -> None:
    assert len(marked_blocks()) >= len(EXAMPLE_FILES)


@pytest.mark.parametrize(
    "page,name,body", marked_blocks(), ids=lambda v: v.name if isinstance(v, Path) else ""
)
def test_marked_block_matches_example_file(page: Path, name: str, body: str) -> None:
    source = EXAMPLES / name
    assert source.is_file(), f"{page.name} shows '# example: {name}', but {source} does not exist"
    assert body == source.read_text(), (
        f"{page.name}: the block marked '# example: {name}' differs from docs/examples/{name}; "
        "copy the file's text into the page"
    )


def test_every_example_is_shown_on_a_page() -> None:
    shown = {name for _, name, _ in marked_blocks()}
    missing = [p.name for p in EXAMPLE_FILES if p.name not in shown]
    assert not missing, f"examples not shown on any page: {missing}"


def documented_exceptions() -> list[tuple[int, str, str]]:
    """(depth, class name, module) for each entry of the tree in docs/errors.md."""
    items = []
    for line in (DOCS / "errors.md").read_text().splitlines():
        m = ERROR_ITEM_RE.match(line)
        if m is not None:
            items.append((len(m.group(1)) // 4, m.group(2), m.group(3)))
    return items


def test_error_tree_names_real_classes_in_their_places() -> None:
    from parsl.errors import ParslError

    items = documented_exceptions()
    assert items[0] == (0, "ParslError", "parsl.errors")
    parents: list[type] = []
    for depth, name, module in items:
        cls = getattr(importlib.import_module(module), name, None)
        assert inspect.isclass(cls), f"errors.md: {module}.{name} does not exist"
        assert issubclass(cls, ParslError), f"errors.md: {module}.{name} is not a ParslError"
        del parents[depth:]
        if parents:
            assert issubclass(cls, parents[-1]), (
                f"errors.md: {name} is listed under {parents[-1].__name__} but does not derive from it"
            )
        parents.append(cls)


def test_error_tree_lists_every_public_kernel_exception() -> None:
    from parsl.errors import ParslError

    kernel_src = ROOT / "packages" / "kernel" / "src"
    for info in pkgutil.walk_packages([str(kernel_src / "parsl")], "parsl."):
        # parsl.* namespaces reach into other distributions (whose optional systems, e.g.
        # radical.pilot in its own venv, need not be importable here): kernel modules only.
        if str(getattr(info.module_finder, "path", "")).startswith(str(kernel_src)):
            importlib.import_module(info.name)
    for folder in (kernel_src / "parsl").iterdir():  # namespace subpackages have no __init__
        if (
            folder.is_dir()
            and not (folder / "__init__.py").exists()
            and folder.name != "__pycache__"
        ):
            for mod in folder.glob("*.py"):
                importlib.import_module(f"parsl.{folder.name}.{mod.stem}")

    def subclasses(cls: type) -> set[type]:
        direct: set[type] = set(cls.__subclasses__())
        return direct.union(*(subclasses(c) for c in direct))

    in_kernel = {
        c
        for c in subclasses(ParslError)
        if not c.__name__.startswith("_") and str(kernel_src) in (inspect.getsourcefile(c) or "")
    }
    documented = {(name, module) for _, name, module in documented_exceptions()}
    missing = sorted(
        f"{c.__module__}.{c.__name__}"
        for c in in_kernel
        if (c.__name__, c.__module__) not in documented
    )
    assert not missing, f"kernel exceptions missing from docs/errors.md: {missing}"


def package_sections() -> dict[str, str]:
    """The text of each '## parsl-<name>' section of docs/packages.md."""
    text = (DOCS / "packages.md").read_text()
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    return {p.split("\n", 1)[0].strip(): p for p in parts}


@pytest.mark.parametrize(
    "pyproject", sorted((ROOT / "packages").glob("*/pyproject.toml")), ids=lambda p: p.parent.name
)
def test_packages_page_names_every_entry_point(pyproject: Path) -> None:
    meta = tomllib.loads(pyproject.read_text())["project"]
    dist = meta["name"]
    section = package_sections().get(dist)
    assert section is not None, f"docs/packages.md has no '## {dist}' section"
    for group, names in meta.get("entry-points", {}).items():
        if not group.startswith("parsl."):
            continue
        for name in names:
            assert f"`{name}`" in section, (
                f"docs/packages.md: the {dist} section does not name its {group} entry point {name}"
            )
