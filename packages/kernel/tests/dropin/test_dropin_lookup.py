"""Looking names up on Parsl's modules behaves as on any module; top-level names resolve lazily."""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl
from parsl import plugins
from parsl.errors import PluginAttributeNotFound, PluginNotFound

PLUGIN_POINT_MODULES = [
    "parsl",
    "parsl.executors",
    "parsl.providers",
    "parsl.launchers",
    "parsl.launchers.launchers",
    "parsl.monitoring",
    "parsl.monitoring.monitoring",
    "parsl.serialize",
    "parsl.data_provider",
]


@pytest.mark.parametrize("module", PLUGIN_POINT_MODULES)
def test_missing_names_look_missing(module: str) -> None:
    mod = importlib.import_module(module)
    assert not hasattr(mod, "Missing")
    assert getattr(mod, "Missing", None) is None
    assert getattr(mod, "_missing", "default") == "default"
    with pytest.raises(AttributeError):
        mod.Missing  # noqa: B018


@pytest.mark.parametrize(
    "module", ["parsl.executors", "parsl.providers", "parsl.launchers", "parsl.monitoring"]
)
def test_from_import_of_a_missing_name_keeps_the_hint(module: str) -> None:
    with pytest.raises(ImportError, match="is not provided by any installed package") as info:
        exec(f"from {module} import Missing")
    assert isinstance(info.value, PluginNotFound)
    assert f"group {module!r}" in str(info.value)


def test_from_import_is_told_from_attribute_access_on_this_python(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each form at the asking frame, on the Python running the tests (3.11: IMPORT_STAR; from
    3.12: an intrinsic call)."""
    import types

    seen: list[tuple[str, bool]] = []
    module = types.ModuleType("parsl_lookup_probe")
    setattr(module, "__all__", ["star_name"])  # noqa: B010

    def lookup(name: str) -> int:
        if name.startswith("__"):  # no __path__: not a package, so importlib asks nothing more
            raise AttributeError(name)
        seen.append((name, plugins.called_by_from_import(sys._getframe(1))))
        return 1

    setattr(module, "__getattr__", lookup)  # noqa: B010 - a module-level __getattr__
    monkeypatch.setitem(sys.modules, "parsl_lookup_probe", module)
    exec("from parsl_lookup_probe import from_name", {})
    exec("from parsl_lookup_probe import *", {})
    exec("import parsl_lookup_probe\nparsl_lookup_probe.attribute_name", {})
    exec("getattr(__import__('parsl_lookup_probe'), 'getattr_name')", {})
    assert seen == [
        ("from_name", True),
        ("star_name", True),
        ("attribute_name", False),
        ("getattr_name", False),
    ]
    assert not plugins.called_by_from_import(None)


def test_attribute_error_is_a_parsl_error_naming_group_and_close_names() -> None:
    with pytest.raises(PluginAttributeNotFound) as info:
        parsl.executors.ThreadPoolExecuter  # noqa: B018
    assert isinstance(info.value, AttributeError)
    assert "group 'parsl.executors'" in str(info.value)
    assert "Did you mean 'ThreadPoolExecutor'?" in str(info.value)
    assert info.value.name == "ThreadPoolExecuter"


def test_hint_asks_to_install_only_a_package_that_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(plugins.SUGGESTED_DISTRIBUTION, "parsl.executors", "parsl-kernel")
    installed = plugins.not_found_message("parsl.executors", "X")
    assert "Check the spelling" in installed and "pip install" not in installed
    with pytest.raises(ImportError) as info:
        exec("from parsl.executors import X")
    assert "pip install" not in str(info.value)
    monkeypatch.setitem(
        plugins.SUGGESTED_DISTRIBUTION, "parsl.executors", "parsl-not-installed-anywhere"
    )
    missing = plugins.not_found_message("parsl.executors", "X")
    assert "pip install parsl-not-installed-anywhere" in missing


BROKEN_PLUGIN = "dropin_broken_plugin"


@pytest.fixture
def broken_plugin(tmp_path: Path) -> Iterator[None]:
    """A distribution whose registered executor cannot be imported (its module is missing)."""
    info = tmp_path / f"{BROKEN_PLUGIN}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {BROKEN_PLUGIN}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[parsl.executors]\nBrokenExecutor = no_such_module_anywhere:BrokenExecutor\n"
    )
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    plugins.refresh()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        plugins.refresh()


@pytest.mark.usefixtures("broken_plugin")
def test_a_plugin_that_cannot_be_imported_is_named_with_its_distribution() -> None:
    assert not hasattr(parsl.executors, "BrokenExecutor")
    with pytest.raises(ImportError, match=f"registered .* by {BROKEN_PLUGIN}") as info:
        exec("from parsl.executors import BrokenExecutor")
    assert "no_such_module_anywhere" in str(info.value)


def test_top_level_names_are_the_plugin_modules_names() -> None:
    for name, module in parsl._FROM_PLUGINS.items():
        assert name in parsl.__all__
        assert name not in vars(parsl)  # looked up on use, never imported eagerly
        assert getattr(parsl, name, None) is getattr(importlib.import_module(module), name, None)
    from parsl.dataflow.loader import DataFlowKernelLoader

    assert parsl.DataFlowKernelLoader is DataFlowKernelLoader


HUB_PLUGIN = "dropin_hub_plugin"


@pytest.fixture
def hub_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A distribution registering ``DropinHub`` in ``parsl.monitoring``; parsl exports it lazily."""
    (tmp_path / f"{HUB_PLUGIN}.py").write_text("class DropinHub:\n    pass\n")
    info = tmp_path / f"{HUB_PLUGIN}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {HUB_PLUGIN}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[parsl.monitoring]\nDropinHub = {HUB_PLUGIN}:DropinHub\n"
    )
    monkeypatch.setitem(parsl._FROM_PLUGINS, "DropinHub", "parsl.monitoring")
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    plugins.refresh()
    try:
        yield
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop(HUB_PLUGIN, None)
        plugins.refresh()


