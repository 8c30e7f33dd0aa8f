"""The HighThroughputExecutor's block methods, each a delegation to its :class:`~.blocks.BlockPool`.

These are what the kernel's strategy (its ``ScalableExecutor`` protocol:
``provider``, ``status()``, ``scale_out``, ``scale_in``) and Parsl users
call on the executor; the pool does the work. The only thing the mixin
needs of its host is the pool, as ``_blocks``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parsl.jobs.states import JobStatus
from parsl.providers.base import ExecutionProvider

if TYPE_CHECKING:
    from parsl.executors.high_throughput.blocks import BlockPool, ErrorHandler


class BlockScalingMixin:
    """Scale out, scale in and block status for HighThroughputExecutor, through ``self._blocks``."""

    _blocks: BlockPool

    @property
    def provider(self) -> ExecutionProvider:
        """Where blocks come from."""
        return self._blocks.provider

    @provider.setter
    def provider(self, provider: ExecutionProvider) -> None:
        self._blocks.provider = provider

    @property
    def block_error_handler(self) -> ErrorHandler:
        """True (give up by :mod:`.block_failures`' rule), False, or ``handler(executor, statuses)``."""
        return self._blocks.error_handler

    @block_error_handler.setter
    def block_error_handler(self, handler: ErrorHandler) -> None:
        self._blocks.error_handler = handler

    @property
    def blocks(self) -> dict[str, str]:
        """Each block id to its provider job id (a copy)."""
        return self._blocks.jobs

    def scale_out(self, blocks: int = 1) -> list[str]:
        """Submit ``blocks`` new blocks to the provider; return their block ids."""
        return self._blocks.scale_out(blocks)

    def scale_in(self, blocks: int = 1, force: bool = False) -> list[str]:
        """Cancel up to ``blocks`` blocks, idle ones first; busy ones only with ``force``.

        Returns the block ids cancelled. Tasks still running on a forced
        block fail with ManagerLost.
        """
        return self._blocks.scale_in(blocks, force)

    def status(self) -> dict[str, JobStatus]:
        """Each block's status; one provider poll serves every caller per polling interval."""
        return self._blocks.status()

    def blocks_ended(self, block_ids: list[str]) -> None:
        """Tell the interchange these blocks are gone: their managers' tasks fail with ManagerLost now."""
        self._blocks.blocks_ended(block_ids)

    def registered_blocks(self) -> set[str]:
        """Blocks from which a manager has registered at some point."""
        return self._blocks.registered_blocks()
