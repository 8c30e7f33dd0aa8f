"""Stand-ins for executors whose systems live in other distributions, so their names always import.

Parsl lets ``from parsl.executors import WorkQueueExecutor`` succeed on a
machine without Work Queue; configuration modules import such names at
module level for configurations they may never use. Here each of those
names resolves, through :mod:`parsl.executors`, to the class registered in
the ``parsl.executors`` entry-point group when a package provides one, and
otherwise to a stand-in from this module: importing it works, constructing
it raises :class:`~parsl.errors.OptionalModuleMissing` naming what to
install. A real package registering the name always wins.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ClassVar, NoReturn

from parsl.errors import OptionalModuleMissing
from parsl.executors.base import NO_SPEC, ParslExecutor


class UnavailableExecutor(ParslExecutor):
    """Base of the stand-ins: every use raises OptionalModuleMissing saying what to install."""

    system: ClassVar[str] = ""
    modules: ClassVar[tuple[str, ...]] = ()
    install: ClassVar[str] = ""

    @classmethod
    def missing(cls) -> OptionalModuleMissing:
        """The error each use raises."""
        return OptionalModuleMissing(
            list(cls.modules),
            f"{cls.__name__} runs tasks on {cls.system}, which is not installed here. "
            f"Install a package that registers {cls.__name__!r} in the 'parsl.executors' "
            f"entry-point group, and {cls.system}: {cls.install}",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise self.missing()

    def start(self) -> NoReturn:
        raise self.missing()

    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any] = NO_SPEC,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        raise self.missing()

    def shutdown(self) -> NoReturn:
        raise self.missing()


class WorkQueueExecutor(UnavailableExecutor):
    """Stand-in for the Work Queue executor (CCTools)."""

    system = "Work Queue (CCTools)"
    modules = ("work_queue",)
    install = "e.g. 'conda install -c conda-forge ndcctools'."


class TaskVineExecutor(UnavailableExecutor):
    """Stand-in for the TaskVine executor (CCTools)."""

    system = "TaskVine (CCTools)"
    modules = ("ndcctools.taskvine",)
    install = "e.g. 'conda install -c conda-forge ndcctools'."


class FluxExecutor(UnavailableExecutor):
    """Stand-in for the Flux executor."""

    system = "Flux"
    modules = ("flux",)
    install = "Flux's Python bindings (flux-core), e.g. 'conda install -c conda-forge flux-core'."


class RadicalPilotExecutor(UnavailableExecutor):
    """Stand-in for the RADICAL-Pilot executor."""

    system = "RADICAL-Pilot"
    modules = ("radical.pilot",)
    install = "e.g. 'pip install radical.pilot'."


class GlobusComputeExecutor(UnavailableExecutor):
    """Stand-in for the Globus Compute executor."""

    system = "Globus Compute"
    modules = ("globus_compute_sdk",)
    install = "e.g. 'pip install globus-compute-sdk'."


STAND_INS: dict[str, type[UnavailableExecutor]] = {
    cls.__name__: cls
    for cls in (
        WorkQueueExecutor,
        TaskVineExecutor,
        FluxExecutor,
        RadicalPilotExecutor,
        GlobusComputeExecutor,
    )
}
"""Executor names Parsl always exports, to the stand-in used while no package provides them."""
