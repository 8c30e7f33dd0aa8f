"""An out-of-tree executor subclassing Parsl's BlockProviderExecutor runs workflows on LocalProvider blocks."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from oot_executor import QueueExecutor, boom, square, worker_identity

import parsl
from parsl.config import Config
from parsl.executors.errors import BadStateException, ScalingFailed
from parsl.executors.status_handling import BlockProviderExecutor
from parsl.jobs.error_handlers import (
    noop_error_handler,
    simple_error_handler,
    windowed_error_handler,
)
from parsl.jobs.errors import TooManyJobFailuresError
from parsl.jobs.job_status_poller import JobStatusPoller
from parsl.jobs.states import JobState, JobStatus
from parsl.monitoring.sink import MonitoringSink, TaskTransition
from parsl.monitoring.types import MessageType
from parsl.providers import LocalProvider

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER_ENV = f"export PYTHONPATH={HERE}:${{PYTHONPATH:-}}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _wait_until(check: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


@pytest.fixture
def loaded(run_dir: str) -> Iterator[QueueExecutor]:
    ex = QueueExecutor(provider=LocalProvider(init_blocks=1, max_blocks=1, worker_init=WORKER_ENV))
    parsl.load(Config(executors=[ex], run_dir=run_dir, strategy="none"))
    try:
        yield ex
    finally:
        parsl.clear()


@pytest.mark.timeout(60)
def test_workflow_runs_on_a_block_of_an_out_of_tree_executor(loaded: QueueExecutor) -> None:
    app_square = parsl.python_app(square)
    app_identity = parsl.python_app(worker_identity)
    futures = [app_square(i) for i in range(10)]
    total = parsl.python_app(lambda *xs: sum(xs))(*futures)
    assert total.result(timeout=30) == sum(i * i for i in range(10))
    pid, jobname = app_identity().result(timeout=30)
    # The task ran in the block's worker, a process the provider started for block 0.
    assert pid != os.getpid()
    assert loaded.worker_pids == {"0": pid}
    assert jobname == f"parsl.{loaded.label}.block-0"
    assert list(loaded.blocks_to_job_id) == ["0"]
    job_id = loaded.blocks_to_job_id["0"]
    assert loaded.job_ids_to_block == {job_id: "0"}
    assert os.path.isdir(os.path.join(loaded.run_dir, "submit_scripts"))


@pytest.mark.timeout(60)
def test_a_task_exception_comes_back_and_cleanup_cancels_the_blocks(run_dir: str) -> None:
    ex = QueueExecutor(provider=LocalProvider(worker_init=WORKER_ENV))
    dfk = parsl.load(Config(executors=[ex], run_dir=run_dir, strategy="simple"))
    try:
        with pytest.raises(ValueError, match="from the worker"):
            parsl.python_app(boom)("from the worker").result(timeout=30)
        _wait_until(lambda: "0" in ex.worker_pids)
        worker = ex.worker_pids["0"]
        assert _alive(worker)
    finally:
        parsl.clear()
    assert dfk.cleanup_called
    # The poller scaled the block in at cleanup, before the executor shut down.
    assert ex.status_facade["0"].state is JobState.SCALED_IN
    _wait_until(lambda: not _alive(worker), timeout=10)


def test_repr_comes_from_init_arguments() -> None:
    ex = QueueExecutor(label="mine", provider=LocalProvider(init_blocks=0))
    text = repr(ex)
    assert text.startswith("QueueExecutor(\n    label='mine',\n    provider=LocalProvider(")
    assert "block_error_handler=<function simple_error_handler" in text


class RecordingSink(MonitoringSink):
    def __init__(self) -> None:
        self.messages: list[Any] = []

    def task_transition(self, event: TaskTransition) -> None:
        pass

    def send(self, message: Any) -> None:
        self.messages.append(message)

    def close(self) -> None:
        pass


@pytest.mark.timeout(60)
def test_scale_out_and_in_facades_track_blocks_and_report_them(tmp_path: Path) -> None:
    ex = QueueExecutor(provider=LocalProvider(init_blocks=0, max_blocks=3, worker_init=WORKER_ENV))
    ex.run_dir = str(tmp_path)
    ex.run_id = "run-1"
    sink = RecordingSink()
    ex.monitoring_messages = sink  # type: ignore[attr-defined]
    ex.start()
    try:
        assert ex.scale_out_facade(2) == ["0", "1"]
        assert {b: s.state for b, s in ex.status_facade.items()} == {
            "0": JobState.PENDING,
            "1": JobState.PENDING,
        }
        _wait_until(lambda: set(ex.worker_pids) == {"0", "1"})
        ex.poll_facade()
        assert {s.state for s in ex.status_facade.values()} == {JobState.RUNNING}
        assert ex.scale_in_facade(1) == ["0"]
        assert ex.status_facade["0"].state is JobState.SCALED_IN
        _wait_until(lambda: not _alive(ex.worker_pids["0"]), timeout=10)
        live = ex.status()
        assert live["0"].state is JobState.SCALED_IN
        assert live["1"].state is JobState.RUNNING
        rows = [m[1] for m in sink.messages if m[0] is MessageType.BLOCK_INFO]
        assert [(r["block_id"], r["status"]) for r in rows][:2] == [
            ("0", "PENDING"),
            ("1", "PENDING"),
        ]
        assert ("0", "SCALED_IN") in [(r["block_id"], r["status"]) for r in rows]
        assert all(r["run_id"] == "run-1" and r["executor_label"] == "oot" for r in rows)
        assert rows[0]["job_id"] == ex.blocks_to_job_id["0"]
        assert ex.scale_in_facade(5) == ["1"]
    finally:
        ex.shutdown()


def test_scaling_validates_and_needs_a_provider() -> None:
    ex = QueueExecutor(provider=LocalProvider(init_blocks=0))
    with pytest.raises(ValueError, match="number of blocks"):
        ex.scale_out_facade(-1)
    ex._provider = None
    assert ex.status_polling_interval == 0
    with pytest.raises(ScalingFailed, match="no execution provider"):
        ex.scale_out_facade(1)
    assert ex.scale_in(1) == []
    assert ex.status() == {}
    with pytest.raises(TypeError, match="ExecutionProvider"):
        QueueExecutor(provider="local")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="block_error_handler"):
        QueueExecutor(block_error_handler="yes")


@pytest.mark.timeout(60)
def test_blocks_that_fail_put_the_executor_in_a_bad_state_with_their_output(
    run_dir: str,
) -> None:
    provider = LocalProvider(init_blocks=1, worker_init="echo 'no such scheduler' >&2; exit 3")
    ex = QueueExecutor(provider=provider)
    parsl.load(Config(executors=[ex], run_dir=run_dir, strategy="none", strategy_period=0.2))
    try:
        future = parsl.python_app(square)(3)
        with pytest.raises(BadStateException, match="no such scheduler") as info:
            future.result(timeout=30)
        assert "exit code 3" in str(info.value)
        # Parsl's name for this failure catches it too.
        assert isinstance(info.value, TooManyJobFailuresError)
        assert ex.bad_state_is_set
        assert ex.executor_exception is info.value
    finally:
        parsl.clear()


class Plain(BlockProviderExecutor):
    """Implements only what a subclass must; uses the default launch command lookup."""

    def start(self) -> None:
        pass

    def submit(self, func: Any, resource_specification: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def shutdown(self) -> None:
        pass

    @property
    def outstanding(self) -> int:
        return 0

    @property
    def workers_per_node(self) -> int:
        return 1


def test_a_refused_block_is_failed_and_a_missing_launch_cmd_named(tmp_path: Path) -> None:
    provider = LocalProvider(init_blocks=0)
    provider.script_dir = str(tmp_path)
    ex = Plain(provider=provider, block_error_handler=False)
    assert ex.block_error_handler is noop_error_handler
    assert ex.scale_out_facade(1) == []
    failed = ex.status_facade["0"]
    assert failed.state is JobState.FAILED
    assert "sets no launch_cmd" in (failed.message or "")
    assert ex.status()["0"].state is JobState.FAILED
    ex.launch_cmd = "sleep 30"  # type: ignore[attr-defined]
    assert ex.scale_out_facade(1) == ["1"]
    assert ex.scale_in(1) == ["1"]


def _failed(n: int, *ok: str) -> dict[str, JobStatus]:
    status = {str(i): JobStatus(JobState.FAILED, f"block {i} died", exit_code=1) for i in range(n)}
    for b in ok:
        status[b] = JobStatus(JobState.RUNNING)
    return status


def test_error_handlers_judge_block_states() -> None:
    ex = Plain(provider=LocalProvider(init_blocks=2), block_error_handler=True)
    assert ex.block_error_handler is simple_error_handler
    simple_error_handler(ex, _failed(1))  # fewer than init_blocks=2 blocks: wait
    assert not ex.bad_state_is_set
    simple_error_handler(ex, _failed(3, "2"))  # one still running
    assert not ex.bad_state_is_set
    ex.handle_errors(_failed(2))
    assert ex.bad_state_is_set
    assert "2 block(s) failed" in str(ex.executor_exception)
    assert "(exit code 1)" in str(ex.executor_exception)

    windowed = Plain(provider=LocalProvider(), block_error_handler=windowed_error_handler)
    windowed.handle_errors(
        {**_failed(2), "2": JobStatus(JobState.FAILED), "3": JobStatus(JobState.COMPLETED)}
    )
    assert not windowed.bad_state_is_set  # the newest block did not fail
    windowed.handle_errors({"10": JobStatus(JobState.FAILED), **_failed(3)})
    assert windowed.bad_state_is_set  # blocks 1, 2 and 10: the three newest
    noop_error_handler(windowed, _failed(5))


def test_parsl_keyword_form_of_the_poller_starts_initial_blocks(tmp_path: Path) -> None:
    provider = LocalProvider(init_blocks=2, max_blocks=2)
    provider.script_dir = str(tmp_path)
    ex = Plain(provider=provider)
    ex.launch_cmd = "sleep 30"  # type: ignore[attr-defined]
    poller = JobStatusPoller(strategy="none", max_idletime=0.0, strategy_period=0.1)
    poller.add_executors([ex, object()])
    assert poller.executors == [ex]
    poller.poll()
    assert sorted(ex.blocks_to_job_id) == ["0", "1"]
    poller.poll()  # initial blocks start once
    assert sorted(ex.blocks_to_job_id) == ["0", "1"]
    poller.close()
    assert {s.state for s in ex.status_facade.values()} == {JobState.SCALED_IN}
    with pytest.raises(ValueError, match="strategy_period"):
        JobStatusPoller(strategy="none", max_idletime=0.0, strategy_period=0)


class SelfScaling:
    """Scales itself (as our htex does) and is registered as a virtual BlockProviderExecutor."""

    label = "self-scaling"
    bad_state_is_set = False
    workers_per_node = 1

    def __init__(self) -> None:
        self.provider = LocalProvider(init_blocks=1, max_blocks=4)
        self.outstanding = 0
        self.calls: list[tuple[str, int]] = []

    def status(self) -> dict[str, JobStatus]:
        return {}

    def scale_out(self, blocks: int = 1) -> list[str]:
        self.calls.append(("scale_out", blocks))
        return []

    def scale_in(self, blocks: int = 1, force: bool = False) -> list[str]:
        self.calls.append(("scale_in", blocks))
        return []


BlockProviderExecutor.register(SelfScaling)


def test_a_registered_executor_keeps_its_own_block_handling() -> None:
    ex = SelfScaling()
    assert isinstance(ex, BlockProviderExecutor)
    poller = JobStatusPoller([ex], "simple", 30.0, 0.0)
    poller.start()
    try:
        assert ex.calls == []  # its initial blocks are its own business
        ex.outstanding = 2
        poller.poll_once()
        assert ex.calls == [("scale_out", 2)]  # through its own method, not a facade
    finally:
        poller.close()
    assert ex.calls == [("scale_out", 2)]  # nor does the poller cancel its blocks


def test_parsl_executor_surface_a_plugin_relies_on() -> None:
    ex = Plain(provider=None)
    assert ex.monitor_resources() is True
    assert ex.run_dir == "." and ex.run_id is None
    assert ex.monitoring_messages is None and ex.hub_address is None
    assert not ex.bad_state_is_set and ex.executor_exception is None
    with ex as entered:
        assert entered is ex


@pytest.mark.timeout(60)
def test_add_executors_mid_run_starts_init_blocks_and_cleanup_cancels_them(run_dir: str) -> None:
    # dfk.add_executors (Parsl's): an executor added after load gets the run's directory,
    # its initial block from the job status poller at once, runs tasks, and is shut down
    # (its blocks cancelled) by cleanup like one given in the Config.
    from parsl.executors import ThreadPoolExecutor

    dfk = parsl.load(
        Config(executors=[ThreadPoolExecutor(label="threads")], run_dir=run_dir, strategy="none")
    )
    ex = QueueExecutor(
        label="late", provider=LocalProvider(init_blocks=1, max_blocks=1, worker_init=WORKER_ENV)
    )
    try:
        dfk.add_executors([ex])
        assert ex.run_dir == dfk.run_dir and ex.run_id == dfk.run_id
        assert ex in dfk.poller.executors
        on_late = parsl.python_app(worker_identity, executors=["late"])
        pid, _ = on_late().result(timeout=30)
        assert pid != os.getpid() and ex.worker_pids == {"0": pid}
    finally:
        parsl.clear()
    assert ex.status_facade["0"].state is JobState.SCALED_IN
    _wait_until(lambda: not _alive(pid), timeout=10)


class MethodOutstanding(QueueExecutor):
    """Written for Parsl's newer releases: ``outstanding`` is a method, not a property."""

    def outstanding(self) -> int:  # type: ignore[override]
        return sum(1 for f in list(self.tasks.values()) if not f.done())


@pytest.mark.timeout(60)
def test_strategy_scales_an_executor_whose_outstanding_is_a_method(run_dir: str) -> None:
    # No initial block: only the strategy, reading outstanding() as Parsl's newer executors
    # define it, can start the block this task needs.
    ex = MethodOutstanding(
        provider=LocalProvider(init_blocks=0, min_blocks=0, max_blocks=1, worker_init=WORKER_ENV)
    )
    parsl.load(Config(executors=[ex], run_dir=run_dir, strategy="simple", strategy_period=0.2))
    try:
        assert parsl.python_app(square)(7).result(timeout=30) == 49
        assert list(ex.blocks_to_job_id) == ["0"]
    finally:
        parsl.clear()


def test_our_executors_outstanding_reads_as_a_property_and_as_a_method() -> None:
    from parsl.executors import ThreadPoolExecutor
    from parsl.executors.base import outstanding_of

    pool = ThreadPoolExecutor(label="t")
    assert pool.outstanding == 0 and pool.outstanding() == 0  # type: ignore[operator]
    assert outstanding_of(pool) == 0
    assert outstanding_of(MethodOutstanding(provider=LocalProvider(init_blocks=0))) == 0
