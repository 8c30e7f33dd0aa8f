"""Parsl's GlobusComputeExecutor (distribution ``parsl-globus-compute``).

``from parsl.executors import GlobusComputeExecutor`` resolves here through
the ``parsl.executors`` entry point once this package is installed.
"""

from parsl.executors.globus_compute.executor import (
    GlobusComputeExecutor,
    GlobusComputeShutdown,
    split_resource_specification,
)

__all__ = ["GlobusComputeExecutor", "GlobusComputeShutdown", "split_resource_specification"]
