"""The older import path of :class:`LSFProvider`; the same class as ``from parsl.providers import LSFProvider``.

``template_string`` and ``translate_table`` keep Parsl's names for code written
against Parsl's provider module (a provider of one's own copied from it);
LSFProvider itself does not read them. The table is this project's own
reading of the scheduler's states.
"""

from __future__ import annotations

from parsl.jobs.states import JobState
from parsl.providers.cluster.lsf import LSF_STATES, LSFProvider
from parsl.providers.cluster.scheduler import state_table
from parsl.providers.lsf.template import template_string

translate_table: dict[str, JobState] = state_table(LSF_STATES)
"""The scheduler's state codes and their JobState."""

__all__ = ["LSFProvider", "template_string", "translate_table"]
