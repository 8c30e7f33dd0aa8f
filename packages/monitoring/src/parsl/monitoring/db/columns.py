"""How a monitoring message becomes a row of its table: column types, timestamps, positional bodies.

Used by :class:`~parsl.monitoring.db.rows.RowBatch`. A message's values are
coerced to its columns' types (a ``DateTime`` column gets the batch's
driver value for the Unix timestamp: :func:`when` or :func:`sqlite_when`).
A worker's positional wire body (:data:`~parsl.monitoring.radios.wire.FIELDS`)
becomes its row without a dict in between (:class:`PositionalRows`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, Float, Integer, Table

from parsl.monitoring.db import tables
from parsl.monitoring.radios.wire import FIELDS
from parsl.monitoring.types import MessageType

Row = tuple[Any, ...]
"""A row: one value per column, in the table's column order."""

Stamp = Callable[[float], Any]
"""Turns a Unix timestamp into a driver value for a ``DateTime`` column."""


def when(t: float) -> datetime:
    """A Unix timestamp as the tables store it: a naive local ``datetime``."""
    return datetime.fromtimestamp(t)


_SECOND_TEXT: dict[float, str] = {}
"""``sqlite_when``'s cache: whole Unix seconds to their local-time ISO text and the dot (bounded)."""


def sqlite_when(t: float) -> str:
    """A Unix timestamp as SQLAlchemy stores a ``DateTime`` in SQLite (ISO text, microseconds).

    The same text as ``datetime.fromtimestamp(t).isoformat(" ", "microseconds")``
    (microseconds rounded half to even, as ``fromtimestamp`` rounds), but the
    date and time of day are formatted once per second: the writer stamps
    several columns of every event, and formatting was a fifth of its time.
    """
    frac, whole = _modf(t)
    us = round(frac * 1e6)
    if frac < 0 or us >= 1_000_000:  # before 1970, or rounds up into the next second
        return datetime.fromtimestamp(t).isoformat(" ", "microseconds")
    text = _SECOND_TEXT.get(whole)
    if text is None:
        if len(_SECOND_TEXT) >= 4096:
            _SECOND_TEXT.clear()
        text = datetime.fromtimestamp(whole).isoformat(" ", "seconds") + "."
        _SECOND_TEXT[whole] = text
    return text + _THREE_DIGITS[us // 1000] + _THREE_DIGITS[us % 1000]  # no format spec parsed


_modf = math.modf
_THREE_DIGITS = tuple(f"{i:03d}" for i in range(1000))


def unix_time(v: Any) -> float:
    if isinstance(v, datetime):
        return v.timestamp()
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"expected a Unix timestamp, got {v!r}")
    return float(v)


_DATETIME = object()
"""Marks a DateTime column in MessageTable.coerce (converted with the batch's stamp)."""


def _coercer(column_type: Any) -> Any:
    if isinstance(column_type, DateTime):
        return _DATETIME
    if isinstance(column_type, Boolean):
        return bool
    if isinstance(column_type, Integer):
        return int
    if isinstance(column_type, Float):
        return float
    return str


class MessageTable:
    """How one message type becomes a row of ``table``: known columns, types, required keys."""

    def __init__(self, table: Table) -> None:
        self.table = table
        cols = [c for c in table.columns if not (c.primary_key and c.autoincrement is True)]
        self.columns = tuple(c.name for c in cols)
        """The row's columns, in order (an autoincrement key is left to the database)."""
        self.coerce = {c.name: (i, _coercer(c.type)) for i, c in enumerate(cols)}
        self.required = frozenset(c.name for c in cols if not c.nullable)

    def row(self, body: dict[str, Any], stamp: Stamp) -> Row:
        missing = self.required - body.keys()
        if missing:
            raise ValueError(f"missing {sorted(missing)}")
        out: list[Any] = [None] * len(self.columns)
        coerce = self.coerce
        for key, value in body.items():
            known = coerce.get(key)
            if known is None or value is None:
                continue
            i, conv = known
            if conv is _DATETIME:
                out[i] = stamp(unix_time(value))
            elif type(value) is conv:  # already the column's type (most values): no call
                out[i] = value
            else:
                out[i] = conv(value)
        return tuple(out)


RESOURCE = MessageTable(tables.resource)
NODE = MessageTable(tables.node)
BLOCK = MessageTable(tables.block)
RESOURCE_COLUMNS = RESOURCE.columns
NODE_COLUMNS = NODE.columns
BLOCK_COLUMNS = BLOCK.columns


class PositionalRows:
    """A message type's positional wire body (:data:`FIELDS`) straight to a row of ``table``.

    Used when the body's fields are exactly the row's columns and none is
    null (a worker's resource sample): the values are picked into column
    order and converted with one builtin call each (``float``, ``int``,
    ``str``: for a value already of the column's type, the value itself),
    the same values :meth:`MessageTable.row` makes from the dict.
    """

    def __init__(self, table: MessageTable, fields: tuple[str, ...]) -> None:
        self.usable = sorted(fields) == sorted(table.columns)
        self.pick = (
            operator.itemgetter(*(fields.index(c) for c in table.columns)) if self.usable else None
        )
        convs = [table.coerce[c][1] for c in table.columns]
        self.times = [i for i, conv in enumerate(convs) if conv is _DATETIME]
        self.convs = [unix_time if conv is _DATETIME else conv for conv in convs]

    def row(self, values: list[Any], stamp: Stamp) -> Row | None:
        """The row, or None when this path does not apply (a null value: the dict path leaves it out)."""
        picked = self.pick(values)  # type: ignore[misc]
        if None in picked:
            return None
        out = list(map(operator.call, self.convs, picked))
        for i in self.times:
            out[i] = stamp(out[i])
        return tuple(out)


RESOURCE_VALUES = PositionalRows(RESOURCE, FIELDS[MessageType.RESOURCE_INFO])
