"""UDPRadio: workers send monitoring datagrams to a receiver thread on the submit side.

The receiver binds ``address`` (default: the hub's address, else
127.0.0.1) on ``port`` (default: any free port) when the executor starts.
Each datagram is an HMAC of the payload (a key made fresh for every receiver
and carried to the workers inside the radio object) followed by one encoded
batch (:mod:`parsl.monitoring.radios.wire`). A datagram with a wrong HMAC,
or that does not decode, is logged and dropped. UDP may lose datagrams
under load; use the htex radio or FilesystemRadio where that matters.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import socket
import threading

from parsl.argument_checks import check_positive
from parsl.dataflow.lean_event import LeanEvent
from parsl.errors import ParslError, bad_value
from parsl.monitoring.errors import MonitoringRouterStartError
from parsl.monitoring.radios.base import (
    EncodingSender,
    MessageTarget,
    MonitoringRadioReceiver,
    RadioConfig,
)
from parsl.monitoring.radios.wire import RadioMessageError, decode_batch

logger = logging.getLogger(__name__)

__all__ = ["UDPRadio", "UDPRadioReceiver", "UDPRadioSender"]

MAX_DATAGRAM = 65507
_POLL_S = 0.2


class UDPRadioSender(EncodingSender):
    """Sends HMAC-signed datagrams to ``(address, port)``; Parsl's arguments.

    ``timeout`` bounds each send, in seconds (a full socket buffer).
    """

    def __init__(
        self, address: str, port: int, hmac_key: bytes, hmac_digest: str, *, timeout: float = 10
    ) -> None:
        self.address = address
        self.port = port
        self._key = hmac_key
        self._digest = hmac_digest
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.settimeout(timeout)
        if address.startswith("127."):
            self._sock.bind((address, 0))  # never an ephemeral port on every interface
        self._sock.connect((address, port))  # and only the receiver's datagrams reach it

    def transmit(self, payload: bytes, final: bool) -> None:
        datagram = hmac.new(self._key, payload, self._digest).digest() + payload
        if len(datagram) > MAX_DATAGRAM:
            raise RadioMessageError(f"{len(datagram)} bytes do not fit in one UDP datagram")
        self._sock.send(datagram)

    def close(self) -> None:
        self._sock.close()


class UDPRadioReceiver(MonitoringRadioReceiver):
    """A daemon thread reading datagrams from a bound socket and delivering valid ones."""

    def __init__(
        self,
        sock: socket.socket,
        key: bytes,
        digest: str,
        target: MessageTarget,
        timeout: float,
        debug: bool = False,
    ) -> None:
        self.sock = sock
        self.debug = debug
        self.port: int = sock.getsockname()[1]
        self._key = key
        self._digest = digest
        self._size = hashlib.new(digest).digest_size
        self._target = target
        self._timeout = timeout
        self._stop = LeanEvent()
        self._abandoned = False
        """Set when shutdown stops waiting for the thread: it then delivers nothing more."""
        self.dropped = 0
        """Datagrams dropped (bad HMAC, undecodable)."""
        self._thread = threading.Thread(target=self._run, name="udp-radio-receiver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock = self.sock
        try:
            sock.settimeout(_POLL_S)
            while not self._stop.is_set():
                try:
                    data = sock.recv(MAX_DATAGRAM + 1)
                except TimeoutError:
                    continue
                except OSError:  # pragma: no cover - the socket failed under us
                    logger.exception("UDP radio port %d: receiving failed; stopped", self.port)
                    return
                if data:  # an empty datagram is shutdown's wake-up
                    self.deliver(data)
            # Drain what arrived before shutdown (bounded: what the socket holds now),
            # unless shutdown has stopped waiting (atexit_timeout) and the sink may be gone.
            sock.setblocking(False)
            while not self._abandoned:
                try:
                    data = sock.recv(MAX_DATAGRAM + 1)
                except OSError:
                    return
                if data:
                    self.deliver(data)
        finally:
            sock.close()

    def deliver(self, data: bytes) -> None:
        """Check and decode one datagram; hand its messages to the target, or drop it."""
        mac, payload = data[: self._size], data[self._size :]
        if not hmac.compare_digest(mac, hmac.new(self._key, payload, self._digest).digest()):
            self.dropped += 1
            logger.warning("UDP radio port %d: dropped a datagram with a bad HMAC", self.port)
            return
        try:
            messages = decode_batch(payload)
        except RadioMessageError as e:
            self.dropped += 1
            logger.warning("UDP radio port %d: dropped a datagram: %s", self.port, e)
            return
        if self.debug:
            logger.info(
                "UDP radio port %d: %d message(s): %s",
                self.port,
                len(messages),
                ", ".join(getattr(kind, "name", str(kind)) for kind, _ in messages),
            )
        for message in messages:
            try:
                self._target.send(message)
            except Exception:
                logger.exception("UDP radio port %d: the sink refused a message", self.port)

    def shutdown(self) -> None:
        """Stop receiving; wait up to ``timeout`` seconds for the datagrams already here.

        An empty datagram to the receiver's own port wakes its thread at once
        (not at its next poll), so the usual wait is the drain alone. With a
        timeout of 0 shutdown does not wait: datagrams not yet read are dropped.
        The thread closes the socket when it ends.
        """
        if self._stop.is_set():
            return
        self._stop.set()
        self._wake()
        if self._timeout > 0:
            self._thread.join(self._timeout)
        if self._thread.is_alive():
            self._abandoned = True
            if self._timeout > 0:  # pragma: no cover - the drain is bounded and non-blocking
                logger.warning("UDP radio port %d: receiver did not stop in time", self.port)

    def _wake(self) -> None:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as poke:
                poke.sendto(b"", self.sock.getsockname())
        except OSError:  # pragma: no cover - the thread still stops at its next poll
            pass


class UDPRadio(RadioConfig):
    """Monitoring over UDP datagrams (Parsl's ``UDPRadio``).

    ``address`` is where the receiver binds and workers send (default: the
    monitoring hub's ``hub_address``, else 127.0.0.1): it must be reachable
    from the workers. ``port`` None picks a free port. ``atexit_timeout``
    bounds how long shutdown waits for the datagrams already sent (0: it does
    not wait, and drops what it has not read; Parsl's tests pass 0). ``hmac_digest``
    names the :mod:`hashlib` digest used to sign datagrams. ``debug`` logs
    every batch the receiver accepts (at INFO: how many messages, of which
    kinds), for finding out whether workers' messages arrive at all.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        address: str | None = None,
        atexit_timeout: float = 3,
        debug: bool = False,
        hmac_digest: str = "sha512",
    ) -> None:
        if not isinstance(debug, bool):
            raise bad_value("UDPRadio.debug", debug, "True or False")
        if port is not None and (
            not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < 65536
        ):
            raise bad_value("UDPRadio.port", port, "None or a port number 0-65535")
        if address is not None and (not isinstance(address, str) or not address):
            raise bad_value("UDPRadio.address", address, "None or a host address string")
        if hmac_digest not in hashlib.algorithms_available:
            raise bad_value("UDPRadio.hmac_digest", hmac_digest, "a hashlib digest name")
        self.port = port
        self.address = address
        self.atexit_timeout = check_positive(
            "UDPRadio.atexit_timeout", atexit_timeout, allow_zero=True
        )
        self.hmac_digest = hmac_digest
        self.debug = debug
        self.hmac_key: bytes | None = None

    def create_receiver(
        self, *, run_dir: str, resource_msgs: MessageTarget, hub_address: str | None = None
    ) -> UDPRadioReceiver:
        if self.address is None:
            self.address = hub_address or "127.0.0.1"
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.address, self.port or 0))
        except OSError as e:
            sock.close()
            raise MonitoringRouterStartError(
                f"UDPRadio cannot listen on {self.address}:{self.port or 0}: {e}; "
                "choose another port (or port=None for any free one)"
            ) from e
        self.hmac_key = secrets.token_bytes(64)
        receiver = UDPRadioReceiver(
            sock, self.hmac_key, self.hmac_digest, resource_msgs, self.atexit_timeout, self.debug
        )
        self.port = receiver.port
        logger.info("UDP radio receiving on %s:%d", self.address, self.port)
        return receiver

    def create_sender(self) -> UDPRadioSender:
        if self.hmac_key is None or self.port is None or self.address is None:
            raise ParslError("UDPRadio has no receiver yet: the executor starts it at start()")
        return UDPRadioSender(self.address, self.port, self.hmac_key, self.hmac_digest)

    def __repr__(self) -> str:
        return f"UDPRadio(address={self.address!r}, port={self.port!r})"
