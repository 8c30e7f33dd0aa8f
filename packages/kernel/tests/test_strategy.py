"""BlockScaler: the scaling strategy as a pure function."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsl.jobs.strategy import BlockScaler, ExecutorSnapshot


def snap(
    outstanding: int = 0,
    active: int = 0,
    *,
    slots: int = 4,
    lo: int = 0,
    hi: int = 5,
    parallelism: float = 1.0,
    now: float = 0.0,
    label: str = "htex",
) -> ExecutorSnapshot:
    return ExecutorSnapshot(label, outstanding, active, slots, lo, hi, parallelism, now)


def test_none_never_scales() -> None:
    s = BlockScaler("none", 0)
    assert s.decide(snap(100, 0)).scale_out == 0
    assert BlockScaler(None, 0).decide(snap(0, 5)).scale_in == 0


def test_unknown_strategy() -> None:
    with pytest.raises(ValueError, match="greedy"):
        BlockScaler("greedy", 1)


def test_scale_out_to_demand_capped_by_max_blocks() -> None:
    s = BlockScaler("simple", 10)
    assert s.decide(snap(1, 0)).scale_out == 1
    assert s.decide(snap(9, 1)).scale_out == 2  # ceil(9/4)=3 needed
    assert s.decide(snap(1000, 1)).scale_out == 4  # capped at max_blocks=5
    assert s.decide(snap(1000, 5)).scale_out == 0


def test_parallelism_scales_demand() -> None:
    s = BlockScaler("simple", 10)
    assert s.decide(snap(16, 0, parallelism=0.5)).scale_out == 2
    # parallelism 0: one block for outstanding tasks, never more (else they would wait forever)
    assert s.decide(snap(16, 0, parallelism=0.0)).scale_out == 1
    assert s.decide(snap(16, 1, parallelism=0.0)).scale_out == 0
    assert s.decide(snap(16, 0, parallelism=0.0, hi=0)).scale_out == 0  # max_blocks still rules


def test_min_blocks_are_kept_even_without_work() -> None:
    s = BlockScaler("simple", 10)
    d = s.decide(snap(0, 0, lo=2))
    assert d.scale_out == 2 and "need 2 blocks" in d.reason


def test_scale_in_after_max_idletime_only() -> None:
    s = BlockScaler("simple", 30)
    assert s.decide(snap(0, 3, lo=1, now=100)).scale_in == 0
    assert s.decide(snap(0, 3, lo=1, now=129)).scale_in == 0
    d = s.decide(snap(0, 3, lo=1, now=130))
    assert d.scale_in == 2 and "idle for 30 s" in d.reason


def test_work_resets_idle_clock() -> None:
    s = BlockScaler("simple", 30)
    s.decide(snap(0, 3, now=0))
    s.decide(snap(5, 3, now=20))
    assert s.decide(snap(0, 3, now=40)).scale_in == 0
    assert s.decide(snap(0, 3, now=70)).scale_in == 3


def test_simple_keeps_surplus_while_busy_but_auto_scale_gives_it_back() -> None:
    simple, auto = BlockScaler("simple", 10), BlockScaler("htex_auto_scale", 10)
    for now in (0, 5, 10, 20):
        assert simple.decide(snap(2, 4, now=now)).scale_in == 0
    assert auto.decide(snap(2, 4, now=0)).scale_in == 0
    assert auto.decide(snap(2, 4, now=9)).scale_in == 0
    d = auto.decide(snap(2, 4, now=10))
    assert d.scale_in == 3 and "1 needed" in d.reason


def test_auto_scale_surplus_clock_resets_when_demand_returns() -> None:
    auto = BlockScaler("htex_auto_scale", 10)
    auto.decide(snap(2, 4, now=0))
    auto.decide(snap(16, 4, now=5))  # needs all 4 again
    assert auto.decide(snap(2, 4, now=12)).scale_in == 0


def test_executors_are_tracked_separately() -> None:
    s = BlockScaler("simple", 10)
    s.decide(snap(0, 2, now=0, label="a"))
    s.decide(snap(0, 2, now=8, label="b"))
    assert s.decide(snap(0, 2, now=10, label="a")).scale_in == 2
    assert s.decide(snap(0, 2, now=10, label="b")).scale_in == 0


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 8), st.floats(0, 50)), min_size=1, max_size=30
    ),
    st.sampled_from(["simple", "htex_auto_scale"]),
    st.integers(0, 3),
    st.integers(3, 8),
)
def test_decisions_stay_within_limits(
    steps: list[tuple[int, int, float]], strategy: str, lo: int, hi: int
) -> None:
    s = BlockScaler(strategy, 20)
    now = 0.0
    for outstanding, reported, dt in steps:
        now += dt
        active = min(reported, hi)
        d = s.decide(snap(outstanding, active, lo=lo, hi=hi, now=now))
        assert not (d.scale_out and d.scale_in)
        assert active + d.scale_out <= hi
        assert active - d.scale_in >= min(lo, active)
        if outstanding > 0:
            assert active + d.scale_out - d.scale_in >= 1  # work always keeps a block
            assert d.scale_in == 0 or strategy == "htex_auto_scale"
