"""The older import path of :class:`PBSProProvider`; the same class as ``from parsl.providers import PBSProProvider``."""

from parsl.providers.cluster.pbspro import PBSProProvider

__all__ = ["PBSProProvider"]
