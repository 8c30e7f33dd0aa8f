"""Plain TCP between the interchange and its managers: length-prefixed frames, no I/O threads.

The default (unencrypted) link. The interchange listens on the worker port;
each manager opens one connection, sends its id as the first frame, then
frames both ways as on the pipes (:mod:`.frame_pipe`: a 4-byte big-endian
length, then the bytes). A batch of frames is one system call on each side
and nothing else wakes up: ZeroMQ would add an I/O thread on each end of
each direction. A connection that closes shows at once, as end-of-file, to
the side left behind. ``encrypted=True`` uses :mod:`.zmq_links` (CurveZMQ)
instead.
"""

from __future__ import annotations

import logging
import random
import select
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from parsl.executors.high_throughput.address_probe import connect_before
from parsl.executors.high_throughput.errors import PortBindFailed
from parsl.executors.high_throughput.frame_pipe import FrameReader, FrameWriter
from parsl.executors.high_throughput.zmq_pipes import BIND_TRIES, is_ipv6, resolve_host

logger = logging.getLogger("parsl.executors.high_throughput.tcp_links")

ACCEPT_PAUSE_S = 0.5
"""How long the listener is left unwatched after ``accept()`` failed (out of descriptors, say)."""

MAX_ID_LENGTH = 1024
"""A first frame longer than this is not a manager id (another protocol, e.g. ZeroMQ's greeting)."""

_IN = select.POLLIN | select.POLLERR | select.POLLHUP
_OUT = select.POLLOUT


@dataclass(frozen=True)
class Polling:
    """How a transport's descriptors are watched: its poller and its readable/writable flags."""

    IN: int
    OUT: int
    new_poller: Callable[[], Any]


TCP_POLLING = Polling(select.POLLIN, select.POLLOUT, select.poll)


def bind_listener(
    host: str, port: int | None, port_range: Sequence[int], what: str
) -> socket.socket:
    """A listening, non-blocking TCP socket on ``host`` at ``port`` or a free port in ``port_range``."""
    address = resolve_host(host, what)
    family = socket.AF_INET6 if is_ipv6(address) or address == "*" else socket.AF_INET
    bind_host = {"*": "::"}.get(address, address)
    if port is not None:
        candidates = [port]
    else:
        low, high = int(port_range[0]), int(port_range[1])
        candidates = [random.randrange(low, high) for _ in range(BIND_TRIES)]
    error: OSError | None = None
    for candidate in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind((bind_host, candidate))
            sock.listen(socket.SOMAXCONN)  # many managers may connect at once
        except OSError as e:
            sock.close()
            error = e
            continue
        sock.setblocking(False)
        return sock
    where = f"port {port}" if port is not None else f"a port in {tuple(port_range)}"
    raise PortBindFailed(f"{what}: cannot bind {address} on {where}: {error}")


def _tune(sock: socket.socket) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)


class _Connection:
    __slots__ = ("manager_id", "reader", "sock", "writer", "writing")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader(sock.fileno())
        self.writer = FrameWriter(sock.fileno())
        self.manager_id: str | None = None
        self.writing = False


