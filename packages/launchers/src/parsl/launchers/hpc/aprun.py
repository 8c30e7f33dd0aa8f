"""The Cray ALPS launcher, ``aprun``."""

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


class AprunLauncher(HPCLauncher):
    """Starts ``tasks_per_node`` copies on every node of the block with ``aprun -n -N``.

    Each copy sees ``PARSL_WORKER_RANK`` (ALPS's ``ALPS_APP_PE``) and
    ``CORES`` (online processors of the compute node it runs on).

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``aprun`` arguments, inserted before the command.
    """

    _options = ("debug", "overrides")

    def __init__(self, debug: bool = True, overrides: str = "") -> None:
        super().__init__(debug=debug)
        self.overrides = check_text("overrides", overrides)

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        check_shape(command, tasks_per_node, nodes_per_block)
        total = tasks_per_node * nodes_per_block
        script = copy_script(command, "${ALPS_APP_PE:-0}", ONLINE_CORES)
        launch = words(
            "aprun",
            f"-n {total}",
            f"-N {tasks_per_node}",
            self.overrides,
            bash_c("/bin/bash", script),
        )
        return self.echo(f"starting {total} copies, {tasks_per_node} per node") + launch + "\n"
