# expect: 42
# expect: resource_specification={'num_nodes': 2} user_endpoint_config={'queue': 'gpu'}
# expect: TaskExecutionFailed: ValueError
"""GlobusComputeExecutor on the SDK's Executor interface, with a local stand-in for the cloud."""

from globus_compute_sdk.errors import TaskExecutionFailed

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import GlobusComputeExecutor
from parsl.executors.globus_compute.testing import LocalComputeExecutor


@python_app
def double(x, parsl_resource_specification=None):
    return 2 * x


@python_app
def broken():
    raise ValueError("bad input")


if __name__ == "__main__":  # the stand-in's worker processes import this file
    # With a real endpoint: globus_compute_sdk.Executor(endpoint_id="<endpoint uuid>")
    sdk = LocalComputeExecutor(max_workers=2, user_endpoint_config={"queue": "debug"})
    config = Config(executors=[GlobusComputeExecutor(executor=sdk, label="gc")])
    with parsl.load(config):
        print(double(21).result())
        spec = {"num_nodes": 2, "user_endpoint_config": {"queue": "gpu"}}
        double(1, parsl_resource_specification=spec).result()
        last = sdk.submissions[-1]
        print(
            f"resource_specification={last.resource_specification} "
            f"user_endpoint_config={last.user_endpoint_config}"
        )
        try:
            broken().result()
        except TaskExecutionFailed as e:
            print("TaskExecutionFailed:", "ValueError" if "ValueError" in str(e) else e)