class TcpLinks:
    """The interchange's side: one listening socket and a connection per manager.

    Register :meth:`attach` with the loop's poller; give each poll's ready
    descriptors to :meth:`handle`, which returns the frames that arrived, each
    batch headed by the sender's manager id (as a ZeroMQ ROUTER would), and
    collects in :attr:`closed` the ids whose connection ended.
    """

    polling = TCP_POLLING

    def __init__(self, host: str, port: int | None, port_range: Sequence[int], what: str) -> None:
        self.listener = bind_listener(host, port, port_range, what)
        self.port: int = self.listener.getsockname()[1]
        self._conns: dict[int, _Connection] = {}
        self._by_id: dict[str, _Connection] = {}
        self._poll: select.poll | None = None
        self._accept_paused_until: float | None = None
        self.closed: list[str] = []
        """Manager ids whose connection ended since the caller last emptied this list."""

    def attach(self, poll: select.poll) -> None:
        """Watch the listener (and, from now on, every connection) with ``poll``."""
        self._poll = poll
        poll.register(self.listener.fileno(), select.POLLIN)

    def tick(self, now: float) -> None:
        """Resume accepting once a pause after a failed ``accept()`` is over (call periodically)."""
        if self._accept_paused_until is not None and now >= self._accept_paused_until:
            self._accept_paused_until = None
            if self._poll is not None:
                self._poll.register(self.listener.fileno(), select.POLLIN)

    def owns(self, fd: int) -> bool:
        """True if ``fd`` is the listener or one of the connections."""
        return fd in self._conns or fd == self.listener.fileno()

    def handle(self, fd: int, events: int) -> list[list[bytes]]:
        """Serve ``events`` on ``fd``: accept, write what waits, read whole frames."""
        if fd == self.listener.fileno():
            self._accept()
            return []
        conn = self._conns[fd]
        if events & _OUT:
            conn.writer.flush()
            self._watch_writes(conn)
        if not events & _IN:
            return []
        frames = conn.reader.read_frames()
        if conn.manager_id is None and frames:
            if not self._identify(conn, frames[0]):
                return []
            frames = frames[1:]
        out = [[conn.manager_id.encode(), *frames]] if frames and conn.manager_id else []
        if conn.reader.eof or conn.writer.broken:
            self._drop(conn)
        elif conn.manager_id is None and (conn.reader.next_length() or 0) > MAX_ID_LENGTH:
            logger.warning("closing a connection that does not start with a manager id")
            self._drop(conn)
        return out

    def send(self, manager_id: str, frames: list[bytes]) -> bool:
        """Queue ``frames`` to a manager; False if it has no open connection."""
        conn = self._by_id.get(manager_id)
        if conn is None:
            return False
        conn.writer.send_many(frames)
        if conn.writer.broken:
            self._drop(conn)
            return False
        self._watch_writes(conn)
        return True

    def flush_within(self, timeout: float) -> None:
        """Give queued frames up to ``timeout`` seconds in all to leave (at shutdown)."""
        deadline = time.monotonic() + timeout
        for conn in list(self._conns.values()):
            conn.writer.flush_within(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        """Close every connection and the listener."""
        for conn in list(self._conns.values()):
            self._drop(conn)
        self.closed = []
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # e.g. out of descriptors: pause, or the poll would spin
                logger.warning(
                    "cannot accept a manager connection (%s); pausing accepts for %.1f s",
                    e,
                    ACCEPT_PAUSE_S,
                )
                if self._poll is not None:
                    self._poll.unregister(self.listener.fileno())
                self._accept_paused_until = time.monotonic() + ACCEPT_PAUSE_S
                return
            _tune(sock)
            conn = _Connection(sock)
            self._conns[sock.fileno()] = conn
            if self._poll is not None:
                self._poll.register(sock.fileno(), _IN)

    def _identify(self, conn: _Connection, first: bytes) -> bool:
        manager_id = first.decode(errors="replace")
        if len(first) > MAX_ID_LENGTH or not manager_id:
            logger.warning("closing a connection whose first frame is not a manager id")
        elif manager_id in self._by_id:
            logger.warning("closing a second connection for manager %s", manager_id)
        else:
            conn.manager_id = manager_id
            self._by_id[manager_id] = conn
            return True
        self._drop(conn)
        return False

    def _watch_writes(self, conn: _Connection) -> None:
        if conn.writer.pending != conn.writing and self._poll is not None:
            conn.writing = conn.writer.pending
            self._poll.modify(conn.sock.fileno(), _IN | _OUT if conn.writing else _IN)

    def _drop(self, conn: _Connection) -> None:
        fd = conn.sock.fileno()
        if self._conns.pop(fd, None) is None:
            return
        if self._poll is not None:
            self._poll.unregister(fd)
        conn.sock.close()
        if conn.manager_id is not None and self._by_id.get(conn.manager_id) is conn:
            del self._by_id[conn.manager_id]
            self.closed.append(conn.manager_id)


class TcpLink:
    """The manager's side: one connection to the interchange."""

    polling = TCP_POLLING

    def __init__(self, address: str, port: int, manager_id: str) -> None:
        self.address, self.port, self.manager_id = address, port, manager_id
        self.sock: socket.socket | None = None
        self.reader: FrameReader | None = None
        self.writer: FrameWriter | None = None

    def connect(self, deadline: float) -> bool:
        """Connect (retrying until ``deadline``) and name this manager; False if never reached."""
        sock = connect_before(self.address, self.port, deadline)
        if sock is None:
            return False
        _tune(sock)
        self.sock = sock
        self.reader = FrameReader(sock.fileno())
        self.writer = FrameWriter(sock.fileno())
        self.writer.send(self.manager_id.encode())
        return True

    @property
    def poll_item(self) -> int:
        """The descriptor to poll (after :meth:`connect`)."""
        assert self.sock is not None, "connect() first"
        return self.sock.fileno()

    @property
    def pending(self) -> bool:
        """True while frames wait for room in the connection."""
        return self.writer is not None and self.writer.pending

    @property
    def lost(self) -> bool:
        """True once the interchange closed the connection (or it broke)."""
        return self.reader is not None and (
            self.reader.eof or self.writer is None or self.writer.broken
        )

    def receive(self) -> list[bytes]:
        """Every whole frame readable now."""
        assert self.reader is not None, "connect() first"
        return self.reader.read_frames()

    def send(self, frames: list[bytes]) -> None:
        """Queue ``frames`` and write what fits now."""
        assert self.writer is not None, "connect() first"
        self.writer.send_many(frames)

    def flush(self) -> None:
        """Write what waits, as far as the connection takes it."""
        if self.writer is not None:
            self.writer.flush()

    def wait_readable(self, timeout_ms: int) -> bool:
        """Block up to ``timeout_ms`` for something to read."""
        ready, _, _ = select.select([self.poll_item], [], [], timeout_ms / 1000)
        return bool(ready)

    def close(self) -> None:
        """Close the connection."""
        if self.sock is not None:
            self.sock.close()
