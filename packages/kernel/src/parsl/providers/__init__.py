"""Providers. LocalProvider is built in; others resolve through the ``parsl.providers`` entry points."""

from __future__ import annotations

import pkgutil
from typing import Any

from parsl import plugins
from parsl.providers.base import ExecutionProvider
from parsl.providers.local.local import LocalProvider

__path__ = pkgutil.extend_path(__path__, __name__)

__all__ = ["ExecutionProvider", "LocalProvider"]


def __getattr__(name: str) -> Any:
    return plugins.module_getattr("parsl.providers", __name__, name)
