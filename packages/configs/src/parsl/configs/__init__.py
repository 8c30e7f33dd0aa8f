"""The site-configuration catalog: ready-made Configs for named HPC systems, stored as validated TOML.

>>> from parsl.configs import load_config
>>> config = load_config("perlmutter-cpu", account="m0000")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

from parsl.config import Config
from parsl.configs.build import build_config, parameters_of
from parsl.configs.catalog import catalog_dir, get_entry, list_entries, read_entry_file
from parsl.configs.render import render_block_script
from parsl.configs.schema import Entry, NodeSpec, Parameter, Plugin

__all__ = [
    "Entry",
    "NodeSpec",
    "Parameter",
    "Plugin",
    "catalog_dir",
    "get_entry",
    "list_entries",
    "load_config",
    "parameters_of",
    "read_entry_file",
    "render_script",
]


def load_config(name: str, **params: Any) -> Config:
    """Return a Config for catalog entry ``name``, with the site parameters ``params``.

    A missing, unknown or malformed parameter raises
    :class:`~parsl.errors.ConfigurationError` naming it and saying what the
    site expects.
    """
    return build_config(get_entry(name), params)


def render_script(name: str, **params: Any) -> str:
    """Return the batch script one block of entry ``name`` would submit with ``params``."""
    return render_block_script(get_entry(name), params)
