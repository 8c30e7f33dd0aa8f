"""Finding, reading and validating the catalog's TOML entries."""

from __future__ import annotations

import functools
import os
import tomllib
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from parsl.configs.schema import Entry
from parsl.errors import ConfigurationError

#: Environment variable naming a directory of entries to use instead of the shipped ones.
CATALOG_ENV = "PARSL_CONFIGS_CATALOG"


def catalog_dir() -> Path:
    """The directory holding the entries: $PARSL_CONFIGS_CATALOG, the wheel's copy, or the clone's configs/."""
    override = os.environ.get(CATALOG_ENV)
    if override:
        return Path(override)
    shipped = Path(str(resources.files("parsl.configs").joinpath("catalog")))
    if shipped.is_dir():
        return shipped
    # An editable install of a clone: packages/configs/src/parsl/configs -> <root>/configs
    clone = Path(__file__).resolve().parents[5] / "configs"
    if clone.is_dir():
        return clone
    raise ConfigurationError(
        f"the site catalog is missing: neither {shipped} nor {clone} exists "
        f"(set {CATALOG_ENV} to a directory of entries)"
    )


def format_validation_error(source: str, error: ValidationError) -> str:
    """One line per problem: where in the entry, and what is wrong."""
    lines = [f"{source} is not a valid catalog entry:"]
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        lines.append(f"  {where}: {problem['msg']}")
    return "\n".join(lines)


def read_entry_file(path: Path) -> Entry:
    """Parse and validate one TOML entry; ConfigurationError saying what is wrong where."""
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise ConfigurationError(f"cannot read catalog entry {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigurationError(f"{path} is not valid TOML: {e}") from e
    try:
        entry = Entry.model_validate(data)
    except ValidationError as e:
        raise ConfigurationError(format_validation_error(str(path), e)) from e
    if entry.name != path.stem:
        raise ConfigurationError(
            f"{path}: name = {entry.name!r} must match the file name {path.stem!r}"
        )
    return entry


@functools.cache
def _entries(directory: Path) -> dict[str, Entry]:
    return {p.stem: read_entry_file(p) for p in sorted(directory.glob("*.toml"))}


def list_entries() -> list[Entry]:
    """Every entry of the catalog, sorted by name."""
    return list(_entries(catalog_dir()).values())


def get_entry(name: str) -> Entry:
    """The entry called ``name``; ConfigurationError listing the names there are."""
    entries = _entries(catalog_dir())
    if not isinstance(name, str) or name not in entries:
        raise ConfigurationError(
            f"no catalog entry named {name!r}; entries: {', '.join(entries)}",
            field="name",
            value=name,
        )
    return entries[name]
