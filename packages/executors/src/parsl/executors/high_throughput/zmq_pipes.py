"""Small ZeroMQ helpers shared by the executor, the interchange and the managers.

Everything pyzmq raises while binding is mapped here to
:class:`~parsl.executors.high_throughput.errors.PortBindFailed`, with the
address and port (range) in the text.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence

import zmq

from parsl.executors.high_throughput.errors import PortBindFailed

BIND_TRIES = 100
"""Random ports tried in a range before binding gives up."""


def is_ipv6(host: str) -> bool:
    """True for an IPv6 literal such as ``::1``."""
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def tcp_url(host: str, port: int | None = None) -> str:
    """``tcp://host[:port]``, with IPv6 literals in brackets."""
    shown = f"[{host}]" if is_ipv6(host) else host
    return f"tcp://{shown}" if port is None else f"tcp://{shown}:{port}"


def resolve_host(host: str, what: str) -> str:
    """An IP literal for ``host`` (``*`` stays ``*``); a clear error when it does not resolve."""
    if host == "*":
        return host
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return host
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as e:
        raise PortBindFailed(f"{what}: cannot resolve host {host!r}: {e}") from e
    return str(infos[0][4][0])


def bind_socket(
    sock: zmq.Socket[bytes],
    host: str,
    port: int | None,
    port_range: Sequence[int],
    what: str,
) -> int:
    """Bind ``sock`` to ``host`` on ``port``, or on a free port in ``port_range``; return the port.

    ``what`` names the socket in the error raised when nothing can be bound.
    """
    address = resolve_host(host, what)
    if is_ipv6(address) or address == "*":
        sock.setsockopt(zmq.IPV6, 1)
    try:
        if port is not None:
            sock.bind(tcp_url(address, port))
            return port
        low, high = int(port_range[0]), int(port_range[1])
        return sock.bind_to_random_port(
            tcp_url(address), min_port=low, max_port=high, max_tries=BIND_TRIES
        )
    except zmq.ZMQError as e:
        where = f"port {port}" if port is not None else f"a port in {tuple(port_range)}"
        raise PortBindFailed(f"{what}: cannot bind {address} on {where}: {e}") from e


def close_socket(sock: zmq.Socket[bytes] | None, linger_ms: int = 0) -> None:
    """Close ``sock`` if it is open, dropping (or for ``linger_ms`` flushing) unsent messages."""
    if sock is not None and not sock.closed:
        sock.close(linger=linger_ms)
