"""Slurm launchers: one ``srun`` for all copies, or one ``srun`` per worker."""

from __future__ import annotations

from parsl.launchers.hpc._common import COPY_ARGV0, ONLINE_CORES, BlockShape, ToolLauncher

SLURM_CORES = f"${{SLURM_CPUS_ON_NODE:-{ONLINE_CORES}}}"
EXPORT_SLURM_CORES = f"export CORES={SLURM_CORES}\n"


class SrunLauncher(ToolLauncher):
    """Starts ``tasks_per_node`` copies on every node of the block with a single ``srun``.

    Each copy sees ``PARSL_WORKER_RANK`` (Slurm's ``SLURM_PROCID``) and
    ``CORES`` (``SLURM_CPUS_ON_NODE``). The block script also exports
    ``CORES`` and ``NODES`` for code in ``worker_init``.

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``srun`` arguments, inserted before the command.
    """

    _rank = "${SLURM_PROCID:-0}"
    _cores = SLURM_CORES

    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        return (
            "srun",
            f"--nodes={shape.nodes_per_block}",
            f"--ntasks={shape.copies}",
            f"--ntasks-per-node={shape.tasks_per_node}",
            "-l",
        )

    def _prepare(self, shape: BlockShape) -> str:
        return (
            EXPORT_SLURM_CORES + f"export NODES=${{SLURM_JOB_NUM_NODES:-{shape.nodes_per_block}}}\n"
        )

    def _announce(self, shape: BlockShape) -> str:
        return shape.starting("on each of $NODES nodes")


class SrunMPILauncher(ToolLauncher):
    """Starts each worker with its own ``srun`` step, so MPI apps it runs get their own slots.

    Use it instead of :class:`SrunLauncher` when one block runs several MPI
    applications at once. ``tasks_per_node * nodes_per_block`` workers start,
    each as an exclusive one-task step of ``CORES / tasks_per_node`` cpus.
    Each sees ``PARSL_WORKER_RANK`` (its index) and ``CORES``. The block
    script waits for every worker and fails only when all of them failed.

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra ``srun`` arguments for every step.
    """

    # The worker's rank arrives as $1, so it does not depend on srun's --export.
    _rank = "$1"
    _cores = SLURM_CORES

    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        return (
            "srun",
            "--exclusive",
            "--nodes=1",
            "--ntasks=1",
            "--cpus-per-task=$PARSL_CPUS_PER_WORKER",
        )

    def _copy_args(self) -> tuple[str, ...]:
        return (COPY_ARGV0, '"$PARSL_RANK"')

    def _prepare(self, shape: BlockShape) -> str:
        return (
            EXPORT_SLURM_CORES
            + f"PARSL_CPUS_PER_WORKER=$(( CORES / {shape.tasks_per_node} ))\n"
            + '[ "$PARSL_CPUS_PER_WORKER" -ge 1 ] || PARSL_CPUS_PER_WORKER=1\n'
        )

    def _announce(self, shape: BlockShape) -> str:
        return f"starting {shape.copies} workers, one srun step of $PARSL_CPUS_PER_WORKER cpus each"

    def _start(self, launch: str, shape: BlockShape) -> str:
        """Run one step per worker in the background; fail only when every step failed."""
        total = shape.copies
        return (
            "PARSL_PIDS=()\n"
            f"for (( PARSL_RANK = 0; PARSL_RANK < {total}; PARSL_RANK++ )); do\n"
            f"    {launch} &\n"
            "    PARSL_PIDS+=($!)\n"
            "done\n"
            "PARSL_FAILED=0\n"
            'for PARSL_PID in "${PARSL_PIDS[@]}"; do\n'
            '    wait "$PARSL_PID" || PARSL_FAILED=$(( PARSL_FAILED + 1 ))\n'
            "done\n"
            + self.echo(f"$PARSL_FAILED of {total} workers failed")
            + f'if [ "$PARSL_FAILED" -ge {total} ]; then\n'
            "    exit 1\n"
            "fi\n"
        )
