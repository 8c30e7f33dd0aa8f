"""Bad arguments fail at construction (or at render time) naming the field; names resolve."""

from __future__ import annotations

from typing import Any

import pytest

import parsl.launchers
from parsl import plugins
from parsl.errors import ConfigurationError
from parsl.launchers.base import Launcher
from parsl.launchers.hpc import (
    AprunLauncher,
    GnuParallelLauncher,
    JsrunLauncher,
    MpiExecLauncher,
    MpiRunLauncher,
    SrunLauncher,
    SrunMPILauncher,
    WrappedLauncher,
)

CLASSES: dict[str, type[Launcher]] = {
    "AprunLauncher": AprunLauncher,
    "GnuParallelLauncher": GnuParallelLauncher,
    "JsrunLauncher": JsrunLauncher,
    "MpiExecLauncher": MpiExecLauncher,
    "MpiRunLauncher": MpiRunLauncher,
    "SrunLauncher": SrunLauncher,
    "SrunMPILauncher": SrunMPILauncher,
    "WrappedLauncher": WrappedLauncher,
}


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (SrunLauncher, {"debug": "yes"}, "debug"),
        (SrunLauncher, {"overrides": ["--exclusive"]}, "overrides"),
        (SrunMPILauncher, {"overrides": None}, "overrides"),
        (AprunLauncher, {"overrides": 3}, "overrides"),
        (AprunLauncher, {"debug": 0}, "debug"),
        (JsrunLauncher, {"overrides": b"-a 1"}, "overrides"),
        (MpiExecLauncher, {"bind_cmd": None}, "bind_cmd"),
        (MpiExecLauncher, {"overrides": 1.0}, "overrides"),
        (MpiRunLauncher, {"bash_location": ""}, "bash_location"),
        (MpiRunLauncher, {"bash_location": None}, "bash_location"),
        (MpiRunLauncher, {"overrides": []}, "overrides"),
        (GnuParallelLauncher, {"debug": "false"}, "debug"),
        (WrappedLauncher, {"prepend": None}, "prepend"),
        (WrappedLauncher, {"prepend": "env", "debug": None}, "debug"),
    ],
)
def test_bad_constructor_arguments_name_the_field(
    cls: type[Launcher], kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        cls(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)


def test_wrapped_launcher_needs_prepend() -> None:
    with pytest.raises(TypeError, match="prepend"):
        WrappedLauncher()  # type: ignore[call-arg]


def _instance(cls: type[Launcher]) -> Launcher:
    return WrappedLauncher("env") if cls is WrappedLauncher else cls()


@pytest.mark.parametrize("cls", CLASSES.values(), ids=CLASSES.keys())
@pytest.mark.parametrize(
    ("command", "tasks_per_node", "nodes_per_block", "field"),
    [
        ("", 1, 1, "command"),
        (None, 1, 1, "command"),
        ("true", 0, 1, "tasks_per_node"),
        ("true", "2", 1, "tasks_per_node"),
        ("true", False, 1, "tasks_per_node"),
        ("true", 1, -1, "nodes_per_block"),
        ("true", 1, 2.0, "nodes_per_block"),
    ],
)
def test_bad_render_arguments_name_the_field(
    cls: type[Launcher], command: Any, tasks_per_node: Any, nodes_per_block: Any, field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        _instance(cls)(command, tasks_per_node, nodes_per_block)
    assert info.value.field == field


@pytest.mark.parametrize(("name", "cls"), CLASSES.items())
def test_public_names_resolve_through_the_entry_point_group(name: str, cls: type[Launcher]) -> None:
    assert name in plugins.available("parsl.launchers")
    assert plugins.load("parsl.launchers", name) is cls
    assert getattr(parsl.launchers, name) is cls
    assert issubclass(cls, Launcher)


def test_from_parsl_launchers_import_works() -> None:
    from parsl.launchers import MpiExecLauncher as Resolved
    from parsl.launchers import SrunLauncher as ResolvedSrun

    assert Resolved is MpiExecLauncher
    assert ResolvedSrun is SrunLauncher


def test_an_unknown_launcher_name_is_an_import_error_naming_the_group() -> None:
    from parsl.errors import PluginNotFound

    with pytest.raises(PluginNotFound, match="parsl.launchers"):
        from parsl.launchers import NoSuchLauncher  # noqa: F401
