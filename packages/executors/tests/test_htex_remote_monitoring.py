"""HighThroughputExecutor on LocalProvider with remote monitoring, end to end, for each radio kind.

A real sink (:class:`MemorySink`) receives what the workers, the
interchange and the executor report: running/running_ended per task,
resource rows, node rows per manager and block rows per state change.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor, MPIExecutor
from parsl.monitoring.memory import MemorySink
from parsl.monitoring.radios import FilesystemRadio, HTEXRadio, RadioConfig, UDPRadio
from parsl.monitoring.types import MessageType
from parsl.providers import LocalProvider


@python_app
def square(x: int) -> int:
    return x * x


@python_app
def nap(seconds: float) -> str:
    import time

    time.sleep(seconds)
    return "rested"


@python_app
def broken() -> None:
    raise ZeroDivisionError("on purpose")


@bash_app
def shout(word: str, stdout: str | None = None) -> str:
    return f"echo {word}"


RADIOS: dict[str, Any] = {
    "htex": HTEXRadio,
    "udp": UDPRadio,
    "filesystem": lambda: FilesystemRadio(poll_interval=0.1),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", list(RADIOS))
def test_every_kind_of_row_arrives(kind: str, tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_enabled=True, resource_monitoring_interval=0.2)
    radio: RadioConfig = RADIOS[kind]()
    htex = HighThroughputExecutor(
        label="htex",
        max_workers_per_node=2,
        heartbeat_period=0.3,
        heartbeat_threshold=3,
        provider=LocalProvider(init_blocks=1, max_blocks=1),
        remote_monitoring_radio=radio,
    )
    out = tmp_path / "shout.out"
    with parsl.load(Config(executors=[htex], run_dir=str(tmp_path / "runinfo"), monitoring=sink)):
        run_id = parsl.dfk().run_id
        assert [f.result(timeout=60) for f in [square(i) for i in range(4)]] == [0, 1, 4, 9]
        assert nap(1.0).result(timeout=60) == "rested"
        with pytest.raises(ZeroDivisionError, match="on purpose"):
            broken().result(timeout=60)
        assert shout("hi", stdout=str(out)).result(timeout=60) == 0
        sink.wait_for(lambda: len(sink.of(MessageType.NODE_INFO)) >= 3)  # registration + heartbeats
        sink.wait_for(
            lambda: any(b["status"] == "RUNNING" for b in sink.of(MessageType.BLOCK_INFO))
        )
    assert out.read_text() == "hi\n"

    task_ids = range(7)
    infos = sink.of(MessageType.TASK_INFO)
    for task_id in task_ids:
        mine = [m for m in infos if m["task_id"] == task_id]
        assert [m["task_status_name"] for m in mine] == ["running", "running_ended"], task_id
        assert all(m["block_id"] == "0" and m["executor_label"] == "htex" for m in mine)
        assert all(m["run_id"] == run_id and m["hostname"] == os.uname().nodename for m in mine)

    resources = sink.of(MessageType.RESOURCE_INFO)
    per_task = {t: [r for r in resources if r["task_id"] == t] for t in task_ids}
    assert all(len(rows) >= 1 for rows in per_task.values()), per_task
    assert len(per_task[4]) >= 3  # the 1 s nap: samples every 0.2 s and a final one
    worker_pids = {r["psutil_process_pid"] for r in resources}
    assert os.getpid() not in worker_pids and 1 <= len(worker_pids) <= 2

    nodes = sink.of(MessageType.NODE_INFO)
    assert {n["uid"] for n in nodes} and len({n["uid"] for n in nodes}) == 1
    first, last = nodes[0], nodes[-1]
    assert first["active"] is True and last["active"] is False
    assert first["block_id"] == "0" and first["worker_count"] == 2
    assert first["cpu_count"] == os.cpu_count() and first["total_memory"] > 0  # type: ignore[operator]
    assert first["hostname"] == os.uname().nodename and first["run_id"] == run_id
    beats = [n["last_heartbeat"] for n in nodes]
    assert beats == sorted(beats)

    blocks = sink.of(MessageType.BLOCK_INFO)
    states = [b["status"] for b in blocks if b["block_id"] == "0"]
    assert states[0] == "PENDING" and "RUNNING" in states
    assert states[-1] in ("CANCELLED", "COMPLETED")  # cancelled, or already ended by itself
    assert all(b["executor_label"] == "htex" and b["job_id"] for b in blocks)
    assert len(states) == len(set(states))  # one row per change, not per poll


@pytest.mark.timeout(60)
def test_monitoring_off_sends_nothing_and_wraps_nothing(tmp_path: Path) -> None:
    htex = HighThroughputExecutor(
        label="htex", max_workers_per_node=1, provider=LocalProvider(init_blocks=1, max_blocks=1)
    )
    with parsl.load(Config(executors=[htex], run_dir=str(tmp_path / "runinfo"))):
        assert square(3).result(timeout=60) == 9
        assert htex.monitoring_messages is None and htex.monitoring_receiver is None
        assert htex._client is not None and htex._client.monitoring_sink is None
        assert htex._client.settings.monitoring_run_id is None


def test_radio_argument_is_checked() -> None:
    assert isinstance(HighThroughputExecutor().remote_monitoring_radio, HTEXRadio)
    radio = UDPRadio()
    assert MPIExecutor(remote_monitoring_radio=radio).remote_monitoring_radio is radio
    with pytest.raises(ConfigurationError, match="remote_monitoring_radio"):
        HighThroughputExecutor(remote_monitoring_radio="htex")  # type: ignore[arg-type]


@pytest.mark.timeout(60)
def test_resource_monitoring_disabled_sends_only_task_info(tmp_path: Path) -> None:
    sink = MemorySink(resource_monitoring_enabled=False)
    htex = HighThroughputExecutor(
        label="htex", max_workers_per_node=1, provider=LocalProvider(init_blocks=1, max_blocks=1)
    )
    with parsl.load(Config(executors=[htex], run_dir=str(tmp_path / "runinfo"), monitoring=sink)):
        assert [f.result(timeout=60) for f in [square(i) for i in range(3)]] == [0, 1, 4]
    assert len(sink.of(MessageType.TASK_INFO)) == 6
    assert sink.of(MessageType.RESOURCE_INFO) == []


@pytest.mark.timeout(90)
def test_running_arrives_while_the_task_runs_and_a_lost_manager_is_inactive(
    tmp_path: Path,
) -> None:
    import psutil

    sink = MemorySink(resource_monitoring_enabled=False)
    htex = HighThroughputExecutor(
        label="htex",
        max_workers_per_node=1,
        heartbeat_period=0.3,
        heartbeat_threshold=2,
        provider=LocalProvider(init_blocks=1, max_blocks=1),
    )
    with parsl.load(
        Config(
            executors=[htex],
            run_dir=str(tmp_path / "runinfo"),
            monitoring=sink,
            strategy="none",
        )
    ):
        fut = nap(30)
        sink.wait_for(lambda: any(m["task_id"] == 0 for m in sink.of(MessageType.TASK_INFO)))
        assert not fut.done()  # "running" is live, not held back until the end
        (running,) = sink.of(MessageType.TASK_INFO)
        assert running["task_status_name"] == "running"

        manager_id = sink.of(MessageType.NODE_INFO)[0]["uid"]
        block_pid = int(htex.blocks["0"])
        for proc in [psutil.Process(block_pid), *psutil.Process(block_pid).children(True)]:
            proc.kill()
        with pytest.raises(Exception, match="(?i)lost|died|block"):
            fut.result(timeout=30)
        sink.wait_for(
            lambda: any(
                n["uid"] == manager_id and n["active"] is False
                for n in sink.of(MessageType.NODE_INFO)
            )
        )
