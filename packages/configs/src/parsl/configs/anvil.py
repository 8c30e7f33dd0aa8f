"""Parsl's ``parsl.configs.anvil``: Purdue Anvil's CPU nodes (Slurm, ``wholenode`` partition).

For Anvil's GPU nodes use the catalog: ``parsl.configs.load_config("anvil-gpu", ...)``.
"""

from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import SrunLauncher
from parsl.providers import SlurmProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="Anvil_htex",
            address=address_by_hostname(),
            max_workers_per_node=128,
            provider=SlurmProvider(
                partition="wholenode",
                nodes_per_block=2,
                init_blocks=1,
                max_blocks=1,
                walltime="00:10:00",
                launcher=SrunLauncher(),
            ),
        )
    ],
)
