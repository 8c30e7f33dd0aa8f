"""Exceptions raised by executors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parsl.errors import ParslError, _StateReduce


class ExecutorError(_StateReduce, ParslError):
    """Base class of executor failures; names the executor.

    Takes Parsl's ``(executor, reason)``, positionally or by keyword, with
    the executor object or its label: an object is named by its ``label``
    (and kept as :attr:`executor`), and a reason that is an exception by
    its text.
    """

    def __init__(self, executor: Any, reason: str | BaseException) -> None:
        label = (
            executor if isinstance(executor, str) else getattr(executor, "label", repr(executor))
        )
        text = reason if isinstance(reason, str) else str(reason) or type(reason).__name__
        super().__init__(f"Executor {label!r} failed: {text}")
        self.executor_label: str = label
        self.reason = text
        self.executor = executor
        """The executor given (Parsl passes the object), or its label; its label once pickled."""

    def __reduce__(self) -> tuple[Any, ...]:
        rebuild, (cls, args, state) = super().__reduce__()
        if not isinstance(state.get("executor"), str):  # an executor object does not travel
            state["executor"] = self.executor_label
        return rebuild, (cls, args, state)


class BadStateException(ExecutorError):
    """The executor can no longer run tasks; the message says why.

    Parsl's form ``BadStateException(executor, exception)``, positionally
    or by keyword, keeps the exception as :attr:`exception`; a str gives
    the reason alone.
    """

    def __init__(self, executor: Any, exception: str | BaseException) -> None:
        super().__init__(executor, exception)
        self.exception = exception if isinstance(exception, BaseException) else None


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
