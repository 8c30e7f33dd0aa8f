"""Ctrl-C wherever it lands (an app call, a future's wait, a thread pool's shutdown): nothing lost.

Each test puts a KeyboardInterrupt at every point where CPython could raise
one (:mod:`parsl.testing.ctrl_c`) as the main thread runs the code under
test, :mod:`threading`'s and :mod:`concurrent.futures`'.
"""

from __future__ import annotations

import concurrent.futures._base
import contextlib
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

import parsl
import parsl.executors.threads
from parsl.config import Config
from parsl.dataflow import lean_future
from parsl.dataflow.lifecycle import CleanedUp
from parsl.dataflow.shutdown import ctrl_c_behind, shutdown_executors
from parsl.dataflow.submit_errors import LaunchInterrupted
from parsl.executors import ThreadPoolExecutor
from parsl.executors.base import ParslExecutor
from parsl.executors.errors import BadStateException
from parsl.testing.ctrl_c import InterruptAt, interrupting, lock_is_free

TRACED = {parsl.executors.threads.__file__, threading.__file__}


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
    trace = InterruptAt(n, TRACED)
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
            assert lock_is_free(fut._condition), f"step {n} (done={done}): lock kept"
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
            assert lock_is_free(f._condition), f"step {n}: future {i}'s lock kept"
        lean_future.wait_all(futures)
        assert all(f.done() for f in futures)
        if not trace.fired:
            break
    assert n > 10


@parsl.python_app
def _plus_one(x: int, *deps: Any) -> int:
    return x + 1


@pytest.mark.timeout(120)
@pytest.mark.parametrize("deps", ["none", "done", "pending"])
def test_ctrl_c_anywhere_in_an_app_call_loses_no_task(
    tmp_path: Path, deps: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An app call cut short by Ctrl-C anywhere: its task fails (or runs), none waits for ever.

    The caller never gets the future of an interrupted call, so nobody could
    wait on it, but its dependents, ``wait_for_current_tasks()`` and
    ``cleanup()`` would: a task left ``unsched`` made cleanup raise
    IllegalTransition part-way (skipping the memoizer and monitoring).
    """
    kernel = Path(parsl.__file__).parent
    traced = {str(p) for p in kernel.rglob("*.py")} | {
        threading.__file__,
        concurrent.futures._base.__file__,
    }
    dfk = parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=2)], run_dir=str(tmp_path)))
    try:
        n = 0
        while True:
            n += 1
            gate: Future[Any] = Future()
            args: tuple[Any, ...] = ()
            if deps == "done":
                args = (_plus_one(0),)
                args[0].result(timeout=5)
            elif deps == "pending":
                args = (gate,)
            before = set(dfk.tasks)
            trace = InterruptAt(n, traced)
            fut = None
            with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
                fut = _plus_one(n, *args)
            gate.set_result(None)
            for tid in set(dfk.tasks) - before:
                app_fu = dfk.tasks[tid].app_fu
                assert app_fu is not None
                exc = app_fu.exception(timeout=5)  # settled: TimeoutError here otherwise
                assert exc is None or isinstance(exc, LaunchInterrupted), f"step {n}: {exc!r}"
            if fut is not None:
                assert fut.result(timeout=5) == n + 1
            assert _plus_one(0).result(timeout=5) == 1, f"step {n}: the next call failed"
            if not trace.fired:
                break
        assert n > 30
    finally:
        dfk.cleanup()
    assert "failed to close" not in caplog.text


def _cleanup_interrupted_at(n: int, tmp_path: Path) -> tuple[bool, list[str]]:
    """Clean a run with pending tasks up with Ctrl-C at step ``n``; what it left undone."""
    kernel = Path(parsl.__file__).parent
    traced = {str(p) for p in kernel.rglob("*.py")} | {
        threading.__file__,
        concurrent.futures._base.__file__,
    }
    gate: Future[Any] = Future()
    dfk = parsl.load(
        Config(executors=[ThreadPoolExecutor(max_threads=1)], run_dir=str(tmp_path / str(n)))
    )
    futures = [_plus_one(1), _plus_one(2, gate), _plus_one(3, gate)]
    futures[0].result(timeout=5)
    trace = InterruptAt(n, traced)
    raised: BaseException | None = None
    try:
        with interrupting(trace):
            dfk.cleanup()
    except BaseException as e:
        raised = e
    undone = []
    if trace.fired != isinstance(raised, KeyboardInterrupt):
        undone.append(f"raised {raised!r} (interrupt fired: {trace.fired})")
    started = time.monotonic()
    dfk.cleanup()  # a second call finishes what an interrupt before the first began left
    if time.monotonic() - started > 5:
        undone.append("a second cleanup() was slow")
    for i, f in enumerate(futures[1:], 1):
        if not f.done():
            undone.append(f"future {i} pending")
            gate.set_result(None)
        elif not isinstance(f.exception(), CleanedUp):
            undone.append(f"future {i}: {f.exception()!r}")
    try:
        parsl.load(Config(executors=[ThreadPoolExecutor(max_threads=1)], run_dir=str(tmp_path)))
    except Exception as e:
        undone.append(f"parsl.load() after it: {e!r}")
    else:
        parsl.dfk().cleanup()
    return trace.fired, undone


@pytest.mark.timeout(120)
def test_ctrl_c_anywhere_in_cleanup_still_closes_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """cleanup() cut by Ctrl-C anywhere: each closing step still runs, then the interrupt comes out.

    The old cleanup() let an interrupt in the executors' shutdown skip the
    memoizer, monitoring and the loader, so ``parsl.load()`` refused to run
    again in the same notebook.
    """
    n, problems = 0, {}
    while True:
        n += 1
        fired, undone = _cleanup_interrupted_at(n, tmp_path)
        if undone:
            problems[n] = undone
        if not fired:
            break
    assert not problems, f"{len(problems)} of {n} steps: {dict(list(problems.items())[:5])}"
    assert n > 50
    assert "failed to close" not in caplog.text
