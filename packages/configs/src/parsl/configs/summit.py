"""Parsl's ``parsl.configs.summit``: OLCF Summit (LSF, jsrun).

Set ``config.executors[0].provider.project`` to your allocation.
"""

from parsl.addresses import address_by_hostname
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.launchers import JsrunLauncher
from parsl.providers import LSFProvider

config = Config(
    executors=[
        HighThroughputExecutor(
            label="Summit_HTEX",
            address=address_by_hostname(),
            max_workers_per_node=2,
            provider=LSFProvider(
                launcher=JsrunLauncher(),
                walltime="00:10:00",
                nodes_per_block=2,
                init_blocks=1,
                max_blocks=1,
                project="YOUR_PROJECT",
                cmd_timeout=60,
            ),
        )
    ],
)
