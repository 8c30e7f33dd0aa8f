"""The two one-machine launchers the kernel carries: run once, or run N copies side by side."""

from __future__ import annotations

import logging
import os

from parsl.errors import bad_value
from parsl.launchers.base import Launcher
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)


def check_launch_shape(
    command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
) -> None:
    """Reject a command or copy count that cannot be rendered into a working script."""
    if not isinstance(command, str) or not command.strip():
        raise bad_value("command", command, "a non-empty shell command string")
    for field, value in (("tasks_per_node", tasks_per_node), ("nodes_per_block", nodes_per_block)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_value(field, value, "an int >= 1")
    if not isinstance(script_dir, str | os.PathLike):
        raise bad_value("script_dir", script_dir, "a directory path")


def check_debug(debug: bool) -> bool:
    """Validate a launcher's ``debug`` flag."""
    if not isinstance(debug, bool):
        raise bad_value("debug", debug, "True or False")
    return debug


class SimpleLauncher(Launcher):
    """Runs the command exactly once, unchanged.

    Use it where something else (the provider, an MPI-aware executor)
    already decides how many processes start. With ``nodes_per_block > 1``
    or ``tasks_per_node > 1`` it still starts a single copy and logs a
    warning saying so.
    """

    one_copy_per_block = True

    @typechecked
    def __init__(self, debug: bool = True) -> None:
        super().__init__(debug=check_debug(debug))

    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        check_launch_shape(command, tasks_per_node, nodes_per_block, script_dir)
        if nodes_per_block > 1 or tasks_per_node > 1:
            logger.warning(
                "SimpleLauncher starts one copy of the command, but tasks_per_node=%d and "
                "nodes_per_block=%d ask for %d: you may get fewer workers than expected; "
                "use a multi-node launcher such as SrunLauncher or MpiExecLauncher",
                tasks_per_node,
                nodes_per_block,
                tasks_per_node * nodes_per_block,
            )
        return command


class SingleNodeLauncher(Launcher):
    """Starts ``tasks_per_node`` copies of the command in the background on this node.

    Each copy runs in its own subshell with two variables exported:

    * ``CORES``: the number of online processors on the node;
    * ``PARSL_WORKER_RANK``: the copy's index, ``0`` to ``tasks_per_node - 1``.

    The script waits for every copy; on SIGTERM or SIGINT it passes SIGTERM
    on to the copies and waits for them before exiting. With ``fail_on_any=False`` (the
    default) it exits non-zero only when every copy failed; with
    ``fail_on_any=True`` it exits non-zero when any copy failed. With
    ``debug=True`` it echoes what it starts and how the copies ended.
    ``nodes_per_block > 1`` is accepted, but only this node is used and a
    warning is logged.
    """

    one_copy_per_block = True

    @typechecked
    def __init__(self, debug: bool = True, fail_on_any: bool = False) -> None:
        super().__init__(debug=check_debug(debug))
        if not isinstance(fail_on_any, bool):
            raise bad_value("fail_on_any", fail_on_any, "True or False")
        self.fail_on_any = fail_on_any

    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        check_launch_shape(command, tasks_per_node, nodes_per_block, script_dir)
        if nodes_per_block > 1:
            logger.warning(
                "SingleNodeLauncher uses only the node it runs on, but nodes_per_block=%d: "
                "starting %d copies here; use a multi-node launcher for more nodes",
                nodes_per_block,
                tasks_per_node,
            )
        copies = tasks_per_node
        if self.fail_on_any:
            failed_test = '[ "$PARSL_FAILED" -gt 0 ]'
        else:
            failed_test = f'[ "$PARSL_FAILED" -ge {copies} ]'
        announce = report = ""
        if self.debug:
            announce = (
                f'echo "SingleNodeLauncher: starting {copies} copies on $HOSTNAME, CORES=$CORES"\n'
            )
            report = f'echo "SingleNodeLauncher: $PARSL_FAILED of {copies} copies failed"\n'
        return f"""\
export CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
parsl_launch_copy() {{
{command}
}}
{announce}PARSL_PIDS=()
trap 'kill -TERM "${{PARSL_PIDS[@]}}" 2>/dev/null; wait; exit 143' TERM INT
for (( PARSL_RANK = 0; PARSL_RANK < {copies}; PARSL_RANK++ )); do
    ( export PARSL_WORKER_RANK=$PARSL_RANK; parsl_launch_copy ) &
    PARSL_PIDS+=($!)
done
PARSL_FAILED=0
for PARSL_PID in "${{PARSL_PIDS[@]}}"; do
    wait "$PARSL_PID" || PARSL_FAILED=$(( PARSL_FAILED + 1 ))
done
{report}if {failed_test}; then
    exit 1
fi
"""

    def __repr__(self) -> str:
        return f"SingleNodeLauncher(debug={self.debug!r}, fail_on_any={self.fail_on_any!r})"
