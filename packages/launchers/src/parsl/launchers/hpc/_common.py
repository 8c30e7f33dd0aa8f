"""What every launcher in this package shares: option checks, the per-copy script, the repr."""

from __future__ import annotations

import shlex
from typing import Any

from parsl.errors import bad_value
from parsl.launchers.base import Launcher

#: The number of online processors, for nodes where no scheduler variable says it.
ONLINE_CORES = "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)"


def check_bool(field: str, value: Any) -> bool:
    """Return ``value`` if it is a bool, else raise a ConfigurationError naming ``field``."""
    if not isinstance(value, bool):
        raise bad_value(field, value, "True or False")
    return value


def check_text(field: str, value: Any, *, allow_empty: bool = True) -> str:
    """Return ``value`` if it is a string (non-empty unless allowed), else raise."""
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise bad_value(field, value, "a string" if allow_empty else "a non-empty string")
    return value


def check_shape(command: str, tasks_per_node: int, nodes_per_block: int) -> None:
    """Reject a command or copy count that cannot be rendered into a working script."""
    if not isinstance(command, str) or not command.strip():
        raise bad_value("command", command, "a non-empty shell command string")
    for field, value in (("tasks_per_node", tasks_per_node), ("nodes_per_block", nodes_per_block)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise bad_value(field, value, f"an int >= 1, not {type(value).__name__} {value!r}")


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


class HPCLauncher(Launcher):
    """Base of this package's launchers: a checked ``debug`` flag and a repr of every option."""

    _options: tuple[str, ...] = ("debug",)

    def __init__(self, debug: bool = True) -> None:
        super().__init__(debug=check_bool("debug", debug))

    def echo(self, message: str) -> str:
        """A script line printing ``message`` when debug is on (empty otherwise)."""
        if not self.debug:
            return ""
        return f'echo "{type(self).__name__}: {message}"\n'

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._options)
        return f"{type(self).__name__}({shown})"
