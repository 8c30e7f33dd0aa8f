"""The older import path of :class:`CondorProvider`; the same class as ``from parsl.providers import CondorProvider``.

``template_string`` and ``translate_table`` keep Parsl's names for code written
against Parsl's provider module (a provider of one's own copied from it);
CondorProvider itself does not read them. The table is this project's own
reading of the scheduler's states.
"""

from __future__ import annotations

from parsl.jobs.states import JobState
from parsl.providers.cluster.condor import CONDOR_STATES, CondorProvider
from parsl.providers.cluster.scheduler import state_table
from parsl.providers.condor.template import template_string

translate_table: dict[str, JobState] = state_table(CONDOR_STATES)
"""The scheduler's state codes and their JobState."""

__all__ = ["CondorProvider", "template_string", "translate_table"]
