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
def wrap_with_logs(fn: F, target_logger: logging.Logger | None = None) -> F: ...


@overload
def wrap_with_logs(
    fn: None = None, target_logger: logging.Logger | None = None
) -> Callable[[F], F]: ...


def wrap_with_logs(
    fn: Callable[..., Any] | None = None, target_logger: logging.Logger | None = None
) -> Any:
    """Decorate a function so that its ending is logged, normal or not.

    A normal return is logged at DEBUG; an exception is logged at ERROR with
    its traceback and then raised again, so a thread's death is never
    silent. Use as ``@wrap_with_logs`` or ``@wrap_with_logs(target_logger=log)``;
    records go to ``target_logger``, or to this module's logger.
    """

    def decorate(func: F) -> F:
        log = target_logger if target_logger is not None else logger
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
