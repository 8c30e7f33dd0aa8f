"""Kubernetes: each block is a set of pods, made, watched and deleted through the Kubernetes API.

* :mod:`~parsl.providers.kubernetes.pods`: the pure part (pod names,
  resource quantities, the pod manifest, pod JSON to Parsl job states).
* :mod:`~parsl.providers.kubernetes.provider`: :class:`KubernetesProvider`,
  the I/O shell around the ``kubernetes`` client (an optional dependency:
  ``pip install 'parsl-providers[kubernetes]'``).

Also reachable as ``from parsl.providers import KubernetesProvider``.
"""

from parsl.providers.kubernetes.provider import KubernetesProvider

__all__ = ["KubernetesProvider"]
