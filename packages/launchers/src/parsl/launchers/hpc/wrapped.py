"""The launcher that puts a fixed prefix (a container runtime, a profiler) before the command."""

from __future__ import annotations

import logging

from parsl.argument_checks import check_text
from parsl.launchers.hpc._common import HPCLauncher, check_shape, words
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)


class WrappedLauncher(HPCLauncher):
    """Runs the command once, prefixed with ``prepend``.

    For example ``WrappedLauncher(prepend="apptainer exec image.sif")``
    starts the worker inside a container. Like ``SimpleLauncher`` it starts
    one copy; asking for more logs a warning.

    Args:
        prepend: the words put before the command.
        debug: kept for a uniform launcher interface; nothing extra is echoed.
    """

    _options = ("prepend", "debug")
    one_copy_per_block = True

    @typechecked
    def __init__(self, prepend: str, debug: bool = True) -> None:
        super().__init__(debug=debug)
        self.prepend = check_text("prepend", prepend)

    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        shape = check_shape(command, tasks_per_node, nodes_per_block, script_dir)
        if shape.copies > 1:
            logger.warning(
                "WrappedLauncher starts one copy of the command, but %d tasks per node and %d "
                "nodes per block ask for %d: you may get fewer workers than expected",
                tasks_per_node,
                nodes_per_block,
                shape.copies,
            )
        return words(self.prepend.strip(), command)
