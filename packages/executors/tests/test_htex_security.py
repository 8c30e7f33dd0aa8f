"""HighThroughputExecutor security: one loopback-only socket by default, CurveZMQ when encrypted."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import htex_tasks
import psutil
import zmq

from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.protocol import Register, local_versions
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]


def registration(manager_id: str) -> bytes:
    return Register(
        manager_id=manager_id,
        block_id=None,
        hostname="intruder",
        worker_count=8,
        prefetch_capacity=0,
        **local_versions(),
    ).encode()


def intruder(port: int, curve_server_key: bytes | None) -> zmq.Socket[bytes]:
    """A would-be manager; with ``curve_server_key`` it speaks CurveZMQ with keys of its own."""
    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, b"intruder")
    sock.setsockopt(zmq.LINGER, 0)
    if curve_server_key is not None:
        public, secret = zmq.curve_keypair()
        sock.curve_publickey, sock.curve_secretkey = public, secret
        sock.curve_serverkey = curve_server_key
    sock.connect(f"tcp://127.0.0.1:{port}")
    return sock


def test_only_the_managers_socket_listens_and_on_loopback_by_default(make_htex: MakeHtex) -> None:
    htex = make_htex()
    assert htex.encrypted is False
    assert htex.interchange_pid is not None
    assert htex.submit(htex_tasks.add, {}, 1, 2).result(timeout=30) == 3
    listening = [
        c.laddr
        for c in psutil.Process(htex.interchange_pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    ]
    # The executor talks to its interchange over the interchange's stdin and stdout:
    # no port another local user could connect to.
    assert [addr.port for addr in listening] == [htex.bound_worker_port]
    assert all(addr.ip == "127.0.0.1" for addr in listening)


def test_encryption_defaults_on_for_non_loopback_addresses() -> None:
    assert HighThroughputExecutor(address="10.1.2.3").encrypted is True
    assert HighThroughputExecutor(address="127.0.0.1").encrypted is False
    assert HighThroughputExecutor(address="10.1.2.3", encrypted=False).encrypted is False


def test_encrypted_executor_runs_tasks_with_private_keys(make_htex: MakeHtex, run_dir: str) -> None:
    htex = make_htex(label="secure", encrypted=True)
    assert htex.submit(htex_tasks.add, {}, 20, 22).result(timeout=30) == 42
    cert_dir = Path(run_dir) / "secure" / "certificates"
    assert stat.S_IMODE(os.stat(cert_dir).st_mode) == 0o700
    for secret in cert_dir.glob("*.key_secret"):
        assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600


def test_without_the_keys_a_manager_gets_nothing(make_htex: MakeHtex, run_dir: str) -> None:
    htex = make_htex(label="secure", encrypted=True, provider=LocalProvider(init_blocks=0))
    fut = htex.submit(htex_tasks.add, {}, 1, 1)
    assert htex.bound_worker_port is not None
    server_public = (Path(run_dir) / "secure" / "certificates" / "server.key").read_text()
    server_key = server_public.split('public-key = "')[1].split('"')[0].encode()
    plain = intruder(htex.bound_worker_port, None)
    wrong_keys = intruder(htex.bound_worker_port, server_key)
    try:
        for sock in (plain, wrong_keys):
            # A DEALER may have no peer at all when the handshake is refused: never block.
            with contextlib.suppress(zmq.Again):
                sock.send(registration("intruder"), zmq.NOBLOCK)
        time.sleep(1.5)
        for sock in (plain, wrong_keys):
            assert not sock.poll(500), "an unauthenticated peer must receive nothing"
        assert htex.connected_managers() == []
        assert not fut.done()
        htex.scale_out(1)  # a real manager, with the keys, does get the task
        assert fut.result(timeout=30) == 2
    finally:
        plain.close()
        wrong_keys.close()
