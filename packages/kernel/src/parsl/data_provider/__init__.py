"""Files and the staging plugin point; staging providers from other packages live beneath it."""

from __future__ import annotations

import pkgutil

__path__ = pkgutil.extend_path(__path__, __name__)
