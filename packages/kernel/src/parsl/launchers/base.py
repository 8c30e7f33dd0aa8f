"""The launcher plugin interface: a pure function from a command to a command."""

from __future__ import annotations

import functools
import inspect
import os
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

    one_copy_per_block: bool = False
    """True for a launcher that starts the command once per block, whatever ``nodes_per_block``
    (what MPI mode needs: one manager sharing out the block's nodes)."""

    @typechecked
    def __init__(self, debug: bool = True) -> None:
        self.debug = debug

    @abstractmethod
    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        """Return the command line that starts the copies.

        ``script_dir`` is the provider's submit-script directory (Parsl's
        providers pass it as the fourth argument): a launcher that needs
        files of its own (a host file) makes them there when that directory
        exists where the block runs. Providers pass it only to launchers
        whose ``__call__`` takes it, so a launcher written with three
        parameters still works (see :func:`call_launcher`).
        """


def call_launcher(
    launcher: Launcher,
    command: str,
    tasks_per_node: int,
    nodes_per_block: int,
    script_dir: str | os.PathLike[str],
) -> str:
    """``launcher(command, tasks_per_node, nodes_per_block, script_dir)``, as Parsl's providers call it.

    A launcher written before Parsl added ``script_dir`` takes three
    arguments; it is called with those three.
    """
    if _takes_script_dir(type(launcher)):  # a path object (Parsl's tests set one) as text
        return launcher(command, tasks_per_node, nodes_per_block, os.fspath(script_dir))
    return launcher(command, tasks_per_node, nodes_per_block)


@functools.lru_cache(maxsize=64)
def _takes_script_dir(cls: type) -> bool:
    try:
        params = list(inspect.signature(cls.__call__).parameters.values())
    except (TypeError, ValueError):  # a builtin or C-implemented __call__: pass the three
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 5  # self, command, tasks_per_node, nodes_per_block, script_dir


class BadLauncher(ParslError):
    """Kept for Parsl compatibility: a launcher was given an object that is not one."""
