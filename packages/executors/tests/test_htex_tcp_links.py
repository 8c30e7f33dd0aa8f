"""The plain TCP link between the interchange and its managers: real sockets on loopback."""

from __future__ import annotations

import errno
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import htex_tasks
import pytest
from conftest import FakeManager, wait_gone
from test_htex_failures import wait_for_file

from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput import tcp_links
from parsl.executors.high_throughput.errors import PortBindFailed
from parsl.executors.high_throughput.tcp_links import TcpLink, TcpLinks, bind_listener

MakeHtex = Callable[..., HighThroughputExecutor]
SLOW_HEARTBEATS = {"heartbeat_period": 30, "heartbeat_threshold": 60}


class Served:
    """An interchange's side of the links, served by :meth:`pump` in the test's own thread."""

    def __init__(self) -> None:
        self.links = TcpLinks("127.0.0.1", None, (54000, 55000), "test links")
        self.poll = TcpLinks.polling.new_poller()
        self.links.attach(self.poll)
        self.port = self.links.port

    def pump(self, seconds: float, until: Callable[[], bool] = lambda: False) -> list[list[bytes]]:
        """Serve for up to ``seconds`` or until ``until()``; every batch received."""
        got: list[list[bytes]] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            for fd, events in self.poll.poll(20):
                got += self.links.handle(fd, events)
        return got

    def has(self, manager_id: str) -> bool:
        return manager_id in self.links._by_id


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.links.close()


def connected(served: Served, manager_id: str) -> TcpLink:
    link = TcpLink("127.0.0.1", served.port, manager_id)
    assert link.connect(time.monotonic() + 5)
    served.pump(5, lambda: served.has(manager_id))
    return link


def test_frames_travel_both_ways_headed_by_the_managers_id(served: Served) -> None:
    link = connected(served, "m-1")
    try:
        link.send([b"one", b"two"])
        got: list[list[bytes]] = []
        deadline = time.monotonic() + 5
        while sum(len(batch) - 1 for batch in got) < 2 and time.monotonic() < deadline:
            got += served.pump(0.05)
        assert [frame for batch in got for frame in batch[1:]] == [b"one", b"two"]
        assert all(batch[0] == b"m-1" for batch in got)
        assert served.links.send("m-1", [b"back", b"again"])
        frames: list[bytes] = []
        deadline = time.monotonic() + 5
        while len(frames) < 2 and time.monotonic() < deadline:
            if link.wait_readable(100):
                frames += link.receive()
        assert frames == [b"back", b"again"]
        assert not served.links.send("nobody", [b"x"]), "no connection for an unknown id"
    finally:
        link.close()


def test_a_burst_larger_than_the_socket_buffers_arrives_whole_and_in_order(served: Served) -> None:
    link = connected(served, "m-big")
    try:
        burst = [i.to_bytes(4, "big") * 16384 for i in range(200)]  # 64 KiB each, 12.5 MiB in all
        assert served.links.send("m-big", burst)
        writer = served.links._by_id["m-big"].writer
        assert writer.pending, "the kernel cannot take 12.5 MiB at once"
        received: list[bytes] = []
        deadline = time.monotonic() + 20
        while len(received) < len(burst) and time.monotonic() < deadline:
            served.pump(0.01)  # writes the rest as the socket drains
            received += link.receive()
        assert received == burst
        assert not writer.pending
    finally:
        link.close()


def test_a_closed_connection_is_reported_once_by_manager_id(served: Served) -> None:
    link = connected(served, "m-gone")
    link.close()
    served.pump(5, lambda: bool(served.links.closed))
    assert served.links.closed == ["m-gone"]
    assert not served.links.send("m-gone", [b"x"])


def test_a_probe_that_connects_and_leaves_is_not_a_manager(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=5):
        pass
    served.pump(0.5)
    assert served.links.closed == []
    assert served.links._conns == {}, "the probe's connection is closed"


