"""``tools/components check``: components.toml against the code, the installs and the generated files.

Each function returns a list of problems (empty when all is well); every
problem says what is wrong, where, and what to do about it.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from .catalog import CONFIGS_PACKAGE, Catalog, Component
from .render import (
    CODEOWNERS,
    COMPONENTS_PAGE,
    component_files,
    render_codeowners,
    render_components_page,
)
from .workspace import PLUGIN_KINDS, SITE_CONFIGS, Package, group_of

REGENERATE = "run: .venv/bin/python tools/components generate"
SITE_CONFIG_SUFFIXES = (".py", ".toml", ".yaml", ".yml")
NOT_SITE_CONFIGS = ("__init__.py", "conftest.py", "pyproject.toml")


def check_packages_table(catalog: Catalog, packages: dict[str, Package]) -> list[str]:
    """Every package folder has a sponsor in [packages], and [packages] names no other folder."""
    problems = [
        f"packages/{name}/ has no sponsor: add '{name} = \"@org/team\"' under [packages] in components.toml"
        for name in packages
        if name not in catalog.packages
    ]
    problems += [
        f"components.toml [packages] lists {name!r}, but there is no packages/{name}/pyproject.toml"
        for name in catalog.packages
        if name not in packages
    ]
    return problems


def check_registrations(catalog: Catalog, packages: dict[str, Package]) -> list[str]:
    """The entry points in packages/*/pyproject.toml and the plugin components listed are the same set."""
    problems: list[str] = []
    listed = {(c.kind, c.name): c for c in catalog.components if c.kind != SITE_CONFIGS}
    registered: dict[tuple[str, str], str] = {}
    for pkg in packages.values():
        for group, names in pkg.entry_points.items():
            kind = group.removeprefix("parsl.")
            if kind not in PLUGIN_KINDS:
                problems.append(
                    f"packages/{pkg.name}/pyproject.toml: entry-point group {group!r} is not a plugin "
                    f"point this tool knows ({', '.join(map(group_of, PLUGIN_KINDS))}); add the kind "
                    "to tools/monorepo/workspace.py PLUGIN_KINDS and a section to components.toml"
                )
                continue
            for name in names:
                if (kind, name) in registered:
                    problems.append(
                        f"{group} entry point {name!r} is registered by both "
                        f"packages/{registered[kind, name]} and packages/{pkg.name}"
                    )
                registered[kind, name] = pkg.name
                comp = listed.get((kind, name))
                if comp is None:
                    problems.append(
                        f"packages/{pkg.name}/pyproject.toml registers {group} entry point {name!r}, "
                        f"but components.toml has no [{kind}.{name}]: add it with package = "
                        f'"{pkg.name}", import_path, sponsor, maturity and description'
                    )
                elif comp.package != pkg.name:
                    problems.append(
                        f"[{comp.key}] says package = {comp.package!r}, but packages/{pkg.name} "
                        "registers it"
                    )
    for (kind, name), comp in listed.items():
        if (kind, name) not in registered:
            problems.append(
                f"components.toml lists [{comp.key}], but no packages/*/pyproject.toml registers "
                f"{name!r} in entry-point group {group_of(kind)!r}: register it in "
                f"packages/{comp.package}/pyproject.toml, or remove the entry"
            )
    return problems


def check_kernel_groups() -> list[str]:
    """The kernel's plugin points (parsl.plugins.GROUPS) are exactly the kinds this tool knows."""
    try:
        plugins = importlib.import_module("parsl.plugins")
    except Exception as e:
        return [f"cannot import parsl.plugins ({type(e).__name__}: {e}); is the dev venv set up?"]
    groups: dict[str, str] = getattr(plugins, "GROUPS", {})
    theirs, ours = set(groups.values()), {group_of(k) for k in PLUGIN_KINDS}
    if theirs == ours:
        return []
    return [
        f"the kernel's plugin groups {sorted(theirs)} differ from the kinds in "
        f"tools/monorepo/workspace.py {sorted(ours)}: keep PLUGIN_KINDS and components.toml in step"
    ]


