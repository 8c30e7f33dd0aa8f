"""What every launcher in this package shares: option checks, shell pieces, the block script shape."""

from __future__ import annotations

import os
import shlex
from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from parsl.argument_checks import check_bool, check_text
from parsl.errors import bad_value
from parsl.launchers.base import Launcher
from parsl.typecheck import typechecked

#: The number of online processors, for nodes where no scheduler variable says it.
ONLINE_CORES = "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)"

#: The ``$0`` of a copy script that is given its rank as its first argument, ``$1``.
COPY_ARGV0 = "parsl-worker"

#: Opens the shell ``if`` whose body runs when the scheduler wrote a PBS node file.
IF_PBS_NODEFILE = 'if [ -n "${PBS_NODEFILE:-}" ] && [ -f "$PBS_NODEFILE" ]; then\n'


@dataclass(frozen=True)
class BlockShape:
    """How many copies of the command one block runs: ``tasks_per_node`` on each node."""

    tasks_per_node: int
    nodes_per_block: int
    script_dir: str = ""
    """The provider's submit-script directory, where :func:`temp_file` makes files if it exists."""

    @property
    def copies(self) -> int:
        """The number of copies in the whole block."""
        return self.tasks_per_node * self.nodes_per_block

    def starting(self, placement: str) -> str:
        """The debug message announcing the copies, e.g. ``starting 8 copies, 4 per node``."""
        return f"starting {self.copies} copies, {self.tasks_per_node} {placement}"


def check_shape(
    command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
) -> BlockShape:
    """Reject a command or copy count that cannot be rendered into a working script."""
    if not isinstance(command, str) or not command.strip():
        raise bad_value("command", command, "a non-empty shell command string")
    for field, value in (("tasks_per_node", tasks_per_node), ("nodes_per_block", nodes_per_block)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_value(field, value, f"an int >= 1, not {type(value).__name__} {value!r}")
    if not isinstance(script_dir, str | os.PathLike):
        raise bad_value("script_dir", script_dir, "a directory path")
    return BlockShape(tasks_per_node, nodes_per_block, os.fspath(script_dir))


def copy_script(command: str, rank: str, cores: str) -> str:
    """The script each started copy runs: export its rank and core count, then the command.

    ``rank`` and ``cores`` are shell expressions evaluated where the copy runs.
    """
    return f"export PARSL_WORKER_RANK={rank}\nexport CORES={cores}\n{command}"


def bash_c(bash: str, script: str) -> str:
    """``bash -c 'script'``, quoted so that the launcher command passes it on unchanged."""
    return f"{shlex.quote(bash)} -c {shlex.quote(script)}"


def words(*parts: str) -> str:
    """Join the non-empty parts of a command line with single spaces."""
    return " ".join(p for p in parts if p)


def temp_file(stem: str, script_dir: str = "") -> str:
    """A shell ``$(mktemp ...)`` naming a new file ``<stem>.XXXXXX``.

    The file is made in ``script_dir`` when that is a directory on the node
    running the block (Parsl's providers pass their submit-script
    directory), else in ``$TMPDIR`` or /tmp.
    """
    if not script_dir:
        return f'$(mktemp "${{TMPDIR:-/tmp}}/{stem}.XXXXXX")'
    return (
        f'$(d={shlex.quote(script_dir)}; [ -d "$d" ] || d="${{TMPDIR:-/tmp}}"; '
        f'mktemp "$d/{stem}.XXXXXX")'
    )


def first_pbs_nodes(count: int) -> str:
    """A pipeline printing the first ``count`` distinct node names of ``$PBS_NODEFILE``."""
    return f"awk '!seen[$0]++' \"$PBS_NODEFILE\" | head -n {count}"


class HPCLauncher(Launcher):
    """Base of this package's launchers: a checked ``debug`` flag and a repr of every option."""

    _options: tuple[str, ...] = ("debug",)

    @typechecked
    def __init__(self, debug: bool = True) -> None:
        super().__init__(debug=check_bool("debug", debug))

    def echo(self, message: str) -> str:
        """A script line printing ``message`` when debug is on (empty otherwise)."""
        if not self.debug:
            return ""
        return f'echo "{type(self).__name__}: {message}"\n'

    def _block_script(self, prepare: str, message: str, start: str) -> str:
        """The block's lines: ``prepare``, the debug echo of ``message``, then ``start``."""
        return prepare + self.echo(message) + start

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._options)
        return f"{type(self).__name__}({shown})"


class ToolLauncher(HPCLauncher):
    """Base of the launchers that start the copies through a scheduler or MPI tool command.

    The rendered block is: the lines of :meth:`_prepare`, a debug echo of
    :meth:`_announce`, then :meth:`_start` of the launch line. The launch
    line is the tool's own words (:meth:`_tool_words`), the user's
    ``overrides``, the copy script run by :meth:`_bash`, then
    :meth:`_copy_args`. Each copy exports ``PARSL_WORKER_RANK`` from
    ``_rank`` and ``CORES`` from ``_cores`` (shell expressions).

    Args:
        debug: echo what is started into the block's stdout.
        overrides: extra tool arguments, inserted before the command.
    """

    _options: tuple[str, ...] = ("debug", "overrides")
    _rank: ClassVar[str]
    _cores: ClassVar[str] = ONLINE_CORES

    @typechecked
    def __init__(self, debug: bool = True, overrides: str = "") -> None:
        super().__init__(debug=debug)
        self.overrides = check_text("overrides", overrides)

    def __call__(
        self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = ""
    ) -> str:
        shape = check_shape(command, tasks_per_node, nodes_per_block, script_dir)
        script = copy_script(command, self._rank, self._cores)
        launch = words(
            *self._tool_words(shape),
            self.overrides,
            bash_c(self._bash(), script),
            *self._copy_args(),
        )
        return self._block_script(
            self._prepare(shape), self._announce(shape), self._start(launch, shape)
        )

    @abstractmethod
    def _tool_words(self, shape: BlockShape) -> tuple[str, ...]:
        """The tool and the arguments it needs for ``shape``, before the user's overrides."""

    def _announce(self, shape: BlockShape) -> str:
        """What the debug line says is being started."""
        return shape.starting("per node")

    def _prepare(self, shape: BlockShape) -> str:
        """Lines run before the launch (each ending in a newline); none by default."""
        return ""

    def _bash(self) -> str:
        """The bash that runs each copy's script."""
        return "/bin/bash"

    def _copy_args(self) -> tuple[str, ...]:
        """Words after the copy script: its ``$0``, ``$1``, ... ; none by default."""
        return ()

    def _start(self, launch: str, shape: BlockShape) -> str:
        """The lines that run ``launch``: by default the launch line itself, once."""
        return launch + "\n"
