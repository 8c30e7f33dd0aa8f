"""The lean futures helper: the CPython internals it relies on, and that it still saves memory.

If a test here fails after a Python upgrade, concurrent.futures changed how
Future uses its condition: fix parsl.dataflow.lean_future (or stop swapping
the condition) before anything else.
"""

from __future__ import annotations

import concurrent.futures._base as futures_base
import inspect
import re
import threading
import time
import tracemalloc
from concurrent.futures import FIRST_COMPLETED, FIRST_EXCEPTION, Future, as_completed, wait
from typing import Any

import pytest

from parsl.app.futures import DataFuture
from parsl.data_provider.files import File
from parsl.dataflow import lean_future as lf
from parsl.dataflow.futures import AppFuture

CPYTHON_CHANGED = (
    "CPython's concurrent.futures changed the internals parsl.dataflow.lean_future relies on: "
)


def wait_for_waiters(cond: Any, n: int, timeout: float = 30) -> None:
    """Return once ``n`` threads are blocked in ``cond.wait()``, i.e. registered as its waiters.

    A LeanCondition registers a waiter (under its lock) before releasing the lock to block,
    so once ``n`` are registered, a notify from here reaches all of them however slow the
    machine is. Fails at the deadline rather than hanging.
    """
    deadline = time.monotonic() + timeout
    while len(cond._waiters or ()) < n:
        assert time.monotonic() < deadline, f"{n} threads never waited on the condition"
        time.sleep(0.001)


