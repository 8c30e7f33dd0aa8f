"""How protocol frames travel in ZeroMQ messages: many small frames in one message part.

Each hop (executor -> interchange -> manager and back) moves batches of
frames. pyzmq pays a few microseconds per message *part* on each side (a
``getsockopt(RCVMORE)`` and a Python-level loop per part), which, at one
part per frame, was the largest single cost of a no-op task in the
interchange. So a batch goes as few parts as possible:

* frames under :data:`PACK_LIMIT` bytes are packed into one part, a
  *batch part*: :data:`BATCH_MAGIC`, then each frame as a big-endian uint32
  length and its bytes;
* a larger frame (a big argument or result) goes as a part of its own, so
  it is never copied into a batch;
* a lone small frame also goes as itself.

A part is a batch part if it starts with :data:`BATCH_MAGIC`, else it is one
frame (whose own magic, ``PHTX``, the decoder checks). So a manager of an
older protocol version is still read far enough to be refused with a clear
version mismatch. On a ROUTER socket the first part of each message is the
peer's identity and is passed through as it is.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import zmq

from parsl.executors.high_throughput.errors import MalformedMessage

BATCH_MAGIC = b"PHTB"
"""The first bytes of a part that packs several frames."""

PACK_LIMIT = 64 * 1024
"""Frames of this many bytes or more go in a part of their own."""

RECV_BATCH_LIMIT = 256
"""Most ZeroMQ messages read from one socket before the loop serves the others."""

_LENGTH = struct.Struct(">I")


def pack(frames: Sequence[bytes]) -> list[bytes]:
    """The message parts that carry ``frames``, in order (see the module docstring)."""
    parts: list[bytes] = []
    small: list[bytes] = []
    pack_length = _LENGTH.pack
    for frame in frames:
        if len(frame) >= PACK_LIMIT:
            if small:
                parts.append(_batch_part(small))
                small = []
            parts.append(frame)
        else:
            small += (pack_length(len(frame)), frame)
    if small:
        parts.append(small[1] if len(small) == 2 else _batch_part(small))
    return parts


def _batch_part(pieces: list[bytes]) -> bytes:
    return BATCH_MAGIC + b"".join(pieces)


def unpack(part: bytes) -> list[bytes]:
    """The frames in one message part; :class:`MalformedMessage` for a damaged batch part."""
    if not part.startswith(BATCH_MAGIC):
        return [part]
    frames: list[bytes] = []
    start = len(BATCH_MAGIC)
    end_of_part = len(part)
    unpack_length = _LENGTH.unpack_from
    while start < end_of_part:
        if start + 4 > end_of_part:
            raise MalformedMessage(f"batch part truncated in a frame length at byte {start}")
        (length,) = unpack_length(part, start)
        start += 4
        end = start + length
        if end > end_of_part:
            raise MalformedMessage(
                f"batch part truncated: a frame of {length} bytes at byte {start}, "
                f"{end_of_part - start} left"
            )
        frames.append(part[start:end])
        start = end
    return frames


def send_frames(sock: zmq.Socket[bytes], frames: Sequence[bytes], identity: bytes = b"") -> None:
    """Send ``frames`` as one message (to the peer ``identity`` on a ROUTER socket)."""
    parts = pack(frames)
    if not parts:
        return
    if identity:
        sock.send(identity, zmq.SNDMORE)
    last = len(parts) - 1
    for i, part in enumerate(parts):
        sock.send(part, zmq.SNDMORE if i < last else 0)


def receive_batches(
    sock: zmq.Socket[bytes], limit: int = RECV_BATCH_LIMIT, router: bool = False
) -> list[list[bytes]]:
    """Every message waiting on ``sock`` (at most ``limit``) as its frames, without blocking.

    With ``router``, each list starts with the sender's identity. A damaged
    batch part is logged by the caller's decoder as a bad frame: it is passed
    on whole, and fails to decode.
    """
    out: list[list[bytes]] = []
    recv = sock.recv
    for _ in range(limit):
        try:
            part = recv(zmq.NOBLOCK, copy=False)
        except zmq.Again:
            break
        frames: list[bytes] = []
        if router:
            frames.append(part.bytes)
            if not part.more:
                out.append(frames)
                continue
            part = recv(copy=False)
        while True:
            data = part.bytes
            try:
                frames += unpack(data)
            except MalformedMessage:
                frames.append(data)
            if not part.more:
                break
            part = recv(copy=False)
        out.append(frames)
    return out
