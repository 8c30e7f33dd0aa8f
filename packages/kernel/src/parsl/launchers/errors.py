"""Launcher errors at Parsl's public path ``parsl.launchers.errors``.

The class itself lives with the launcher interface in :mod:`parsl.launchers.base`;
this module re-exports it so ``from parsl.launchers.errors import BadLauncher``
works as in Parsl.
"""

from __future__ import annotations

from parsl.launchers.base import BadLauncher

__all__ = ["BadLauncher"]