def _closed_by_peer(sock: socket.socket, timeout: float = 5) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def test_another_protocol_on_the_port_is_closed_without_waiting_for_a_4_gib_frame(
    served: Served,
) -> None:
    # A ZeroMQ peer's greeting: 0xFF, 8 bytes, 0x7F. Read as a length it announces ~4 GiB.
    with socket.create_connection(("127.0.0.1", served.port), timeout=5) as sock:
        sock.sendall(b"\xff" + b"\x00" * 8 + b"\x7f")
        served.pump(1)
        assert _closed_by_peer(sock)
    assert served.links.closed == []


def test_a_second_connection_with_the_same_id_is_closed_and_the_first_kept(served: Served) -> None:
    first = connected(served, "twin")
    second = FakeManager(served.port, "twin")
    try:
        served.pump(1)
        assert _closed_by_peer(second.sock)
        assert served.links.send("twin", [b"still here"])
        assert first.wait_readable(5000) and first.receive() == [b"still here"]
        assert served.links.closed == []
    finally:
        first.close()
        second.close()


def test_a_failing_accept_pauses_the_listener_instead_of_spinning(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tcp_links, "ACCEPT_PAUSE_S", 0.3)
    listener = served.links.listener
    calls = []

    class OutOfDescriptors:
        """Stands in for the listener while the process has no descriptor left."""

        def fileno(self) -> int:
            return listener.fileno()

        def accept(self) -> tuple[socket.socket, object]:
            calls.append(time.monotonic())
            raise OSError(errno.EMFILE, "Too many open files")

    served.links.listener = OutOfDescriptors()  # type: ignore[assignment]
    waiting = socket.create_connection(("127.0.0.1", served.port), timeout=5)
    try:
        served.pump(0.2)  # the pending connection keeps the listener readable
        assert len(calls) == 1, "one failed accept, then no polling of the listener"
        served.links.listener = listener
        served.links.tick(time.monotonic())
        assert served.links._conns == {}, "still paused"
        served.links.tick(time.monotonic() + tcp_links.ACCEPT_PAUSE_S)
        served.pump(1, lambda: bool(served.links._conns))
        assert len(served.links._conns) == 1, "accepting again after the pause"
    finally:
        served.links.listener = listener
        waiting.close()


def test_a_port_in_use_is_a_clear_error() -> None:
    squatter = bind_listener("127.0.0.1", None, (54000, 55000), "squatter")
    port = squatter.getsockname()[1]
    try:
        with pytest.raises(PortBindFailed, match=f"my links: cannot bind 127.0.0.1 on port {port}"):
            bind_listener("127.0.0.1", port, (54000, 55000), "my links")
        with pytest.raises(PortBindFailed, match=rf"a port in \({port}, {port + 1}\)"):
            bind_listener("127.0.0.1", None, (port, port + 1), "my links")
    finally:
        squatter.close()


def test_connecting_where_nothing_listens_gives_up_at_the_deadline() -> None:
    free = bind_listener("127.0.0.1", None, (54000, 55000), "free port")
    port = free.getsockname()[1]
    free.close()
    link = TcpLink("127.0.0.1", port, "m-nowhere")
    t0 = time.monotonic()
    assert not link.connect(time.monotonic() + 0.5)
    assert 0.4 < time.monotonic() - t0 < 3


def test_a_manager_exits_at_once_when_the_interchange_is_gone(
    make_htex: MakeHtex, tmp_path: Path
) -> None:
    htex = make_htex(**SLOW_HEARTBEATS)
    marker = tmp_path / "pid"
    htex.submit(htex_tasks.write_pid_and_sleep, {}, str(marker), 60)
    worker_pid, manager_pid = map(int, wait_for_file(marker).split())
    assert htex.interchange_pid is not None
    os.kill(htex.interchange_pid, signal.SIGKILL)
    left = wait_gone([manager_pid, worker_pid], timeout=10)
    assert not left, "the manager and its worker stop without waiting 60 s for heartbeats"


def test_results_larger_than_the_socket_buffers_reach_the_interchange_whole(
    make_htex: MakeHtex,
) -> None:
    htex = make_htex()
    # 24 MiB each: the manager cannot write one in a single call and waits for room.
    futures = [htex.submit(bytes, {}, 24 << 20) for _ in range(3)]
    for fut in futures:
        assert fut.result(timeout=60) == bytes(24 << 20)
