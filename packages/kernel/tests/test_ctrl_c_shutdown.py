"""Ctrl-C wherever it lands in a thread pool's shutdown or a future's wait: raised, nothing lost.

A real SIGINT is handled by the main thread between Python steps, so where it
lands in ``ThreadPoolExecutor.shutdown`` is down to timing. These tests make
the timing exact: a trace function raises KeyboardInterrupt at the n-th point
where CPython could (see :func:`interrupt_points`) as the main thread runs the
pool's code or :mod:`threading`'s, for every n the shutdown reaches.
"""

from __future__ import annotations

import concurrent.futures._base
import contextlib
import dis
import functools
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from types import CodeType, FrameType
from typing import Any

import pytest

import parsl.executors.threads
from parsl.dataflow import lean_future
from parsl.dataflow.shutdown import ctrl_c_behind, shutdown_executors
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.executors.errors import BadStateException

TRACED = {parsl.executors.threads.__file__, threading.__file__}


@functools.cache
def interrupt_points(code: CodeType) -> tuple[frozenset[int], frozenset[int]]:
    """Offsets in ``code`` where CPython can raise a pending KeyboardInterrupt.

    The main thread runs a signal's handler only at its eval-breaker checks:
    on entering a Python function (the ``call`` event), at a loop's jump
    back, and when a call of C code returns. Returned: the jumps back, and
    the instructions just after a call. Anywhere else (between two plain
    instructions, after a Python function returns, or where ``with`` ends)
    a real Ctrl-C cannot land, so the tests do not put one there.
    """
    jumps, after_calls = set(), set()
    previous = ""
    for ins in dis.get_instructions(code):
        if ins.opname.startswith("JUMP_BACKWARD"):
            jumps.add(ins.offset)
        if previous.startswith("CALL"):
            after_calls.add(ins.offset)
        previous = ins.opname
    return frozenset(jumps), frozenset(after_calls)


class InterruptAt:
    """A trace function: KeyboardInterrupt at the ``n``-th interrupt point reached, then nothing.

    Only frames of the ``traced`` files count.
    """

    def __init__(self, n: int, traced: set[str] = TRACED) -> None:
        self.n = n
        self.traced = traced
        self.steps = 0
        self.fired = False
        self._called_python: set[FrameType] = set()  # frames whose last call ran Python code

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and frame.f_back is not None:
            self._called_python.add(frame.f_back)
        if frame.f_code.co_filename not in self.traced:
            return None
        if event == "call":
            frame.f_trace_lines = False
            frame.f_trace_opcodes = True
            self._step()
        elif event == "opcode":
            jumps, after_calls = interrupt_points(frame.f_code)
            if frame.f_lasti in jumps:
                self._step()
            elif frame.f_lasti in after_calls:
                if frame in self._called_python:
                    self._called_python.discard(frame)  # no check after a Python function returns
                else:
                    self._step()
        return self

    def _step(self) -> None:
        self.steps += 1
        if self.steps == self.n:
            self.fired = True
            raise KeyboardInterrupt(f"step {self.n}")


@contextlib.contextmanager
def interrupting(trace: InterruptAt) -> Iterator[None]:
    """Run the block under ``trace``; the tracer from before (coverage's) comes back after."""
    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)


def _pool_with_work(release: threading.Event) -> tuple[ThreadPoolExecutor, list[Future[Any]]]:
    ex = ThreadPoolExecutor(max_threads=1, shutdown_timeout=0.05)
    ex.start()
    running = ex.submit(release.wait, {}, 30)
    deadline = time.monotonic() + 5
    while not running.running() and time.monotonic() < deadline:
        time.sleep(0.002)
    assert running.running()
    return ex, [running, ex.submit(lambda: "queued", {}), ex.submit(lambda: "queued", {})]


def _shutdown_interrupted_at(n: int, block: bool) -> bool:
    """Shut a busy pool down with Ctrl-C at step ``n``; check it; False once ``n`` is past the end."""
    release = threading.Event()
    ex, futures = _pool_with_work(release)
    trace = InterruptAt(n)
    raised: BaseException | None = None
    try:
        with interrupting(trace):
            ex.shutdown(block=block)
    except BaseException as e:
        raised = e
    try:
        if trace.fired:
            # The interrupt comes out as itself: never swallowed, never turned into another error.
            assert isinstance(raised, KeyboardInterrupt), f"step {n}: {raised!r}"
        else:
            assert raised is None
        # The pool's lock is free (nobody keeps it after an interrupt) ...
        assert ex._lock.acquire(timeout=2), f"step {n}: the pool's lock was left held"
        ex._lock.release()
        # ... and once shut down (a shutdown cut before it began may be asked again),
        # no task is left pending.
        ex.shutdown(block=False)
        for f in futures:
            assert isinstance(f.exception(timeout=2), BadStateException), f"step {n}: {f!r}"
        with pytest.raises(BadStateException, match="shut down"):
            ex.submit(lambda: 1, {})
        assert ex.outstanding == 1  # the task that never returns, still on its thread
    finally:
        release.set()
    return trace.fired


@pytest.mark.timeout(120)
@pytest.mark.parametrize("block", [True, False])
def test_ctrl_c_at_every_step_of_shutdown(block: bool) -> None:
    n = 0
    while _shutdown_interrupted_at(n + 1, block):
        n += 1
    # The pool's shutdown has steps for Ctrl-C to land on (the loop above tried each).
    assert n > 20


