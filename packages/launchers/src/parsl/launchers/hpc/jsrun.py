"""The IBM LSF / Spectrum launcher, ``jsrun``."""

from __future__ import annotations

from parsl.launchers.hpc._common import (
    ONLINE_CORES,
    HPCLauncher,
    bash_c,
    check_shape,
    check_text,
    copy_script,
    words,
)


class JsrunLauncher(HPCLauncher):
    """Starts ``tasks_per_node`` copies on every node with ``jsrun``, one resource set each.

    The script asks for ``tasks_per_node * nodes_per_block`` resource sets
    (``-n``), ``tasks_per_node`` per host (``-r``). Each copy sees
    ``PARSL_WORKER_RANK`` (``JSM_NAMESPACE_RANK``) and ``CORES``.

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``jsrun`` arguments, inserted before the command.
    """

    _options = ("debug", "overrides")

    def __init__(self, debug: bool = True, overrides: str = "") -> None:
        super().__init__(debug=debug)
        self.overrides = check_text("overrides", overrides)

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        check_shape(command, tasks_per_node, nodes_per_block)
        total = tasks_per_node * nodes_per_block
        rank = "${JSM_NAMESPACE_RANK:-${OMPI_COMM_WORLD_RANK:-0}}"
        script = copy_script(command, rank, ONLINE_CORES)
        launch = words(
            "jsrun",
            f"-n {total}",
            f"-r {tasks_per_node}",
            self.overrides,
            bash_c("/bin/bash", script),
        )
        return self.echo(f"starting {total} copies, {tasks_per_node} per host") + launch + "\n"
