"""Parsl's ``template_string`` for Grid Engine submit scripts, for providers written against Parsl's code.

Its placeholders are the keys Parsl's ``GridEngineProvider.submit`` puts in
``job_config`` (``submit_script_dir``, ``walltime``, ``scheduler_options``,
``worker_init``, ``user_script``) plus ``jobname``, rendered by
``_write_submit_script``. This project's own
:class:`~parsl.providers.GridEngineProvider` renders its script itself.
"""

template_string = """#!/bin/bash
#$$ -S /bin/bash
#$$ -o ${submit_script_dir}/${jobname}.submit.stdout
#$$ -e ${submit_script_dir}/${jobname}.submit.stderr
#$$ -cwd
#$$ -l h_rt=${walltime}
${scheduler_options}

${worker_init}

export JOBNAME="${jobname}"

${user_script}
"""
