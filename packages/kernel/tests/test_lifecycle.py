"""Every legal and every illegal transition of the task state machine."""

from __future__ import annotations

import itertools

import pytest

from parsl.dataflow.lifecycle import Event, IllegalTransition, legal_transitions, next_state
from parsl.dataflow.states import FINAL_FAILURE_STATES, FINAL_STATES, States

LEGAL = legal_transitions()


@pytest.mark.parametrize(("state", "event"), sorted(LEGAL, key=lambda k: (k[0], k[1].value)))
def test_legal_transition(state: States, event: Event) -> None:
    assert next_state(state, event) is LEGAL[(state, event)]


ILLEGAL = [(s, e) for s, e in itertools.product(States, Event) if (s, e) not in LEGAL]


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_illegal_transition_raises(state: States, event: Event) -> None:
    with pytest.raises(IllegalTransition, match=event.value):
        next_state(state, event)


def test_final_states_have_no_way_out() -> None:
    for state in FINAL_STATES:
        assert not [e for (s, e) in LEGAL if s is state]
    with pytest.raises(IllegalTransition, match="a final state"):
        next_state(States.exec_done, Event.succeeded)


def test_every_final_state_is_reachable_from_submission() -> None:
    reachable = {States.unsched}
    frontier = [States.unsched]
    while frontier:
        s = frontier.pop()
        for (src, _), dst in LEGAL.items():
            if src is s and dst not in reachable:
                reachable.add(dst)
                frontier.append(dst)
    assert reachable >= FINAL_STATES
    assert FINAL_FAILURE_STATES <= FINAL_STATES


def test_every_nonfinal_state_can_reach_a_final_state() -> None:
    for state in set(States) - FINAL_STATES - {States.running_ended}:
        seen, frontier = {state}, [state]
        while frontier:
            s = frontier.pop()
            for (src, _), dst in LEGAL.items():
                if src is s and dst not in seen:
                    seen.add(dst)
                    frontier.append(dst)
        assert seen & FINAL_STATES, state


def test_legal_transitions_is_a_copy() -> None:
    table = legal_transitions()
    table.clear()
    assert legal_transitions()


def test_state_str() -> None:
    assert str(States.exec_done) == "States.exec_done"
