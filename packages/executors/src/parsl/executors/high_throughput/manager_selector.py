"""Manager selectors: which ready manager the interchange sends the next task to.

Parsl's public classes. The interchange applies the choice inside its
sans-I/O ``TaskDispatch``; a selector is a named policy, not code that
runs in the interchange.
"""

from __future__ import annotations


class ManagerSelector:
    """Base class of the manager-ordering policies."""

    #: Whether the dispatch prefers managers of the oldest block (lowest block id).
    prefer_oldest_block = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomManagerSelector(ManagerSelector):
    """The default: spread tasks over managers, the one with the most free slots first.

    Parsl picks a random ready manager; this dispatch picks the one with the
    most free slots (ties: the earliest registered), which spreads load the
    same way without randomness.
    """


class BlockIdManagerSelector(ManagerSelector):
    """Fill the oldest block's managers first, so newer blocks go idle and can be scaled in."""

    prefer_oldest_block = True
