"""The provider plugin interface: getting blocks of nodes from a resource manager."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from parsl.jobs.states import JobStatus

if TYPE_CHECKING:
    from parsl.launchers.base import Launcher


class ExecutionProvider(ABC):
    """Submits, polls and cancels blocks (batch jobs, local process groups, pods).

    ``submit`` returns a job id the provider understands; ``status`` maps a
    list of ids to :class:`~parsl.jobs.states.JobStatus` in the same order;
    ``cancel`` returns one bool per id. Every call that talks to a scheduler
    must finish within ``cmd_timeout`` seconds and raise a
    :class:`~parsl.providers.errors.ProviderError` carrying the scheduler's
    own output on failure.
    """

    label: str = "provider"
    script_dir: str | None = None
    launcher: Launcher | None = None
    nodes_per_block: int = 1
    init_blocks: int = 1
    min_blocks: int = 0
    max_blocks: int = 1
    parallelism: float = 1.0
    walltime: str = "00:10:00"
    cmd_timeout: int = 10
    walltime_enforced: bool = False
    """True when the resource manager ends a block at ``walltime`` (batch schedulers do).
    Executors then stop sending new tasks to a block shortly before its end."""
    resources: dict[Any, dict[str, Any]]

    @abstractmethod
    def submit(self, command: str, tasks_per_node: int, job_name: str = "parsl.block") -> Any:
        """Start a block that runs ``command``; return its job id."""

    @abstractmethod
    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        """Return the status of each job, in order."""

    @abstractmethod
    def cancel(self, job_ids: list[Any]) -> list[bool]:
        """Cancel each job; True where the cancel was accepted."""

    @property
    def status_polling_interval(self) -> float:
        """Seconds between status polls that the scheduler tolerates."""
        return 5.0
