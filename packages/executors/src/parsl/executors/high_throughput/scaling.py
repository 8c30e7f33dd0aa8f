"""The HighThroughputExecutor's block methods: delegations to its :class:`~.blocks.BlockPool`.

These are what the kernel's strategy (its ``ScalableExecutor`` protocol:
``provider``, ``status()``, ``scale_out``, ``scale_in``) and Parsl users
call on the executor; the pool does the work. The mixin needs of its host
the pool, as ``_blocks``, and, for ``scale_in(n, max_idletime)``, which
blocks have been idle that long (``_scale_in_idle_for``, from
:class:`~.parsl_surface.ParslSurfaceMixin`, which measures idle time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parsl.argument_checks import check_int
from parsl.errors import bad_value
from parsl.executors.high_throughput.options import check_optional_positive
from parsl.jobs.error_handlers import noop_error_handler
from parsl.jobs.states import JobStatus
from parsl.providers.base import ExecutionProvider

if TYPE_CHECKING:
    from parsl.executors.high_throughput.blocks import BlockPool, ErrorHandler


class BlockScalingMixin:
    """Scale out, scale in and block status for HighThroughputExecutor, through ``self._blocks``."""

    _blocks: BlockPool

    if TYPE_CHECKING:

        def _scale_in_idle_for(self, blocks: int, min_idle: float) -> list[str]: ...

    @property
    def provider(self) -> ExecutionProvider:
        """Where blocks come from."""
        return self._blocks.provider

    @provider.setter
    def provider(self, provider: ExecutionProvider) -> None:
        self._blocks.provider = provider

    @property
    def block_error_handler(self) -> ErrorHandler:
        """True (give up by :mod:`.block_failures`' rule) or ``handler(executor, statuses)``.

        False is kept as Parsl keeps it, as
        :func:`~parsl.jobs.error_handlers.noop_error_handler`: never give up.
        """
        return self._blocks.error_handler

    @block_error_handler.setter
    def block_error_handler(self, handler: ErrorHandler) -> None:
        self._blocks.error_handler = noop_error_handler if handler is False else handler

    def handle_errors(self, status: dict[str, JobStatus]) -> None:
        """Apply :attr:`block_error_handler` to these block states (Parsl's name; run after each poll)."""
        self._blocks.judge(status)

    @property
    def blocks(self) -> dict[str, str]:
        """Each block id to its provider job id (a copy)."""
        return self._blocks.jobs

    def scale_out(self, blocks: int = 1) -> list[str]:
        """Submit ``blocks`` new blocks to the provider; return their block ids."""
        return self._blocks.scale_out(blocks)

    def scale_in(
        self, blocks: int = 1, max_idletime: float | None = None, force: bool = False
    ) -> list[str]:
        """Cancel up to ``blocks`` blocks; return the block ids cancelled.

        Without ``max_idletime``: blocks with no manager yet and idle blocks
        first, newest first; busy ones only with ``force``, their running
        tasks failing with ManagerLost. With ``max_idletime`` (seconds, as
        Parsl's htex takes it, second positionally): only blocks whose
        managers have all been idle at least that long, oldest first;
        ``force`` must then be False. Every argument is checked before
        anything is cancelled.
        """
        check_int("blocks", blocks, 0)
        min_idle = check_optional_positive("max_idletime", max_idletime, allow_zero=True)
        if min_idle is None:
            return self._blocks.scale_in(blocks, force)
        if force:
            raise bad_value("force", force, "False when max_idletime is given")
        return self._scale_in_idle_for(blocks, min_idle)

    def status(self) -> dict[str, JobStatus]:
        """Each block's status; one provider poll serves every caller per polling interval."""
        return self._blocks.status()

    def blocks_ended(self, block_ids: list[str]) -> None:
        """Tell the interchange these blocks are gone: their managers' tasks fail with ManagerLost now."""
        self._blocks.blocks_ended(block_ids)

    def registered_blocks(self) -> set[str]:
        """Blocks from which a manager has registered at some point."""
        return self._blocks.registered_blocks()
