"""Task states as the database names them, their display order and colours."""

from __future__ import annotations

STATE_ORDER = (
    "unsched",
    "pending",
    "launched",
    "running",
    "running_ended",
    "joining",
    "fail_retryable",
    "exec_done",
    "memo_done",
    "failed",
    "dep_fail",
)

STATE_COLOURS = {
    "unsched": "#bdbdbd",
    "pending": "#9e9e9e",
    "launched": "#90caf9",
    "running": "#1e88e5",
    "running_ended": "#5c6bc0",
    "joining": "#8e24aa",
    "fail_retryable": "#ffb300",
    "exec_done": "#43a047",
    "memo_done": "#81c784",
    "failed": "#e53935",
    "dep_fail": "#fb8c00",
}

DONE_STATES = ("exec_done", "memo_done")
FAILED_STATES = ("failed", "dep_fail")
FINAL_STATES = DONE_STATES + FAILED_STATES

APP_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


def state_colour(state: str | None) -> str:
    """The colour of ``state``; unknown states are grey."""
    return STATE_COLOURS.get(state or "", "#757575")


def state_rank(state: str) -> int:
    """Sort key that puts states in lifecycle order, unknown ones last."""
    try:
        return STATE_ORDER.index(state)
    except ValueError:
        return len(STATE_ORDER)


def app_colours(names: list[str]) -> dict[str, str]:
    """A stable colour for each app name (sorted order, palette repeats after ten)."""
    return {n: APP_PALETTE[i % len(APP_PALETTE)] for i, n in enumerate(sorted(set(names)))}
