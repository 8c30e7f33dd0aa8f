"""The older import path of :class:`KubernetesProvider`; the same class as ``from parsl.providers import KubernetesProvider``."""

from parsl.providers.kubernetes.provider import KubernetesProvider

__all__ = ["KubernetesProvider"]
