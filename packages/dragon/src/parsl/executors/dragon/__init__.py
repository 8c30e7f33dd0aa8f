"""Dragon's own Parsl executors, and a safe way to run a workflow under Dragon (``parsl-dragon``).

HPE's Dragon runtime ships its Parsl executors in ``dragonhpc``
(``dragon.workflows.parsl_executor.DragonPoolExecutor`` and
``dragon.workflows.parsl_batch_executor.DragonBatchPoolExecutor``), written
against Parsl's base classes; they run on this project's kernel unchanged.
This package registers them in the ``parsl.executors`` entry-point group
(``from parsl.executors import DragonPoolExecutor``) and provides
:func:`run_under_dragon`, which starts a workflow script with the ``dragon``
launcher the way it must be started on a shared machine.
"""

from parsl.executors.dragon.launch import (
    DragonLaunchError,
    DragonRun,
    DragonTimeout,
    dragon_program,
    leftover_pool_files,
    run_under_dragon,
)

__all__ = [
    "DragonLaunchError",
    "DragonRun",
    "DragonTimeout",
    "dragon_program",
    "leftover_pool_files",
    "run_under_dragon",
]
