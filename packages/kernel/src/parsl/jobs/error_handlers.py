"""Block error handlers: after each status poll, decide whether failed blocks make an executor unusable.

A handler is a function ``(executor, status)`` where ``status`` maps block
ids to :class:`~parsl.jobs.states.JobStatus`. When it decides the executor
cannot work, it calls ``executor.set_bad_state_and_fail_all(exception)``:
tasks in flight fail with that exception and the DataFlowKernel sends no
more tasks there. The exception carries each failed block's message and
the tail of its stdout and stderr, so the scheduler's own words reach the user.
Pass one as ``BlockProviderExecutor(block_error_handler=...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parsl.executors.errors import BadStateException
from parsl.jobs.errors import TooManyJobFailuresError
from parsl.jobs.states import JobState, JobStatus

if TYPE_CHECKING:
    from parsl.executors.status_handling import BlockProviderExecutor

__all__ = [
    "BlockFailuresError",
    "block_failure_report",
    "noop_error_handler",
    "simple_error_handler",
    "windowed_error_handler",
]


def noop_error_handler(
    executor: BlockProviderExecutor, status: dict[str, JobStatus], threshold: int = 3
) -> None:
    """Never mark the executor bad because of its blocks."""


def simple_error_handler(
    executor: BlockProviderExecutor, status: dict[str, JobStatus], threshold: int = 3
) -> None:
    """Mark the executor bad once every block it started has failed.

    Waits until at least ``threshold`` blocks exist, or the provider's
    ``init_blocks`` (at least 1) when the provider sets it, so one block
    failing among several does not stop the run.
    """
    provider = executor.provider
    if provider is not None and hasattr(provider, "init_blocks"):
        threshold = max(1, int(provider.init_blocks))
    failed = [b for b, s in status.items() if s.state is JobState.FAILED]
    if len(status) >= threshold and len(failed) == len(status):
        executor.set_bad_state_and_fail_all(block_failure_report(executor, status))


def windowed_error_handler(
    executor: BlockProviderExecutor, status: dict[str, JobStatus], threshold: int = 3
) -> None:
    """Mark the executor bad when its ``threshold`` most recent blocks have all failed."""
    newest = sorted(status, key=_block_order)[-threshold:]
    if len(newest) == threshold and all(status[b].state is JobState.FAILED for b in newest):
        executor.set_bad_state_and_fail_all(
            block_failure_report(executor, {b: status[b] for b in newest})
        )


def _block_order(block_id: str) -> tuple[int, int, str]:
    return (0, int(block_id), block_id) if block_id.isdigit() else (1, 0, block_id)


class BlockFailuresError(BadStateException, TooManyJobFailuresError):
    """An executor's blocks failed: both Parsl's ``TooManyJobFailuresError`` and a bad state."""

    def __reduce__(self) -> tuple[type[BlockFailuresError], tuple[str, str]]:
        return (type(self), (self.executor_label, self.reason))


def block_failure_report(
    executor: BlockProviderExecutor, status: dict[str, JobStatus]
) -> BlockFailuresError:
    """A :class:`BlockFailuresError` describing each failed block: message, exit code, output tails."""
    lines = []
    for block_id in sorted(status, key=_block_order):
        s = status[block_id]
        if s.state is not JobState.FAILED:
            continue
        line = f"block {block_id}: {s.message or 'failed'}"
        if s.exit_code is not None:
            line += f" (exit code {s.exit_code})"
        for name, text in (("stdout", s.stdout), ("stderr", s.stderr)):
            if text:
                line += f"\n  {name}: {text.strip()}"
        lines.append(line)
    return BlockFailuresError(executor.label, f"{len(lines)} block(s) failed:\n" + "\n".join(lines))
