"""The provider that runs blocks as process groups on this machine."""

from parsl.providers.local.local import LocalProvider

__all__ = ["LocalProvider"]
