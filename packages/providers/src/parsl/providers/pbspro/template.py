"""Parsl's ``template_string`` for PBS Pro submit scripts, for providers written against Parsl's code.

Its placeholders are the keys Parsl's ``PBSProProvider.submit`` puts in
``job_config`` (``select_options``, ``ncpus``, ``nodes_per_block``,
``walltime``, ``scheduler_options``, ``worker_init``, ``user_script``,
``job_stdout_path``, ``job_stderr_path``) plus ``jobname``, rendered by
``_write_submit_script``. This project's own
:class:`~parsl.providers.PBSProProvider` renders its script itself.
"""

template_string = """#!/bin/bash
#PBS -N ${jobname}
#PBS -S /bin/bash
#PBS -m n
#PBS -l walltime=$walltime
#PBS -l select=${nodes_per_block}:ncpus=${ncpus}${select_options}
#PBS -o ${job_stdout_path}
#PBS -e ${job_stderr_path}
${scheduler_options}

${worker_init}

export JOBNAME="${jobname}"

${user_script}
"""
