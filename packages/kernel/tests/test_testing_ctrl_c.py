"""parsl.testing.ctrl_c: the interrupt-point tracer itself."""

from __future__ import annotations

import contextlib
import sys
import threading
from types import FrameType
from typing import Any

import pytest

import parsl.testing.ctrl_c as ctrl_c
from parsl.testing.ctrl_c import InterruptAt, interrupt_points, interrupting, lock_is_free


def _work(k: int) -> int:
    total = 0
    for i in range(k):
        total += abs(i)
    return total


def _outer_tracer(frame: FrameType, event: str, arg: Any) -> None:
    return None


@pytest.mark.timeout(30)
def test_interrupting_gives_the_tracer_back_wherever_the_interrupt_lands() -> None:
    """Even when this module's own file is in ``traced`` (the kernel test traces all of parsl)."""
    original = sys.gettrace()
    sys.settrace(_outer_tracer)
    try:
        traced = {ctrl_c.__file__, __file__}
        fired_at = []
        for n in range(1, 200):
            trace = InterruptAt(n, traced)
            with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
                _work(3)
            assert sys.gettrace() is _outer_tracer, f"step {n}: tracer left as {sys.gettrace()!r}"
            if not trace.fired:
                break
            fired_at.append(n)
        else:
            pytest.fail("the interrupt never stopped firing")
    finally:
        sys.settrace(original)
    # a call of _work, its loop's 3 jumps back and the 3 abs() returns, and the range() and
    # _work() calls in the test itself: each an interrupt point
    assert len(fired_at) >= 7


def test_interrupt_points_are_jumps_back_and_returns_from_calls() -> None:
    jumps, after_calls = interrupt_points(_work.__code__)
    assert len(jumps) == 1  # the for loop's
    assert len(after_calls) == 2  # range(k) and abs(i)
    assert not jumps & after_calls


def test_the_interrupt_fires_once_at_the_nth_step_and_reports_it() -> None:
    trace = InterruptAt(2, {__file__})
    with pytest.raises(KeyboardInterrupt, match="step 2"), interrupting(trace):
        _work(5)
    assert trace.fired and trace.steps == 2
    trace = InterruptAt(10_000, {__file__})
    with interrupting(trace):
        assert _work(5) == 10
    assert not trace.fired and 0 < trace.steps < 10_000


def test_code_outside_the_traced_files_is_never_interrupted() -> None:
    trace = InterruptAt(1, {"/nowhere.py"})
    with interrupting(trace):
        assert _work(50) == sum(range(50))
    assert trace.steps == 0 and not trace.fired


def test_lock_is_free() -> None:
    lock = threading.Lock()
    assert lock_is_free(lock)
    lock.acquire()
    try:
        assert not lock_is_free(lock, timeout=0.1)
    finally:
        lock.release()


def test_the_tracer_by_hand_counts_a_call_and_returns_itself_for_traced_frames() -> None:
    """The tracer's own lines run with coverage's tracer switched off; here they run by hand."""
    frame = sys._getframe()
    trace = InterruptAt(2, {__file__})
    assert trace(frame, "call", None) is trace
    assert trace.steps == 1 and frame.f_trace_opcodes
    frame.f_trace_opcodes = False
    assert trace(frame, "opcode", None) is trace  # mid-call of trace(): not an interrupt point
    assert trace.steps == 1
    with pytest.raises(KeyboardInterrupt, match="step 2"):
        trace(frame, "call", None)
    assert trace.fired
    outside = InterruptAt(1, {"/nowhere.py"})
    assert outside(frame, "call", None) is None and outside.steps == 0