def wait_until(predicate: Any, what: str, timeout: float = 30) -> None:
    """Poll ``predicate`` until it is true; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)


def test_future_init_still_builds_a_condition_in_the_condition_attribute() -> None:
    source = inspect.getsource(Future.__init__)
    assert re.search(r"self\._condition\s*=\s*threading\.Condition\(\)", source), (
        CPYTHON_CHANGED + "Future.__init__ no longer sets self._condition = threading.Condition()"
    )
    assert lf.LEAN_SUPPORTED, CPYTHON_CHANGED + "Future()._condition is not a threading.Condition"
    assert not hasattr(Future, "__slots__"), CPYTHON_CHANGED + "Future now has __slots__"


def test_concurrent_futures_uses_only_what_lean_condition_implements() -> None:
    source = inspect.getsource(futures_base)
    used = set(re.findall(r"_condition\.(\w+)", source))
    assert used, CPYTHON_CHANGED + "no use of _condition found at all"
    assert used <= lf.USED_CONDITION_MEMBERS, (
        CPYTHON_CHANGED + f"it now calls {sorted(used - lf.USED_CONDITION_MEMBERS)} on a condition"
    )
    assert re.search(r"with (self|f|future)\._condition", source)  # the context manager
    for member in lf.USED_CONDITION_MEMBERS:
        assert callable(getattr(lf.LeanCondition, member))
    # Nothing else reaches into a future's condition under another name.
    assert "Condition(" not in source.replace("threading.Condition()", "")


def test_every_kind_of_future_the_kernel_makes_is_lean() -> None:
    assert isinstance(lf.lean_future()._condition, lf.LeanCondition)  # type: ignore[attr-defined]
    assert isinstance(lf.make_lean(Future())._condition, lf.LeanCondition)  # type: ignore[attr-defined]
    data = DataFuture(lf.lean_future(), File("x.txt"))
    assert isinstance(data._condition, lf.LeanCondition)  # type: ignore[attr-defined]


def test_a_lean_future_behaves_as_a_future_across_threads() -> None:
    futs = [lf.lean_future() for _ in range(6)]
    seen: list[Any] = []
    futs[0].add_done_callback(lambda f: seen.append(f.result()))

    def settle() -> None:
        wait_for_waiters(futs[0]._condition, 1)  # result() is blocked
        futs[0].set_result("a")
        futs[1].set_exception(KeyError("b"))
        for f in futs[2:]:
            f.set_result(1)

    t = threading.Thread(target=settle)
    t.start()
    assert futs[0].result(timeout=30) == "a"  # wait() with a timeout, woken by notify_all
    assert isinstance(futs[1].exception(timeout=5), KeyError)
    done, _ = wait(futs, timeout=5, return_when=FIRST_EXCEPTION)
    assert futs[1] in done
    assert len(list(as_completed(futs, timeout=5))) == 6
    t.join(30)
    assert seen == ["a"]
    late = lf.lean_future()
    done, pending = wait([late], timeout=0.05, return_when=FIRST_COMPLETED)
    assert pending == {late} and not done  # a timed-out waiter is withdrawn
    with pytest.raises(TimeoutError):
        late.result(timeout=0.01)
    assert late.cancel() and late.cancelled()
    assert late._condition._waiters in (None, [])  # type: ignore[attr-defined]


def test_waiting_for_the_first_exception_among_done_futures_does_not_deadlock() -> None:
    # concurrent.futures.wait holds each future's condition and then calls f.exception(),
    # which takes it again: the condition must be re-entrant.
    done_ok, done_bad = lf.lean_future(), lf.lean_future()
    done_ok.set_result(1)
    done_bad.set_exception(ValueError("x"))
    outcome: list[Any] = []
    t = threading.Thread(
        target=lambda: outcome.append(wait([done_ok, done_bad], return_when=FIRST_EXCEPTION)),
        daemon=True,
    )
    t.start()
    t.join(30)
    assert not t.is_alive(), "wait(FIRST_EXCEPTION) deadlocked on a lean future"
    assert outcome[0].done == {done_ok, done_bad}


def test_a_wait_nested_inside_the_lock_releases_every_level() -> None:
    cond = lf.LeanCondition()
    woken: list[bool] = []

    def nested_waiter() -> None:
        with cond, cond:
            woken.append(cond.wait(30))

    t = threading.Thread(target=nested_waiter)
    t.start()
    wait_for_waiters(cond, 1)
    # Had the waiter kept a level of the lock, this would time out (its own wait lasts 30 s).
    assert cond.acquire(timeout=10), "the waiter kept an inner level of the lock"
    cond.notify_all()
    cond.release()
    t.join(30)
    assert woken == [True]


def test_many_waiters_are_all_woken() -> None:
    fut = lf.lean_future()
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(fut.result(30))) for _ in range(8)]
    for t in threads:
        t.start()
    wait_for_waiters(fut._condition, 8)  # all 8 block in result()
    fut.set_result(7)
    for t in threads:
        t.join(30)
    assert results == [7] * 8


def test_notify_wakes_only_as_many_waiters_as_asked() -> None:
    cond = lf.LeanCondition()
    woken: list[bool] = []

    def waiter() -> None:
        with cond:
            woken.append(cond.wait(30))  # only a notify ends these waits within the test

    threads = [threading.Thread(target=waiter) for _ in range(3)]
    for t in threads:
        t.start()
    wait_for_waiters(cond, 3)
    with cond:
        cond.notify(1)
        assert len(cond._waiters or ()) == 2  # the other two still wait
    wait_until(lambda: woken, "the notified waiter never woke")
    assert woken == [True]
    assert len(cond._waiters or ()) == 2
    with cond:
        cond.notify_all()
        cond.notify()  # nobody left: nothing happens
    for t in threads:
        t.join(30)
    assert woken == [True, True, True]
    with cond:
        assert cond.wait(0) is False


def test_the_memory_saving_is_kept() -> None:
    def allocated(make: Any) -> int:
        tracemalloc.start()
        keep = [make() for _ in range(2000)]
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del keep
        return size

    plain, lean = allocated(Future), allocated(lf.lean_future)
    assert lean < plain - 2000 * 600, (plain, lean)  # at least ~600 B less per future


def test_without_the_internals_futures_keep_their_standard_condition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lf, "LEAN_SUPPORTED", False)
    fut = lf.lean_future()
    assert isinstance(fut._condition, type(threading.Condition()))  # type: ignore[attr-defined]
    fut.set_result(1)
    assert fut.result() == 1


def test_app_futures_are_lean() -> None:
    assert "make_lean(self)" in inspect.getsource(AppFuture.__init__)
