"""Parsl's ``parsl.configs.ASPIRE1``: NSCC Singapore's ASPIRE 1 (PBS Pro), one MPI-launched pool per node.

Set ``config.executors[0].provider.account`` and ``.queue`` for your allocation.
"""

from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import MpiRunLauncher
from parsl.providers import PBSProProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="ASPIRE1_htex",
            address=address_by_hostname(),
            cores_per_worker=2.0,
            provider=PBSProProvider(
                launcher=MpiRunLauncher(),
                nodes_per_block=3,
                cpus_per_node=24,
                min_blocks=1,
                max_blocks=1,
                walltime="00:30:00",
            ),
        )
    ],
)
