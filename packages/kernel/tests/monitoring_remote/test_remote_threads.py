"""Remote monitoring through the ThreadPoolExecutor: running/running_ended, and no resource rows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import remote
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.radios import FilesystemRadio, HTEXRadio, ThreadPoolRadio, UDPRadio
from parsl.monitoring.radios.udp import UDPRadioSender
from parsl.monitoring.types import MessageType


@python_app
def add(a: int, b: int) -> int:
    return a + b


@python_app
def boom() -> None:
    raise ValueError("expected failure")


@bash_app
def echo(stdout: str | None = None) -> str:
    return "echo hello"


def _load(sink: MemorySink, tmp_path: Path, **kw: object) -> None:
    parsl.load(
        Config(
            executors=[ThreadPoolExecutor(label="threads", max_threads=2, **kw)],  # type: ignore[arg-type]
            run_dir=str(tmp_path / "runinfo"),
            monitoring=sink,
        )
    )


def test_running_and_running_ended_for_each_task(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_enabled=False)
    _load(sink, tmp_path)
    try:
        futs = [add(i, 1) for i in range(5)]
        assert [f.result(timeout=10) for f in futs] == [1, 2, 3, 4, 5]
        run_id = parsl.dfk().run_id
    finally:
        parsl.clear()
    infos = sink.of(MessageType.TASK_INFO)
    for task_id in range(5):
        states = [m["task_status_name"] for m in infos if m["task_id"] == task_id]
        assert states == ["running", "running_ended"]
    assert all(m["run_id"] == run_id and m["executor_label"] == "threads" for m in infos)
    assert all(m["try_id"] == 0 and isinstance(m["hostname"], str) for m in infos)
    running = {m["task_id"]: m["timestamp"] for m in infos if m["task_status_name"] == "running"}
    ended = {
        m["task_id"]: m["timestamp"] for m in infos if m["task_status_name"] == "running_ended"
    }
    assert all(running[t] <= ended[t] for t in running)
    assert sink.of(MessageType.RESOURCE_INFO) == []


def test_exception_unchanged_and_reported(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_enabled=True)
    _load(sink, tmp_path)
    try:
        with pytest.raises(ValueError, match="expected failure"):
            boom().result(timeout=10)
    finally:
        parsl.clear()
    states = [m["task_status_name"] for m in sink.of(MessageType.TASK_INFO)]
    assert states == ["running", "running_ended"]
    # As in Parsl, the thread pool records no resources: its tasks share one process.
    assert sink.of(MessageType.RESOURCE_INFO) == []


def test_bash_app_is_monitored(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_enabled=True)
    _load(sink, tmp_path)
    out = tmp_path / "out.txt"
    try:
        assert echo(stdout=str(out)).result(timeout=10) == 0
    finally:
        parsl.clear()
    assert out.read_text() == "hello\n"
    assert [m["task_status_name"] for m in sink.of(MessageType.TASK_INFO)] == [
        "running",
        "running_ended",
    ]
    assert sink.of(MessageType.RESOURCE_INFO) == []


def test_old_misspelled_argument_still_works(tmp_path: Path) -> None:
    radio = ThreadPoolRadio()
    ex = ThreadPoolExecutor(remote_monitor_radio=radio)
    assert ex.remote_monitoring_radio is radio


def test_bad_radio_is_a_clear_error() -> None:
    with pytest.raises(parsl.errors.ConfigurationError, match="remote_monitoring_radio"):
        ThreadPoolExecutor(remote_monitoring_radio="udp")  # type: ignore[arg-type]
    with pytest.raises(parsl.errors.ConfigurationError, match="works without htex"):
        ThreadPoolExecutor(remote_monitoring_radio=HTEXRadio())


def test_udp_and_filesystem_radios_work_for_threads(tmp_path: Path) -> None:
    for radio in (UDPRadio(), FilesystemRadio(poll_interval=0.05)):
        sink = MemorySink(resource_monitoring_enabled=False)
        _load(sink, tmp_path, remote_monitoring_radio=radio)
        try:
            assert add(1, 2).result(timeout=10) == 3
        finally:
            parsl.clear()  # the executor's shutdown stops the receiver after its last delivery
        states = [m["task_status_name"] for m in sink.of(MessageType.TASK_INFO)]
        assert states == ["running", "running_ended"], radio


def test_udp_radio_as_parsl_tests_configure_it(tmp_path: Path) -> None:
    # Parsl's own tests give the thread pool UDPRadio(address="localhost", atexit_timeout=0).
    sink = MemorySink(resource_monitoring_enabled=False)
    radio = UDPRadio(address="localhost", atexit_timeout=0)
    _load(sink, tmp_path, remote_monitoring_radio=radio)
    try:
        assert add(2, 3).result(timeout=10) == 5
        sink.wait_for(lambda: len(sink.of(MessageType.TASK_INFO)) == 2)
        sender = remote._senders[remote._radio_key(radio)]  # made in this process for the task
    finally:
        parsl.clear()
    states = [m["task_status_name"] for m in sink.of(MessageType.TASK_INFO)]
    assert states == ["running", "running_ended"]
    # The executor's shutdown closed it: a process running many workflows keeps no socket per run.
    assert isinstance(sender, UDPRadioSender) and sender._sock.fileno() == -1
    assert remote._radio_key(radio) not in remote._senders


def test_no_resource_rows_even_for_a_long_task(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_enabled=True, resource_monitoring_interval=0.05)
    _load(sink, tmp_path)
    try:
        assert slow(0.5).result(timeout=20) == "done"
    finally:
        parsl.clear()
    assert [m["task_status_name"] for m in sink.of(MessageType.TASK_INFO)] == [
        "running",
        "running_ended",
    ]
    assert sink.of(MessageType.RESOURCE_INFO) == []


@python_app
def slow(seconds: float, walltime: float | None = None) -> str:
    time.sleep(seconds)
    return "done"


def test_walltime_apps_keep_their_walltime(tmp_path: Path) -> None:
    from parsl.app.errors import AppTimeout

    sink = MemorySink(resource_monitoring_enabled=False)
    _load(sink, tmp_path)
    try:
        assert slow(0.01, walltime=5).result(timeout=10) == "done"
        with pytest.raises(AppTimeout):
            slow(3, walltime=0.2).result(timeout=10)
    finally:
        parsl.clear()
    ended = [m for m in sink.of(MessageType.TASK_INFO) if m["task_status_name"] == "running_ended"]
    assert sorted(m["task_id"] for m in ended) == [0, 1]


def test_a_partial_is_flattened_for_the_function_cache() -> None:
    import functools

    from parsl.monitoring import remote

    sink = MemorySink()
    ex = ThreadPoolExecutor()
    ex.run_id = "r"
    remote.attach_executor(ex, sink)

    class Task:
        id, try_id = 1, 0

    keys = set()
    for _ in range(3):
        func = functools.partial(max, 2.5)  # a fresh partial per task, as walltime= makes
        wrapped, _ = remote.monitor_wrapper(func, {}, ex, sink, Task())
        assert isinstance(wrapped, functools.partial) and wrapped.func is remote.run_monitored
        # What a function cache keyed on a partial's contents (htex's) sees: the same each time.
        keys.add((wrapped.func, wrapped.args, tuple(sorted(wrapped.keywords.items()))))
        assert wrapped(1.0, _parsl_monitoring_ids=(1, 0)) == 2.5
    assert len(keys) == 1


def test_an_executor_without_a_radio_runs_its_tasks_unmonitored_remotely(tmp_path: Path) -> None:
    # Parsl fails such tasks with RadioRequiredError; here they run, and the submit side's
    # states are still recorded (docs/coming-from-parsl.md).
    sink = MemorySink(resource_monitoring_enabled=True)
    executor = ThreadPoolExecutor(label="threads", max_threads=2)
    executor.remote_monitoring_radio = None
    parsl.load(Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), monitoring=sink))
    try:
        assert [add(i, 1).result(timeout=10) for i in range(3)] == [1, 2, 3]
    finally:
        parsl.clear()
    assert sink.of(MessageType.TASK_INFO) == [] and sink.of(MessageType.RESOURCE_INFO) == []
    states = {(t.task_id, t.state.name) for t in sink.transitions}
    assert {(i, s) for i in range(3) for s in ("pending", "launched", "exec_done")} <= states
