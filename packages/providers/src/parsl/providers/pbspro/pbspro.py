"""The older import path of :class:`PBSProProvider`; the same class as ``from parsl.providers import PBSProProvider``.

``template_string`` and ``translate_table`` keep Parsl's names for code written
against Parsl's provider module (a provider of one's own copied from it);
PBSProProvider itself does not read them. The table is this project's own
reading of the scheduler's states.
"""

from __future__ import annotations

from parsl.jobs.states import JobState
from parsl.providers.cluster.pbs import PBS_STATES
from parsl.providers.cluster.pbspro import PBSProProvider
from parsl.providers.cluster.scheduler import state_table
from parsl.providers.pbspro.template import template_string

translate_table: dict[str, JobState] = state_table(PBS_STATES)
"""The scheduler's state codes and their JobState."""

__all__ = ["PBSProProvider", "template_string", "translate_table"]
