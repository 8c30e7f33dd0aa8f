"""``tools/components``: generate and check what components.toml drives.

tools/components generate   rewrite CODEOWNERS and docs/components.md
tools/components check      exit 1, listing every problem, when components.toml, the
                            entry points, the import paths, the per-package workflows
                            or the generated files disagree
tools/components list       one line per component, then the counts
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from .catalog import CatalogError, load_catalog
from .consistency import all_problems, generated_files
from .workspace import ROOT, WorkspaceError, load_packages


def generate(root: Path) -> int:
    """Write the generated files; print which changed."""
    catalog = load_catalog(root / "components.toml")
    packages = load_packages(root)
    for rel, text in generated_files(catalog, packages, root).items():
        path = root / rel
        if path.is_file() and path.read_text() == text:
            print(f"unchanged  {rel}")
        else:
            path.write_text(text)
            print(f"wrote      {rel}")
    return 0


def check(root: Path) -> int:
    """Run every consistency check; 0 when all pass."""
    catalog = load_catalog(root / "components.toml")
    packages = load_packages(root)
    problems = all_problems(catalog, packages, root)
    if problems:
        print(f"tools/components check: {len(problems)} problem(s)")
        for p in problems:
            print(f"- {p}")
        return 1
    sponsored = sum(c.sponsored for c in catalog.components)
    print(
        f"tools/components check: OK ({len(catalog.components)} components, {sponsored} with a "
        f"sponsor, {len(packages)} packages)"
    )
    return 0


def list_components(root: Path) -> int:
    """Print the catalog and its figures."""
    catalog = load_catalog(root / "components.toml")
    for c in catalog.components:
        print(f"{c.key:40} {c.package:11} {c.maturity:13} {c.sponsor or '(no sponsor)'}")
    by_maturity = Counter(c.maturity for c in catalog.components)
    sponsored = sum(c.sponsored for c in catalog.components)
    print(
        f"{len(catalog.components)} components, {sponsored} with a sponsor; "
        + ", ".join(f"{n} {m}" for m, n in sorted(by_maturity.items()))
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="tools/components", description="Generate and check what components.toml drives."
    )
    parser.add_argument("command", choices=["generate", "check", "list"])
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="repository root (default: this one)"
    )
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()
    commands = {"generate": generate, "check": check, "list": list_components}
    try:
        return commands[args.command](root)
    except (CatalogError, WorkspaceError) as e:
        print(f"tools/components {args.command}: {e}")
        return 1
