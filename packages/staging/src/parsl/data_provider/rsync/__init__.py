"""Staging of local files to and from workers with rsync."""

from __future__ import annotations

from parsl.data_provider.rsync._staging import (
    RSyncInThenRun,
    RSyncStaging,
    RunThenRSyncOut,
    pull_command,
    push_command,
    run_rsync,
)

__all__ = [
    "RSyncInThenRun",
    "RSyncStaging",
    "RunThenRSyncOut",
    "pull_command",
    "push_command",
    "run_rsync",
]
