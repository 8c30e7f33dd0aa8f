"""The worker-side wrapper on its own: real psutil on real processes, real radios."""

from __future__ import annotations

import functools
import os
import statistics
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from parsl.monitoring import remote
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.radios import ThreadPoolRadio
from parsl.monitoring.radios.base import MonitoringRadioSender, RadioConfig
from parsl.monitoring.remote import IDS_KWARG, RemoteMonitoring, run_monitored
from parsl.monitoring.types import MessageType


def _settings(sink: MemorySink, enabled: bool, interval: float = 30) -> RemoteMonitoring:
    radio = ThreadPoolRadio()
    radio.create_receiver(run_dir=".", resource_msgs=sink)
    return RemoteMonitoring("run-1", "ex", radio, enabled, interval)


def _call(settings: RemoteMonitoring, func: Any, *args: Any, task_id: int = 7, **kw: Any) -> Any:
    return run_monitored(func, settings, *args, **{IDS_KWARG: (task_id, 2)}, **kw)


def test_result_and_kwargs_pass_through(sink: MemorySink) -> None:
    def f(a: int, *, b: int) -> tuple[int, int]:
        return a, b

    assert _call(_settings(sink, False), f, 1, b=2) == (1, 2)
    running, ended = sink.of(MessageType.TASK_INFO)
    assert (running["task_status_name"], ended["task_status_name"]) == ("running", "running_ended")
    assert running["task_id"] == 7 and running["try_id"] == 2 and running["run_id"] == "run-1"


