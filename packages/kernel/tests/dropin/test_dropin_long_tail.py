"""Smaller pieces of Parsl's public API that scripts and plugins use: app classes built by hand,
``PropagatedException``, ``buffer_threshold``, ``Timer.close(timeout)``, ``map(buffersize=)``,
``ParslExecutor``'s keyword constructor and ``parsl.utils.BadStdStreamFile``."""

from __future__ import annotations

import itertools
import logging
import pickle
import threading
import time
from concurrent.futures import Future
from typing import Any

import pytest

import parsl
from parsl.app.bash import BashApp
from parsl.app.python import JoinApp, PythonApp
from parsl.concurrent import ParslPoolExecutor
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError, JoinError, PropagatedException
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.serialize import deserialize, pack_apply_message, serialize, unpack_apply_message
from parsl.utils import Timer

cached_runs: list[int] = []


def counted(x: int) -> int:
    cached_runs.append(x)
    return x + 1


def inner(x: int) -> int:
    return x * 10


def outer(x: int) -> Future[Any]:
    return parsl.python_app(inner)(x)


def echo_command(word: str) -> str:
    return f"echo {word}"


def raise_value_error() -> None:
    raise ValueError("at the root")


def after(x: Any) -> Any:
    return x


def test_python_and_bash_apps_take_parsls_positional_order(dfk: DataFlowKernel) -> None:
    # PythonApp(func, data_flow_kernel, cache, executors, ...): the third is cache, as in Parsl.
    cached_runs.clear()
    app = PythonApp(counted, None, True, ["threads"])
    assert app(1).result(timeout=10) == 2 and app(1).result(timeout=10) == 2
    assert cached_runs == [1]
    bash = BashApp(echo_command, None, False, ["threads"])
    assert bash("hi").result(timeout=10) == 0


def test_python_app_with_join_is_a_join_app(dfk: DataFlowKernel) -> None:
    joined = PythonApp(outer, join=True)
    assert joined.join and joined.kind == "join"
    assert joined(4).result(timeout=10) == 40  # the inner task's result, not its future
    assert JoinApp(outer).join and not PythonApp(outer).join
    with pytest.raises(ConfigurationError, match="join"):
        PythonApp(outer, join="yes")  # type: ignore[arg-type]


def test_dependency_and_join_errors_share_parsls_propagated_exception(
    dfk: DataFlowKernel,
) -> None:
    root = parsl.python_app(raise_value_error)()
    child = parsl.python_app(after)(root)
    with pytest.raises(PropagatedException) as caught:
        child.result(timeout=10)
    assert isinstance(caught.value, DependencyError)
    assert str(caught.value) == f"task {child.tid} depends on a task that failed: task {root.tid}"
    assert issubclass(JoinError, PropagatedException)
    assert isinstance(caught.value.root_cause, ValueError)
    described = PropagatedException(
        [(KeyError("k"), "task 3")], 4, failure_description="a custom failure"
    )
    assert str(described) == "task 4: a custom failure: task 3"
    again = pickle.loads(pickle.dumps(described))
    assert type(again) is PropagatedException and str(again) == str(described)
    assert again.failure_description == "a custom failure"


def test_buffer_threshold_warns_about_large_payloads_and_keeps_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="parsl.serialize")
    small = serialize(b"x" * 10, 1000)
    assert not caplog.records
    big = serialize(b"x" * 5000, 1000)
    assert deserialize(big) == b"x" * 5000
    assert "over buffer_threshold=1000" in caplog.text
    caplog.clear()
    packed = pack_apply_message(inner, (b"y" * 5000,), {}, buffer_threshold=100)
    assert "call of inner" in caplog.text and "over buffer_threshold=100" in caplog.text
    func, args, kwargs = unpack_apply_message(packed_buffer=packed)
    assert func(1) == 10 and args == (b"y" * 5000,) and kwargs == {}
    caplog.clear()
    pack_apply_message(inner, (1,), {})  # the default threshold (128 MB) is far away
    assert not caplog.records and deserialize(small) == b"x" * 10


