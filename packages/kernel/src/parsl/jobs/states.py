"""The job-state model every provider reports in."""

from __future__ import annotations

import os
from enum import IntEnum


class JobState(IntEnum):
    """Where a block's batch job stands, in Parsl's vocabulary."""

    UNKNOWN = 0
    PENDING = 1
    RUNNING = 2
    CANCELLED = 3
    COMPLETED = 4
    FAILED = 5
    TIMEOUT = 6
    HELD = 7
    MISSING = 8
    SCALED_IN = 9

    @property
    def terminal(self) -> bool:
        """True for states a job never leaves."""
        return self in TERMINAL_STATES

    def __str__(self) -> str:
        """``"JobState.COMPLETED"``, as in Parsl (Python 3.11's IntEnum would give ``"4"``)."""
        return f"JobState.{self.name}"


TERMINAL_STATES: frozenset[JobState] = frozenset(
    {
        JobState.CANCELLED,
        JobState.COMPLETED,
        JobState.FAILED,
        JobState.TIMEOUT,
        JobState.MISSING,
        JobState.SCALED_IN,
    }
)


class JobStatus:
    """A job's state plus what the scheduler said about it."""

    SUMMARY_TRUNCATION_THRESHOLD = 2048

    def __init__(
        self,
        state: JobState,
        message: str | None = None,
        exit_code: int | None = None,
        stdout_path: str | None = None,
        stderr_path: str | None = None,
    ) -> None:
        self.state = state
        self.message = message
        self.exit_code = exit_code
        self.stdout_path = stdout_path
        self.stderr_path = stderr_path

    @property
    def terminal(self) -> bool:
        return self.state.terminal

    def _read(self, path: str | None) -> str | None:
        if path is None or not os.path.exists(path):
            return None
        with open(path, errors="replace") as f:
            data = f.read()
        limit = self.SUMMARY_TRUNCATION_THRESHOLD
        return data if len(data) <= limit else "..." + data[-limit:]

    @property
    def stdout(self) -> str | None:
        """The job's stdout (its tail if long), or None when there is no file."""
        return self._read(self.stdout_path)

    @property
    def stderr(self) -> str | None:
        """The job's stderr (its tail if long), or None when there is no file."""
        return self._read(self.stderr_path)

    def __repr__(self) -> str:
        return f"JobStatus({self.state.name}, message={self.message!r}, exit_code={self.exit_code})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JobStatus):
            return NotImplemented
        return (self.state, self.message, self.exit_code) == (
            other.state,
            other.message,
            other.exit_code,
        )

    __hash__ = None  # type: ignore[assignment]
