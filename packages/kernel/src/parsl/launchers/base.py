"""The launcher plugin interface: a pure function from a command to a command."""

from __future__ import annotations

from abc import ABC, abstractmethod

from parsl.errors import ParslError
from parsl.representation import RepresentationMixin
from parsl.typecheck import typechecked


class Launcher(RepresentationMixin, ABC):
    """Wraps the worker command so it starts ``tasks_per_node`` copies on every node of a block.

    A launcher does no I/O: calling it returns a string for the batch script.
    Its repr comes from :class:`~parsl.utils.RepresentationMixin`, as in
    Parsl: a subclass stores each ``__init__`` argument under its own name.
    """

    @typechecked
    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @abstractmethod
    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        """Return the command line that starts the copies."""


class BadLauncher(ParslError):
    """Kept for Parsl compatibility: a launcher was given an object that is not one."""
