"""Parsl's ``parsl.configs.htex_local``: a HighThroughputExecutor with one local block."""

from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="htex_local",
            worker_debug=True,
            cores_per_worker=1,
            provider=LocalProvider(init_blocks=1, max_blocks=1),
        )
    ],
    strategy=None,
)
