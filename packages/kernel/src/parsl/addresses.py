"""Finding an address of this host that workers can reach, and writing it as a URL."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct

from parsl.errors import ParslError


class AddressNotFound(ParslError):
    """No usable address was found the way that was asked for."""


def address_by_hostname() -> str:
    """This host's fully qualified name."""
    return socket.getfqdn()


def address_by_interface(ifname: str) -> str:
    """The IPv4 address of network interface ``ifname`` (e.g. ``'eth0'``, ``'lo'``)."""
    if not isinstance(ifname, str) or not ifname or len(ifname) > 15:
        raise AddressNotFound(f"interface name {ifname!r} is not a valid interface name")
    siocgifaddr = 0x8915
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), siocgifaddr, struct.pack("256s", ifname.encode()))
        except OSError as e:
            raise AddressNotFound(f"interface {ifname!r} has no IPv4 address: {e}") from e
    return socket.inet_ntoa(packed[20:24])


def address_by_route(target: str = "127.0.0.1") -> str:
    """The local address the kernel would use to reach ``target`` (no packet is sent)."""
    try:
        ipaddress.ip_address(target)
    except ValueError as e:
        raise AddressNotFound(f"{target!r} is not an IP address") from e
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect((target, 9))
        except OSError as e:
            raise AddressNotFound(f"no route to {target}: {e}") from e
        return str(s.getsockname()[0])


def get_all_addresses() -> set[str]:
    """Every IPv4 address of this host's interfaces, plus its name."""
    found = {address_by_hostname()}
    for _, name in socket.if_nameindex():
        try:
            found.add(address_by_interface(name))
        except AddressNotFound:
            continue
    return found


def address_by_query(timeout: float = 30, url: str = "https://api.ipify.org") -> str:
    """This host's address as a public "what is my IP" service sees it (default: ipify).

    Useful where workers reach the submit host through its public address;
    behind NAT the answer may not be reachable from workers. Raises
    :class:`AddressNotFound` when the service cannot be reached within
    ``timeout`` seconds or answers with something that is not an IP address.
    """
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            text = reply.read(256).decode(errors="replace").strip()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise AddressNotFound(f"could not ask {url} for this host's address: {e}") from e
    try:
        return str(ipaddress.ip_address(text))
    except ValueError as e:
        raise AddressNotFound(f"{url} answered {text[:60]!r}, which is not an IP address") from e


def get_any_address() -> str:
    """Some IPv4 address of this host: a non-loopback interface's if there is one, else loopback.

    Raises :class:`AddressNotFound` when no interface has an IPv4 address.
    """
    found: list[str] = []
    for _, name in socket.if_nameindex():
        try:
            found.append(address_by_interface(name))
        except AddressNotFound:
            continue
    outside = [a for a in found if not ipaddress.ip_address(a).is_loopback]
    if outside or found:
        return (outside or found)[0]
    raise AddressNotFound("no network interface of this host has an IPv4 address")


def tcp_url(address: str, port: str | int | None = None) -> str:
    """A ZeroMQ-style ``tcp://`` URL for ``address`` and optional ``port``.

    An IPv6 address followed by a port is put in brackets
    (``tcp://[::1]:5000``); without a port it is written as it is
    (``tcp://::1``: ZeroMQ splits a port appended later at the last colon),
    as Parsl does. IPv4 addresses, host names and ``*`` are written as they are.
    """
    if not isinstance(address, str) or not address:
        raise AddressNotFound(f"address {address!r} is not valid: expected a non-empty string")
    if port is None or port == "":
        return f"tcp://{address}"
    host = address
    try:
        if ipaddress.ip_address(address).version == 6:
            host = f"[{address}]"
    except ValueError:
        pass  # a host name or "*"
    return f"tcp://{host}:{port}"
