"""The older import path of :class:`LSFProvider`; the same class as ``from parsl.providers import LSFProvider``."""

from parsl.providers.cluster.lsf import LSFProvider

__all__ = ["LSFProvider"]
