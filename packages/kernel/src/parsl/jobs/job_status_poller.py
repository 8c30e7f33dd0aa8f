"""Parsl's module path for :class:`JobStatusPoller`, the thread that polls blocks and applies the strategy."""

from __future__ import annotations

from parsl.jobs.poller import JobStatusPoller

__all__ = ["JobStatusPoller"]
