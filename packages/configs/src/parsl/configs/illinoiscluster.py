"""Parsl's ``parsl.configs.illinoiscluster``: the Illinois Campus Cluster (Slurm, srun).

Set ``config.executors[0].provider.partition`` to your queue.
"""

from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import SrunLauncher
from parsl.providers import SlurmProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="Illinois_Campus_Cluster_htex",
            address=address_by_hostname(),
            cores_per_worker=1,
            provider=SlurmProvider(
                partition="secondary",
                nodes_per_block=2,
                init_blocks=1,
                max_blocks=1,
                walltime="00:30:00",
                launcher=SrunLauncher(),
            ),
        )
    ],
)
