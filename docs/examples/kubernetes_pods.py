# expect: block job id: parsl-htex-block-0-0-<run>
# expect: pods: 2
# expect: requests: {'cpu': '500m', 'memory': '1Gi'}
# expect: limits: {'cpu': '2', 'memory': '4Gi'}
# expect: runs: /bin/bash -c
# expect: ConfigurationError: init_mem='8Gi' is not valid: expected at most the limit 4Gi (Kubernetes refuses requests above limits)
# Building a KubernetesProvider needs no cluster: credentials are read at the first API call.
# manifests() shows the pods the next block would create, without creating them.
from parsl.errors import ConfigurationError
from parsl.providers import KubernetesProvider

provider = KubernetesProvider(
    image="python:3.11",
    namespace="science",
    nodes_per_block=2,
    init_cpu="500m",
    max_cpu=2,
    init_mem="1Gi",
    max_mem="4Gi",
    worker_init="pip install parsl-kernel parsl-executors",
)
job_id, pods = provider.manifests("python3 -m my_worker", job_name="parsl.htex.block-0")
print("block job id:", job_id.replace(provider.owner[:6], "<run>"))
print("pods:", len(pods))
container = pods[0]["spec"]["containers"][0]
print("requests:", container["resources"]["requests"])
print("limits:", container["resources"]["limits"])
print("runs:", " ".join(container["command"]))

try:
    KubernetesProvider(image="python:3.11", init_mem="8Gi", max_mem="4Gi")
except ConfigurationError as e:
    print("ConfigurationError:", e)
