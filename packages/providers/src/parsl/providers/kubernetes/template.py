"""Parsl's ``template_string`` for a Kubernetes pod's command, for providers written against Parsl's code.

A ``str.format`` template with ``worker_init`` and ``command``, as Parsl's
``KubernetesProvider.submit`` fills it. This project's own
:class:`~parsl.providers.KubernetesProvider` builds its pod command itself.
"""

template_string = """{worker_init}

{command}
"""
