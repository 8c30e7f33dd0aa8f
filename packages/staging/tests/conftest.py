"""Real servers on 127.0.0.1 for the staging tests: HTTP (in a thread) and FTP (a process)."""

from __future__ import annotations

import http.server
import select
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from staging_pki import TestPKI, make_pki

import parsl
from parsl.config import Config
from parsl.data_provider.staging import Staging
from parsl.dataflow.dflow import DataFlowKernel
from parsl.executors import ThreadPoolExecutor

HERE = Path(__file__).parent
EXECUTOR_LABEL = "staging_test"
FTP_USER = "alice"
FTP_PASSWORD = "secret"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served_dir(tmp_path: Path) -> Path:
    """The directory both test servers serve; tests put files in it."""
    root = tmp_path / "served"
    root.mkdir()
    (root / "x.txt").write_text("hello from the server\n")
    (root / "sub").mkdir()
    (root / "sub" / "y.txt").write_text("nested file\n")
    return root


@pytest.fixture
def http_url(served_dir: Path) -> Iterator[str]:
    """Base URL of a real http.server serving ``served_dir``."""
    handler = partial(_QuietHandler, directory=str(served_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-http", daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def pki(tmp_path: Path) -> TestPKI:
    """A fresh test CA and a certificate for 127.0.0.1 signed by it."""
    return make_pki(tmp_path / "pki")


def serve_https(directory: Path, pki: TestPKI) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start an HTTPS http.server on 127.0.0.1 with ``pki``'s server certificate."""
    handler = partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="test-https", daemon=True
    )
    thread.start()
    return server, f"https://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def https_url(served_dir: Path, pki: TestPKI) -> Iterator[str]:
    """Base URL of a real HTTPS server serving ``served_dir`` with a certificate from ``pki``."""
    server, url = serve_https(served_dir, pki)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ftp_url(served_dir: Path) -> Iterator[str]:
    """Base URL of a real pyftpdlib server (its own process) serving ``served_dir``."""
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "ftp_server_process.py"),
            str(served_dir),
            FTP_USER,
            FTP_PASSWORD,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        line = proc.stdout.readline().decode().strip() if ready else ""
        if not line.isdigit():
            raise RuntimeError(f"FTP test server did not report its port (got {line!r})")
        yield f"ftp://127.0.0.1:{int(line)}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.fixture
def ftp_login() -> tuple[str, str]:
    """The user name and password the FTP test server accepts besides anonymous."""
    return FTP_USER, FTP_PASSWORD


@pytest.fixture
def refused_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


@pytest.fixture
def load_parsl(tmp_path: Path) -> Iterator[Callable[..., DataFlowKernel]]:
    """Load a DFK with one ThreadPoolExecutor using the given staging providers; clean it up after."""
    loaded: list[DataFlowKernel] = []

    def load(
        storage_access: Sequence[Staging], working_dir: str | None = None, max_threads: int = 2
    ) -> DataFlowKernel:
        executor = ThreadPoolExecutor(
            label=EXECUTOR_LABEL,
            storage_access=list(storage_access),
            working_dir=working_dir,
            max_threads=max_threads,
        )
        config = Config(executors=[executor], run_dir=str(tmp_path / "runinfo"), strategy=None)
        dfk = parsl.load(config)
        loaded.append(dfk)
        return dfk

    yield load
    for dfk in loaded:
        dfk.cleanup()
    parsl.clear()
