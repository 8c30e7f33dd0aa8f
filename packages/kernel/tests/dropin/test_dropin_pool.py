"""ParslPoolExecutor: a concurrent.futures.Executor over a real DataFlowKernel."""

from __future__ import annotations

import time
from concurrent.futures import Executor, TimeoutError

import pytest

import parsl
from parsl.concurrent import ParslPoolExecutor
from parsl.config import Config
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.futures import AppFuture
from parsl.executors import ThreadPoolExecutor


def double(x: int) -> int:
    return 2 * x


def add(a: int, b: int) -> int:
    return a + b


def nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _config(run_dir: str) -> Config:
    return Config(executors=[ThreadPoolExecutor(max_threads=4, label="pool")], run_dir=run_dir)


def test_pool_from_config_submits_maps_and_cleans_up(run_dir: str) -> None:
    with ParslPoolExecutor(config=_config(run_dir)) as pool:
        assert isinstance(pool, Executor)
        future = pool.submit(double, 21)
        assert isinstance(future, AppFuture)
        assert future.result(timeout=10) == 42
        # A future passed as an argument is a dependency, as with apps.
        assert pool.submit(add, future, pool.submit(double, 1)).result(timeout=10) == 44
        assert list(pool.map(add, [1, 2, 3], [10, 20, 30])) == [11, 22, 33]
        assert pool.app_count == 2  # one app per function, reused
        assert pool.get_app(double) is pool.get_app(double)
        dfk = pool.dfk
        assert not dfk.cleanup_called
    assert dfk.cleanup_called
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(double, 1)


def test_pool_over_an_existing_dfk_leaves_it_running(dfk: DataFlowKernel) -> None:
    pool = ParslPoolExecutor(dfk=dfk, executors=["threads"])
    slow = pool.submit(nap, 0.3)
    pool.shutdown(wait=True)
    assert slow.done() and slow.result() == 0.3  # shutdown waited for it
    assert not dfk.cleanup_called
    assert pool.dfk is dfk


def test_map_timeout_and_argument_errors(run_dir: str) -> None:
    pool = ParslPoolExecutor(config=_config(run_dir))
    try:
        results = pool.map(nap, [0.0, 2.0], timeout=0.5)
        assert next(results) == 0.0
        with pytest.raises(TimeoutError):
            next(results)
    finally:
        with pytest.warns(UserWarning, match="cannot be cancelled"):
            pool.shutdown(cancel_futures=True)
    assert pool.dfk.cleanup_called
    with pytest.raises(ValueError, match="Must specify one of config or dfk"):
        ParslPoolExecutor()
    with parsl.load(_config(run_dir)) as dfk:
        with pytest.raises(ValueError, match="Specify only one of config or dfk"):
            ParslPoolExecutor(config=_config(run_dir), dfk=dfk)
    with pytest.raises(TypeError, match="Config"):
        ParslPoolExecutor(config={"executors": []})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="DataFlowKernel"):
        ParslPoolExecutor(dfk="dfk")  # type: ignore[arg-type]


def test_pool_from_config_is_the_loaded_dataflowkernel_as_in_parsl(run_dir: str) -> None:
    import parsl
    from parsl import python_app
    from parsl.errors import ConfigurationError, NoDataFlowKernelError

    @python_app
    def is_odd(x: int) -> bool:  # made without a DataFlowKernel: runs on the loaded one
        return x % 2 == 1

    with ParslPoolExecutor(Config(executors=[ThreadPoolExecutor()], run_dir=run_dir)) as pool:
        assert parsl.dfk() is pool.dfk
        assert is_odd(pool.submit(lambda x: x + 1, 10)).result(timeout=20)
        with pytest.raises(ConfigurationError, match="already been loaded"):
            ParslPoolExecutor(Config(run_dir=run_dir))
    with pytest.raises(NoDataFlowKernelError):
        parsl.dfk()
    with pytest.raises(ValueError, match="Must specify one of config or dfk"):
        ParslPoolExecutor()
