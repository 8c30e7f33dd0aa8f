"""ProxyStoreSerializer: large arguments and results travel as ProxyStore proxies.

Register it for data, as Parsl users do::

    from parsl.serialize.facade import register_method_for_data
    from parsl.serialize.proxystore import ProxyStoreSerializer

    register_method_for_data(ProxyStoreSerializer(should_proxy=is_big, store=store))

A value for which ``should_proxy`` is true is put in ``store`` and only a
proxy (the store's configuration and a key, a few hundred bytes) goes over
the executor's channels; the worker resolves it from the store on first
use. Every payload also carries the store's configuration and the
``should_proxy`` function, so a worker that meets the serializer by its
identifier (and loads it through the ``parsl.serializers`` entry point)
rebuilds the same store and proxies the results for which ``should_proxy``
is true on their way back.
"""

from __future__ import annotations

import pickle
import struct
import threading
from collections.abc import Callable
from typing import Any

import dill
from proxystore.proxy import Proxy
from proxystore.store import Store, get_or_create_store

from parsl.serialize.base import SerializerBase
from parsl.serialize.facade import methods_for_data, register_method_for_data

__all__ = ["ProxyStoreSerializer"]

_LEN = struct.Struct("!Q")


def _dumps(obj: Any) -> bytes:
    return bytes(dill.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL, recurse=True))


class ProxyStoreSerializer(SerializerBase):
    """Sends each value for which ``should_proxy(value)`` is true as a proxy into ``store``.

    Other values are serialized with dill. Both arguments are needed to
    serialize; an instance without them (as a worker loads it by name) only
    reads, until the first payload tells it the submitting side's store and
    ``should_proxy``.
    """

    identifier = b"ProxyStoreSerializer"

    def __init__(
        self,
        should_proxy: Callable[[Any], bool] | None = None,
        store: Store[Any] | None = None,
    ) -> None:
        if should_proxy is not None and not callable(should_proxy):
            raise TypeError(
                f"should_proxy must be a callable taking a value and returning a bool, "
                f"got {type(should_proxy).__name__}"
            )
        if store is not None and not isinstance(store, Store):
            raise TypeError(f"store must be a proxystore.store.Store, got {type(store).__name__}")
        self.should_proxy = should_proxy
        self.store = store
        self._setup: bytes | None = None
        self._lock = threading.Lock()

    def _setup_bytes(self) -> bytes:
        if self._setup is None:
            assert self.store is not None
            self._setup = _dumps((self.store.config(), self.should_proxy))
        return self._setup

    def serialize(self, data: Any) -> bytes:
        if self.store is None or self.should_proxy is None:
            raise ValueError(
                "ProxyStoreSerializer needs both should_proxy= and store= to serialize"
            )
        # A proxy is already a reference: asking should_proxy about it would resolve it.
        if type(data) is not Proxy and self.should_proxy(data):
            data = self.store.proxy(data)
        setup = self._setup_bytes()
        return _LEN.pack(len(setup)) + setup + _dumps(data)

    def deserialize(self, body: bytes) -> Any:
        (n,) = _LEN.unpack_from(body)
        setup = body[_LEN.size : _LEN.size + n]
        if self.store is None:
            self._configure(setup)
        return dill.loads(body[_LEN.size + n :])

    def _configure(self, setup: bytes) -> None:
        """Take the submitting side's store and should_proxy, and proxy this process's results."""
        with self._lock:
            if self.store is not None:
                return
            config, should_proxy = dill.loads(setup)
            self.store = get_or_create_store(config)
            self.should_proxy = should_proxy
            self._setup = setup
            if not any(m is self for m in methods_for_data.values()):
                register_method_for_data(self)
