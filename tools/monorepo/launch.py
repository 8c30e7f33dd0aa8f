"""Start-up for the scripts in ``tools/``: run them with the development venv's Python.

Standard library only: this runs before we know which interpreter we are in.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def venv_python() -> Path:
    """The development virtual environment's interpreter ($VENV, default .venv)."""
    venv = Path(os.environ.get("VENV", ".venv"))
    if not venv.is_absolute():
        venv = ROOT / venv
    return venv / "bin" / "python"


def ensure_venv(script: str) -> None:
    """Re-execute ``script`` with the venv's Python unless already running in that venv."""
    python = venv_python()
    if Path(sys.prefix).resolve() == python.parent.parent.resolve():
        return
    if not python.exists():
        sys.exit(
            f"{script}: no development venv at {python.parent.parent}; run: bash tools/setup-env"
        )
    os.execv(python, [str(python), script, *sys.argv[1:]])
