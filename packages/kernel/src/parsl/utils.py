"""Small public helpers of Parsl's API: finding checkpoints of earlier runs."""

from __future__ import annotations

import os

__all__ = ["get_all_checkpoints", "get_last_checkpoint"]


def _run_order(name: str) -> tuple[int, int, str]:
    """Numbered runs (``000``, ``001``, ...) in number order, then any others by name."""
    return (0, int(name), name) if name.isdigit() else (1, 0, name)


def get_all_checkpoints(rundir: str = "runinfo") -> list[str]:
    """The checkpoint directories of every run under ``rundir``, oldest run first.

    Pass the result as ``Config(checkpoint_files=...)`` to reuse the results
    of all earlier runs. Runs without a checkpoint are skipped; a missing
    ``rundir`` gives an empty list.
    """
    from parsl.dataflow.memoization import CHECKPOINT_DIRNAME, CHECKPOINT_FILENAME

    if not os.path.isdir(rundir):
        return []
    found = []
    for name in sorted(os.listdir(rundir), key=_run_order):
        directory = os.path.join(rundir, name, CHECKPOINT_DIRNAME)
        if os.path.isfile(os.path.join(directory, CHECKPOINT_FILENAME)):
            found.append(os.path.abspath(directory))
    return found


def get_last_checkpoint(rundir: str = "runinfo") -> list[str]:
    """A list holding the checkpoint directory of the latest run that has one, or an empty list."""
    return get_all_checkpoints(rundir)[-1:]
