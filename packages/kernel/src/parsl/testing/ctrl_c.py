"""Put a Ctrl-C at every point where CPython could raise one, to test code that must survive it.

A real SIGINT is handled by the main thread between Python steps, so where
it lands in a piece of code is down to timing, and a test that sends one
proves little. :class:`InterruptAt` makes the timing exact: as a trace
function it raises KeyboardInterrupt at the n-th point where CPython could
(see :func:`interrupt_points`) while the calling thread runs code from the
files it is given. A test runs the code once for each n until the
interrupt no longer fires, and checks each time that nothing was lost::

    n = 0
    while True:
        n += 1
        trace = InterruptAt(n, {my_module.__file__, threading.__file__})
        with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
            code_under_test()
        assert lock_is_free(my_lock), f"step {n}"
        if not trace.fired:
            break

The kernel's thread pool, futures and ``wait_for_current_tasks()``, and
htex's backpressure, are tested this way.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import sys
import threading
from collections.abc import Iterator
from types import CodeType, FrameType
from typing import Any


@functools.cache
def interrupt_points(code: CodeType) -> tuple[frozenset[int], frozenset[int]]:
    """Offsets in ``code`` where CPython can raise a pending KeyboardInterrupt.

    The main thread runs a signal's handler only at its eval-breaker checks:
    on entering a Python function (the ``call`` event), at a loop's jump
    back, and when a call of C code returns. Returned: the jumps back, and
    the instructions just after a call. Anywhere else (between two plain
    instructions, after a Python function returns, or where ``with`` ends)
    a real Ctrl-C cannot land, so :class:`InterruptAt` puts none there.
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

    Only frames of the ``traced`` files count, never this module's own (an
    interrupt in :func:`interrupting`'s exit would leave the tracer on: in
    3.11 an error from a trace function's ``call`` event leaves the frame
    without running its ``finally``). A C function that calls back into
    Python counts as a Python call (no point right after it): the one place
    where this puts fewer interrupts than CPython could.
    """

    def __init__(self, n: int, traced: set[str]) -> None:
        self.n = n
        self.traced = set(traced) - {__file__}
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
            # CPython 3.13 starts a frame's opcode events only once its tracer is assigned.
            frame.f_trace = self
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
    """Run the block under ``trace``; the tracer from before (coverage's, say) comes back after."""
    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        yield
    finally:
        sys.settrace(previous)


def lock_is_free(lock: Any, timeout: float = 2.0) -> bool:
    """Whether another thread can take ``lock`` within ``timeout`` s (it is then released)."""
    free: list[bool] = []

    def take() -> None:
        if lock.acquire(timeout=timeout):
            lock.release()
            free.append(True)

    t = threading.Thread(target=take, name="lock-is-free", daemon=True)
    t.start()
    t.join(timeout + 5)
    return free == [True]
