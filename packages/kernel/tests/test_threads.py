"""ThreadPoolExecutor on its own."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.executors.errors import BadStateException, InvalidResourceSpecification


def test_runs_and_returns() -> None:
    with ThreadPoolExecutor(max_threads=3) as ex:
        ex.start()
        futs = [ex.submit(lambda x: x * 2, {}, i) for i in range(50)]
        assert [f.result(timeout=10) for f in futs] == [i * 2 for i in range(50)]
        assert ex.outstanding == 0
        assert not ex.bad_state_is_set and ex.executor_exception is None


def test_keyword_named_like_parameters() -> None:
    with ThreadPoolExecutor() as ex:
        ex.start()
        f = ex.submit(
            lambda func, resource_specification: (func, resource_specification),
            {},
            func=1,
            resource_specification=2,
        )
        assert f.result(timeout=10) == (1, 2)


def test_parsls_keyword_resource_specification_when_not_given_by_position() -> None:
    with ThreadPoolExecutor() as ex:
        ex.start()
        # Parsl's signature binds the keyword to the parameter when no spec comes by position.
        assert ex.submit(lambda x=3: x * 2, resource_specification={}).result(timeout=10) == 6
        assert ex.submit(lambda x: x, resource_specification={}, x=5).result(timeout=10) == 5
        with pytest.raises(InvalidResourceSpecification):
            ex.submit(lambda: 0, resource_specification={"cores": 2})  # checked, as by position
        with pytest.raises(TypeError, match="needs a resource_specification"):
            ex.submit(lambda: 0)


def test_threads_are_daemons_with_names() -> None:
    ex = ThreadPoolExecutor(label="named", max_threads=2)
    ex.start()
    ex.start()  # idempotent
    names = [t.name for t in threading.enumerate() if t.name.startswith("parsl-named")]
    assert len(names) == 2
    assert all(t.daemon for t in threading.enumerate() if t.name.startswith("parsl-named"))
    ex.shutdown()
    deadline = time.monotonic() + 10  # the threads end on their own once told (not joined)
    while [t for t in threading.enumerate() if t.name.startswith("parsl-named")]:
        assert time.monotonic() < deadline, "the pool's threads outlived shutdown()"
        time.sleep(0.01)


def test_exception_in_task() -> None:
    with ThreadPoolExecutor() as ex:
        ex.start()
        with pytest.raises(ZeroDivisionError):
            ex.submit(lambda: 1 / 0, {}).result(timeout=10)


def test_submit_before_start_and_after_shutdown() -> None:
    ex = ThreadPoolExecutor()
    with pytest.raises(BadStateException, match="not been started"):
        ex.submit(lambda: 1, {})
    ex.start()
    ex.shutdown()
    ex.shutdown()
    with pytest.raises(BadStateException, match="shut down"):
        ex.submit(lambda: 1, {})


def test_shutdown_waits_then_fails_stragglers() -> None:
    release = threading.Event()
    ex = ThreadPoolExecutor(max_threads=1, shutdown_timeout=0.3)
    ex.start()
    running = ex.submit(release.wait, {}, 30)
    queued = ex.submit(lambda: "never", {})
    time.sleep(0.05)
    assert ex.outstanding == 2
    t0 = time.monotonic()
    ex.shutdown()
    assert 0.25 < time.monotonic() - t0 < 3
    for f in (running, queued):
        with pytest.raises(BadStateException, match="before the task finished"):
            f.result(timeout=1)
    release.set()


def test_shutdown_without_block_is_immediate() -> None:
    release = threading.Event()
    ex = ThreadPoolExecutor(max_threads=1, shutdown_timeout=30)
    ex.start()
    f = ex.submit(release.wait, {}, 30)
    time.sleep(0.05)
    t0 = time.monotonic()
    ex.shutdown(block=False)
    assert time.monotonic() - t0 < 1
    assert isinstance(f.exception(timeout=1), BadStateException)
    release.set()


def test_shutdown_lets_quick_tasks_finish() -> None:
    ex = ThreadPoolExecutor(max_threads=2)
    ex.start()
    futs = [ex.submit(time.sleep, {}, 0.05) for _ in range(6)]
    ex.shutdown()
    assert all(f.exception(timeout=1) is None for f in futs)


def test_resource_spec_validation() -> None:
    with ThreadPoolExecutor() as ex:
        ex.start()
        assert ex.submit(lambda: 1, {"priority": 3}).result(timeout=10) == 1
        with pytest.raises(InvalidResourceSpecification, match="num_nodes"):
            ex.submit(lambda: 1, {"num_nodes": 2})


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": ""}, "label"),
        ({"label": 3}, "label"),
        ({"max_threads": 0}, "max_threads"),
        ({"max_threads": "4"}, "max_threads"),
        ({"max_threads": True}, "max_threads"),
        ({"shutdown_timeout": -1}, "shutdown_timeout"),
        ({"storage_access": ["x"]}, "storage_access"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        ThreadPoolExecutor(**kwargs)


def test_max_threads_none_means_default() -> None:
    assert ThreadPoolExecutor(max_threads=None).max_threads == 2
    assert "max_threads=2" in repr(ThreadPoolExecutor())
