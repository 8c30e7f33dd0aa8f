"""The older import path of :class:`SlurmProvider`; the same class as ``from parsl.providers import SlurmProvider``."""

from parsl.providers.cluster.slurm import SlurmProvider

__all__ = ["SlurmProvider"]
