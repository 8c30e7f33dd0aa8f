"""Finding an address of this host that workers can reach."""

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
