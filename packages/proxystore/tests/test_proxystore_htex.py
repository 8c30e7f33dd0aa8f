"""Arguments and results travel as proxies through htex's separate worker processes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis
from proxystore.connectors.file import FileConnector
from proxystore.connectors.redis import RedisConnector
from proxystore.proxy import Proxy
from proxystore.store import Store
from ps_tasks import describe, first_element, inspect_arg, scale

from parsl.serialize import serialize
from parsl.serialize.proxystore import ProxyStoreSerializer

pytestmark = pytest.mark.timeout(120)

Start = Callable[[Store[Any]], ProxyStoreSerializer]


def _arguments_and_results_travel_as_proxies(start: Start, store: Store[Any]) -> None:
    start(store)
    arr = np.arange(250_000, dtype=np.float64)  # 2 MB
    assert len(serialize(arr)) < 4_000, "the payload holds a proxy, not the array"

    seen = [inspect_arg(arr).result(timeout=60) for _ in range(4)]
    for s in seen:
        assert s["pid"] != os.getpid()
        assert s["proxy"] is True
        assert s["resolved_before"] is False
        assert s["resolved_after"] is True
        assert s["sum"] == float(arr.sum())

    doubled = scale(arr, 2).result(timeout=60)
    assert type(doubled) is Proxy, "an array result comes back as a proxy"
    assert np.array_equal(doubled, arr * 2)

    # a value should_proxy rejects goes by value, and a proxied result can be passed on
    assert describe([1, 2]).result(timeout=60) == "list:[1, 2]"
    assert first_element(doubled).result(timeout=60) == 0.0


def test_file_connector(run_with: Start, tmp_path: Path) -> None:
    store_dir = tmp_path / "ps-file"
    with Store("ps-file-test", FileConnector(store_dir=str(store_dir))) as store:
        _arguments_and_results_travel_as_proxies(run_with, store)
        # the arguments and results really went through the directory
        assert len(os.listdir(store_dir)) >= 2


def test_redis_connector(run_with: Start, redis_port: int) -> None:
    client = redis.Redis(host="127.0.0.1", port=redis_port)
    assert client.dbsize() == 0
    with Store("ps-redis-test", RedisConnector(hostname="127.0.0.1", port=redis_port)) as store:
        _arguments_and_results_travel_as_proxies(run_with, store)
        # the argument (put by the driver) and the results (put by workers) are in redis
        assert client.dbsize() >= 2
    client.close()
