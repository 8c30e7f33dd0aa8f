"""Parsl's ``parsl.configs.osg``: the Open Science Pool through HTCondor.

Set ``config.executors[0].provider.project`` to your OSG project.
"""

from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.providers import CondorProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="OSG_HTEX",
            max_workers_per_node=1,
            provider=CondorProvider(
                nodes_per_block=1,
                init_blocks=4,
                max_blocks=4,
                requirements=(
                    '(HAS_CVMFS_oasis_opensciencegrid_org =?= TRUE) && (OSGVO_OS_STRING == "RHEL 9")'
                ),
                walltime="00:20:00",
            ),
        )
    ],
)
