"""A worker pool starts without what only encryption or the client side needs, and vice versa.

Each check runs in a fresh interpreter: this test process has imported
everything long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version

import pytest

from parsl.executors.high_throughput import versions

pytestmark = pytest.mark.timeout(60)

NOT_FOR_A_WORKER = [
    "zmq.auth",  # CurveZMQ: only with encrypted=True
    "parsl.executors.high_throughput.curve",
    "importlib.metadata",  # versions come from dist-info folder names
    "parsl.executors.high_throughput.executor",  # the client side
    "parsl.executors.high_throughput.interchange",
]


def _loaded_after(code: str, modules: list[str]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\nprint(json.dumps([m for m in {modules!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=50, check=True
    )
    loaded: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return loaded


def test_worker_pool_import_leaves_encryption_and_client_unimported() -> None:
    code = "import parsl.executors.high_throughput.process_worker_pool"
    assert _loaded_after(code, NOT_FOR_A_WORKER) == []


WORKER_SIDE = [
    "parsl.executors.high_throughput.worker_pool",
    "parsl.executors.high_throughput.manager",
    "parsl.executors.high_throughput.worker_processes",
]


def test_configuring_htex_leaves_the_worker_side_unimported() -> None:
    code = (
        "from parsl.config import Config\n"
        "from parsl.executors import HighThroughputExecutor\n"
        "from parsl.providers import LocalProvider\n"
        "htex = HighThroughputExecutor(provider=LocalProvider(), cpu_affinity='block')\n"
        "Config(executors=[htex])"
    )
    assert _loaded_after(code, WORKER_SIDE) == []


def test_versions_without_a_dist_info_folder_come_from_the_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(versions, "_installed_here", dict)  # no dist-info folder found
    read = versions._distribution_version
    assert read("parsl-executors") == version("parsl-executors")
    assert read("no-such-distribution-here") == "0.0.0+unknown"
