"""The program a RADICAL-Pilot task runs: the shared task runner, once per rank.

``python -m parsl.executors.radical.rankrun MAP FUNCTION RESULT``: every rank
runs the function (as an MPI Python function would); rank 0 writes RESULT,
other ranks RESULT.rank<N>. The rank comes from RADICAL-Pilot (``RP_RANK``) or
the MPI launcher's environment.
"""

from __future__ import annotations

import os
import sys

from parsl.executors.cctools.runner import run_task

RANK_VARIABLES = ("RP_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK")


def rank() -> int:
    """This process's rank (0 when not launched as one of several ranks)."""
    for name in RANK_VARIABLES:
        value = os.environ.get(name)
        if value is not None and value.isdigit():
            return int(value)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        print(
            "usage: python -m parsl.executors.radical.rankrun MAP FUNCTION RESULT", file=sys.stderr
        )
        return 2
    map_file, function_file, result_file = argv
    r = rank()
    run_task(map_file, function_file, result_file if r == 0 else f"{result_file}.rank{r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
