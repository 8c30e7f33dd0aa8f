"""Parsl's ``parsl.configs.improv``: Argonne LCRC's Improv (PBS Pro, mpirun).

Set ``config.executors[0].provider.account`` for your allocation.
"""

from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import MpiRunLauncher
from parsl.providers import PBSProProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="Improv_multinode",
            address=address_by_hostname(),
            max_workers_per_node=32,
            provider=PBSProProvider(
                queue="compute",
                nodes_per_block=2,
                cpus_per_node=32,
                init_blocks=1,
                max_blocks=1,
                walltime="00:20:00",
                launcher=MpiRunLauncher(),
            ),
        )
    ],
)
