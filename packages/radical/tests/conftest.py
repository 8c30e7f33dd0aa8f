"""One real RADICAL-Pilot session and local.localhost pilot, shared by every test (start-up takes about a minute).

RADICAL-Pilot binds its bridges on every interface and asks an NTP server
for the time unless told otherwise, so these tests must run inside a network
namespace that has only loopback; tools/test and CI start them with
``unshare -n sh -c 'ip link set lo up && exec "$@"' sh python -m pytest ...``.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors.radical import RadicalPilotExecutor


def pytest_configure(config: pytest.Config) -> None:
    # radical.utils leaves a zmq Context, and its dependency `rc` an open VERSION file,
    # for the garbage collector: not this package's resources, so not errors here.
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Exception ignored in.*Context.__del__:pytest.PytestUnraisableExceptionWarning",
    )
    config.addinivalue_line(
        "filterwarnings",
        "ignore:Exception ignored in.*rc/process/VERSION:pytest.PytestUnraisableExceptionWarning",
    )
    config.addinivalue_line(
        "filterwarnings", "ignore:unclosed file.*rc/process/VERSION:ResourceWarning"
    )


def _is_radical_leak(unraisable: Any) -> bool:
    obj = unraisable.object
    if getattr(obj, "__qualname__", "") == "Context.__del__" and "zmq" in getattr(
        obj, "__module__", ""
    ):
        return True
    return "rc/process/VERSION" in str(unraisable.exc_value)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # pytest collects unraisable exceptions through sys.unraisablehook and turns them into
    # errors at the very end (after the filterwarnings lines above stop applying). Drop
    # only radical.utils' own leaked zmq Context and rc's VERSION file there.
    inner = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        if not _is_radical_leak(unraisable):
            inner(unraisable)

    sys.unraisablehook = hook


def _only_loopback() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


@pytest.fixture(scope="session")
def rp_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not _only_loopback():
        pytest.fail(
            "run the parsl-radical tests inside a loopback-only network namespace: "
            "unshare -n sh -c 'ip link set lo up && exec \"$@\"' sh python -m pytest packages/radical/tests"
        )
    base = tmp_path_factory.mktemp("rp")
    bindir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    os.environ["VIRTUAL_ENV"] = os.path.dirname(bindir)
    os.environ.update(
        RADICAL_DEFAULT_IFACE="lo",
        RADICAL_PROFILE="False",
        RADICAL_UTILS_NTPHOST="127.0.0.1",
        RADICAL_REPORT="False",
        RADICAL_BASE=str(base / "base"),
    )
    return base


@pytest.fixture(scope="session")
def rp_dfk(rp_env: Path) -> Iterator[DataFlowKernel]:
    ex = RadicalPilotExecutor(
        resource="local.localhost",
        label="rp",
        cores=2,
        gpus=0,
        runtime=15,
        sandbox=str(rp_env / "sbx"),
    )
    config = Config(executors=[ex], run_dir=str(rp_env / "runinfo"), strategy="none")
    with parsl.load(config) as dfk:
        yield dfk
