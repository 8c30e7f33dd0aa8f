"""The older import path of :class:`GridEngineProvider`; the same class as ``from parsl.providers import GridEngineProvider``."""

from parsl.providers.cluster.gridengine import GridEngineProvider

__all__ = ["GridEngineProvider"]
