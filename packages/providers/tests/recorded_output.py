"""Reading recorded scheduler output: ``<case>.rc``, ``<case>.stdout`` and ``<case>.stderr`` under tests/data."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"


def recorded(scheduler: str, case: str) -> tuple[int, str, str]:
    """The (exit status, stdout, stderr) of one case; a missing stream is empty, a missing rc is 0."""
    base = DATA / scheduler

    def read(ext: str) -> str:
        path = base / f"{case}.{ext}"
        return path.read_text() if path.exists() else ""

    if not any((base / f"{case}.{ext}").exists() for ext in ("rc", "stdout", "stderr")):
        raise FileNotFoundError(f"no recorded output {base}/{case}.*")
    rc = read("rc").strip()
    return int(rc) if rc else 0, read("stdout"), read("stderr")