def test_timer_close_with_a_timeout_does_not_wait_out_a_slow_callback() -> None:
    started = threading.Event()
    release = threading.Event()

    def slow() -> None:
        started.set()
        release.wait(10)

    timer = Timer(slow, interval=0.01, name="slow")
    try:
        assert started.wait(5)
        t0 = time.monotonic()
        timer.close(timeout=0.2)
        assert time.monotonic() - t0 < 2
        with pytest.raises(ValueError, match="timeout"):
            timer.close(timeout=-1)
    finally:
        release.set()
        timer.close(timeout=5)
    assert not timer._thread.is_alive()


def test_pool_map_with_buffersize_reads_its_input_as_results_are_taken(run_dir: str) -> None:
    config = Config(executors=[ThreadPoolExecutor(max_threads=2, label="pool")], run_dir=run_dir)
    with ParslPoolExecutor(config=config) as pool:
        submitted: list[tuple[Any, ...]] = []
        submit = pool.submit

        def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
            submitted.append(args)
            return submit(fn, *args, **kwargs)

        pool.submit = counting  # type: ignore[method-assign]
        results = pool.map(inner, itertools.count(), buffersize=3)  # an endless input
        assert len(submitted) == 3
        assert [next(results) for _ in range(5)] == [0, 10, 20, 30, 40]
        # The first three, then one more as each of the five results was taken.
        assert submitted == [(i,) for i in range(8)]
        submitted.clear()
        assert list(pool.map(inner, [1, 2], timeout=10, buffersize=10)) == [10, 20]
        with pytest.raises(ValueError, match="buffersize"):
            pool.map(inner, [1], buffersize=0)
        with pytest.raises(TypeError, match="buffersize"):
            pool.map(inner, [1], buffersize=2.5)  # type: ignore[arg-type]


def test_parsl_executor_keyword_constructor_sets_its_run_facts() -> None:
    class Minimal(ParslExecutor):
        def __init__(self) -> None:
            super().__init__(run_dir="/tmp/somewhere", run_id="r1")
            self.label = "minimal"

        def start(self) -> None: ...

        def submit(
            self, func: Any, resource_specification: dict[str, Any], *args: Any, **kwargs: Any
        ) -> Future[Any]:
            raise NotImplementedError

        def shutdown(self) -> None: ...

    ex = Minimal()
    assert (ex.run_dir, ex.run_id, ex.monitoring_messages) == ("/tmp/somewhere", "r1", None)


def test_bad_std_stream_file_is_importable_from_parsl_utils() -> None:
    import parsl.utils
    from parsl.app.errors import BadStdStreamFile

    assert parsl.utils.BadStdStreamFile is BadStdStreamFile
    with pytest.raises(AttributeError, match="no_such_name"):
        parsl.utils.no_such_name  # noqa: B018


def test_message_type_imports_from_parsls_module_path() -> None:
    from parsl.monitoring.message_type import MessageType as FromParslPath
    from parsl.monitoring.types import MessageType

    assert FromParslPath is MessageType


def test_usage_tracking_levels_from_parsls_configurations_are_accepted(run_dir: str) -> None:
    # Parsl's ready-made configurations say: from parsl.usage_tracking.levels import LEVEL_1
    from parsl.config import USAGE_TRACKING_DISABLED, USAGE_TRACKING_LEVEL_3
    from parsl.usage_tracking.api import UsageInformation
    from parsl.usage_tracking.levels import DISABLED, LEVEL_1, LEVEL_2, LEVEL_3

    assert (DISABLED, LEVEL_1, LEVEL_2, LEVEL_3) == (0, 1, 2, 3)
    assert (USAGE_TRACKING_DISABLED, USAGE_TRACKING_LEVEL_3) == (DISABLED, LEVEL_3)
    for level in (DISABLED, LEVEL_1, LEVEL_2, LEVEL_3):
        assert Config(usage_tracking=level, run_dir=run_dir).usage_tracking == level
    with pytest.raises(ConfigurationError, match="usage_tracking"):
        Config(usage_tracking=LEVEL_3 + 1)

    class Described(UsageInformation):
        def get_usage_information(self) -> dict[str, Any]:
            return {"kind": "test"}

    class Undescribed(UsageInformation):
        pass

    assert Described().get_usage_information() == {"kind": "test"}
    with pytest.raises(TypeError, match="get_usage_information"):
        Undescribed()  # type: ignore[abstract]


