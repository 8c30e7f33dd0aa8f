"""The older import path of :class:`KubernetesProvider`; the same class as ``from parsl.providers import KubernetesProvider``.

``template_string`` and ``translate_table`` keep Parsl's names for code written
against Parsl's provider module; KubernetesProvider itself does not read
them. The table maps a pod's phase to the JobState this project reads from
a pod in that phase with nothing more to say (a pending pod whose image
cannot be pulled, for one, is read as failed).
"""

from __future__ import annotations

from parsl.jobs.states import JobState
from parsl.providers.kubernetes.pods import pod_status
from parsl.providers.kubernetes.provider import KubernetesProvider
from parsl.providers.kubernetes.template import template_string

translate_table: dict[str, JobState] = {
    phase: pod_status({"status": {"phase": phase}}).state
    for phase in ("Running", "Pending", "Succeeded", "Failed", "Unknown")
}
"""Pod phases and their JobState."""

__all__ = ["KubernetesProvider", "template_string", "translate_table"]
