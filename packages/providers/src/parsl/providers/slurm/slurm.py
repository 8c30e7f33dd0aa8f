"""The older import path of :class:`SlurmProvider`; the same class as ``from parsl.providers import SlurmProvider``.

``template_string`` and ``sacct_translate_table``/``squeue_translate_table`` keep Parsl's names for code written
against Parsl's provider module (a provider of one's own copied from it);
SlurmProvider itself does not read them. The tables are this project's own
reading of the scheduler's states.
"""

from __future__ import annotations

from parsl.jobs.states import JobState
from parsl.providers.cluster.scheduler import state_table
from parsl.providers.cluster.slurm import SLURM_LONG_STATES, SLURM_STATES, SlurmProvider
from parsl.providers.slurm.template import template_string

squeue_translate_table: dict[str, JobState] = state_table(SLURM_STATES)
"""``squeue``'s compact state codes (``PD``, ``R``, ...) and their JobState."""

sacct_translate_table: dict[str, JobState] = dict(SLURM_LONG_STATES)  # a copy: ours stays
"""``sacct``'s state names (``PENDING``, ``RUNNING``, ...) and their JobState."""

__all__ = ["SlurmProvider", "sacct_translate_table", "squeue_translate_table", "template_string"]
