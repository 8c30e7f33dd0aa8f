"""The older import path of :class:`GridEngineProvider`; the same class as ``from parsl.providers import GridEngineProvider``.

``template_string`` and ``translate_table`` keep Parsl's names for code written
against Parsl's provider module (a provider of one's own copied from it);
GridEngineProvider itself does not read them. The table lists the usual
``qstat`` states as this project reads them (it reads any combination of
letters, see :func:`~parsl.providers.cluster.gridengine.gridengine_state_to_status`).
"""

from __future__ import annotations

from parsl.jobs.states import JobState
from parsl.providers.cluster.gridengine import GridEngineProvider, gridengine_state_to_status
from parsl.providers.grid_engine.template import template_string

_USUAL = "qw hqw hRwq r t Rr Rt s ts S tS T tT Eqw Ehqw EhRqw dr dt dRr dRt ds dS dT"

translate_table: dict[str, JobState] = {
    code: gridengine_state_to_status(code).state for code in _USUAL.split()
}
"""The usual ``qstat`` state codes and their JobState."""

__all__ = ["GridEngineProvider", "template_string", "translate_table"]
