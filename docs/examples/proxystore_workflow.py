# expect: worker got a proxy: True
# expect: sum on the worker: 1000000.0
# expect: result came back as a proxy: True
# expect: result[0:3]: [2.0, 2.0, 2.0]
"""Large numpy arrays travel to htex workers, and back, as ProxyStore proxies."""

import os
import tempfile

import numpy as np
from proxystore.connectors.file import FileConnector
from proxystore.proxy import Proxy
from proxystore.store import Store

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider
from parsl.serialize.facade import register_method_for_data
from parsl.serialize.proxystore import ProxyStoreSerializer


def is_big_array(value):
    return isinstance(value, np.ndarray) and value.nbytes > 1_000_000


@python_app
def total(x):
    from proxystore.proxy import Proxy

    return type(x) is Proxy, float(x.sum())


@python_app
def doubled(x):
    return x * 2


store_dir = os.path.join(tempfile.mkdtemp(), "proxystore")  # a shared file system on a cluster
store = Store("example-store", FileConnector(store_dir=store_dir))
register_method_for_data(ProxyStoreSerializer(should_proxy=is_big_array, store=store))

htex = HighThroughputExecutor(
    label="htex", max_workers_per_node=2, provider=LocalProvider(init_blocks=1, max_blocks=1)
)
with parsl.load(Config(executors=[htex], run_dir=tempfile.mkdtemp())):
    arr = np.ones(1_000_000)  # 8 MB: sent as a proxy, read from store_dir by the worker
    was_proxy, s = total(arr).result()
    print("worker got a proxy:", was_proxy)
    print("sum on the worker:", s)
    result = doubled(arr).result()  # made on the worker, put in the store there
    print("result came back as a proxy:", type(result) is Proxy)
    print("result[0:3]:", result[0:3].tolist())
store.close()  # FileConnector removes store_dir
