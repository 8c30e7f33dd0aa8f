"""The kernel's version, from its installed metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("parsl-kernel")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    VERSION = "0.0.0+unknown"