@pytest.mark.timeout(30)
def test_ctrl_c_in_the_grace_wait_cuts_it_short() -> None:
    """A SIGINT that reaches another thread first still ends the 30 s wait within 0.1 s."""
    import _thread

    release = threading.Event()
    ex = ThreadPoolExecutor(max_threads=1, shutdown_timeout=30)
    ex.start()
    f = ex.submit(release.wait, {}, 30)
    # interrupt_main() trips the handler without waking the main thread's wait,
    # as a signal delivered to a worker thread does.
    threading.Timer(0.25, _thread.interrupt_main).start()
    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        ex.shutdown()
    assert time.monotonic() - t0 < 1.5
    assert isinstance(f.exception(timeout=2), BadStateException)
    release.set()


class _BrokenByCtrlC(ParslExecutor):
    """Shutdown as a Ctrl-C inside a library's lock leaves it: a RuntimeError raised over it."""

    label = "broken"

    def __init__(self) -> None:
        self.shut = False

    def start(self) -> None:
        pass

    def submit(self, func: Any, resource_specification: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def shutdown(self) -> None:
        self.shut = True
        try:
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("release unlocked lock")


class _Failing(_BrokenByCtrlC):
    label = "failing"

    def shutdown(self) -> None:
        self.shut = True
        try:
            raise ValueError("a plain bug")
        finally:
            raise RuntimeError("a plain failure")


def test_shutdown_executors_finds_a_ctrl_c_under_another_error() -> None:
    broken, after = _BrokenByCtrlC(), ThreadPoolExecutor(label="after", shutdown_timeout=30)
    after.start()
    release = threading.Event()
    f = after.submit(release.wait, {}, 30)
    t0 = time.monotonic()
    interrupted = shutdown_executors([broken, after], wait=True)
    # Reported as the user's interrupt, and the executors after it do not wait.
    assert isinstance(interrupted, KeyboardInterrupt)
    assert broken.shut and time.monotonic() - t0 < 5
    assert isinstance(f.exception(timeout=2), BadStateException)
    release.set()


def test_shutdown_executors_logs_a_plain_failure_and_goes_on() -> None:
    failing, after = _Failing(), ThreadPoolExecutor(label="after")
    after.start()
    assert shutdown_executors([failing, after], wait=True) is None
    assert failing.shut
    with pytest.raises(BadStateException, match="shut down"):
        after.submit(lambda: 1, {})


def test_ctrl_c_behind() -> None:
    assert ctrl_c_behind(ValueError("x")) is None
    try:
        try:
            raise KeyboardInterrupt
        except BaseException:
            try:
                raise OSError("inner")
            except OSError:
                raise RuntimeError("outer") from None
    except RuntimeError as e:
        found = ctrl_c_behind(e)  # `from None` hides the context from tracebacks, not from here
    assert isinstance(found, KeyboardInterrupt)
    loop = ValueError("a")
    loop.__context__ = ValueError("b")
    loop.__context__.__context__ = loop
    assert ctrl_c_behind(loop) is None


def _free_for_another_thread(lock: Any) -> bool:
    free: list[bool] = []

    def take() -> None:
        if lock.acquire(timeout=2):
            lock.release()
            free.append(True)

    t = threading.Thread(target=take)
    t.start()
    t.join(5)
    return free == [True]


@pytest.mark.timeout(60)
def test_ctrl_c_anywhere_in_waiting_on_a_future_leaves_its_lock_free() -> None:
    """``[f.result() for f in futures]`` and Ctrl-C: whatever step it lands on, no lock is kept.

    A lock kept by the interrupted thread would block for ever the thread that
    completes the future, or anyone else who waits on it.
    """
    traced = {concurrent.futures._base.__file__, lean_future.__file__, threading.__file__}
    for done in (True, False):
        n = 0
        while True:
            n += 1
            fut = lean_future.lean_future()
            if done:
                fut.set_result(1)
            else:
                threading.Timer(0.01, fut.set_result, (1,)).start()
            trace = InterruptAt(n, traced)
            with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
                assert fut.result(timeout=5) == 1
            assert _free_for_another_thread(fut._condition), f"step {n} (done={done}): lock kept"
            assert fut.result(timeout=5) == 1
            if not trace.fired:
                break
        assert n > 3


@pytest.mark.timeout(60)
def test_ctrl_c_anywhere_in_wait_all_leaves_every_lock_free() -> None:
    """``wait_for_current_tasks()`` waits with ``wait_all``: Ctrl-C on any step keeps no lock."""
    traced = {concurrent.futures._base.__file__, lean_future.__file__, threading.__file__}
    n = 0
    while True:
        n += 1
        futures = [lean_future.lean_future() for _ in range(4)]
        for f in futures[:3]:
            f.set_result(1)
        threading.Timer(0.01, futures[3].set_result, (1,)).start()
        trace = InterruptAt(n, traced)
        with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
            lean_future.wait_all(futures)
        for i, f in enumerate(futures):
            assert _free_for_another_thread(f._condition), f"step {n}: future {i}'s lock kept"
        lean_future.wait_all(futures)
        assert all(f.done() for f in futures)
        if not trace.fired:
            break
    assert n > 10
