"""Parsl's import path for the ProxyStore serializer (distribution ``parsl-proxystore``)."""

from parsl.serialize.proxystore._serializer import ProxyStoreSerializer

__all__ = ["ProxyStoreSerializer"]
