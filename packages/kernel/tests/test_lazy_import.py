"""``import parsl`` imports no kernel machinery until a top-level name is used (PEP 562).

Each check runs in a fresh interpreter: this test process has imported
everything long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)

HEAVY = [
    "parsl.dataflow.dflow",
    "parsl.executors.threads",
    "parsl.config",
    "typeguard",
    "parsl.plugins",
]


def _fresh(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=50, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_parsl_and_a_submodule_leave_the_kernel_unimported() -> None:
    loaded = _fresh(
        "import json, sys, parsl, parsl.serialize, parsl.executors, parsl.app.errors\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    assert loaded == []


def test_top_level_names_are_the_defining_modules_objects() -> None:
    same = _fresh(
        "import json, parsl\n"
        "from parsl import python_app, Config, File, load, dfk, clear, DataFlowKernel, ThreadPoolExecutor\n"
        "from parsl.app.app import python_app as p\n"
        "from parsl.config import Config as C\n"
        "from parsl.data_provider.files import File as F\n"
        "from parsl.dataflow.dflow import DataFlowKernel as D, DataFlowKernelLoader as L\n"
        "from parsl.executors.threads import ThreadPoolExecutor as T\n"
        "from parsl.version import VERSION\n"
        "print(json.dumps([python_app is p, Config is C, File is F, DataFlowKernel is D, ThreadPoolExecutor is T,\n"
        "  load == L.load, dfk == L.dfk, clear == L.clear, parsl.__version__ == VERSION,\n"
        "  parsl.python_app is p, 'python_app' in dir(parsl), 'load' in vars(parsl), parsl.VERSION == VERSION]))"
    )
    assert same == [True] * 13


def test_submodules_reached_as_attributes_after_a_bare_import() -> None:
    # Code written for Parsl relies on its eager import: `import parsl` and then dotted paths.
    found = _fresh(
        "import json, parsl\n"
        "print(json.dumps([parsl.dataflow.futures.AppFuture.__name__, parsl.app.app.python_app.__name__,\n"
        "  parsl.data_provider.files.File.__name__, parsl.dataflow.dflow.DataFlowKernel.__name__,\n"
        "  parsl.executors.threads.ThreadPoolExecutor.__name__, parsl.config.Config.__name__,\n"
        "  parsl.providers.LocalProvider.__name__]))"
    )
    assert found == [
        "AppFuture",
        "python_app",
        "File",
        "DataFlowKernel",
        "ThreadPoolExecutor",
        "Config",
        "LocalProvider",
    ]


def test_executors_submodules_as_attributes_and_unknown_names() -> None:
    found = _fresh(
        "import json, parsl.executors as e\n"
        "try:\n    e.NoSuchExecutor\n    missing = 'found'\nexcept AttributeError as x:\n    missing = type(x).__name__\n"
        "print(json.dumps([e.threads.__name__, e.ParslExecutor.__name__, missing]))"
    )
    assert found == ["parsl.executors.threads", "ParslExecutor", "PluginAttributeNotFound"]


def test_from_import_of_a_submodule_loads_only_that_submodule() -> None:
    # `from parsl import plugins` asks the package's __getattr__ first, while modules are half
    # imported: it must get the submodule and nothing else (no import cycle through dflow).
    loaded = _fresh(
        "import json, sys\nfrom parsl import plugins, serialize\n"
        "print(json.dumps([plugins.__name__, serialize.__name__, 'parsl.dataflow.dflow' in sys.modules]))"
    )
    assert loaded == ["parsl.plugins", "parsl.serialize", False]


def test_star_import_gives_every_public_name() -> None:
    names = _fresh(
        "import json, parsl\nns = {}\nexec('from parsl import *', ns)\n"
        "print(json.dumps(sorted(set(parsl.__all__) - set(ns))))"
    )
    assert names == []


def test_loader_imported_first_has_no_import_cycle() -> None:
    # The loader's module used to import dflow at its top, and dflow imports the loader at its end.
    ok = _fresh(
        "import json\nfrom parsl.dataflow.loader import DataFlowKernelLoader\n"
        "from parsl.dataflow.dflow import DataFlowKernelLoader as L\nprint(json.dumps(L is DataFlowKernelLoader))"
    )
    assert ok is True


def test_unknown_top_level_name_is_an_attribute_error() -> None:
    import parsl

    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        parsl.no_such_name  # noqa: B018
    assert not hasattr(parsl, "_private")
