"""The IBM LSF / Spectrum launcher, ``jsrun``."""

from __future__ import annotations

from parsl.launchers.hpc._common import BlockShape, ToolLauncher


class JsrunLauncher(ToolLauncher):
    """Starts ``tasks_per_node`` copies on every node with ``jsrun``, one resource set each.

    The script asks for ``tasks_per_node * nodes_per_block`` resource sets
    (``-n``), ``tasks_per_node`` per host (``-r``). Each copy sees
    ``PARSL_WORKER_RANK`` (``JSM_NAMESPACE_RANK``) and ``CORES``.

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``jsrun`` arguments, inserted before the command.
    """

    _rank = "${JSM_NAMESPACE_RANK:-${OMPI_COMM_WORLD_RANK:-0}}"

    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        return ("jsrun", f"-n {shape.copies}", f"-r {shape.tasks_per_node}")

    def _announce(self, shape: BlockShape) -> str:
        return shape.starting("per host")
