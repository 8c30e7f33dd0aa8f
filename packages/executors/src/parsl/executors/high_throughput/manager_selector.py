"""Manager selectors: which ready manager the interchange sends the next task to.

Parsl's public classes, and Parsl's extension point: a subclass of
:class:`ManagerSelector` that implements ``sort_managers`` is pickled (with
dill, so a class defined in the script itself travels too) and run inside
the interchange, which hands each ready manager its free slots in the order
the selector returns, **from the end of the list** as Parsl's interchange
does: the last manager is served first. The two built-in selectors are not
called that way: the interchange applies their policy inside its sans-I/O
``TaskDispatch`` (a heap, no call per task), with the same result.
"""

from __future__ import annotations

import base64
import random
from abc import ABCMeta, abstractmethod
from typing import Any

from parsl.errors import ConfigurationError
from parsl.executors.high_throughput.manager_record import ManagerRecord


class ManagerSelector(metaclass=ABCMeta):
    """Base class of the manager-ordering policies; subclass it for a policy of one's own."""

    #: Whether the dispatch prefers managers of the newest block (highest block id).
    prefer_newest_block = False

    @abstractmethod
    def sort_managers(
        self, ready_managers: dict[bytes, ManagerRecord], manager_list: set[bytes]
    ) -> list[bytes]:
        """Order ``manager_list`` (ids of managers with free slots): the last gets tasks first.

        ``ready_managers`` maps each of those ids to its
        :class:`~parsl.executors.high_throughput.manager_record.ManagerRecord`.
        Ids left out of the result get no task this round.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RandomManagerSelector(ManagerSelector):
    """The default: spread tasks over managers, the one with the most free slots first.

    Parsl picks a random ready manager; this dispatch picks the one with the
    most free slots (ties: the earliest registered), which spreads load the
    same way without randomness. Called directly, ``sort_managers`` shuffles.
    """

    def sort_managers(
        self, ready_managers: dict[bytes, ManagerRecord], manager_list: set[bytes]
    ) -> list[bytes]:
        ordered = list(manager_list)
        random.shuffle(ordered)
        return ordered


class BlockIdManagerSelector(ManagerSelector):
    """Fill the newest block's managers first (highest block id), as Parsl's does.

    With ``htex_auto_scale``, work then gathers in the newest blocks and the
    older ones go idle and are scaled in (before their walltime ends).
    Managers without a numeric block id come last.
    """

    prefer_newest_block = True

    def sort_managers(
        self, ready_managers: dict[bytes, ManagerRecord], manager_list: set[bytes]
    ) -> list[bytes]:
        # Served from the end: no block id (or a non-numeric one) first, then oldest to newest.
        def newest_last(manager_id: bytes) -> tuple[int, int, str]:
            block: object = ready_managers.get(manager_id, {}).get("block_id")
            if isinstance(block, int) and not isinstance(block, bool):
                return (1, block, "")
            if isinstance(block, str) and block.isdigit():
                return (1, int(block), "")
            return (0, 0, str(block))

        return sorted(manager_list, key=newest_last)


_BUILT_IN = (RandomManagerSelector.sort_managers, BlockIdManagerSelector.sort_managers)


def sorts_its_own(selector: ManagerSelector) -> bool:
    """Whether ``selector``'s ``sort_managers`` is its own (to run in the interchange)."""
    return getattr(type(selector), "sort_managers", None) not in _BUILT_IN


def check_selector(value: object) -> ManagerSelector:
    """HighThroughputExecutor's ``manager_selector``: None for the default, or a ManagerSelector."""
    if value is None:
        return RandomManagerSelector()
    if not isinstance(value, ManagerSelector):
        raise ConfigurationError(
            f"manager_selector={value!r} is not a ManagerSelector: use "
            "RandomManagerSelector() (the default), BlockIdManagerSelector() or a "
            "subclass of ManagerSelector from "
            "parsl.executors.high_throughput.manager_selector",
            field="manager_selector",
            value=value,
        )
    return value


def selector_setting(selector: ManagerSelector) -> str | None:
    """What the interchange's settings carry: a selector of the user's own, else None."""
    return dump_selector(selector) if sorts_its_own(selector) else None


def dump_selector(selector: ManagerSelector) -> str:
    """``selector`` as text for the interchange's settings (dill, base64)."""
    from parsl.serialize import serialize  # dill: only for a selector of one's own

    try:
        return base64.b64encode(serialize(selector)).decode("ascii")
    except Exception as e:
        raise ConfigurationError(
            f"manager_selector={selector!r} cannot be sent to the interchange: "
            f"{type(e).__name__}: {e}",
            field="manager_selector",
            value=selector,
        ) from e


def load_selector(text: str) -> Any:
    """The selector :func:`dump_selector` wrote; an error naming it if it cannot be rebuilt."""
    from parsl.serialize import deserialize

    try:
        selector = deserialize(base64.b64decode(text))
    except Exception as e:
        raise ValueError(
            f"the manager_selector cannot be rebuilt in the interchange: {type(e).__name__}: {e} "
            "(its class must be importable there, or defined in the script itself)"
        ) from e
    if not isinstance(selector, ManagerSelector):
        raise ValueError(f"manager_selector rebuilt as {selector!r}, not a ManagerSelector")
    return selector
