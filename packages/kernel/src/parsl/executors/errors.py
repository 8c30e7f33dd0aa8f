"""Exceptions raised by executors."""

from __future__ import annotations

from collections.abc import Iterable

from parsl.errors import ParslError


class ExecutorError(ParslError):
    """Base class of executor failures; names the executor."""

    def __init__(self, executor_label: str, reason: str) -> None:
        super().__init__(f"Executor {executor_label!r} failed: {reason}")
        self.executor_label = executor_label
        self.reason = reason


class BadStateException(ExecutorError):
    """The executor can no longer run tasks; the message says why."""


class ScalingFailed(ExecutorError):
    """Adding or removing blocks failed."""


class UnsupportedFeatureError(ExecutorError):
    """The executor was asked for something it cannot do."""

    def __init__(
        self, feature: str, current_executor: str, target_executor: str | None = None
    ) -> None:
        hint = f"; use {target_executor}" if target_executor else ""
        super().__init__(current_executor, f"{feature} is not supported{hint}")
        self.feature = feature


class InvalidResourceSpecification(ParslError):
    """A task's ``parsl_resource_specification`` names keys the executor cannot honour."""

    def __init__(self, invalid_keys: Iterable[str], message: str = "") -> None:
        self.invalid_keys = sorted(invalid_keys)
        super().__init__(f"invalid resource specification keys {self.invalid_keys}: {message}")
