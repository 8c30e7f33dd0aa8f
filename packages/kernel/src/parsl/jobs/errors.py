"""Errors about blocks (provider jobs), under the module path Parsl's scripts import them from."""

from __future__ import annotations

from parsl.errors import ParslError

__all__ = ["TooManyJobFailuresError"]


class TooManyJobFailuresError(ParslError):
    """An executor gave up because too many of its blocks failed.

    What the block error handlers put an executor into its bad state with
    (:func:`parsl.jobs.error_handlers.simple_error_handler` and
    ``windowed_error_handler``, and the HighThroughputExecutor's own rule),
    so ``except TooManyJobFailuresError`` catches a task failed for that
    reason, as in Parsl. The exceptions raised are also
    :class:`~parsl.executors.errors.BadStateException`.
    """