def resolve(import_path: str) -> Any:
    """Import ``module.Name`` and return the object."""
    module, _, attr = import_path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _load_from_file(path: Path, attr: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"_site_config_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, attr)


def _installed_target(group: str, name: str) -> str | None:
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.value
    return None


def check_imports(catalog: Catalog, packages: dict[str, Package], root: Path) -> list[str]:
    """Each import path imports, and is the very object its entry point registers."""
    problems: list[str] = []
    for comp in catalog.components:
        if comp.kind == SITE_CONFIGS:
            problems += _check_site_config_import(comp, root)
            continue
        pkg = packages.get(comp.package)
        target = pkg.entry_points.get(group_of(comp.kind), {}).get(comp.name) if pkg else None
        if pkg is None or target is None:
            continue  # reported by check_registrations
        installed = _installed_target(group_of(comp.kind), comp.name)
        if installed != target:
            problems.append(
                f"[{comp.key}]: the installed metadata has {installed!r} but "
                f"packages/{pkg.name}/pyproject.toml says {target!r}; re-install it: "
                f".venv/bin/pip install --no-deps -e packages/{pkg.name}"
            )
            continue
        try:
            obj = resolve(comp.import_path)
        except Exception as e:
            problems.append(
                f"[{comp.key}]: import_path {comp.import_path!r} does not import "
                f"({type(e).__name__}: {e})"
            )
            continue
        module, _, attr = target.partition(":")
        try:
            registered = getattr(importlib.import_module(module), attr)
        except Exception as e:
            problems.append(
                f"packages/{pkg.name}/pyproject.toml: entry point {comp.name} = {target!r} does not "
                f"import ({type(e).__name__}: {e})"
            )
            continue
        if obj is not registered:
            problems.append(
                f"[{comp.key}]: import_path {comp.import_path!r} is {obj!r}, not the object the "
                f"entry point registers ({target!r})"
            )
    return problems


def _check_site_config_import(comp: Component, root: Path) -> list[str]:
    file = root / comp.path if comp.path else None
    if file is None or not file.is_file():
        return [f"[{comp.key}]: path {comp.path!r} is not a file of the repository"]
    try:
        resolve(comp.import_path)
    except ImportError:
        if file.suffix != ".py":
            return []  # a data file (TOML/YAML); its loader is the import path's module
        try:
            _load_from_file(file, comp.import_path.rpartition(".")[2])
        except Exception as e:
            return [f"[{comp.key}]: {comp.path} does not load ({type(e).__name__}: {e})"]
    except Exception as e:
        return [f"[{comp.key}]: import_path {comp.import_path!r} fails ({type(e).__name__}: {e})"]
    return []


def check_site_config_files(catalog: Catalog, root: Path) -> list[str]:
    """Every configuration file under configs/ is listed as a site configuration."""
    listed = {c.path for c in catalog.of_kind(SITE_CONFIGS)}
    problems = []
    configs = root / CONFIGS_PACKAGE
    for file in sorted(configs.rglob("*")) if configs.is_dir() else []:
        rel = file.relative_to(root).as_posix()
        if (
            file.is_file()
            and file.suffix in SITE_CONFIG_SUFFIXES
            and file.name not in NOT_SITE_CONFIGS
            and not file.name.startswith("test_")
            and "tests" not in file.relative_to(configs).parts
            and "__pycache__" not in file.parts
            and rel not in listed
        ):
            problems.append(
                f"{rel} is a site configuration that components.toml does not list: add "
                f'[site_configs.<name>] with path = "{rel}"'
            )
    return problems


def check_component_files(catalog: Catalog, packages: dict[str, Package], root: Path) -> list[str]:
    """A component with its own sponsor has a module file that CODEOWNERS can name."""
    return [
        f"[{c.key}]: its sponsor differs from its package's, but its module file could not be found "
        "for CODEOWNERS"
        for c in catalog.components
        if c.sponsor
        and c.sponsor != catalog.packages.get(c.package)
        and c.kind != SITE_CONFIGS
        and component_files(c, packages, root) is None
        and c.package in packages
    ]


def check_package_workflows(packages: dict[str, Package], root: Path) -> list[str]:
    """Every package has its own CI workflow, filtered on its folder and the kernel's."""
    problems = []
    for name in packages:
        wf = root / ".github" / "workflows" / f"package-{name}.yml"
        if not wf.is_file():
            problems.append(
                f"packages/{name} has no CI workflow: add .github/workflows/package-{name}.yml "
                "(copy another package's and change the name)"
            )
            continue
        text = wf.read_text()
        for pattern in (f"packages/{name}/**", "packages/kernel/**"):
            if (
                f'"{pattern}"' not in text
                and f"'{pattern}'" not in text
                and f"- {pattern}" not in text
            ):
                problems.append(
                    f"{wf.relative_to(root)}: its path filters do not include {pattern!r}"
                )
    return problems


def check_generated(catalog: Catalog, packages: dict[str, Package], root: Path) -> list[str]:
    """CODEOWNERS and docs/components.md are what ``generate`` would write now."""
    problems = []
    for rel, text in generated_files(catalog, packages, root).items():
        path = root / rel
        current = path.read_text() if path.is_file() else ""
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(),
                text.splitlines(),
                f"{rel} (in the tree)",
                f"{rel} (generated)",
                lineterm="",
            )
            shown = list(diff)[:30]
            problems.append(
                f"{rel} is out of date with components.toml; {REGENERATE}\n" + "\n".join(shown)
            )
    return problems


def generated_files(catalog: Catalog, packages: dict[str, Package], root: Path) -> dict[str, str]:
    """The text of every generated file, by path relative to the repository root."""
    return {
        CODEOWNERS: render_codeowners(catalog, packages, root),
        COMPONENTS_PAGE: render_components_page(catalog, packages),
    }


def all_problems(catalog: Catalog, packages: dict[str, Package], root: Path) -> list[str]:
    """Every check, in order."""
    if str(root) not in sys.path:
        sys.path.append(str(root))  # site configurations may import as configs.<module>
    return [
        *check_packages_table(catalog, packages),
        *check_registrations(catalog, packages),
        *check_kernel_groups(),
        *check_imports(catalog, packages, root),
        *check_site_config_files(catalog, root),
        *check_component_files(catalog, packages, root),
        *check_package_workflows(packages, root),
        *check_generated(catalog, packages, root),
    ]
