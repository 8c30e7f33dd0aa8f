"""Parsl's module path for run directories: :func:`make_rundir` (``runinfo/000``, ``001``, ...)."""

from __future__ import annotations

from parsl.dataflow.rundir import make_rundir

__all__ = ["make_rundir"]
