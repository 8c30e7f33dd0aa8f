"""The root of every exception this project raises, and the kernel-wide ones.

Every package hangs its own subtree under :class:`ParslError`, so a user can
catch everything Parsl raises with one ``except ParslError``.
"""

from __future__ import annotations

from typing import Any


def restore_exception(
    cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]
) -> Any:
    """Rebuild a pickled exception without calling its constructor (see ``_StateReduce``)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class _StateReduce:
    """Mix-in: pickled as its ``args`` and attributes, whatever its constructor takes."""

    def __reduce__(self) -> tuple[Any, ...]:
        assert isinstance(self, BaseException)
        return (restore_exception, (type(self), self.args, dict(self.__dict__)))


class ParslError(Exception):
    """Base class of every exception raised by Parsl itself."""


class ConfigurationError(ParslError):
    """A configuration value is wrong; the message names the field, the value and the fix."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


def bad_value(field: str, value: Any, expected: str) -> ConfigurationError:
    """Build the standard 'field=value: expected ...' configuration error."""
    return ConfigurationError(
        f"{field}={value!r} is not valid: expected {expected}", field=field, value=value
    )


class NoDataFlowKernelError(ParslError):
    """An app was called, or ``parsl.dfk()`` asked for, before ``parsl.load()``."""


class InternalConsistencyError(ParslError):
    """Parsl found itself in a state it should never reach: please report it."""


class OptionalModuleMissing(ParslError):
    """A feature needs a module that is not installed."""

    def __init__(self, module_names: list[str], reason: str) -> None:
        super().__init__(
            f"The functionality requested requires missing modules {module_names}: {reason}"
        )
        self.module_names = module_names
        self.reason = reason


class PluginNotFound(ParslError, ImportError):
    """A public name resolves through an entry-point group, and no installed package provides it.

    Raised by ``from parsl.executors import Name`` and :func:`parsl.plugins.load`.
    """


class PluginAttributeNotFound(ParslError, AttributeError):
    """The attribute-access form of :class:`PluginNotFound` (``parsl.executors.Name``).

    An AttributeError, so ``hasattr(parsl.executors, "Name")`` is False and
    ``getattr(parsl.executors, "Name", None)`` is None, as for any module.
    """
