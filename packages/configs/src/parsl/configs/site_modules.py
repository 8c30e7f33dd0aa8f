"""Parsl's ready-made ``parsl.configs.<name>`` modules, over this package's catalog.

Tutorials and site pages write ``from parsl.configs.htex_local import
config``. Each such module here defines ``config`` (a
:class:`~parsl.config.Config`). Where the catalog has the same system, the
module builds it from that entry with :func:`from_catalog`, the entry's
required parameters set to placeholders a user replaces (for instance
``config.executors[0].provider.account``) or, better, by calling
``parsl.configs.load_config(<entry>, ...)`` with real values.
"""

from __future__ import annotations

from typing import Any

from parsl.config import Config
from parsl.configs.build import build_config, parameters_of
from parsl.configs.catalog import get_entry

#: Each Parsl module name built from a catalog entry, and that entry.
CATALOG_MODULES: dict[str, str] = {
    "aurora": "aurora",
    "bridges": "bridges2-rm",
    "delta": "delta-gpu",
    "expanse": "expanse",
    "frontera": "frontera",
    "frontier": "frontier",
    "kubernetes": "kubernetes",
    "polaris": "polaris",
    "toss3_llnl": "llnl-toss3",
}

#: Parsl module names written in code here (no catalog entry for that system).
CODE_MODULES = (
    "ASPIRE1",
    "anvil",
    "cc_in2p3",
    "htex_local",
    "illinoiscluster",
    "improv",
    "local_threads",
    "midway",
    "osg",
    "summit",
    "vineex_local",
    "wqex_local",
)

#: Parsl module names not provided, and why.
NOT_PROVIDED: dict[str, str] = {
    "Azure": "needs an Azure provider, which this project does not have",
    "ec2": "needs an AWS provider, which this project does not have",
    "stampede2": "the system is retired; the catalog has stampede3",
}


def placeholder_parameters(entry_name: str) -> dict[str, Any]:
    """A value for each required parameter of the entry: its example, else ``YOUR_<NAME>``."""
    values: dict[str, Any] = {}
    for name, param in parameters_of(get_entry(entry_name)).items():
        if not param.required:
            continue
        if param.example is not None:
            values[name] = param.example
        elif param.choices:
            values[name] = param.choices[0]
        else:
            values[name] = f"YOUR_{name.upper()}"
    return values


def from_catalog(entry_name: str, **params: Any) -> Config:
    """A Config from catalog entry ``entry_name``; required parameters not given get placeholders."""
    values = placeholder_parameters(entry_name) | params
    return build_config(get_entry(entry_name), values)
