"""LeanEvent: threading.Event's set/is_set/wait that Ctrl-C cannot leave locked."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest

import parsl.dataflow.lean_event
from parsl.dataflow.lean_event import LeanEvent
from parsl.testing.ctrl_c import InterruptAt, interrupting


@pytest.mark.timeout(30)
def test_set_wakes_every_waiter_and_stays_set() -> None:
    ev = LeanEvent()
    assert not ev.is_set()
    assert ev.wait(0.01) is False
    assert ev.wait(-1) is False  # a negative timeout is no wait, as in threading.Event
    woke: list[bool] = []
    waiters = [threading.Thread(target=lambda: woke.append(ev.wait(10))) for _ in range(5)]
    for t in waiters:
        t.start()
    time.sleep(0.05)
    ev.set()
    ev.set()  # a second set is harmless
    for t in waiters:
        t.join(5)
    assert woke == [True] * 5
    assert ev.is_set() and ev.wait(0) and ev.wait()


@pytest.mark.timeout(60)
def test_ctrl_c_anywhere_in_set_or_wait_leaves_it_working() -> None:
    traced = {parsl.dataflow.lean_event.__file__}
    for phase in ("set", "wait"):
        n = 0
        while True:
            n += 1
            ev = LeanEvent()
            if phase == "wait":
                threading.Timer(0.01, ev.set).start()
            trace = InterruptAt(n, traced)
            with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
                ev.set() if phase == "set" else ev.wait(5)
            ev.set()  # done again after the interrupt
            woke: list[bool] = []
            t = threading.Thread(target=lambda w=woke, e=ev: w.append(e.wait(2)))
            t.start()
            t.join(5)
            assert woke == [True], f"{phase} step {n}"
            if not trace.fired:
                break
        assert n > 1
