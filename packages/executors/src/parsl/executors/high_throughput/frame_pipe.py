"""Length-prefixed frames over OS pipes: executor and interchange, manager and workers.

Both pairs are parent and child on one node, so they talk over a pair of
anonymous pipes instead of sockets: one system call per batch of frames and
no I/O threads, nothing another user can connect to, and a process's death
shows at once as end-of-file on the pipe it wrote.

Each frame is sent as a 4-byte big-endian length, then the frame's bytes.
The manager's side never blocks (:class:`FrameReader`, :class:`FrameWriter`);
the worker's side does (:func:`read_frame`, :func:`write_frame`). The same
reader and writer carry the frames between managers and the interchange over
TCP (:mod:`.tcp_links`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import time
from collections import deque
from collections.abc import Iterator

from parsl.executors.high_throughput.errors import MalformedMessage

_LENGTH = struct.Struct(">I")
MAX_FRAME = 2**32 - 1
_READ_CHUNK = 1 << 16


class FrameReader:
    """Reads whole frames from a non-blocking pipe as they become available."""

    def __init__(self, fd: int, initial: bytes = b"") -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self._buffer = bytearray(initial)
        """Bytes read but not yet returned as frames (``initial``: bytes read before this reader)."""
        self.eof = False

    def next_length(self) -> int | None:
        """The length the next frame announces, once its 4-byte prefix has arrived."""
        if len(self._buffer) < _LENGTH.size:
            return None
        return int(_LENGTH.unpack_from(self._buffer)[0])

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

    def send_many(self, frames: list[bytes]) -> None:
        """Queue ``frames`` as one write (one system call while the pipe has room)."""
        self._pending.append(memoryview(_pack(frames)))
        self.flush()

    def flush_within(self, timeout: float) -> bool:
        """Flush, waiting up to ``timeout`` s for the reader to make room; True if all left."""
        deadline = time.monotonic() + timeout
        self.flush()
        while self.pending and not self.broken:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            select.select([], [self.fd], [], remaining)
            self.flush()
        return not self.pending

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


@contextlib.contextmanager
def no_sigpipe() -> Iterator[None]:
    """Writes in this thread to a pipe whose reader is gone fail with EPIPE, never kill the process.

    Python ignores SIGPIPE, but a script may restore its default action (which
    ends the process): SIGPIPE is blocked in this thread, and one raised
    meanwhile is taken off the thread before the mask is restored.
    """
    sigmask = getattr(signal, "pthread_sigmask", None)
    if sigmask is None:  # pragma: no cover - not POSIX
        yield
        return
    previous = sigmask(signal.SIG_BLOCK, {signal.SIGPIPE})
    try:
        yield
    finally:
        if signal.SIGPIPE not in previous:
            while signal.SIGPIPE in signal.sigpending():
                signal.sigtimedwait({signal.SIGPIPE}, 0)
        sigmask(signal.SIG_SETMASK, previous)


PIPE_SIZE = 1 << 20
"""The capacity asked for a busy pipe (Linux's default is 64 KiB): fewer wake-ups per burst."""


def widen_pipe(fd: int) -> None:
    """Ask for :data:`PIPE_SIZE` bytes of pipe capacity where the system allows it (best effort)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, set_size, PIPE_SIZE)


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


def _pack(frames: list[bytes]) -> bytes:
    parts: list[bytes] = []
    pack_length = _LENGTH.pack
    for frame in frames:
        if len(frame) > MAX_FRAME:
            raise MalformedMessage(f"frame of {len(frame)} bytes exceeds {MAX_FRAME}")
        parts += (pack_length(len(frame)), frame)
    return b"".join(parts)


def write_frames(fd: int, frames: list[bytes]) -> None:
    """Write whole frames with one system call where the pipe takes them all, blocking until it has."""
    data = memoryview(_pack(frames))
    while data:
        written = os.write(fd, data)
        data = data[written:]
