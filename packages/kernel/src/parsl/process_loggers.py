"""``wrap_with_logs``: log how a long-lived thread or process body ended."""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar, overload

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["wrap_with_logs"]


@overload
def wrap_with_logs(
    fn: F, target_logger: logging.Logger | None = None, *, target: str | None = None
) -> F: ...


@overload
def wrap_with_logs(
    fn: None = None, target_logger: logging.Logger | None = None, *, target: str | None = None
) -> Callable[[F], F]: ...


def wrap_with_logs(
    fn: Callable[..., Any] | None = None,
    target_logger: logging.Logger | None = None,
    *,
    target: str | None = None,
) -> Any:
    """Decorate a function so that its ending is logged, normal or not.

    A normal return is logged at DEBUG; an exception is logged at ERROR with
    its traceback and then raised again, so a thread's death is never
    silent. Use as ``@wrap_with_logs``, ``@wrap_with_logs(target_logger=log)``
    or, as in Parsl, ``@wrap_with_logs(target="logger.name")``; records go to
    that logger, or to this module's logger.
    """
    if target is not None and not isinstance(target, str):
        raise TypeError(f"target={target!r} is not valid: expected a logger name")

    def decorate(func: F) -> F:
        log = (
            target_logger
            if target_logger is not None
            else logging.getLogger(target)
            if target is not None
            else logger
        )
        name = getattr(func, "__name__", repr(func))

        @functools.wraps(func)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            thread = threading.current_thread().name
            try:
                result = func(*args, **kwargs)
            except BaseException:
                log.error("Exceptional ending for %s on thread %s", name, thread, exc_info=True)
                raise
            log.debug("Normal ending for %s on thread %s", name, thread)
            return result

        return wrapped  # type: ignore[return-value]

    if fn is None:
        return decorate
    return decorate(fn)
