"""Fixtures: a real redis-server on loopback, and a DFK over htex with the serializer registered."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from proxystore.store import Store

import parsl
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider
from parsl.serialize.facade import register_method_for_data, unregister_serializer
from parsl.serialize.proxystore import ProxyStoreSerializer

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(autouse=True)
def _tasks_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes import the apps from this directory, as a user's would."""
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", TESTS_DIR + (os.pathsep + path if path else ""))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    """A redis-server on 127.0.0.1 at a free port, without persistence; stopped by pid."""
    exe = shutil.which("redis-server")
    assert exe is not None, "redis-server is not installed (tools/setup-env installs it)"
    port = free_port()
    d = tmp_path / "redis"
    d.mkdir()
    proc = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(d), "--daemonize", "no", "--logfile", str(d / "redis.log")]
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait(5)
                raise RuntimeError(
                    f"redis-server did not start: {(d / 'redis.log').read_text()}"
                ) from None
            time.sleep(0.02)
    client.close()
    yield port
    proc.terminate()
    assert proc.wait(10) == 0


@pytest.fixture
def run_with(tmp_path: Path) -> Iterator[Callable[[Store[Any]], ProxyStoreSerializer]]:
    """Register a ProxyStoreSerializer over ``store`` and load a DFK with htex (2 worker processes)."""
    loaded: list[tuple[Any, ProxyStoreSerializer]] = []

    def start(store: Store[Any]) -> ProxyStoreSerializer:
        from ps_tasks import is_array

        serializer = ProxyStoreSerializer(should_proxy=is_array, store=store)
        register_method_for_data(serializer)
        htex = HighThroughputExecutor(
            label="htex",
            max_workers_per_node=2,
            provider=LocalProvider(init_blocks=1, max_blocks=1),
        )
        dfk = parsl.load(Config(executors=[htex], run_dir=str(tmp_path / "runinfo")))
        loaded.append((dfk, serializer))
        return serializer

    yield start
    for dfk, serializer in loaded:
        dfk.cleanup()
        parsl.clear()
        unregister_serializer(serializer)
