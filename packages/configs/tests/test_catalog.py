"""The catalog's entries and the schema that validates them."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsl.configs import catalog_dir, get_entry, list_entries, read_entry_file
from parsl.configs.catalog import CATALOG_ENV
from parsl.errors import ConfigurationError

REQUIRED_SYSTEMS = {
    "perlmutter-cpu",
    "perlmutter-gpu",
    "polaris",
    "aurora",
    "crux",
    "frontier",
    "frontera",
    "stampede3",
    "expanse",
    "anvil-gpu",
    "delta-gpu",
    "bridges2-rm",
    "llnl-toss3",
    "kubernetes",
    "generic-slurm",
    "generic-pbspro",
    "workstation",
}

MINIMAL = """
name = "{name}"
system = "S"
site = "X"
node_type = "CPU"
scheduler = "slurm"
description = "d"
sponsor = "@org/team"
sources = ["somewhere"]
last_verified = 2026-01-01
worker_init = "{{{{env_setup}}}}"
[node]
[provider]
type = "SlurmProvider"
[parameters.env_setup]
meaning = "m"
target = "template"
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


def test_catalog_has_every_required_system() -> None:
    assert {e.name for e in list_entries()} >= REQUIRED_SYSTEMS


@pytest.mark.parametrize("path", sorted(catalog_dir().glob("*.toml")), ids=lambda p: p.stem)
def test_every_entry_file_validates(path: Path) -> None:
    entry = read_entry_file(path)
    assert entry.name == path.stem
    assert entry.sources and entry.sponsor.startswith("@")


def test_get_entry_unknown_name_lists_the_entries() -> None:
    with pytest.raises(ConfigurationError, match="no catalog entry named 'nowhere'.*polaris"):
        get_entry("nowhere")


def test_minimal_entry_validates(tmp_path: Path) -> None:
    entry = read_entry_file(write(tmp_path, "mini", MINIMAL.format(name="mini")))
    assert entry.provider.type == "SlurmProvider" and entry.node.gpus == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('scheduler = "slurm"', 'scheduler = "lsf"'), "scheduler"),
        (('sponsor = "@org/team"', 'sponsor = "nobody"'), "sponsor"),
        (('sources = ["somewhere"]', "sources = []"), "sources"),
        (('description = "d"', 'description = "d"\ncolour = 1'), "colour"),
        (('target = "template"', 'target = "elsewhere"'), "target"),
        (('system = "S"\n', ""), "system"),
        (("last_verified = 2026-01-01", 'last_verified = "yesterday"'), "last_verified"),
    ],
)
def test_bad_entry_is_rejected_naming_the_field(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    text = MINIMAL.format(name="bad").replace(*change)
    with pytest.raises(ConfigurationError, match=message):
        read_entry_file(write(tmp_path, "bad", text))


def test_undeclared_placeholder_is_rejected(tmp_path: Path) -> None:
    text = MINIMAL.format(name="bad").replace("{{env_setup}}", "{{env_setup}} {{other}}")
    with pytest.raises(ConfigurationError, match="other"):
        read_entry_file(write(tmp_path, "bad", text))


def test_unused_template_parameter_is_rejected(tmp_path: Path) -> None:
    text = MINIMAL.format(name="bad").replace('worker_init = "{{env_setup}}"', "")
    with pytest.raises(ConfigurationError, match="never used"):
        read_entry_file(write(tmp_path, "bad", text))


def test_required_parameter_with_default_is_rejected(tmp_path: Path) -> None:
    text = MINIMAL.format(name="bad") + 'default = "x"\n'
    with pytest.raises(ConfigurationError, match="required = false"):
        read_entry_file(write(tmp_path, "bad", text))


def test_name_must_match_file_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="must match the file name"):
        read_entry_file(write(tmp_path, "other", MINIMAL.format(name="mini")))


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        read_entry_file(write(tmp_path, "broken", "name = ["))
    with pytest.raises(ConfigurationError, match="cannot read"):
        read_entry_file(tmp_path / "absent.toml")


def test_catalog_directory_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "mini", MINIMAL.format(name="mini"))
    monkeypatch.setenv(CATALOG_ENV, str(tmp_path))
    assert catalog_dir() == tmp_path
    assert [e.name for e in list_entries()] == ["mini"]