def test_executor_errors_take_parsls_executor_object_form_and_pickle() -> None:
    from parsl.executors.errors import BadStateException, ExecutorError, ScalingFailed

    pool = ThreadPoolExecutor(label="mine")
    cause = RuntimeError("the workers are gone")
    bad = BadStateException(pool, cause)  # as an executor written for Parsl raises it
    assert str(bad) == "Executor 'mine' failed: the workers are gone"
    assert bad.executor is pool and bad.executor_label == "mine" and bad.exception is cause
    assert str(ScalingFailed(pool, "no blocks")) == "Executor 'mine' failed: no blocks"
    ours = BadStateException("label", "reason")
    assert ours.executor == "label" and ours.exception is None
    for exc in (bad, ours, ExecutorError("x", "y"), ScalingFailed("x", "y")):
        again = pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
        assert type(again) is type(exc) and str(again) == str(exc)
        assert again.executor_label == exc.executor_label
        assert again.executor == exc.executor_label  # the label travels, not the executor


def test_submit_exception_takes_parsls_form_and_pickles() -> None:
    from parsl.providers.errors import ProviderError, SubmitException

    exc = SubmitException(
        "parsl.block-0", "could not read the job id", stdout=None, stderr="boom", retcode=3
    )
    assert str(exc) == "parsl.block-0: could not read the job id (exit status 3)\nstderr: boom"
    assert (exc.job_name, exc.message, exc.retcode, exc.stdout) == (
        "parsl.block-0",
        "could not read the job id",
        3,
        "",
    )
    again = pickle.loads(pickle.dumps(exc))
    assert type(again) is SubmitException and str(again) == str(exc) and again.retcode == 3
    with pytest.deprecated_call(match="use job_name"):  # Parsl's older name, deprecated there
        assert exc.task_name == "parsl.block-0"
    assert (
        str(ProviderError("slurm", "squeue failed", "out", ""))
        == "slurm: squeue failed\nstdout: out"
    )


def test_wrap_with_logs_takes_parsls_target_logger_name(caplog: pytest.LogCaptureFixture) -> None:
    from parsl.process_loggers import wrap_with_logs

    @wrap_with_logs(target="thirdparty.component")
    def body() -> None:
        raise KeyError("lost")

    caplog.set_level(logging.DEBUG, logger="thirdparty.component")
    with pytest.raises(KeyError):
        body()
    assert [r.name for r in caplog.records] == ["thirdparty.component"]
    assert "Exceptional ending for body" in caplog.text
    with pytest.raises(TypeError, match="logger name"):
        wrap_with_logs(target=5)  # type: ignore[call-overload]


def test_state_constants_import_from_parsls_module_paths() -> None:
    import concurrent.futures._base as futures_base

    from parsl.dataflow import dflow, futures
    from parsl.dataflow.states import FINAL_FAILURE_STATES
    from parsl.executors import status_handling
    from parsl.jobs.states import TERMINAL_STATES, JobState

    for name in ("CANCELLED", "CANCELLED_AND_NOTIFIED", "FINISHED", "PENDING", "RUNNING"):
        assert getattr(futures, name) == getattr(futures_base, name)
    assert dflow.FINAL_FAILURE_STATES is FINAL_FAILURE_STATES
    assert status_handling.TERMINAL_STATES is TERMINAL_STATES
    assert JobState.COMPLETED in TERMINAL_STATES and JobState.RUNNING not in TERMINAL_STATES
