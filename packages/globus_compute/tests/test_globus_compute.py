"""GlobusComputeExecutor against the SDK's Executor interface, with tasks run by local worker processes.

The Globus Compute service cannot be reached here: ``LocalComputeExecutor``
(a ``globus_compute_sdk.Executor`` subclass) replaces only the service.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import psutil
import pytest
from globus_compute_sdk import Executor
from globus_compute_sdk.errors import TaskExecutionFailed

import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError
from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.globus_compute import (
    GlobusComputeExecutor,
    GlobusComputeShutdown,
    split_resource_specification,
)
from parsl.executors.globus_compute.testing import LocalComputeExecutor

pytestmark = pytest.mark.timeout(90)


def _reap(pids: list[int], seconds: float = 20) -> None:
    """Wait for each worker pid to end; kill (by pid) any still there and fail."""
    deadline = time.monotonic() + seconds
    alive = [p for p in pids if psutil.pid_exists(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if _running(p)]
    for p in alive:
        os.kill(p, 9)
    assert not alive, f"worker processes still running after shutdown: {alive}"


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def sdk() -> Iterator[LocalComputeExecutor]:
    ex = LocalComputeExecutor(
        max_workers=2,
        resource_specification={"num_nodes": 1},
        user_endpoint_config={"queue": "debug"},
    )
    yield ex
    pids = ex.worker_pids()
    ex.shutdown(wait=True, cancel_futures=True)
    _reap(pids)


@pytest.fixture
def dfk(sdk: LocalComputeExecutor, tmp_path: Path) -> Iterator[DataFlowKernel]:
    config = Config(
        executors=[GlobusComputeExecutor(executor=sdk, label="gc")],
        run_dir=str(tmp_path / "runinfo"),
    )
    with parsl.load(config) as d:
        yield d


@python_app
def add(a: int, b: int, parsl_resource_specification: dict[str, Any] | None = None) -> int:
    return a + b


@python_app
def pid() -> int:
    return os.getpid()


@python_app
def fail() -> None:
    raise ZeroDivisionError("on the endpoint")


@bash_app
def echo(text: str, stdout: str | None = None) -> str:
    return f"echo {text}"


def test_public_import_path_is_this_package() -> None:
    from parsl.executors import GlobusComputeExecutor as exported
    from parsl.executors.unavailable import STAND_INS

    assert exported is GlobusComputeExecutor
    assert exported is not STAND_INS["GlobusComputeExecutor"]


def test_bad_arguments_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="executor"):
        GlobusComputeExecutor(executor="not an executor")  # type: ignore[arg-type]
    ex = LocalComputeExecutor(max_workers=1)
    try:
        with pytest.raises(ConfigurationError, match="label"):
            GlobusComputeExecutor(executor=ex, label="")
        gce = GlobusComputeExecutor(executor=ex)
        assert gce.label == "GlobusComputeExecutor"
        assert "GlobusComputeExecutor(" in repr(gce)
    finally:
        ex.shutdown()


def test_split_uses_defaults_and_takes_out_user_endpoint_config() -> None:
    dspec, dconf = {"num_nodes": 1}, {"queue": "debug"}
    assert split_resource_specification({}, dspec, dconf) == ({"num_nodes": 1}, dconf)
    assert split_resource_specification(None, None, None) == (None, None)
    spec = {"num_nodes": 2, "user_endpoint_config": {"queue": "gpu"}}
    assert split_resource_specification(spec, dspec, dconf) == (
        {"num_nodes": 2},
        {"queue": "gpu"},
    )
    assert "user_endpoint_config" in spec  # the caller's dict is not changed
    assert split_resource_specification({"ranks_per_node": 4}, dspec, dconf) == (
        {"ranks_per_node": 4},
        dconf,
    )


def test_split_rejects_what_the_service_cannot_take() -> None:
    with pytest.raises(InvalidResourceSpecification, match="user_endpoint_config"):
        split_resource_specification({"user_endpoint_config": "gpu"}, None, None)
    with pytest.raises(InvalidResourceSpecification, match="JSON"):
        split_resource_specification({"when": object()}, None, None)
    with pytest.raises(InvalidResourceSpecification, match="JSON"):
        split_resource_specification({"user_endpoint_config": {"x": {1, 2}}}, None, None)


def test_apps_results_and_exceptions_reach_app_futures(dfk: DataFlowKernel) -> None:
    assert [add(i, i).result(timeout=60) for i in range(4)] == [0, 2, 4, 6]
    worker = pid().result(timeout=60)
    assert worker != os.getpid()  # ran in a worker process, not here
    with pytest.raises(TaskExecutionFailed, match="ZeroDivisionError: on the endpoint"):
        fail().result(timeout=60)


def test_bash_app_runs_on_the_endpoint(dfk: DataFlowKernel, tmp_path: Path) -> None:
    out = tmp_path / "echo.out"
    assert echo("hello-endpoint", stdout=str(out)).result(timeout=60) == 0
    assert out.read_text().strip() == "hello-endpoint"


def test_resource_specification_per_submit_then_defaults_restored(
    dfk: DataFlowKernel, sdk: LocalComputeExecutor
) -> None:
    spec = {"num_nodes": 2, "ranks_per_node": 4, "user_endpoint_config": {"queue": "gpu"}}
    assert add(1, 2, parsl_resource_specification=spec).result(timeout=60) == 3
    assert add(1, 1, parsl_resource_specification={"num_nodes": 3}).result(timeout=60) == 2
    assert add(0, 0).result(timeout=60) == 0
    seen = [(s.resource_specification, s.user_endpoint_config) for s in sdk.submissions]
    assert seen == [
        ({"num_nodes": 2, "ranks_per_node": 4}, {"queue": "gpu"}),
        ({"num_nodes": 3}, {"queue": "debug"}),
        ({"num_nodes": 1}, {"queue": "debug"}),
    ]
    assert sdk.resource_specification == {"num_nodes": 1}
    assert sdk.user_endpoint_config == {"queue": "debug"}


def test_direct_submit_takes_parsls_keyword_resource_specification(
    sdk: LocalComputeExecutor,
) -> None:
    # Code written against Parsl calls gce.submit(fn, resource_specification={...}).
    gce = GlobusComputeExecutor(executor=sdk, label="gc")
    gce.start()
    try:
        spec = {"num_nodes": 2, "user_endpoint_config": {"queue": "gpu"}}
        assert gce.submit(_slow, resource_specification=spec, seconds=0).result(timeout=60) == 0
        assert [(s.resource_specification, s.user_endpoint_config) for s in sdk.submissions] == [
            ({"num_nodes": 2}, {"queue": "gpu"})
        ]
        with pytest.raises(TypeError, match="needs a resource_specification"):
            gce.submit(_slow, seconds=0)
    finally:
        gce.shutdown()


def test_bad_resource_specification_fails_the_task(dfk: DataFlowKernel) -> None:
    fut = add(1, 2, parsl_resource_specification={"user_endpoint_config": ["gpu"]})
    with pytest.raises(InvalidResourceSpecification, match="expected a dict"):
        fut.result(timeout=30)


def _slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_shutdown_cancels_outstanding_work() -> None:
    sdk = LocalComputeExecutor(max_workers=1)
    gce = GlobusComputeExecutor(executor=sdk, label="gc")
    gce.start()
    try:
        first = gce.submit(_slow, {}, 1.5)
        deadline = time.monotonic() + 30
        while not sdk.worker_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        queued = [gce.submit(_slow, {}, 3) for _ in range(3)]
        assert gce.outstanding == 4
        pids = sdk.worker_pids()
        started = time.monotonic()
        gce.shutdown()
        assert time.monotonic() - started < 5
        for fut in queued:
            with pytest.raises(GlobusComputeShutdown, match="shut down"):
                fut.result(timeout=5)
        with pytest.raises(GlobusComputeShutdown):
            first.result(timeout=5)
        assert gce.outstanding == 0
        with pytest.raises(GlobusComputeShutdown, match="shut down"):
            gce.submit(_slow, {}, 0)
        gce.shutdown()  # a second call is harmless
        with pytest.raises(RuntimeError, match="shutdown"):
            sdk.submit(_slow, 0)
        _reap(pids)
    finally:
        sdk.shutdown(wait=False, cancel_futures=True)


def test_cancelled_by_the_sdk_becomes_a_clear_error() -> None:
    sdk = LocalComputeExecutor(max_workers=1)
    gce = GlobusComputeExecutor(executor=sdk, label="gc")
    try:
        running = gce.submit(_slow, {}, 1)
        # the local pool hands a couple of tasks to its worker ahead (already "sent")
        fillers = [gce.submit(_slow, {}, 0.1) for _ in range(2)]
        queued = gce.submit(_slow, {}, 30)
        pids = sdk.worker_pids()
        sdk.shutdown(wait=True, cancel_futures=True)  # the SDK side cancels what it has not sent
        assert running.result(timeout=30) == 1
        for f in fillers:  # each ends: run (0.1) or cancelled, depending on the pool's read-ahead
            assert f.exception(timeout=30) is None or isinstance(
                f.exception(), GlobusComputeShutdown
            )
        with pytest.raises(GlobusComputeShutdown, match="cancelled before it was sent"):
            queued.result(timeout=5)
        _reap(pids)
    finally:
        gce.shutdown()


def test_stand_in_keeps_the_sdk_interface() -> None:
    sdk = LocalComputeExecutor(max_workers=1, label="local")
    try:
        assert isinstance(sdk, Executor)
        with pytest.raises(TypeError, match="JSON-serializable"):
            sdk.user_endpoint_config = {"bad": object()}
        fid = sdk.register_function(_slow)
        fut: Future[Any] = sdk.submit_to_registered_function(fid, args=(0,))
        assert fut.result(timeout=60) == 0
        assert sdk.submit(_slow, 0).result(timeout=60) == 0  # cached registration reused
        assert len({s.function_id for s in sdk.submissions}) == 1
        with pytest.raises(ValueError, match="not registered"):
            sdk.submit_to_registered_function("no-such-function")
    finally:
        sdk.shutdown()


@python_app
def read_staged(inputs: list[Any]) -> str:
    with open(inputs[0].filepath) as f:
        return f"{os.getcwd()}|{inputs[0].filepath}|{f.read()}"


def test_storage_access_stages_files_inside_the_task_on_the_endpoint(
    sdk: LocalComputeExecutor, tmp_path: Path
) -> None:
    # Parsl's storage_access and working_dir: an HTTP input is fetched inside the task, on the
    # endpoint's worker, into working_dir (a real HTTP server on 127.0.0.1).
    import http.server
    import threading

    from parsl.data_provider.files import File
    from parsl.data_provider.http import HTTPInTaskStaging

    served = tmp_path / "served"
    served.mkdir()
    (served / "data.txt").write_text("from the web server")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint_dir = tmp_path / "endpoint"
    endpoint_dir.mkdir()
    gce = GlobusComputeExecutor(
        executor=sdk,
        label="gc",
        storage_access=[HTTPInTaskStaging()],
        working_dir=str(endpoint_dir),
    )
    try:
        with parsl.load(Config(executors=[gce], run_dir=str(tmp_path / "runinfo"))):
            url = f"http://127.0.0.1:{server.server_address[1]}/data.txt"
            _, path, text = read_staged(inputs=[File(url)]).result(timeout=60).split("|")
        assert text == "from the web server"
        assert path == str(endpoint_dir / "data.txt")
        assert (endpoint_dir / "data.txt").read_text() == "from the web server"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_storage_access_and_working_dir_are_checked() -> None:
    ex = LocalComputeExecutor(max_workers=1)
    try:
        for bad in ("not a list", ["not a provider"], 3):
            with pytest.raises(ConfigurationError, match="storage_access"):
                GlobusComputeExecutor(executor=ex, storage_access=bad)  # type: ignore[arg-type]
        for bad_dir in ("", 5):
            with pytest.raises(ConfigurationError, match="working_dir"):
                GlobusComputeExecutor(executor=ex, working_dir=bad_dir)  # type: ignore[arg-type]
        plain = GlobusComputeExecutor(executor=ex)
        assert plain.storage_access is None and plain.working_dir is None
    finally:
        ex.shutdown()
