"""Manager selectors: which ready manager the interchange sends the next task to.

Parsl's public classes. The interchange applies the choice inside its
sans-I/O ``TaskDispatch``; a selector is a named policy, not code that
runs in the interchange.
"""

from __future__ import annotations


class ManagerSelector:
    """Base class of the manager-ordering policies."""

    #: Whether the dispatch prefers managers of the newest block (highest block id).
    prefer_newest_block = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomManagerSelector(ManagerSelector):
    """The default: spread tasks over managers, the one with the most free slots first.

    Parsl picks a random ready manager; this dispatch picks the one with the
    most free slots (ties: the earliest registered), which spreads load the
    same way without randomness.
    """


class BlockIdManagerSelector(ManagerSelector):
    """Fill the newest block's managers first (highest block id), as Parsl's does.

    With ``htex_auto_scale``, work then gathers in the newest blocks and the
    older ones go idle and are scaled in (before their walltime ends).
    Managers without a numeric block id come last.
    """

    prefer_newest_block = True
