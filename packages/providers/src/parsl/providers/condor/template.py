"""Parsl's ``template_string`` for HTCondor submit files, for providers written against Parsl's code.

Its placeholders are the keys Parsl's ``CondorProvider.submit`` puts in
``job_config`` (``job_name``, ``job_script``, ``submit_script_dir``,
``nodes``, ``environment``, ``input_files``, ``requirements``, ``project``,
``scheduler_options``), rendered by ``_write_submit_script``. This project's
own :class:`~parsl.providers.CondorProvider` renders its file itself.
"""

template_string = """executable = /bin/bash
arguments = ${job_script}
universe = vanilla
environment = "${environment}"
transfer_input_files = ${input_files}
should_transfer_files = YES
when_to_transfer_output = ON_EXIT_OR_EVICT
output = ${submit_script_dir}/${job_name}.stdout
error = ${submit_script_dir}/${job_name}.stderr
log = ${submit_script_dir}/${job_name}.log
requirements = ${requirements}
+ProjectName = "${project}"
${scheduler_options}
queue ${nodes}
"""
