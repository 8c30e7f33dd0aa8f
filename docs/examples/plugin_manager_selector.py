# expect: tasks ran in blocks: ['1']
"""A manager selector of one's own: only block 1's managers get tasks."""

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.manager_selector import ManagerSelector
from parsl.providers import LocalProvider


class PinnedBlock(ManagerSelector):
    """Tasks go only to the managers of one block (say, the big-memory node's)."""

    def __init__(self, block_id: str) -> None:
        self.block_id = block_id

    def sort_managers(self, ready_managers, manager_list):
        # Served from the end of the list; managers left out get nothing.
        return [m for m in manager_list if ready_managers[m]["block_id"] == self.block_id]


@python_app
def block():
    import os

    return os.environ["PARSL_WORKER_BLOCK_ID"]


config = Config(
    executors=[
        HighThroughputExecutor(
            max_workers_per_node=1,
            manager_selector=PinnedBlock("1"),
            provider=LocalProvider(init_blocks=2, min_blocks=2, max_blocks=2),
        )
    ]
)
with parsl.load(config):
    print("tasks ran in blocks:", sorted({f.result() for f in [block() for _ in range(8)]}))
