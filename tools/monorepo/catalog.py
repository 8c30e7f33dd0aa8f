"""components.toml as data: every component, its package, import path, sponsor and maturity."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .workspace import KINDS, SITE_CONFIGS

MATURITY_LEVELS = ("experimental", "beta", "stable", "deprecated")
CONFIGS_PACKAGE = "configs"
FIELDS = ("package", "import_path", "sponsor", "maturity", "description")
SITE_CONFIG_FIELDS = (*FIELDS, "path")
TOP_LEVEL = ("default_owner", "packages", "paths", "not_available", *KINDS)
MAX_DESCRIPTION = 160

_HANDLE = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


class CatalogError(Exception):
    """components.toml is malformed; the message lists every problem found."""


@dataclass(frozen=True)
class Component:
    """One registered component (or site configuration)."""

    kind: str
    name: str
    package: str
    import_path: str
    sponsor: str
    maturity: str
    description: str
    path: str | None = None  # site configurations only: the file under configs/

    @property
    def key(self) -> str:
        """``kind.name``, as written in components.toml."""
        return f"{self.kind}.{self.name}"

    @property
    def sponsored(self) -> bool:
        """True when a team has taken on this component."""
        return bool(self.sponsor)


@dataclass(frozen=True)
class Catalog:
    """The whole of components.toml."""

    default_owner: str
    packages: dict[str, str]  # package folder -> sponsor handle
    paths: dict[str, str]  # CODEOWNERS pattern -> owner handle
    components: tuple[Component, ...]
    not_available: tuple[tuple[str, str], ...] = ()  # systems with no package here, and why

    def of_kind(self, kind: str) -> list[Component]:
        """The components of one kind, in file order."""
        return [c for c in self.components if c.kind == kind]


def _check_handle(where: str, value: object, problems: list[str], *, allow_empty: bool) -> str:
    if not isinstance(value, str) or not (_HANDLE.match(value) or (allow_empty and value == "")):
        problems.append(
            f"{where}: {value!r} is not a GitHub handle like '@parsl/kernel-sponsors'"
            + (" (or '' for none yet)" if allow_empty else "")
        )
        return ""
    return value


def _component(kind: str, name: str, table: object, problems: list[str]) -> Component | None:
    where = f"[{kind}.{name}]"
    if not isinstance(table, dict):
        problems.append(f"{where}: must be a table of fields {', '.join(FIELDS)}")
        return None
    allowed = SITE_CONFIG_FIELDS if kind == SITE_CONFIGS else FIELDS
    missing = [f for f in allowed if f not in table]
    unknown = sorted(set(table) - set(allowed))
    if missing:
        problems.append(f"{where}: missing field(s) {', '.join(missing)}")
    if unknown:
        problems.append(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    for f in allowed:
        if f in table and not isinstance(table[f], str):
            problems.append(f"{where}: {f} must be a string, not {type(table[f]).__name__}")
    if missing or unknown or any(not isinstance(table.get(f), str) for f in allowed):
        return None
    fields: dict[str, str] = {f: table[f] for f in allowed}
    if fields["maturity"] not in MATURITY_LEVELS:
        problems.append(
            f"{where}: maturity {fields['maturity']!r} is not one of {', '.join(MATURITY_LEVELS)}"
        )
    if not _IMPORT_PATH.match(fields["import_path"]):
        problems.append(
            f"{where}: import_path {fields['import_path']!r} must look like 'module.Name'"
        )
    description = fields["description"]
    if not description.strip() or "\n" in description or len(description) > MAX_DESCRIPTION:
        problems.append(
            f"{where}: description must be one non-empty line of at most {MAX_DESCRIPTION} characters"
        )
    _check_handle(f"{where} sponsor", fields["sponsor"], problems, allow_empty=True)
    return Component(kind=kind, name=name, **fields)


def parse_catalog(data: dict[str, Any]) -> Catalog:
    """Validate parsed components.toml; raise CatalogError listing every problem."""
    problems: list[str] = []
    unknown = sorted(set(data) - set(TOP_LEVEL))
    if unknown:
        problems.append(
            f"unknown top-level key(s) {', '.join(unknown)}; allowed: {', '.join(TOP_LEVEL)}"
        )
    default_owner = _check_handle(
        "default_owner", data.get("default_owner"), problems, allow_empty=False
    )
    tables: dict[str, dict[str, str]] = {}
    for table in ("packages", "paths"):
        raw = data.get(table)
        if not isinstance(raw, dict) or not raw:
            problems.append(f"[{table}] is missing or empty")
            raw = {}
        tables[table] = {
            str(k): _check_handle(f"[{table}] {k}", v, problems, allow_empty=False)
            for k, v in raw.items()
        }
    components: list[Component] = []
    for kind in KINDS:
        raw = data.get(kind, {})
        if not isinstance(raw, dict):
            problems.append(f"[{kind}] must be a table of components")
            continue
        for name, table in raw.items():
            comp = _component(kind, name, table, problems)
            if comp is None:
                continue
            known = set(tables["packages"]) | ({CONFIGS_PACKAGE} if kind == SITE_CONFIGS else set())
            if comp.package not in known:
                problems.append(
                    f"[{comp.key}]: package {comp.package!r} is not listed in [packages] "
                    f"({', '.join(sorted(known))})"
                )
            components.append(comp)
    if problems:
        raise CatalogError("components.toml:\n  " + "\n  ".join(problems))
    raw_na = data.get("not_available", {})
    if not isinstance(raw_na, dict) or not all(
        isinstance(v, str) and v.strip() for v in raw_na.values()
    ):
        problems.append("[not_available] must map each system's name to a non-empty reason")
        raw_na = {}
    if problems:
        raise CatalogError("components.toml:\n  " + "\n  ".join(problems))
    return Catalog(
        default_owner,
        tables["packages"],
        tables["paths"],
        tuple(components),
        tuple((str(k), str(v)) for k, v in raw_na.items()),
    )


def load_catalog(path: Path) -> Catalog:
    """Read and validate components.toml."""
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError as e:
        raise CatalogError(f"{path} does not exist") from e
    except tomllib.TOMLDecodeError as e:
        raise CatalogError(f"{path}: not valid TOML: {e}") from e
    return parse_catalog(data)
