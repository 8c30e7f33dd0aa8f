"""Staging of ``globus://`` files by Globus transfer tasks (needs ``parsl-staging[globus]``)."""

from __future__ import annotations

from parsl.data_provider.globus._auth import GlobusAuth, login
from parsl.data_provider.globus._staging import GlobusStaging, endpoint_path_for
from parsl.data_provider.globus._transfer import TransferRequest, run_transfer

__all__ = [
    "GlobusAuth",
    "GlobusStaging",
    "TransferRequest",
    "endpoint_path_for",
    "login",
    "run_transfer",
]
