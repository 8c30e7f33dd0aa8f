"""The worker's side of a Falcon transfer: a receiver, a request to the agent, a check."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsl.data_provider.falcon._falcon_cli import find_falcon, stop, tail
from parsl.data_provider.falcon._protocol import (
    MAX_LINE,
    FalconError,
    SendRequest,
    SendResult,
    decode_result,
    encode_request,
)

DEFAULT_AGENT_PORT = 50100
RECEIVER_EXIT_GRACE = 10.0


@dataclass(frozen=True)
class FalconLocation:
    """A ``falcon://HOST[:PORT]/abs/dir`` URL: the agent's address and the directory it serves."""

    host: str
    port: int
    directory: str


@dataclass(frozen=True)
class ReceiveSettings:
    """How a worker receives: its address as the sender sees it, the program, the time limits."""

    receiver_host: str
    falcon: str | None
    timeout: float
    listen_timeout: float
    max_cc: int | None


def parse_falcon_url(url: str) -> FalconLocation:
    """Split a ``falcon://`` URL, or raise FalconError saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "falcon":
        raise FalconError(f"{url}: not a falcon:// URL")
    if not parts.hostname:
        raise FalconError(f"{url}: no host; write falcon://HOST[:AGENT_PORT]/path/to/directory")
    try:
        port = parts.port or DEFAULT_AGENT_PORT
    except ValueError:
        raise FalconError(f"{url}: the agent port is not a number from 1 to 65535") from None
    directory = parts.path.rstrip("/")
    if not directory:
        raise FalconError(f"{url}: no directory; write falcon://HOST/path/to/directory")
    return FalconLocation(parts.hostname, port, directory)


def free_port(host: str) -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def is_listening(port: int) -> bool:
    """Whether a TCP socket of this host listens on ``port`` (read from /proc, no connection)."""
    want = f":{port:04X} "
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f, None)
                for line in f:
                    fields = line.split()
                    if len(fields) > 3 and fields[3] == "0A" and (fields[1] + " ").endswith(want):
                        return True
        except FileNotFoundError:  # pragma: no cover - not Linux
            continue
    return False


def _wait_listening(proc: subprocess.Popen[bytes], port: int, limit: float) -> None:
    deadline = time.monotonic() + limit
    while not is_listening(port):
        if proc.poll() is not None:
            raise FalconError(f"falcon receiver exited with {proc.returncode} before listening")
        if time.monotonic() >= deadline:
            raise FalconError(f"falcon receiver did not listen on port {port} within {limit:g} s")
        time.sleep(0.02)


def _ask_agent(where: FalconLocation, req: SendRequest, timeout: float) -> SendResult:
    agent = f"{where.host}:{where.port}"
    try:
        with socket.create_connection((where.host, where.port), timeout=min(timeout, 10.0)) as s:
            s.settimeout(timeout)
            s.sendall(encode_request(req))
            with s.makefile("rb") as f:
                line = f.readline(MAX_LINE + 1)
    except TimeoutError:
        raise FalconError(
            f"the Falcon agent at {agent} did not answer within {timeout:g} s"
        ) from None
    except OSError as e:
        raise FalconError(
            f"cannot reach the Falcon agent at {agent}: {e.strerror or e}; "
            "is parsl-falcon-agent running there?"
        ) from None
    if not line:
        raise FalconError(f"the Falcon agent at {agent} closed the connection without an answer")
    return decode_result(line)


def receive(url: str, dest: str, settings: ReceiveSettings) -> SendResult:
    """Bring the directory named by ``url`` into ``dest`` and check every file arrived whole."""
    where = parse_falcon_url(url)
    falcon = find_falcon(settings.falcon)
    os.makedirs(dest, exist_ok=True)
    port = free_port(settings.receiver_host)
    command = [falcon, "receiver", "--host", settings.receiver_host, "--port", str(port)]
    command += ["--data_dir", dest.rstrip("/") + "/"]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            _wait_listening(proc, port, settings.listen_timeout)
            req = SendRequest(where.directory, settings.receiver_host, port, settings.max_cc)
            result = _ask_agent(where, req, settings.timeout)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=RECEIVER_EXIT_GRACE if result.files else 0.1)
        except FalconError as e:
            stop(proc)
            log.seek(0)
            raise FalconError(
                f"{url}: {e}; receiver log: {tail(log.read().decode(errors='replace'))}"
            ) from None
        finally:
            stop(proc)
        missing = [
            f"{path} ({size} bytes)"
            for path, size in result.files
            if not os.path.isfile(os.path.join(dest, path))
            or os.path.getsize(os.path.join(dest, path)) != size
        ]
        if missing:
            log.seek(0)
            raise FalconError(
                f"{url}: {len(missing)} of {len(result.files)} files did not arrive whole in "
                f"{dest}: {', '.join(missing[:10])}; receiver log: "
                f"{tail(log.read().decode(errors='replace'))}"
            )
    return result
