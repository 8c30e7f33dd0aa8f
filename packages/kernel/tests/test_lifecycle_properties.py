"""Property tests of the sans-I/O task lifecycle: random event sequences, no threads, no executors.

Two drivers:

* ``any_events``: arbitrary events in arbitrary order (most of them illegal
  for the state at hand). An illegal event raises ``IllegalTransition`` and
  changes nothing; every move a decision reports is in the transition table;
  a task settles at most once, exactly when it reaches a final state, and
  ignores everything afterwards.
* ``run_like_the_dfk``: a shell that performs every decision as the
  DataFlowKernel does, with the facts (dependency failures, memo entries,
  outcomes of each try, retry costs, running reports, join values) drawn at
  random. Every such run ends, in exactly one final state, with retries
  bounded by the budget.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lifecycle_record import Rec

from parsl.dataflow.errors import DependencyError, JoinError
from parsl.dataflow.lifecycle import (
    IGNORE,
    Action,
    Decision,
    IllegalTransition,
    Lifecycle,
    legal_transitions,
)
from parsl.dataflow.states import FINAL_STATES, States

LEGAL_MOVES = {(old, new) for (old, _), new in legal_transitions().items()}
SUCCESS_STATES = {States.exec_done, States.memo_done}


def snapshot(t: Rec) -> Rec:
    return Rec(**{**vars(t), "fail_history": list(t.fail_history)})


def check_decision(t: Rec, before: Rec, d: Decision) -> None:
    """What holds for every decision, whatever the event."""
    if d.old is not None:
        assert (d.old, d.new) in LEGAL_MOVES
        assert d.old is before.status and d.new is t.status
    else:
        assert t.status is before.status
    if d.action is Action.settle:
        assert t.status in FINAL_STATES
        assert (d.exc is None) == (t.status in SUCCESS_STATES)
    else:
        assert t.status not in FINAL_STATES
    if d.action is Action.retry:
        assert t.status is States.fail_retryable


EVENTS = [
    "submitted",
    "ready_ok",
    "ready_dep_failed",
    "memo_hit",
    "memo_hit_failure",
    "memo_miss",
    "launched",
    "running",
    "running_stale",
    "exec_done",
    "join_ok",
    "join_bad",
    "join_done_ok",
    "join_done_failed",
    "failed",
    "failed_fatal",
    "priced",
    "retry",
    "cleanup",
    "closing",
]


def feed(life: Lifecycle, t: Rec, name: str, cost: float) -> Decision | None:
    exc = OSError(name)
    if name == "closing":
        life.closing = True
        return None
    calls: dict[str, Any] = {
        "submitted": lambda: life.submitted(t),
        "ready_ok": lambda: life.ready(t, []),
        "ready_dep_failed": lambda: life.ready(t, [(exc, "task 0")]),
        "memo_hit": lambda: life.memo_hit(t),
        "memo_hit_failure": lambda: life.memo_hit(t, exc),
        "memo_miss": lambda: life.memo_miss(t),
        "launched": lambda: life.launched(t),
        "running": lambda: life.running(t, t.try_id),
        "running_stale": lambda: life.running(t, t.try_id - 1),
        "exec_done": lambda: life.exec_done(t),
        "join_ok": lambda: life.join_started(t),
        "join_bad": lambda: life.join_started(t, "str"),
        "join_done_ok": lambda: life.join_done(t, []),
        "join_done_failed": lambda: life.join_done(t, [(exc, "task 0")]),
        "failed": lambda: life.failed(t, exc),
        "failed_fatal": lambda: life.failed(t, exc, fatal=True),
        "priced": lambda: life.priced(t, exc, cost),
        "retry": lambda: life.retry(t),
        "cleanup": lambda: life.cleanup(t),
    }
    result: Decision = calls[name]()
    return result


@settings(max_examples=400, deadline=None)
@given(
    retries=st.integers(0, 3),
    priced=st.booleans(),
    kind=st.sampled_from(["python", "bash", "join"]),
    memoize=st.booleans(),
    events=st.lists(
        st.tuples(st.sampled_from(EVENTS), st.sampled_from([0.0, 0.5, 1.0, 2.0])), max_size=40
    ),
)
def test_any_events(
    retries: int, priced: bool, kind: str, memoize: bool, events: list[tuple[str, float]]
) -> None:
    life = Lifecycle(retries, priced=priced)
    t = Rec(kind=kind, memoize=memoize)
    settled = 0
    for name, cost in events:
        before = snapshot(t)
        was_final = t.status in FINAL_STATES
        try:
            d = feed(life, t, name, cost)
        except IllegalTransition:
            assert not was_final  # an ended task ignores, it never raises
            assert t == before  # an illegal event changes nothing
            continue
        if d is None:
            continue
        if was_final:
            assert d is IGNORE
            assert t == before
            continue
        check_decision(t, before, d)
        if d.action is Action.settle:
            settled += 1
        if name == "ready_dep_failed":
            assert t.status is States.dep_fail and isinstance(d.exc, DependencyError)
        if name == "memo_hit":
            assert (d.action, t.status, t.from_memo) == (Action.settle, States.memo_done, True)
        if d.action is Action.retry:
            assert t.fail_cost <= retries and not life.closing
    assert settled == (1 if t.status in FINAL_STATES else 0)
    assert t.status is not States.running_ended


COSTS = [0.5, 1.0, 3.0]  # the smallest bounds the number of retries below


@st.composite
def runs(draw: st.DrawFn) -> tuple[Lifecycle, Rec, list[str], int, int]:
    """Run one task the way the DataFlowKernel does, drawing every fact as it is needed."""
    retries = draw(st.integers(0, 4))
    priced = draw(st.booleans())
    life = Lifecycle(retries, priced=priced)
    t = Rec(kind=draw(st.sampled_from(["python", "join"])), memoize=draw(st.booleans()))
    trail: list[str] = []
    settles = 0
    retried = 0

    def do(d: Decision) -> Decision:
        nonlocal settles, retried
        trail.append(d.action.value)
        if d.action is Action.settle:
            settles += 1
        while d.action in (Action.price, Action.retry):
            if d.action is Action.price:
                d = life.priced(t, t.fail_history[-1], draw(st.sampled_from(COSTS)))
            else:
                retried += 1
                assert t.fail_cost <= retries
                d = life.retry(t)
            trail.append(d.action.value)
            if d.action is Action.settle:
                settles += 1
        return d

    do(life.submitted(t))
    for _ in range(60):  # the budget ends every run long before this
        if t.status in FINAL_STATES:
            break
        if draw(st.integers(0, 30)) == 0:
            life.closing = True
        if draw(st.integers(0, 40)) == 0:
            do(life.cleanup(t))
            continue
        dep_failed = t.try_id == 0 and draw(st.integers(0, 9)) == 0
        d = do(life.ready(t, [(OSError("dep"), "task 0")] if dep_failed else []))
        if d.action is Action.check_memo:
            memo = draw(st.sampled_from(["miss", "miss", "hit", "hit_failure"]))
            if memo == "hit":
                d = do(life.memo_hit(t))
                assert (d.action, d.new, d.exc) == (Action.settle, States.memo_done, None)
            elif memo == "hit_failure":
                d = do(life.memo_hit(t, OSError("remembered")))
            else:
                d = do(life.memo_miss(t))
        if d.action is not Action.launch:
            continue
        if draw(st.integers(0, 9)) == 0:  # the executor refused it for good
            do(life.failed(t, ValueError("bad spec"), fatal=True))
            continue
        do(life.launched(t))
        if draw(st.booleans()):
            do(life.running(t, t.try_id))
        outcome = draw(st.sampled_from(["ok", "ok", "error"]))
        if outcome == "error":
            do(life.failed(t, OSError("try failed")))
            continue
        d = do(life.exec_done(t))
        if d.action is Action.join:
            if draw(st.integers(0, 5)) == 0:
                do(life.join_started(t, "int"))
                continue
            do(life.join_started(t))
            inner_failed = draw(st.booleans())
            d = do(life.join_done(t, [(OSError("inner"), "task 9")] if inner_failed else []))
            if inner_failed and d.action is Action.settle:
                assert isinstance(d.exc, JoinError)
    return life, t, trail, settles, retried


@settings(max_examples=500, deadline=None)
@given(run=runs())
def test_every_run_ends_in_exactly_one_final_state(
    run: tuple[Lifecycle, Rec, list[str], int, int],
) -> None:
    life, t, trail, settles, retried = run
    assert t.status in FINAL_STATES
    assert settles == 1
    assert trail.count("settle") == 1 and trail[-1] == "settle"
    # Retries are bounded by the budget: each one needed the summed cost within it.
    assert retried <= life.retries / (min(COSTS) if life.priced_failures else 1.0)
    assert t.fail_count == len(t.fail_history)
    assert t.try_id == retried
    if t.status is States.memo_done:
        assert t.from_memo
    # Afterwards every event is ignored.
    assert life.cleanup(t) is IGNORE and life.exec_done(t) is IGNORE
