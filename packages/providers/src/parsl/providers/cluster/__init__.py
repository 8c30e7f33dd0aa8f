"""Batch-scheduler providers: a sans-I/O core per scheduler plus one shared I/O shell.

* :mod:`~parsl.providers.cluster.scheduler`: :class:`BatchScheduler`, the
  paired pure functions each scheduler implements, and :class:`SubmitContext`.
* :mod:`~parsl.providers.cluster.shell`: :class:`ClusterProvider`, which runs
  a scheduler's commands (with a deadline) and tracks its jobs.
* :mod:`~parsl.providers.cluster.slurm`: :class:`SlurmProvider`.

``SlurmProvider`` is also reachable at Parsl's public path,
``from parsl.providers import SlurmProvider``, through the
``parsl.providers`` entry-point group this distribution registers.
"""

from parsl.providers.cluster.scheduler import BatchScheduler, CommandResult, SubmitContext
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.cluster.slurm import SlurmProvider, SlurmScheduler

__all__ = [
    "BatchScheduler",
    "ClusterProvider",
    "CommandResult",
    "SlurmProvider",
    "SlurmScheduler",
    "SubmitContext",
]
