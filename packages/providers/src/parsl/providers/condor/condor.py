"""The older import path of :class:`CondorProvider`; the same class as ``from parsl.providers import CondorProvider``."""

from parsl.providers.cluster.condor import CondorProvider

__all__ = ["CondorProvider"]
