"""The boundary to radical.pilot (untyped): the few calls this package makes, with plain types."""

from __future__ import annotations

from typing import Any

import radical.pilot as rp

FINAL = frozenset(rp.FINAL)


def session(base: str) -> Any:
    """A new rp.Session whose client-side files go under ``base``."""
    return rp.Session(cfg={"base": base})


def pilot_and_manager(sess: Any, description: dict[str, Any]) -> tuple[Any, Any]:
    """Submit one pilot and return it with a TaskManager attached to it."""
    pd = rp.PilotDescription(description)
    pd.verify()
    pmgr = rp.PilotManager(session=sess)
    tmgr = rp.TaskManager(session=sess)
    pilot = pmgr.submit_pilots(pd)
    tmgr.add_pilots(pilot)
    return pilot, tmgr


def submit(tmgr: Any, description: dict[str, Any]) -> Any:
    """Submit one task; return RADICAL-Pilot's task object."""
    td = rp.TaskDescription(description)
    return tmgr.submit_tasks(td)


def close(sess: Any) -> None:
    """Close the session (stops the pilot and every component), without downloading profiles."""
    sess.close(download=False)
