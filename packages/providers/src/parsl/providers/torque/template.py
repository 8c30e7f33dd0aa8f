"""Parsl's ``template_string`` for Torque submit scripts, for providers written against Parsl's code.

Its placeholders are the keys Parsl's ``TorqueProvider.submit`` puts in
``job_config`` (``submit_script_dir``, ``nodes_per_block``,
``tasks_per_node``, ``walltime``, ``scheduler_options``, ``worker_init``,
``user_script``) plus ``jobname``, rendered by ``_write_submit_script``.
This project's own :class:`~parsl.providers.TorqueProvider` renders its
script itself.
"""

template_string = """#!/bin/bash
#PBS -S /bin/bash
#PBS -N ${jobname}
#PBS -m n
#PBS -l walltime=$walltime
#PBS -l nodes=${nodes_per_block}:ppn=${tasks_per_node}
#PBS -o ${submit_script_dir}/${jobname}.submit.stdout
#PBS -e ${submit_script_dir}/${jobname}.submit.stderr
${scheduler_options}

${worker_init}

export JOBNAME="${jobname}"

${user_script}
"""
