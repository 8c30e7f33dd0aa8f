"""Parsl's names for the TaskVine executor's failures, for ``except`` clauses written for Parsl.

Both executors built on cctools (Work Queue and TaskVine) raise the classes of
:mod:`parsl.executors.cctools.errors`; these are the same classes:

* ``TaskVineManagerFailure``: the executor could not run tasks any more (its
  manager process was lost), :class:`~parsl.executors.cctools.errors.ManagerLost`;
* ``TaskVineTaskFailure``: one task did not produce a result (its worker was
  lost, it exceeded its resources, its output never came back),
  :class:`~parsl.executors.cctools.errors.CctoolsTaskFailure`, with ``reason``.
"""

from __future__ import annotations

from parsl.executors.cctools.errors import CctoolsTaskFailure as TaskVineTaskFailure
from parsl.executors.cctools.errors import ManagerLost as TaskVineManagerFailure

__all__ = ["TaskVineManagerFailure", "TaskVineTaskFailure"]
