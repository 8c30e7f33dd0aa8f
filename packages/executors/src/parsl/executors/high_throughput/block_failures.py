"""When a HighThroughputExecutor gives up on its blocks: the one statement of that rule.

:class:`FailureRule` is pure (no provider, no interchange, no clock): the
:class:`~.blocks.BlockPool` tells it what happened to its blocks and acts on
the verdict, so the rule is tested without processes.

The executor gives up (enters a bad state with :class:`.errors.BlocksFailed`)
when either

* the provider refused ``MAX_FAILED_BLOCKS`` block submissions in a row
  (a refused submission never becomes a job, so no status poll sees it;
  without this the strategy would ask the scheduler again every period
  while tasks wait), or
* every block that became a job has failed, and either one of them failed
  before any of its managers registered (a start-up problem: bad command,
  bad environment) or ``MAX_FAILED_BLOCKS`` of them have failed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from parsl.jobs.states import JobState, JobStatus

MAX_FAILED_BLOCKS = 3


def describe_failure(block_id: str, status: JobStatus) -> str:
    """One block's failure: message, exit code and the tails of its stdout and stderr."""
    return (
        f"block {block_id}: {status.message or status.state.name} "
        f"(exit code {status.exit_code}); stdout: {(status.stdout or '').strip() or '(empty)'}; "
        f"stderr: {(status.stderr or '').strip() or '(empty)'}"
    )


class FailureRule:
    """Counts refused submissions and judges polled block states (see the module docstring).

    ``limit`` is ``MAX_FAILED_BLOCKS`` unless a test asks for another.
    Not thread-safe by itself: the pool calls :meth:`submitted` and
    :meth:`refused` under its scaling lock.
    """

    def __init__(self, limit: int = MAX_FAILED_BLOCKS) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit={limit!r} is not valid: expected an int >= 1")
        self.limit = limit
        self.refused_in_a_row = 0

    def submitted(self) -> None:
        """The provider accepted a block: the refusals in a row start again from zero."""
        self.refused_in_a_row = 0

    def refused(self, block_id: str, error: str) -> str | None:
        """The provider refused block ``block_id``: why to give up now, or None."""
        self.refused_in_a_row += 1
        if self.refused_in_a_row < self.limit:
            return None
        return f"{self.refused_in_a_row} block submissions failed in a row; last, block {block_id}: {error}"

    def polled(
        self, statuses: Mapping[str, JobStatus], registered: Callable[[], Collection[str]]
    ) -> str | None:
        """Why to give up on blocks in these states, or None while not to.

        ``registered()`` gives the blocks from which a manager ever
        registered; it is called only when every block has failed.
        """
        failed = [b for b, s in statuses.items() if s.state == JobState.FAILED]
        if not failed or len(failed) < len(statuses):
            return None
        if len(failed) < self.limit:
            seen = registered()
            if all(b in seen for b in failed):
                return None
        last = failed[-1]
        return (
            f"{len(failed)} of {len(statuses)} blocks failed; "
            f"last {describe_failure(last, statuses[last])}"
        )
