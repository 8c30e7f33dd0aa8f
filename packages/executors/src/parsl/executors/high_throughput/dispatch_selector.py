"""A user's :class:`~parsl.executors.high_throughput.manager_selector.ManagerSelector` applied to the dispatch's managers."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from parsl.executors.high_throughput.dispatch_records import (
    DispatchCounters,
    ManagerRecord,
    public_record,
)
from parsl.executors.high_throughput.manager_selector import ManagerSelector

logger = logging.getLogger(__name__)


def selector_order(
    selector: ManagerSelector, managers: Mapping[str, ManagerRecord], counters: DispatchCounters
) -> list[ManagerRecord] | None:
    """The managers with free slots in the order ``selector`` gives, the first to fill first.

    ``sort_managers`` is given Parsl's bytes ids and ``ManagerRecord`` dicts
    and its list is served from the end, as Parsl's interchange serves it;
    ids it leaves out, repeats or does not know are skipped. None when it
    raised or returned something other than a list (counted in
    ``counters.selector_errors``, logged the first time).
    """
    ready = {
        m.manager_id.encode(): public_record(m)
        for m in managers.values()
        if m.free > 0 and not m.draining
    }
    if not ready:
        return []
    try:
        chosen = selector.sort_managers(ready, set(ready))
        if not isinstance(chosen, list | tuple):
            raise TypeError(f"sort_managers returned {type(chosen).__name__}, not a list")
        return [managers[i.decode()] for i in dict.fromkeys(reversed(chosen)) if i in ready]
    except Exception as e:
        counters.selector_errors += 1
        if counters.selector_errors == 1:  # once: it is likely to fail every time
            logger.error(
                "manager_selector %r failed (%s: %s); tasks go to the managers with the "
                "most free slots instead",
                selector,
                type(e).__name__,
                e,
            )
        return None
