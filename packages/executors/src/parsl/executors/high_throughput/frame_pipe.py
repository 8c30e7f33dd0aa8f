"""Length-prefixed frames over OS pipes, between a manager and its worker processes.

A manager and its workers are parent and children on one node, so they talk
over a pair of anonymous pipes per worker instead of sockets: one system
call per frame and no I/O threads, nothing another user can connect to, and
a worker's death shows at once as end-of-file on its result pipe (and a
manager's death as end-of-file on the task pipe of each worker).

Each frame is sent as a 4-byte big-endian length, then the frame's bytes.
The manager's side never blocks (:class:`FrameReader`, :class:`FrameWriter`);
the worker's side does (:func:`read_frame`, :func:`write_frame`).
"""

from __future__ import annotations

import os
import struct
from collections import deque

from parsl.executors.high_throughput.errors import MalformedMessage

_LENGTH = struct.Struct(">I")
MAX_FRAME = 2**32 - 1
_READ_CHUNK = 1 << 16


class FrameReader:
    """Reads whole frames from a non-blocking pipe as they become available."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self._buffer = bytearray()
        self.eof = False

    def read_frames(self) -> list[bytes]:
        """Every complete frame readable now; sets :attr:`eof` once the writer is gone."""
        while True:
            try:
                chunk = os.read(self.fd, _READ_CHUNK)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                break
            self._buffer += chunk
            if len(chunk) < _READ_CHUNK:
                break
        frames: list[bytes] = []
        buffer = self._buffer
        start = 0
        while len(buffer) - start >= _LENGTH.size:
            (length,) = _LENGTH.unpack_from(buffer, start)
            end = start + _LENGTH.size + length
            if end > len(buffer):
                break
            frames.append(bytes(buffer[start + _LENGTH.size : end]))
            start = end
        if start:
            del buffer[:start]
        return frames


class FrameWriter:
    """Queues frames for a non-blocking pipe and writes as much as the pipe takes."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self._pending: deque[memoryview] = deque()
        self.broken = False

    @property
    def pending(self) -> bool:
        """True while queued bytes wait for room in the pipe."""
        return bool(self._pending)

    def send(self, frame: bytes) -> None:
        """Queue ``frame`` and write what fits now."""
        if len(frame) > MAX_FRAME:
            raise MalformedMessage(f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
        self._pending.append(memoryview(_LENGTH.pack(len(frame)) + frame))
        self.flush()

    def flush(self) -> None:
        """Write queued bytes until the pipe is full or nothing is left."""
        pending = self._pending
        while pending and not self.broken:
            head = pending[0]
            try:
                written = os.write(self.fd, head)
            except BlockingIOError:
                return
            except OSError:  # EPIPE: the reader is gone; the caller notices the worker's death
                self.broken = True
                pending.clear()
                return
            if written == len(head):
                pending.popleft()
            else:
                pending[0] = head[written:]


def read_frame(fd: int) -> bytes | None:
    """Block until one whole frame arrives; None at end-of-file."""
    header = _read_exactly(fd, _LENGTH.size)
    if header is None:
        return None
    (length,) = _LENGTH.unpack(header)
    body = _read_exactly(fd, length)
    if body is None:
        raise MalformedMessage(f"pipe closed inside a frame of {length} bytes")
    return body


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            if remaining == size:
                return None
            raise MalformedMessage(f"pipe closed after {size - remaining} of {size} bytes")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, frame: bytes) -> None:
    """Write one whole frame, blocking until the pipe takes it."""
    write_frames(fd, [frame])


def write_frames(fd: int, frames: list[bytes]) -> None:
    """Write whole frames with one system call where the pipe takes them all, blocking until it has."""
    parts: list[bytes] = []
    for frame in frames:
        if len(frame) > MAX_FRAME:
            raise MalformedMessage(f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
        parts += (_LENGTH.pack(len(frame)), frame)
    data = memoryview(b"".join(parts))
    while data:
        written = os.write(fd, data)
        data = data[written:]
