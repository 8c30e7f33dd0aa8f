"""The older import path of :class:`TorqueProvider`; the same class as ``from parsl.providers import TorqueProvider``."""

from parsl.providers.cluster.torque import TorqueProvider

__all__ = ["TorqueProvider"]
