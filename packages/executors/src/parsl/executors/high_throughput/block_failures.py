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
* no block is alive, and the latest blocks ended badly: either one of
  them before any of its managers registered (a start-up problem: bad
  command, bad environment) or ``MAX_FAILED_BLOCKS`` of them in a row.
  A block ends badly when it fails, or when it ends in any other way but
  cancellation (completed, or gone from the scheduler) without a manager
  of it ever registering: a ``worker_init`` that exits 0, say, would
  otherwise have the strategy start such blocks for ever while tasks wait.
  "The latest" counts back from the newest block to one that was
  cancelled (scaled in) or that worked and ended, so blocks that failed
  after a scale-in are judged too.
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

        Only once no block is alive: then the latest blocks (in block order,
        back to one that was cancelled or that worked and ended) that ended
        badly are judged. ``registered()`` gives the blocks from which a
        manager ever registered; it is called only when the verdict needs it.
        """
        if not statuses or any(not s.terminal for s in statuses.values()):
            return None
        seen: Collection[str] | None = None
        run: list[str] = []
        for block in sorted(statuses, key=_block_order, reverse=True):
            state = statuses[block].state
            if state in _QUIET_ENDS:
                if seen is None:
                    seen = registered()
                if block in seen:
                    break  # it worked, then ended: the blocks before it are not judged
            elif state != JobState.FAILED:
                break  # cancelled
            run.append(block)
        if not run:
            return None
        if len(run) < self.limit:
            if seen is None:
                seen = registered()
            if all(b in seen for b in run):
                return None
        last = run[0]
        quiet = sum(1 for b in run if statuses[b].state in _QUIET_ENDS)
        what = "failed" if not quiet else "failed or ended before any of their managers registered"
        return (
            f"{len(run)} of {len(statuses)} blocks {what}; "
            f"last {describe_failure(last, statuses[last])}"
        )


def _block_order(block_id: str) -> tuple[int, int, str]:
    """Blocks in the order they were made: numeric ids as numbers, others after them."""
    return (0, int(block_id), "") if block_id.isdigit() else (1, 0, block_id)


_QUIET_ENDS = (JobState.COMPLETED, JobState.MISSING, JobState.TIMEOUT)
"""Block ends that are not failures, yet mean no worker ran when no manager ever registered."""
