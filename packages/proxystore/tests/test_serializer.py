"""The serializer on its own: registration, checks, the payload and a worker's first read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from proxystore.connectors.file import FileConnector
from proxystore.proxy import Proxy, is_resolved
from proxystore.store import Store

from parsl import plugins
from parsl.serialize import deserialize, serialize
from parsl.serialize.facade import (
    methods_for_data,
    register_method_for_data,
    unregister_serializer,
)
from parsl.serialize.proxystore import ProxyStoreSerializer


def is_big_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 100


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store[Any]]:
    # resolving a proxy registers its store by name in this process: one name per test
    with Store(
        f"ps-unit-{uuid.uuid4().hex}", FileConnector(store_dir=str(tmp_path / "store"))
    ) as s:
        yield s


def test_registered_in_the_entry_point_group() -> None:
    assert "ProxyStoreSerializer" in plugins.available("parsl.serializers")
    assert plugins.load("parsl.serializers", "ProxyStoreSerializer") is ProxyStoreSerializer
    assert ProxyStoreSerializer.identifier == b"ProxyStoreSerializer"


def test_bad_arguments_are_clear_errors(store: Store[Any]) -> None:
    with pytest.raises(TypeError, match="should_proxy must be a callable"):
        ProxyStoreSerializer(should_proxy=True, store=store)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="store must be a proxystore.store.Store"):
        ProxyStoreSerializer(should_proxy=is_big_list, store="redis://x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs both should_proxy= and store="):
        ProxyStoreSerializer().serialize([1])


def test_proxies_what_should_proxy_selects(store: Store[Any]) -> None:
    ser = ProxyStoreSerializer(should_proxy=is_big_list, store=store)
    small = ser.deserialize(ser.serialize([1, 2]))
    assert type(small) is list and small == [1, 2]
    big = list(range(1000))
    body = ser.serialize(big)
    assert len(body) < 4_000
    back = ser.deserialize(body)
    assert type(back) is Proxy and not is_resolved(back)
    assert back == big
    # a proxy is passed on as it is, without asking should_proxy (which would resolve it)
    fresh = store.proxy(big, populate_target=False)
    calls: list[Any] = []

    def record(v: Any) -> bool:
        calls.append(v)
        return False

    ser2 = ProxyStoreSerializer(should_proxy=record, store=store)
    again = ser2.deserialize(ser2.serialize(fresh))
    assert calls == [] and not is_resolved(fresh) and type(again) is Proxy


def test_through_the_facade(store: Store[Any]) -> None:
    ser = ProxyStoreSerializer(should_proxy=is_big_list, store=store)
    register_method_for_data(ser)
    try:
        payload = serialize(list(range(500)))
        assert payload.startswith(b"ProxyStoreSerializer\n")
        assert deserialize(payload) == list(range(500))
        # code still goes by dill
        assert serialize(is_big_list).startswith(b"D\n")
    finally:
        unregister_serializer(ser)
    assert ser not in methods_for_data.values()


def test_a_worker_instance_learns_the_store_and_proxies_results(store: Store[Any]) -> None:
    """What an htex worker does: a bare instance reads a payload, then writes results as proxies."""
    driver = ProxyStoreSerializer(should_proxy=is_big_list, store=store)
    payload = driver.serialize(list(range(300)))
    worker = ProxyStoreSerializer()
    try:
        assert worker.deserialize(payload) == list(range(300))
        assert worker.store is not None and worker.store.config() == store.config()
        assert any(m is worker for m in methods_for_data.values())
        result = serialize(np.zeros(3).tolist() * 100)
        assert result.startswith(b"ProxyStoreSerializer\n")
        assert type(driver.deserialize(result.partition(b"\n")[2])) is Proxy
    finally:
        unregister_serializer(worker)
