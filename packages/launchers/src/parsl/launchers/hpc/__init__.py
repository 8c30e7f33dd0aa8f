"""Launchers for batch systems and MPI: srun, aprun, mpiexec, mpirun, jsrun, GNU Parallel, wrapped.

Each is also reachable at Parsl's public path, e.g.
``from parsl.launchers import SrunLauncher``, through the ``parsl.launchers``
entry-point group this distribution registers.
"""

from parsl.launchers.hpc.aprun import AprunLauncher
from parsl.launchers.hpc.gnu_parallel import GnuParallelLauncher
from parsl.launchers.hpc.jsrun import JsrunLauncher
from parsl.launchers.hpc.mpi import MpiExecLauncher, MpiRunLauncher
from parsl.launchers.hpc.srun import SrunLauncher, SrunMPILauncher
from parsl.launchers.hpc.wrapped import WrappedLauncher

__all__ = [
    "AprunLauncher",
    "GnuParallelLauncher",
    "JsrunLauncher",
    "MpiExecLauncher",
    "MpiRunLauncher",
    "SrunLauncher",
    "SrunMPILauncher",
    "WrappedLauncher",
]
