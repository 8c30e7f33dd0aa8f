"""The agent protocol: one JSON line each way over TCP, versioned; pure functions, no I/O.

A worker asks the agent on the data's host to send a directory:
``{"protocol": 1, "op": "send", "dir": ..., "host": ..., "port": ..., "max_cc": ...}``.
The agent answers once the sender has finished:
``{"protocol": 1, "ok": true, "files": [[relative path, size], ...], "completed": N}``
or ``{"protocol": 1, "ok": false, "error": "..."}``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

from parsl.errors import ParslError

PROTOCOL_VERSION = 1
MAX_LINE = 1 << 20
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_COMPLETED = re.compile(r"Files Completed: (\d+)(?:/\d+)?, Time:")


class FalconError(ParslError):
    """A ``falcon://`` directory could not be staged; the message says which and why."""


class ProtocolError(FalconError):
    """A message between a worker and a Falcon agent was malformed or of another version."""


@dataclass(frozen=True)
class SendRequest:
    """Ask the agent to run ``falcon sender`` for ``directory`` towards ``host:port``."""

    directory: str
    host: str
    port: int
    max_cc: int | None = None


@dataclass(frozen=True)
class SendResult:
    """What the agent sent: the directory's files with sizes, and Falcon's completed count."""

    files: tuple[tuple[str, int], ...]
    completed: int


def check_host(host: object) -> str:
    """``host`` if it is an IP address or a plain host name, else a ProtocolError."""
    if isinstance(host, str):
        try:
            ipaddress.ip_address(host)
            return host
        except ValueError:
            if _HOSTNAME.match(host):
                return host
    raise ProtocolError(f"not a host name or IP address: {host!r}")


def _check_port(port: object) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ProtocolError(f"not a TCP port: {port!r}")
    return port


def _loads(line: bytes) -> dict[str, Any]:
    if len(line) > MAX_LINE:
        raise ProtocolError(f"message longer than {MAX_LINE} bytes")
    try:
        msg = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ProtocolError(f"not a JSON message: {e}") from None
    if not isinstance(msg, dict):
        raise ProtocolError("a message must be a JSON object")
    version = msg.get("protocol")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            f"protocol version {version!r} is not {PROTOCOL_VERSION}: the worker's and the "
            "agent's parsl-falcon differ; install the same version on both"
        )
    return msg


def encode_request(req: SendRequest) -> bytes:
    """The request as one JSON line."""
    body = {
        "protocol": PROTOCOL_VERSION,
        "op": "send",
        "dir": req.directory,
        "host": req.host,
        "port": req.port,
        "max_cc": req.max_cc,
    }
    return json.dumps(body).encode() + b"\n"


def decode_request(line: bytes) -> SendRequest:
    """Parse and validate a request line."""
    msg = _loads(line)
    if msg.get("op") != "send":
        raise ProtocolError(f"unknown operation {msg.get('op')!r}")
    directory = msg.get("dir")
    if not isinstance(directory, str) or not directory.startswith("/"):
        raise ProtocolError(f"'dir' must be an absolute path, not {directory!r}")
    max_cc = msg.get("max_cc")
    if max_cc is not None and (
        isinstance(max_cc, bool) or not isinstance(max_cc, int) or max_cc < 1
    ):
        raise ProtocolError(f"'max_cc' must be a positive integer, not {max_cc!r}")
    return SendRequest(directory, check_host(msg.get("host")), _check_port(msg.get("port")), max_cc)


def encode_result(result: SendResult | str) -> bytes:
    """A success (a SendResult) or a failure (its reason) as one JSON line."""
    if isinstance(result, str):
        body: dict[str, Any] = {"protocol": PROTOCOL_VERSION, "ok": False, "error": result}
    else:
        body = {
            "protocol": PROTOCOL_VERSION,
            "ok": True,
            "files": [list(f) for f in result.files],
            "completed": result.completed,
        }
    return json.dumps(body).encode() + b"\n"


def decode_result(line: bytes) -> SendResult:
    """Parse a reply line; a failure reply becomes a FalconError with the agent's reason."""
    msg = _loads(line)
    if msg.get("ok") is not True:
        raise FalconError(f"the Falcon agent could not send: {msg.get('error', 'no reason given')}")
    files = msg.get("files")
    completed = msg.get("completed")
    if (
        not isinstance(files, list)
        or not all(
            isinstance(f, list) and len(f) == 2 and isinstance(f[0], str) and isinstance(f[1], int)
            for f in files
        )
        or not isinstance(completed, int)
    ):
        raise ProtocolError("a success reply needs 'files' as [[path, size], ...] and 'completed'")
    return SendResult(tuple((str(p), int(s)) for p, s in files), completed)


def completed_files(sender_log: str) -> int | None:
    """The ``Files Completed`` count of falcon sender's final summary line, if it printed one."""
    found = _COMPLETED.findall(sender_log)
    return int(found[-1]) if found else None
