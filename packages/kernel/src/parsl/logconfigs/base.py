"""The log-configuration interface and its per-process reference counting."""

from __future__ import annotations

import abc
import contextlib
import logging
import pathlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class LogConfig(abc.ABC):
    """A policy that sets up Python logging for one Parsl component and can undo it.

    Pass one as ``Config(initialize_logging=...)``: the DataFlowKernel asks it
    to set up logging for its run directory under the name ``parsl``, and
    undoes it at ``cleanup()``. Each instance has a ``uuid``, so that the same
    configuration set up twice in one process (two components sharing a
    process, or a copy of it unpickled there) is set up only once; see
    :func:`oneshot_initialize_logging`. Instances should pickle.
    """

    def __init__(self) -> None:
        self.uuid = uuid.uuid4()

    @abc.abstractmethod
    def initialize_logging(self, *, log_dir: pathlib.Path, log_name: str) -> Callable[[], None]:
        """Set logging up in this process for ``log_name`` under ``log_dir``; return its undo."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(uuid={str(self.uuid)!r})"


@dataclass
class _Initialized:
    undo: Callable[[], None]
    references: int = 1


_initialized: dict[uuid.UUID, _Initialized] = {}
_lock = threading.Lock()


def oneshot_initialize_logging(
    *, log_config: LogConfig, log_dir: pathlib.Path, log_name: str
) -> None:
    """Set ``log_config`` up in this process unless it already is; count the reference.

    The first call for a configuration (by its ``uuid``) runs its
    ``initialize_logging``; later calls only add a reference, and their
    ``log_dir`` and ``log_name`` are not used. Each call is matched by one
    :func:`oneshot_uninitialize_logging`; the last one runs the undo.
    """
    if not isinstance(log_config, LogConfig):
        raise TypeError(f"log_config must be a parsl.logconfigs.base.LogConfig, not {log_config!r}")
    with _lock:
        known = _initialized.get(log_config.uuid)
        if known is not None:
            known.references += 1
            return
        undo = log_config.initialize_logging(log_dir=pathlib.Path(log_dir), log_name=log_name)
        if not callable(undo):
            raise TypeError(
                f"{log_config!r}.initialize_logging returned {undo!r}, not a callable that undoes it"
            )
        _initialized[log_config.uuid] = _Initialized(undo)
    logger.debug("log configuration %r set up for %s in %s", log_config, log_name, log_dir)


def oneshot_uninitialize_logging(*, log_config: LogConfig) -> None:
    """Drop one reference to ``log_config``; the last one undoes its set-up."""
    with _lock:
        known = _initialized.get(log_config.uuid)
        if known is None:
            raise ValueError(f"{log_config!r} is not set up in this process")
        known.references -= 1
        if known.references > 0:
            return
        del _initialized[log_config.uuid]
    known.undo()


def save_log_config(log_config: LogConfig, directory: str | pathlib.Path) -> str:
    """Pickle ``log_config`` to ``directory/log_config.pkl`` (directory made, owner-only); its path.

    How an executor hands the run's configuration to processes it starts
    elsewhere (the interchange, a worker pool on another node): they read it
    back with :func:`load_log_config`. The file is written whole or not at all.
    """
    import os
    import pickle
    import tempfile

    folder = pathlib.Path(directory)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / "log_config.pkl"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".log_config.")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(log_config, f)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return str(path)


def initialize_from_file(
    path: str | pathlib.Path, *, log_dir: str | pathlib.Path, log_name: str
) -> LogConfig:
    """:func:`load_log_config` ``path``, then :func:`oneshot_initialize_logging` it; the config.

    How a process an executor started (interchange, manager, worker) sets up
    the run's logging from the file :func:`save_log_config` wrote.
    """
    config = load_log_config(path)
    oneshot_initialize_logging(log_config=config, log_dir=pathlib.Path(log_dir), log_name=log_name)
    return config


def load_log_config(path: str | pathlib.Path) -> LogConfig:
    """The LogConfig :func:`save_log_config` wrote to ``path``; ValueError naming the file if not one."""
    import pickle

    try:
        with open(path, "rb") as f:
            config = pickle.load(f)
    except Exception as e:  # unreadable, truncated, or a class this process cannot import
        raise ValueError(f"cannot read the log configuration {str(path)!r}: {e}") from e
    if not isinstance(config, LogConfig):
        raise ValueError(f"{str(path)!r} holds {type(config).__name__}, not a LogConfig")
    return config
