"""Pick, from the interchange addresses a worker pool is given, the first one it can reach."""

from __future__ import annotations

import socket
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait


class NoReachableAddress(RuntimeError):
    """None of the interchange addresses accepted a TCP connection within the probe timeout."""


def connect_before(address: str, port: int, deadline: float) -> socket.socket | None:
    """A TCP connection to ``address``:``port``, retried until ``deadline``; None if never made."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            return socket.create_connection((address, port), timeout=min(left, 2.0))
        except OSError:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def _reachable(address: str, port: int, deadline: float) -> bool:
    sock = connect_before(address, port, deadline)
    if sock is None:
        return False
    sock.close()
    return True


def probe_addresses(addresses: Sequence[str], port: int, timeout: float) -> str:
    """The earliest of ``addresses`` (in order) that accepts a connection on ``port``.

    All are tried at once, each until ``timeout`` seconds pass; a single
    address is returned without probing (the manager's own registration
    timeout covers it). Raises :class:`NoReachableAddress` naming them all.
    """
    candidates = [a.strip() for a in addresses if a.strip()]
    if not candidates:
        raise NoReachableAddress("no interchange address given")
    if len(candidates) == 1:
        return candidates[0]
    deadline = time.monotonic() + timeout
    pool = ThreadPoolExecutor(max_workers=len(candidates), thread_name_prefix="address-probe")
    try:
        futures: dict[Future[bool], str] = {
            pool.submit(_reachable, a, port, deadline): a for a in candidates
        }
        pending = set(futures)
        reached: set[str] = set()
        while pending:
            done, pending = wait(
                pending,
                timeout=max(0.0, deadline - time.monotonic()) + 1,
                return_when=FIRST_COMPLETED,
            )
            reached |= {futures[f] for f in done if f.result()}
            for address in candidates:  # the earliest reachable wins once those before it failed
                if address in reached:
                    return address
                if any(futures[f] == address for f in pending):
                    break
            if not done:
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    raise NoReachableAddress(
        f"no interchange address of {', '.join(candidates)} accepted a connection on port "
        f"{port} within {timeout:g} s (address_probe_timeout)"
    )
