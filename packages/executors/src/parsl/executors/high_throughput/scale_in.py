"""Which blocks a scale-in removes: a pure function, so the choice is testable without processes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def pick_blocks_to_remove(
    block_loads: Mapping[str, int], candidates: Sequence[str], count: int, force: bool
) -> list[str]:
    """Up to ``count`` of ``candidates`` to remove, the least disruptive first.

    ``block_loads`` maps each block with registered managers to its
    outstanding tasks. Blocks with no registered manager yet (still pending,
    or starting) go first, newest first; then idle blocks, newest first. Only
    with ``force`` are busy blocks chosen too, least loaded first: their
    tasks fail with ManagerLost.
    """
    if count <= 0:
        return []
    newest_first = list(reversed(candidates))
    pending = [b for b in newest_first if b not in block_loads]
    idle = [b for b in newest_first if block_loads.get(b) == 0]
    chosen = (pending + idle)[:count]
    if force and len(chosen) < count:
        busy = sorted(
            (b for b in newest_first if block_loads.get(b, 0) > 0),
            key=lambda b: block_loads[b],
        )
        chosen += busy[: count - len(chosen)]
    return chosen
