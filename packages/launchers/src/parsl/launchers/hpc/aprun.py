"""The Cray ALPS launcher, ``aprun``."""

from __future__ import annotations

from parsl.launchers.hpc._common import BlockShape, ToolLauncher


class AprunLauncher(ToolLauncher):
    """Starts ``tasks_per_node`` copies on every node of the block with ``aprun -n -N``.

    Each copy sees ``PARSL_WORKER_RANK`` (ALPS's ``ALPS_APP_PE``) and
    ``CORES`` (online processors of the compute node it runs on).

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``aprun`` arguments, inserted before the command.
    """

    _rank = "${ALPS_APP_PE:-0}"

    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        return ("aprun", f"-n {shape.copies}", f"-N {shape.tasks_per_node}")
