"""Parsl's ``template_string`` for LSF submit scripts, for providers written against Parsl's code.

Its placeholders are the keys Parsl's ``LSFProvider.submit`` puts in
``job_config`` (``submit_script_dir``, ``walltime``, ``scheduler_options``,
``worker_init``, ``user_script``) plus ``jobname``, rendered by
``_write_submit_script``. This project's own
:class:`~parsl.providers.LSFProvider` renders its script itself.
"""

template_string = """#!/bin/bash
#BSUB -W ${walltime}
#BSUB -J ${jobname}
#BSUB -o ${submit_script_dir}/${jobname}.submit.stdout
#BSUB -e ${submit_script_dir}/${jobname}.submit.stderr
${scheduler_options}

${worker_init}

export JOBNAME="${jobname}"

${user_script}
"""
