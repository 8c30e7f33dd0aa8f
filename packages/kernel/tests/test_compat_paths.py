"""Parsl's older deep import paths that kernel-owned packages keep: errors and launchers modules.

The compatibility modules resolve plugin names through entry points, like the
plugin packages themselves; an out-of-tree plugin installed as a real
``*.dist-info`` directory on ``sys.path`` proves they never import another
distribution by name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl.launchers
import parsl.launchers.base
import parsl.monitoring
from parsl import plugins
from parsl.errors import ParslError, PluginAttributeNotFound

PLUGIN_MODULE = "kernel_compat_test_plugin"

PLUGIN_SOURCE = """
from parsl.launchers.base import Launcher


class OutOfTreeLauncher(Launcher):
    def __call__(self, command, tasks_per_node, nodes_per_block):
        return f"oot {command}"


class OutOfTreeHub:
    pass
"""

ENTRY_POINTS = f"""
[parsl.launchers]
OutOfTreeLauncher = {PLUGIN_MODULE}:OutOfTreeLauncher

[parsl.monitoring]
OutOfTreeHub = {PLUGIN_MODULE}:OutOfTreeHub
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[None]:
    """A plugin distribution installed on sys.path for the duration of one test."""
    (tmp_path / f"{PLUGIN_MODULE}.py").write_text(PLUGIN_SOURCE)
    info = tmp_path / "kernel_compat_test_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kernel-compat-test-plugin\nVersion: 0.1\n"
    )
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    plugins.refresh()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(PLUGIN_MODULE, None)
        plugins.refresh()


def test_bad_launcher_at_parsl_public_errors_path() -> None:
    from parsl.launchers.errors import BadLauncher

    assert BadLauncher is parsl.launchers.base.BadLauncher
    assert issubclass(BadLauncher, ParslError)
    with pytest.raises(ParslError, match="not a launcher"):
        raise BadLauncher("not a launcher")


def test_old_launchers_module_reexports_the_builtin_launchers() -> None:
    from parsl.launchers.launchers import Launcher, SimpleLauncher, SingleNodeLauncher

    assert SimpleLauncher is parsl.launchers.SimpleLauncher
    assert SingleNodeLauncher is parsl.launchers.SingleNodeLauncher
    assert Launcher is parsl.launchers.base.Launcher
    assert issubclass(SimpleLauncher, Launcher)


@pytest.mark.usefixtures("installed_plugin")
def test_old_launchers_module_resolves_plugins_through_entry_points() -> None:
    from parsl.launchers.launchers import OutOfTreeLauncher

    assert OutOfTreeLauncher is parsl.launchers.OutOfTreeLauncher
    assert OutOfTreeLauncher.__module__ == PLUGIN_MODULE
    assert OutOfTreeLauncher()("w", 1, 1) == "oot w"


@pytest.mark.usefixtures("installed_plugin")
def test_old_monitoring_module_resolves_plugins_through_entry_points() -> None:
    from parsl.monitoring.monitoring import OutOfTreeHub

    assert OutOfTreeHub is parsl.monitoring.OutOfTreeHub
    assert OutOfTreeHub.__module__ == PLUGIN_MODULE


@pytest.mark.parametrize("module", ["parsl.launchers.launchers", "parsl.monitoring.monitoring"])
def test_old_module_names_the_missing_package(module: str) -> None:
    mod = importlib.import_module(module)
    group = module.rsplit(".", 1)[0]
    # Attribute access is an AttributeError (hasattr/getattr-with-default work) ...
    with pytest.raises(PluginAttributeNotFound, match=rf"'NoSuchThing' .* group '{group}'"):
        mod.NoSuchThing  # noqa: B018
    assert not hasattr(mod, "NoSuchThing")
    # ... and ``from module import name`` an ImportError that keeps the hint.
    with pytest.raises(ImportError, match="is not provided by any installed package"):
        exec(f"from {module} import NoSuchThing")
    # Private and dunder names are ordinary AttributeErrors (introspection, copy, pickle).
    with pytest.raises(AttributeError) as info:
        mod._private  # noqa: B018
    assert type(info.value) is AttributeError
    assert not hasattr(mod, "__wrapped__")
