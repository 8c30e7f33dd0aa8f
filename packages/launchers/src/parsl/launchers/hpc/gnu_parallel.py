"""GNU Parallel over ssh: one ``parallel`` run spreads the copies across the block's nodes."""

from __future__ import annotations

from parsl.launchers.hpc._common import (
    COPY_ARGV0,
    IF_PBS_NODEFILE,
    ONLINE_CORES,
    HPCLauncher,
    bash_c,
    check_shape,
    copy_script,
    first_pbs_nodes,
    temp_file,
    words,
)


class GnuParallelLauncher(HPCLauncher):
    """Starts ``tasks_per_node`` copies on every node with GNU Parallel's ``--sshloginfile``.

    The nodes come from ``$PBS_NODEFILE``, else from ``$SLURM_JOB_NODELIST``
    (through ``scontrol``), else the block runs on this node only. Needs
    ``parallel`` on this node and password-less ssh to the others. Each
    copy sees ``PARSL_WORKER_RANK`` (``0`` to ``N - 1``) and ``CORES``.

    Args:
        debug: echo what is started into the block's stdout.
    """

    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        shape = check_shape(command, tasks_per_node, nodes_per_block, script_dir)
        # parallel --quote appends the copy's index as one more word: it arrives as $1.
        script = copy_script(command, "$1", ONLINE_CORES)
        launch = words(
            "parallel",
            "--quote",
            f"--jobs {tasks_per_node}",
            '--sshloginfile "$PARSL_SSHLOGINFILE"',
            '--workdir "$PWD"',
            "--line-buffer",
            bash_c("/bin/bash", script),
            COPY_ARGV0,
            f"::: $(seq 0 {shape.copies - 1})",
        )
        prepare = (
            f"export CORES={ONLINE_CORES}\n"
            f"PARSL_SSHLOGINFILE={temp_file('parsl_sshlogins', shape.script_dir)}\n"
            + IF_PBS_NODEFILE
            + f'    {first_pbs_nodes(nodes_per_block)} > "$PARSL_SSHLOGINFILE"\n'
            'elif [ -n "${SLURM_JOB_NODELIST:-}" ] && command -v scontrol > /dev/null; then\n'
            '    scontrol show hostnames "$SLURM_JOB_NODELIST" '
            f'| head -n {nodes_per_block} > "$PARSL_SSHLOGINFILE"\n'
            "else\n"
            '    echo ":" > "$PARSL_SSHLOGINFILE"\n'
            "fi\n"
        )
        return self._block_script(prepare, shape.starting("per node"), launch + "\n")
