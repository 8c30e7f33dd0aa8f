"""Parsl's ``parsl.configs.cc_in2p3``: CC-IN2P3's Grid Engine cluster."""

from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import GridEngineProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="cc_in2p3_htex",
            max_workers_per_node=2,
            provider=GridEngineProvider(
                walltime="00:20:00",
                nodes_per_block=1,
                init_blocks=2,
                max_blocks=2,
            ),
        )
    ],
)
