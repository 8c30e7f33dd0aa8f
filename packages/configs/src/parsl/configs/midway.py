"""Parsl's ``parsl.configs.midway``: UChicago RCC Midway (Slurm, srun)."""

from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import SrunLauncher
from parsl.providers import SlurmProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="Midway_HTEX_multinode",
            address=address_by_hostname(),
            max_workers_per_node=2,
            provider=SlurmProvider(
                partition="broadwl",
                nodes_per_block=2,
                init_blocks=1,
                max_blocks=1,
                walltime="00:30:00",
                launcher=SrunLauncher(),
            ),
        )
    ],
)
