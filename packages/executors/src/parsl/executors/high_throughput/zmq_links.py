"""CurveZMQ between the interchange and its managers: the link used when ``encrypted=True``.

The interchange binds a ROUTER socket (a manager's identity is its id), each
manager connects a DEALER; frames travel packed as in :mod:`.zmq_batches`,
and the interchange admits only peers holding the client keys of
:mod:`.curve`. Same interface as :mod:`.tcp_links`, so the interchange and
the manager do not care which one they hold.
"""

from __future__ import annotations

from collections.abc import Sequence

import zmq

from parsl.executors.high_throughput.tcp_links import Polling
from parsl.executors.high_throughput.zmq_batches import receive_batches, send_frames
from parsl.executors.high_throughput.zmq_pipes import bind_socket, close_socket, tcp_url

_Socket = zmq.Socket[bytes]

ZMQ_POLLING = Polling(zmq.POLLIN, zmq.POLLOUT, zmq.Poller)


class ZmqLinks:
    """The interchange's side: one ROUTER socket, CurveZMQ server with an authenticator."""

    polling = ZMQ_POLLING

    def __init__(
        self, host: str, port: int | None, port_range: Sequence[int], what: str, cert_dir: str
    ) -> None:
        from parsl.executors.high_throughput import curve  # zmq.auth: only with encryption

        self.context: zmq.Context[_Socket] = zmq.Context()
        self.auth = curve.start_authenticator(self.context, cert_dir)
        self.sock = self.context.socket(zmq.ROUTER)
        curve.make_server(self.sock, cert_dir)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        self._linger_ms = 0
        try:
            self.port = bind_socket(self.sock, host, port, port_range, what)
        except Exception:
            self.close()
            raise
        self.closed: list[str] = []
        """Always empty: a ROUTER does not say when a peer goes (heartbeats do)."""

    def attach(self, poll: zmq.Poller) -> None:
        """Watch the socket with ``poll``."""
        poll.register(self.sock, zmq.POLLIN)

    def tick(self, now: float) -> None:
        """Nothing to do: ZeroMQ accepts connections itself."""

    def owns(self, item: object) -> bool:
        """True for this link's socket."""
        return item is self.sock

    def handle(self, item: object, events: int) -> list[list[bytes]]:
        """Every message waiting, each headed by the sender's id."""
        return receive_batches(self.sock, router=True)

    def send(self, manager_id: str, frames: list[bytes]) -> bool:
        """Send ``frames`` to a manager; False if it is not connected (ROUTER_MANDATORY)."""
        try:
            send_frames(self.sock, frames, manager_id.encode())
        except zmq.ZMQError:
            return False
        return True

    def flush_within(self, timeout: float) -> None:
        """Unsent messages get ``timeout`` seconds at :meth:`close` (linger)."""
        self._linger_ms = int(timeout * 1000)

    def close(self) -> None:
        """Close the socket, stop the authenticator, end the context."""
        close_socket(self.sock, linger_ms=self._linger_ms)
        self.auth.stop()
        self.context.term()


class ZmqLink:
    """The manager's side: a DEALER socket named by the manager's id, CurveZMQ client."""

    polling = ZMQ_POLLING

    pending = False
    """ZeroMQ queues what it cannot send yet itself."""
    lost = False
    """A DEALER reconnects by itself; silence is what shows a lost interchange."""

    def __init__(self, address: str, port: int, manager_id: str, cert_dir: str) -> None:
        self.url = tcp_url(address, port)
        self.context: zmq.Context[_Socket] = zmq.Context()
        self.sock = self.context.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.IDENTITY, manager_id.encode())
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.setsockopt(zmq.SNDHWM, 0)
        self.sock.setsockopt(zmq.RCVHWM, 0)
        from parsl.executors.high_throughput import curve  # zmq.auth: only with encryption

        curve.make_client(self.sock, cert_dir)

    @property
    def poll_item(self) -> _Socket:
        """The socket to poll."""
        return self.sock

    def connect(self, deadline: float) -> bool:
        """Start connecting (ZeroMQ completes it in the background)."""
        self.sock.connect(self.url)
        return True

    def receive(self) -> list[bytes]:
        """Every frame waiting."""
        return [frame for parts in receive_batches(self.sock) for frame in parts]

    def send(self, frames: list[bytes]) -> None:
        """Send ``frames`` as one message."""
        send_frames(self.sock, frames)

    def flush(self) -> None:
        """Nothing to do: ZeroMQ's I/O thread writes."""

    def wait_readable(self, timeout_ms: int) -> bool:
        """Block up to ``timeout_ms`` for a message."""
        return bool(self.sock.poll(timeout_ms))

    def close(self) -> None:
        """Close the socket and end the context."""
        self.sock.close()
        self.context.term()
