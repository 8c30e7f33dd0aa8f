"""The throwaway test CA (staging_pki) lives with parsl-staging's own tests: use that one."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "packages" / "staging" / "tests"))
