"""Parsl's ``template_string`` for Slurm submit scripts, for providers written against Parsl's code.

A provider that renders its script the way Parsl's ``SlurmProvider.submit``
does (``self._write_submit_script(template_string, path, job_name, job_config)``,
with ``job_config`` holding ``nodes``, ``tasks_per_node``, ``walltime`` in
minutes, ``scheduler_options``, ``worker_init``, ``user_script``,
``job_stdout_path`` and ``job_stderr_path``) gets a working script from this
one. This project's own :class:`~parsl.providers.SlurmProvider` renders its
script itself and does not use it.
"""

template_string = """#!/bin/bash
#SBATCH --job-name=${jobname}
#SBATCH --output=${job_stdout_path}
#SBATCH --error=${job_stderr_path}
#SBATCH --nodes=${nodes}
#SBATCH --ntasks-per-node=${tasks_per_node}
#SBATCH --time=${walltime}
${scheduler_options}

${worker_init}

export JOBNAME="${jobname}"

$user_script
"""
