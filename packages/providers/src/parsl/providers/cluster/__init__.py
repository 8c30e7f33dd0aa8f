"""Batch-scheduler providers: a sans-I/O core per scheduler plus one shared I/O shell.

* :mod:`~parsl.providers.cluster.scheduler`: :class:`BatchScheduler`, the
  paired pure functions each scheduler implements, and :class:`SubmitContext`.
* :mod:`~parsl.providers.cluster.shell`: :class:`ClusterProvider`, which runs
  a scheduler's commands (with a deadline) and tracks its jobs.
* one module per scheduler, each a ``BatchScheduler`` and its provider:
  :mod:`~parsl.providers.cluster.slurm` (:class:`SlurmProvider`),
  :mod:`~parsl.providers.cluster.pbspro` (:class:`PBSProProvider`),
  :mod:`~parsl.providers.cluster.torque` (:class:`TorqueProvider`),
  :mod:`~parsl.providers.cluster.lsf` (:class:`LSFProvider`),
  :mod:`~parsl.providers.cluster.gridengine` (:class:`GridEngineProvider`),
  :mod:`~parsl.providers.cluster.condor` (:class:`CondorProvider`);
  :mod:`~parsl.providers.cluster.pbs` holds what PBS Pro and Torque share.

Each provider is also reachable at Parsl's public path, e.g.
``from parsl.providers import PBSProProvider``, through the
``parsl.providers`` entry-point group this distribution registers.
"""

from parsl.providers.cluster.condor import CondorProvider, CondorScheduler
from parsl.providers.cluster.gridengine import GridEngineProvider, GridEngineScheduler
from parsl.providers.cluster.lsf import LSFProvider, LSFScheduler
from parsl.providers.cluster.pbspro import PBSProProvider, PBSProScheduler
from parsl.providers.cluster.scheduler import BatchScheduler, CommandResult, SubmitContext
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.cluster.slurm import SlurmProvider, SlurmScheduler
from parsl.providers.cluster.torque import TorqueProvider, TorqueScheduler

__all__ = [
    "BatchScheduler",
    "ClusterProvider",
    "CommandResult",
    "CondorProvider",
    "CondorScheduler",
    "GridEngineProvider",
    "GridEngineScheduler",
    "LSFProvider",
    "LSFScheduler",
    "PBSProProvider",
    "PBSProScheduler",
    "SlurmProvider",
    "SlurmScheduler",
    "SubmitContext",
    "TorqueProvider",
    "TorqueScheduler",
]
