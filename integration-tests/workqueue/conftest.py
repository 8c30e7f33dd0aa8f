"""Work Queue / TaskVine block tests; the real one-node Slurm (``slurm``) is in ../conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

# Workers (in Slurm jobs, blocks and factories) unpickle these tests' functions by module name.
os.environ["PYTHONPATH"] = os.pathsep.join(
    p
    for p in (
        str(Path(__file__).parent),
        str(Path(__file__).parent.parent),
        os.environ.get("PYTHONPATH", ""),
    )
    if p
)
