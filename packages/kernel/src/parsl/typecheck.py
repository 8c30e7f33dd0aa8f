"""Runtime checks of constructor argument types, as Parsl does them (with typeguard).

Parsl decorates its public constructors with ``typeguard.typechecked``, so a
wrongly typed argument raises typeguard's ``TypeCheckError``. Ours do the
same through :func:`typechecked`, and the error they raise is also a
:class:`~parsl.errors.ConfigurationError` that names the field, so code
catching either works. The function is instrumented on its first call, not
at import, so importing parsl stays fast.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from typing import Any, TypeVar

import typeguard

from parsl.app.errors import BadStdStreamFile
from parsl.errors import ConfigurationError

__all__ = ["ArgumentTypeError", "StdStreamTypeError", "TypeCheckError", "typechecked"]

F = TypeVar("F", bound=Callable[..., Any])

_ARGUMENT = re.compile(r'argument "(\w+)"')


class TypeCheckError(ConfigurationError, typeguard.TypeCheckError, TypeError):
    """A constructor argument has the wrong type: typeguard's TypeCheckError naming the field.

    Also a :class:`~parsl.errors.ConfigurationError` (with ``field`` and
    ``value``) and a :class:`TypeError`. Named as typeguard's class, as Parsl's
    users see it in tracebacks and code written for Parsl compares the type's
    name; :data:`ArgumentTypeError` is the same class.
    """


ArgumentTypeError = TypeCheckError


class StdStreamTypeError(TypeCheckError, BadStdStreamFile):
    """A bash app's ``stdout``/``stderr`` is neither a path nor a ``(path, mode)`` tuple.

    typeguard's ``TypeCheckError``, as Parsl raises for that argument, and
    also our :class:`~parsl.app.errors.BadStdStreamFile`.
    """


def _field_error(
    exc: typeguard.TypeCheckError, func: Callable[..., Any], args: Any, kwargs: Any
) -> ArgumentTypeError:
    match = _ARGUMENT.search(str(exc))
    field = match.group(1) if match else None
    value: Any = None
    if field is not None:
        try:
            value = inspect.signature(func).bind_partial(*args, **kwargs).arguments.get(field)
        except TypeError:
            value = None
    owner = func.__qualname__.rsplit(".", 1)[0] if "." in func.__qualname__ else func.__name__
    fix = f"; pass {field}= with the type in {owner}'s signature" if field else ""
    return ArgumentTypeError(f"{owner}: {exc}{fix}", field=field, value=value)


def _with_own_check(
    exc: typeguard.TypeCheckError, func: Callable[..., Any], args: Any, kwargs: Any
) -> ArgumentTypeError:
    """Prefer the constructor's own message (field, value, fix) when its checks reject the value too.

    Only on the error path: the unchecked constructor runs on the same
    arguments; our constructors check before they change anything.
    """
    try:
        func(*args, **kwargs)
    except (ConfigurationError, TypeError, ValueError) as own:
        fallback = _field_error(exc, func, args, kwargs)
        return ArgumentTypeError(
            f"{own} ({exc})",
            field=getattr(own, "field", fallback.field),
            value=getattr(own, "value", fallback.value),
        )
    except Exception:
        pass
    return _field_error(exc, func, args, kwargs)


def typechecked(func: F) -> F:
    """Check ``func``'s annotated argument types on each call with typeguard, as Parsl does.

    Meant for ``__init__`` of public classes (configurations, executors,
    providers, launchers, staging providers, monitoring). A wrong type
    raises :class:`ArgumentTypeError`, which is both typeguard's
    ``TypeCheckError`` and a :class:`~parsl.errors.ConfigurationError`.
    """
    checked: Callable[..., Any] | None = None

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal checked
        if checked is None:
            checked = typeguard.typechecked(func)
        try:
            return checked(*args, **kwargs)
        except ArgumentTypeError:
            raise
        except typeguard.TypeCheckError as e:
            raise _with_own_check(e, func, args, kwargs) from None

    return wrapper  # type: ignore[return-value]
