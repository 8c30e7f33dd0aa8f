"""Shared helpers: the parameter values the golden files are rendered with."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from parsl.configs import Entry, parameters_of

#: Fixed values for required parameters without an example or choices.
FIXED = {"account": "proj123", "env_setup": "source /opt/env/bin/activate"}


def sample_params(entry: Entry) -> dict[str, Any]:
    """A value for every required parameter of ``entry``: fixed, its example, or its first choice."""
    params: dict[str, Any] = {}
    for name, p in parameters_of(entry).items():
        if not p.required:
            continue
        if name in FIXED:
            params[name] = FIXED[name]
        elif p.example is not None:
            params[name] = p.example
        elif p.choices:
            params[name] = p.choices[0]
        else:
            params[name] = 8 if p.type == "int" else "sample"
    return params


UNLOADABLE_NOTE = "its scheduler's provider is not installed here"


@pytest.fixture
def with_unloadable_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The catalog plus an entry marked ``unavailable``; returns that entry's name."""
    from parsl.configs import catalog_dir
    from parsl.configs.catalog import CATALOG_ENV

    copy = tmp_path / "catalog"
    shutil.copytree(catalog_dir(), copy)
    text = (copy / "generic-slurm.toml").read_text()
    text = text.replace('name = "generic-slurm"', 'name = "retired-site"', 1)
    text = text.replace("sponsor =", f'unavailable = "{UNLOADABLE_NOTE}"\nsponsor =', 1)
    (copy / "retired-site.toml").write_text(text)
    monkeypatch.setenv(CATALOG_ENV, str(copy))
    return "retired-site"