def test_block_id_from_environment(sink: MemorySink, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARSL_WORKER_BLOCK_ID", "3")
    _call(_settings(sink, False), lambda: None)
    assert [m["block_id"] for m in sink.of(MessageType.TASK_INFO)] == ["3", "3"]


def test_exception_unchanged(sink: MemorySink) -> None:
    err = KeyError("the original")

    def f() -> None:
        raise err

    with pytest.raises(KeyError) as info:
        _call(_settings(sink, True), f)
    assert info.value is err
    assert len(sink.of(MessageType.RESOURCE_INFO)) == 1


class _BrokenSender(MonitoringRadioSender):
    def send(self, message: Any) -> None:
        raise OSError("network is down")


class _BrokenRadio(RadioConfig):
    def __init__(self, fail_create: bool) -> None:
        self.fail_create = fail_create

    def create_sender(self) -> MonitoringRadioSender:
        if self.fail_create:
            raise RuntimeError("no route")
        return _BrokenSender()

    def create_receiver(self, **kw: Any) -> Any:  # pragma: no cover - not used here
        raise NotImplementedError


@pytest.mark.parametrize("fail_create", [True, False])
def test_task_survives_a_broken_radio(fail_create: bool, caplog: pytest.LogCaptureFixture) -> None:
    settings = RemoteMonitoring("run-1", "ex", _BrokenRadio(fail_create), True, 0.05)
    assert _call(settings, lambda x: x * 2, 21) == 42
    assert _call(settings, lambda x: x * 2, 4) == 8
    if fail_create:  # logged once for the process, not once per task
        assert caplog.text.count("cannot create a sender") == 1
    else:
        assert "could not send" in caplog.text


def test_short_task_gets_exactly_one_final_sample(sink: MemorySink) -> None:
    _call(_settings(sink, True, interval=30), lambda: None)
    (row,) = sink.of(MessageType.RESOURCE_INFO)
    assert row["psutil_process_pid"] == os.getpid()
    # values in the right fields (the sample is positional on the wire)
    assert row["psutil_process_status"] in ("running", "sleeping", "disk-sleep")
    assert type(row["psutil_process_num_threads"]) is int and row["psutil_process_num_threads"] >= 1
    assert row["psutil_process_memory_resident"] > 1 << 20
    assert row["psutil_process_memory_virtual"] >= row["psutil_process_memory_resident"]
    assert 0 < row["psutil_process_memory_percent"] < 100
    assert row["resource_monitoring_interval"] == 30
    for key in (
        "psutil_process_cpu_percent",
        "psutil_process_memory_percent",
        "psutil_process_children_count",
        "psutil_process_time_user",
        "psutil_process_time_system",
        "psutil_process_memory_virtual",
        "psutil_process_memory_resident",
        "psutil_process_disk_read",
        "psutil_process_disk_write",
        "psutil_process_status",
        "psutil_process_num_threads",
        "psutil_process_num_ctx_switches_voluntary",
        "psutil_process_num_ctx_switches_involuntary",
    ):
        assert row[key] is not None, key
    assert row["resource_monitoring_interval"] == 30
    assert row["psutil_process_memory_resident"] > 1_000_000  # type: ignore[operator]


def test_periodic_samples_of_a_long_task(sink: MemorySink) -> None:
    def enough_samples() -> bool:
        rows = sink.of(MessageType.RESOURCE_INFO)
        return len(rows) >= 3 and max(r["psutil_process_cpu_percent"] for r in rows) > 10  # type: ignore[type-var]

    def spin(seconds: float) -> int:
        # Half busy, half asleep: enough CPU to show, and the GIL free for the sampler.
        # At least ``seconds``, and on until periodic samples have come (a loaded
        # machine gives this process less CPU and the sampler fewer turns), at most 20 s.
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds or (
            not enough_samples() and time.monotonic() - start < 20
        ):
            burst = time.monotonic() + 0.02
            while time.monotonic() < burst:
                n += 1
            time.sleep(0.02)
        return n

    assert _call(_settings(sink, True, interval=0.1), spin, 1.0) > 0
    rows = sink.of(MessageType.RESOURCE_INFO)
    assert len(rows) >= 3  # periodic samples (~10 a second) and the final one
    assert max(r["psutil_process_cpu_percent"] for r in rows) > 10  # type: ignore[type-var]
    times = [r["timestamp"] for r in rows]
    assert times == sorted(times)
    assert rows[-1]["psutil_process_time_user"] >= rows[0]["psutil_process_time_user"]  # type: ignore[operator]
    assert all(r["resource_monitoring_interval"] == 0.1 for r in rows)


def test_live_child_process_is_counted(sink: MemorySink) -> None:
    import psutil

    before = len(psutil.Process().children(recursive=True))  # this test process's own

    def sampled_with_child() -> bool:
        rows = sink.of(MessageType.RESOURCE_INFO)
        return any(r["psutil_process_children_count"] == before + 1 for r in rows)

    def run_child() -> None:
        # The child lives until a periodic sample has seen it (not a fixed time that
        # a busy machine may let pass before the sampler runs), then is killed and reaped.
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            deadline = time.monotonic() + 20
            while not sampled_with_child() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            child.kill()
            child.wait(timeout=10)

    _call(_settings(sink, True, interval=0.2), run_child)
    rows = sink.of(MessageType.RESOURCE_INFO)
    assert max(r["psutil_process_children_count"] for r in rows) == before + 1  # type: ignore[operator]
    assert rows[-1]["psutil_process_children_count"] <= before  # type: ignore[operator]  # exited


def test_reaped_child_cpu_time_counts(sink: MemorySink) -> None:
    burn = "import time\nend=time.process_time()+0.3\nwhile time.process_time()<end: pass"

    def run_child() -> None:
        subprocess.run([sys.executable, "-c", burn], check=True, timeout=20)

    _call(_settings(sink, True), run_child)
    (row,) = sink.of(MessageType.RESOURCE_INFO)
    assert row["psutil_process_time_user"] + row["psutil_process_time_system"] >= 0.3  # type: ignore[operator]


def test_cpu_percent_of_short_tasks_is_a_percentage(sink: MemorySink) -> None:
    """A task of half a millisecond shows the CPU share it used, not 0% or thousands of percent.

    (Taken from ``stat``'s 10 ms clock ticks, most such tasks showed 0% and the
    few a tick fell in about 2000%.)
    """
    settings = _settings(sink, True)

    def spin() -> None:
        end = time.perf_counter() + 0.0005
        while time.perf_counter() < end:
            pass

    for i in range(400):
        _call(settings, spin, task_id=i)
    percents = [r["psutil_process_cpu_percent"] for r in sink.of(MessageType.RESOURCE_INFO)]
    assert len(percents) == 400
    # At most every CPU busy with this process's threads (a little more for rounding).
    assert max(percents) <= 100 * (os.cpu_count() or 1) + 50
    assert statistics.median(percents) > 20  # a spinning task is busy


def test_sampler_thread_is_shared_between_tasks(sink: MemorySink) -> None:
    settings = _settings(sink, True, interval=0.05)
    _call(settings, time.sleep, 0.1, task_id=1)
    before = {t.name for t in threading.enumerate()}
    _call(settings, time.sleep, 0.1, task_id=2)
    samplers = [t for t in threading.enumerate() if t.name == "parsl-resource-sampler"]
    assert len(samplers) == 1 and "parsl-resource-sampler" in before
    assert {r["task_id"] for r in sink.of(MessageType.RESOURCE_INFO)} == {1, 2}


def test_disabled_costs_no_thread_and_no_psutil(tmp_path: Path) -> None:
    """In a fresh worker-like process: no psutil import, no extra thread, messages still sent."""
    script = textwrap.dedent(
        """
        import sys, threading
        from parsl.monitoring.radios import FilesystemRadio
        from parsl.monitoring.remote import RemoteMonitoring, run_monitored, IDS_KWARG

        class Target:
            def send(self, m): pass

        radio = FilesystemRadio()
        receiver = radio.create_receiver(run_dir=sys.argv[1], resource_msgs=Target())
        receiver.shutdown()
        threads = threading.active_count()
        settings = RemoteMonitoring("r", "ex", radio, False, 1.0)
        assert run_monitored(lambda: 5, settings, **{IDS_KWARG: (1, 0)}) == 5
        print("psutil" in sys.modules, threading.active_count() - threads)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout.split() == ["False", "0"]
    radio_dir = next((tmp_path / "monitor-fs-radio").iterdir())
    assert len(list((radio_dir / "new").iterdir())) == 2  # running, running_ended


def test_settings_follow_the_sink() -> None:
    from parsl.executors import ThreadPoolExecutor

    sink = MemorySink(resource_monitoring_enabled=True, resource_monitoring_interval=0)
    ex = ThreadPoolExecutor()
    ex.run_id = "r"
    remote.attach_executor(ex, sink)
    assert ex.monitoring_messages is sink and ex.hub_address == "127.0.0.1"
    wrapped, kwargs = remote.monitor_wrapper(len, {}, ex, sink, _Task())
    assert kwargs == {IDS_KWARG: (4, 1)}
    settings = wrapped.args[1]  # type: ignore[attr-defined]
    assert settings.resource_monitoring_enabled is False  # interval 0 means off
    again, _ = remote.monitor_wrapper(len, {}, ex, sink, _Task())
    assert again.args[1] is settings  # type: ignore[attr-defined]  # cached: htex serializes once
    ex.remote_monitoring_radio = None
    assert remote.monitor_wrapper(len, {"a": 1}, ex, sink, _Task()) == (len, {"a": 1})


def test_settings_follow_the_executors_monitor_resources() -> None:
    from parsl.executors import ThreadPoolExecutor

    class SampledThreads(ThreadPoolExecutor):
        def monitor_resources(self) -> bool:
            return True

    sink = MemorySink(resource_monitoring_enabled=True, resource_monitoring_interval=1)
    enabled = {}
    for ex in (ThreadPoolExecutor(), SampledThreads()):
        ex.run_id = "r"
        remote.attach_executor(ex, sink)
        wrapped, _ = remote.monitor_wrapper(len, {}, ex, sink, _Task())
        enabled[type(ex).__name__] = wrapped.args[1].resource_monitoring_enabled  # type: ignore[attr-defined]
    # Parsl's ThreadPoolExecutor.monitor_resources() is False: its tasks share one process.
    assert enabled == {"ThreadPoolExecutor": False, "SampledThreads": True}


class _Task:
    id = 4
    try_id = 1


def test_running_is_sent_while_a_monitored_task_runs(sink: MemorySink) -> None:
    """With resource monitoring on, the sampler's thread sends "running" soon after the start."""

    def task() -> str:
        sink.wait_for(lambda: len(sink.of(MessageType.TASK_INFO)) == 1, timeout=5)
        return "seen while running"

    assert _call(_settings(sink, True, interval=30), task) == "seen while running"
    states = [m["task_status_name"] for m in sink.of(MessageType.TASK_INFO)]
    assert states == ["running", "running_ended"]


def test_short_monitored_task_sends_one_batch(
    sink: MemorySink, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task over before "running" is due: running, its sample and running_ended go together."""
    from parsl.monitoring import resource_sampler

    monkeypatch.setattr(resource_sampler, "RUNNING_DELAY_S", 5.0)  # however slow this machine
    batches: list[tuple[int, bool]] = []

    class Counting(ThreadPoolRadio):
        def create_sender(self) -> MonitoringRadioSender:
            inner = super().create_sender()

            class Sender(MonitoringRadioSender):
                def send(self, message: Any) -> None:
                    batches.append((1, False))
                    inner.send(message)

                def send_many(self, messages: Any, *, final: bool = False) -> None:
                    messages = list(messages)
                    batches.append((len(messages), final))
                    for m in messages:
                        inner.send(m)

            return Sender()

    radio = Counting()
    radio.create_receiver(run_dir=".", resource_msgs=sink)
    settings = RemoteMonitoring("run-2", "ex", radio, True, 30)
    _call(settings, lambda: None)
    assert batches == [(3, True)]
    kinds = [k for k, _ in sink.messages]
    assert kinds == [MessageType.TASK_INFO, MessageType.RESOURCE_INFO, MessageType.TASK_INFO]


def test_settings_repr_is_short(sink: MemorySink) -> None:
    """An executor may repr the wrapped function on every task: the settings' part stays short."""
    settings = _settings(sink, True)
    assert repr(settings) == "RemoteMonitoring(run run-1, executor ex)"


def test_unpickled_settings_are_one_shared_copy_per_process() -> None:
    """A worker rebuilds an executor's settings once, not once per task."""
    import pickle

    from parsl.monitoring.radios import UDPRadio
    from parsl.serialize import deserialize, serialize

    settings = RemoteMonitoring("run-3", "ex", UDPRadio(port=1234), True, 2.5)
    first = deserialize(serialize(functools.partial(run_monitored, len, settings)))
    again = pickle.loads(pickle.dumps(settings))
    assert first.args[1] is again and again is not settings
    assert (again.run_id, again.executor_label, again.resource_monitoring_enabled) == (
        "run-3",
        "ex",
        True,
    )
    assert again.resource_monitoring_interval == 2.5 and again.radio.port == 1234
    other = pickle.loads(pickle.dumps(RemoteMonitoring("run-4", "ex", UDPRadio(), True, 2.5)))
    assert other is not again and other.run_id == "run-4"
    assert pickle.loads(pickle.dumps(again)) is again  # a shared copy pickles to the same


def test_settings_whose_radio_cannot_be_serialized_fail_to_pickle(sink: MemorySink) -> None:
    import pickle

    from parsl.serialize.errors import SerializationError

    settings = _settings(sink, True)  # a ThreadPoolRadio: only for the submitting process
    with pytest.raises(SerializationError, match="monitoring settings"):
        pickle.dumps(settings)


class _CountingRadio(RadioConfig):
    """A radio that counts the senders made of it (in this process)."""

    made = 0

    def __init__(self, tag: str) -> None:
        self.tag = tag  # part of the process-wide sender key: a new tag is a new radio

    def create_sender(self) -> MonitoringRadioSender:
        type(self).made += 1
        return _NullSender()

    def create_receiver(self, **kw: Any) -> Any:  # pragma: no cover - not used here
        raise NotImplementedError


class _NullSender(MonitoringRadioSender):
    def send(self, message: Any) -> None:
        return None


def test_a_process_makes_one_sender_per_radio() -> None:
    """A worker's tasks reuse its sender: made on the first task, not built again per task."""
    _CountingRadio.made = 0
    tag = f"{os.getpid()}-{time.monotonic_ns()}"  # not made by an earlier run in this process
    radio = _CountingRadio(tag)
    settings = RemoteMonitoring("run-5", "ex", radio, False, 1.0)
    for task_id in range(3):
        assert _call(settings, lambda x: x + 1, task_id, task_id=task_id) == task_id + 1
    assert _CountingRadio.made == 1
    # Other settings with an equal radio (another executor's wrapper, say) share it too.
    assert (
        _call(RemoteMonitoring("run-5", "other", _CountingRadio(tag), False, 1.0), len, "ab") == 2
    )
    assert _CountingRadio.made == 1


def test_a_forked_child_samples_itself_not_its_parent() -> None:
    """A child forked from a sampling process makes its own sampler (its own /proc figures)."""
    script = textwrap.dedent(
        """
        import os
        from parsl.monitoring.resource_sampler import process_sampler

        parent = process_sampler()
        assert process_sampler() is parent and parent.pid == os.getpid()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            child = process_sampler()
            os.write(w, f"{child.pid} {child is parent} {process_sampler() is child}".encode())
            os._exit(0)
        os.close(w)
        reported = os.read(r, 200).decode()
        os.waitpid(pid, 0)
        print(pid, reported, process_sampler() is parent)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    child_pid, reported_pid, shared, same_again, parent_kept = out.stdout.split()
    assert reported_pid == child_pid
    assert (shared, same_again, parent_kept) == ("False", "True", "True")