@pytest.mark.usefixtures("hub_plugin")
def test_a_top_level_name_resolves_through_the_entry_point_registry() -> None:
    from parsl import DropinHub  # type: ignore[attr-defined]

    assert DropinHub.__module__ == HUB_PLUGIN
    assert parsl.monitoring.DropinHub is DropinHub


def test_star_import_gives_every_name_in_all() -> None:
    code = (
        "import parsl\n"
        "ns = {}\n"
        "exec('from parsl import *', ns)\n"
        "print(sorted(set(parsl.__all__) - set(ns)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_star_import_of_a_name_whose_package_is_missing_binds_a_stand_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As with the kernel alone (no parsl-executors, no parsl-monitoring): ``from parsl import *``
    # works, as in Parsl, and the name says what to install when used.
    monkeypatch.setattr(parsl, "__all__", [*parsl.__all__, "NoSuchHub"])
    monkeypatch.setitem(parsl._FROM_PLUGINS, "NoSuchHub", "parsl.monitoring")
    ns: dict[str, object] = {}
    exec("from parsl import *", ns)
    assert set(parsl.__all__) <= set(ns)
    stand_in = ns["NoSuchHub"]
    assert isinstance(stand_in, type) and stand_in.__name__ == "NoSuchHub"
    with pytest.raises(PluginNotFound, match="'NoSuchHub' is not provided .* 'parsl.monitoring'"):
        stand_in(resource_monitoring_interval=1)
    assert "not provided" in (stand_in.__doc__ or "")
    # A named import still fails at once, and nothing was cached on the module.
    with pytest.raises(PluginNotFound, match="'NoSuchHub' is not provided"):
        exec("from parsl import NoSuchHub", {})
    assert not hasattr(parsl, "NoSuchHub")
    assert not plugins.called_by_star_import(None)


def test_top_level_names_follow_the_plugin_modules_own_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from parsl import WorkQueueExecutor

    # Whatever parsl.executors gives (a registered class, or the stand-in naming what to install).
    assert WorkQueueExecutor is parsl.executors.WorkQueueExecutor
    monkeypatch.setitem(parsl._FROM_PLUGINS, "NoSuchHub", "parsl.monitoring")
    assert not hasattr(parsl, "NoSuchHub")
    assert getattr(parsl, "NoSuchHub", None) is None
    with pytest.raises(PluginNotFound, match="'NoSuchHub' is not provided .* 'parsl.monitoring'"):
        exec("from parsl import NoSuchHub")


def test_module_getattr_called_at_the_top_of_a_stack() -> None:
    code = (
        "from parsl import plugins\n"
        "try:\n"
        "    plugins.module_getattr('parsl.executors', 'parsl.executors', 'Nope')\n"
        "except AttributeError as e:\n"
        "    print(type(e).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "PluginAttributeNotFound"
