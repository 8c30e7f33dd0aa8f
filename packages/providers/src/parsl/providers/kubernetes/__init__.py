"""Kubernetes: each block is a set of pods, made, watched and deleted through the Kubernetes API.

* :mod:`~parsl.providers.kubernetes.pods`: the pure part (pod names,
  resource quantities, the pod manifest, pod JSON to Parsl job states).
* :mod:`~parsl.providers.kubernetes.api`: :class:`PodAPI`, the few pod
  calls made through the ``kubernetes`` client (an optional dependency:
  ``pip install 'parsl-providers[kubernetes]'``), each bounded by
  ``cmd_timeout``, each failure a ProviderError with the API's own message.
* :mod:`~parsl.providers.kubernetes.arguments`: the constructor's checks
  of its arguments (ids, volumes, annotations, extra resources, requests
  within limits), each failure a ConfigurationError naming the field.
* :mod:`~parsl.providers.kubernetes.provider`: :class:`KubernetesProvider`,
  which keeps track of blocks (their pods, states and logs).

Also reachable as ``from parsl.providers import KubernetesProvider``.
"""

from parsl.providers.kubernetes.provider import KubernetesProvider

__all__ = ["KubernetesProvider"]
