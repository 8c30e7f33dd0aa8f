"""addresses, multiprocessing, rundirs, states and the strategy object, as Parsl documents them."""

from __future__ import annotations

import http.server
import ipaddress
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from parsl.addresses import AddressNotFound, address_by_query, get_any_address, tcp_url
from parsl.dataflow.rundirs import make_rundir
from parsl.dataflow.states import FINAL_FAILURE_STATES, FINAL_STATES, States
from parsl.jobs.strategy import Strategy
from parsl.multiprocessing import (
    ForkProcess,
    SizedQueue,
    SpawnEvent,
    SpawnProcess,
    SpawnQueue,
    join_terminate_close_proc,
)


@pytest.fixture
def answering_server() -> Iterator[tuple[str, list[bytes]]]:
    """An HTTP server on 127.0.0.1 whose answer the test sets."""
    answer = [b"127.0.0.1\n"]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(answer[0])

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", answer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_address_by_query_reads_the_services_answer(
    answering_server: tuple[str, list[bytes]],
) -> None:
    url, answer = answering_server
    assert address_by_query(timeout=5, url=url) == "127.0.0.1"
    answer[0] = b"<html>not an address</html>"
    with pytest.raises(AddressNotFound, match="not an IP address"):
        address_by_query(timeout=5, url=url)


def test_address_by_query_unreachable_service_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(AddressNotFound, match="could not ask"):
        address_by_query(timeout=2, url=f"http://127.0.0.1:{port}/")


def test_get_any_address_is_an_address_of_this_host() -> None:
    address = get_any_address()
    ipaddress.IPv4Address(address)
    import socket

    with socket.socket() as s:  # binding proves it is ours
        s.bind((address, 0))


def test_tcp_url() -> None:
    assert tcp_url("127.0.0.1", 5000) == "tcp://127.0.0.1:5000"
    assert tcp_url("::1", "5000") == "tcp://[::1]:5000"
    assert tcp_url("::1") == "tcp://::1"  # Parsl's: brackets only before a port
    assert tcp_url("node1.cluster") == "tcp://node1.cluster"
    assert tcp_url("*", 1) == "tcp://*:1"
    with pytest.raises(AddressNotFound, match="non-empty"):
        tcp_url("")


def _ignore_term_and_wait(ready: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()  # type: ignore[attr-defined]
    time.sleep(60)


@pytest.mark.timeout(60)
def test_spawn_helpers_and_join_terminate_close() -> None:
    queue = SpawnQueue()
    proc = SpawnProcess(target=queue.put, args=("from child",))
    proc.start()
    assert queue.get(timeout=30) == "from child"
    join_terminate_close_proc(proc, timeout=10)
    with pytest.raises(ValueError):
        proc.is_alive()  # closed
    ready = SpawnEvent()
    stubborn = SpawnProcess(target=_ignore_term_and_wait, args=(ready,))
    stubborn.start()
    assert ready.wait(30)
    pid = stubborn.pid
    start = time.monotonic()
    join_terminate_close_proc(stubborn, timeout=0.5)
    assert time.monotonic() - start < 10
    assert pid is not None and not os.path.exists(f"/proc/{pid}")
    assert ForkProcess.__module__.startswith("multiprocessing")


@pytest.mark.timeout(60)
def test_sized_queue_counts_items() -> None:
    q = SizedQueue()
    assert q.empty() and q.qsize() == 0
    q.put("a")
    q.put("b")
    assert q.qsize() == 2
    assert q.get(timeout=10) == "a"
    assert q.qsize() == 1 and not q.empty()
    proc = SpawnProcess(target=q.put, args=("c",))
    proc.start()
    join_terminate_close_proc(proc, timeout=30)
    assert q.qsize() == 2  # the child's put counted in the same shared counter
    q.close()
    q.join_thread()


def test_rundirs_make_numbered_run_directories(tmp_path: Path) -> None:
    base = str(tmp_path / "runinfo")
    assert make_rundir(base) == os.path.join(base, "000")
    assert make_rundir(base) == os.path.join(base, "001")


def test_final_failure_states_are_the_final_states_without_a_result() -> None:
    assert set(FINAL_FAILURE_STATES) == {States.failed, States.dep_fail}
    assert set(FINAL_FAILURE_STATES) < set(FINAL_STATES)


def test_strategy_object_parsl_form() -> None:
    s = Strategy(strategy="simple", max_idletime=5.0)
    assert s.strategy == "simple"
    s.add_executors([])
    s.strategize([])
    assert Strategy(strategy=None, max_idletime=0).strategy == "none"
    with pytest.raises(ValueError, match="strategy"):
        Strategy(strategy="fastest", max_idletime=1)
