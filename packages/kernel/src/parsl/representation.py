"""``RepresentationMixin``: a ``repr`` built from the arguments of ``__init__``.

Plugin classes (executors, providers, launchers, staging, serializers) mix it
in so that printing a ``Config`` shows every setting, and the text reads as
the call that would build the object again.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["RepresentationMixin"]


class RepresentationMixin:
    """Gives a class ``ClassName(arg, ..., key=value, ...)`` as its ``repr``.

    Each parameter of ``__init__`` must be stored on the instance under the
    same name. Parameters without a default are shown positionally, those
    with a default as ``name=value``; keyword-only parameters are shown when
    stored. Lines longer than ``__max_width__`` are split, one argument per
    line. A parameter that is not stored is left out, so that printing an
    object never fails; with ``_validate_repr = True`` (on a class, or on
    ``RepresentationMixin`` for a whole test run, as Parsl's tests set it)
    it raises :class:`AttributeError` naming the class and the parameter.
    """

    __max_width__: ClassVar[int] = 80
    _validate_repr: ClassVar[bool] = False

    def _representation_parts(self) -> tuple[list[Any], dict[str, Any]]:
        init: Callable[..., Any] = type(self).__init__
        init = getattr(init, "__wrapped__", init)  # one layer of functools.wraps
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        params = list(inspect.signature(init).parameters.values())[1:]
        for p in params:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.kind is p.KEYWORD_ONLY:
                if hasattr(self, p.name):
                    keywords[p.name] = getattr(self, p.name)
                continue
            if not hasattr(self, p.name):
                if not self._validate_repr:
                    continue
                raise AttributeError(
                    f"{type(self).__name__} uses RepresentationMixin but does not store "
                    f"the value of its __init__ argument {p.name!r} as self.{p.name}"
                )
            if p.default is p.empty:
                positional.append(getattr(self, p.name))
            else:
                keywords[p.name] = getattr(self, p.name)
        return positional, keywords

    def __repr__(self) -> str:
        positional, keywords = self._representation_parts()
        items = [repr(v) for v in positional] + [f"{k}={v!r}" for k, v in keywords.items()]
        name = type(self).__name__
        line = f"{name}({', '.join(items)})"
        if len(line) <= type(self).__max_width__:
            return line
        body = ",\n".join("    " + item.replace("\n", "\n    ") for item in items)
        return f"{name}(\n{body}\n)"
