"""Staging of ``falcon://`` directories with the Falcon data mover (``falcon-datamover``)."""

from __future__ import annotations

from parsl.data_provider.falcon._agent import AgentServer, SenderRunner, manifest
from parsl.data_provider.falcon._protocol import (
    PROTOCOL_VERSION,
    FalconError,
    ProtocolError,
    SendRequest,
    SendResult,
)
from parsl.data_provider.falcon._receive import (
    FalconLocation,
    ReceiveSettings,
    parse_falcon_url,
    receive,
)
from parsl.data_provider.falcon._staging import FalconReceiveThenRun, FalconStaging

__all__ = [
    "PROTOCOL_VERSION",
    "AgentServer",
    "FalconError",
    "FalconLocation",
    "FalconReceiveThenRun",
    "FalconStaging",
    "ProtocolError",
    "ReceiveSettings",
    "SendRequest",
    "SendResult",
    "SenderRunner",
    "manifest",
    "parse_falcon_url",
    "receive",
]
