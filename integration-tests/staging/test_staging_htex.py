"""parsl-staging over a real HighThroughputExecutor: transfers run in separate worker processes.

Zip stage-out from many worker processes into one archive (the file lock, not
a thread lock, is what keeps it whole), and HTTPS downloads inside the task on
the workers against a loopback server whose certificate comes from a test CA.
"""

from __future__ import annotations

import functools
import http.server
import os
import ssl
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from staging_pki import TestPKI, make_pki

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.http import HTTPInTaskStaging, HTTPSeparateTaskStaging
from parsl.data_provider.staging import Staging
from parsl.data_provider.staging_errors import DownloadError, ZipStagingError
from parsl.data_provider.zip import ZipFileStaging
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.executors import HighThroughputExecutor
from parsl.providers import LocalProvider

WORKERS = 4


@python_app
def write_member(i: int, outputs: list[File]) -> int:
    with open(outputs[0], "w") as f:
        f.write(f"written by task {i} in process {os.getpid()}\n")
    return os.getpid()


@python_app
def read_first_line(inputs: list[File]) -> tuple[int, str]:
    with open(inputs[0]) as f:
        return os.getpid(), f.readline().strip()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def https_base(tmp_path: Path) -> Iterator[tuple[str, TestPKI]]:
    served = tmp_path / "served"
    served.mkdir()
    (served / "table.csv").write_text("id,value\n1,alpha\n2,beta\n")
    pki = make_pki(tmp_path / "pki")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(served))
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", pki
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def load_htex(tmp_path: Path) -> Iterator[Callable[..., DataFlowKernel]]:
    def load(storage_access: list[Staging]) -> DataFlowKernel:
        htex = HighThroughputExecutor(
            label="htex_staging",
            max_workers_per_node=WORKERS,
            working_dir=str(tmp_path / "work"),
            storage_access=storage_access,
            provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1),
        )
        return parsl.load(
            Config(executors=[htex], run_dir=str(tmp_path / "runinfo"), strategy="none")
        )

    try:
        yield load
    finally:
        parsl.clear()


@pytest.mark.timeout(240)
def test_zip_outputs_from_many_worker_processes_all_arrive(
    load_htex: Callable[..., DataFlowKernel], tmp_path: Path
) -> None:
    archive = tmp_path / "shared" / "results.zip"
    n = 300
    with load_htex([ZipFileStaging()]):
        start = time.monotonic()
        futures = [
            write_member(i, outputs=[File(f"zip:{archive}/out/{i:03d}.txt")]) for i in range(n)
        ]
        pids = {f.result(timeout=180) for f in futures}
        elapsed = time.monotonic() - start
        assert os.getpid() not in pids
        assert len(pids) > 1, "the tasks ran in more than one worker process"
        with zipfile.ZipFile(archive) as zf:
            assert zf.testzip() is None
            assert sorted(zf.namelist()) == [f"out/{i:03d}.txt" for i in range(n)]
        pid, line = read_first_line(inputs=[File(f"zip:{archive}/out/123.txt")]).result(timeout=60)
        assert pid != os.getpid() and line.startswith("written by task 123 in process ")
        fut = read_first_line(inputs=[File(f"zip:{archive}/out/none.txt")])
        with pytest.raises(ZipStagingError, match="has no member 'out/none.txt'"):
            fut.result(timeout=60)
    print(f"\nzip over htex: {n} outputs from {len(pids)} worker processes in {elapsed:.2f} s")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("provider", [HTTPInTaskStaging, HTTPSeparateTaskStaging])
def test_https_downloads_on_the_workers_verify_the_certificate(
    provider: type[HTTPInTaskStaging],
    load_htex: Callable[..., DataFlowKernel],
    https_base: tuple[str, TestPKI],
    tmp_path: Path,
) -> None:
    base, pki = https_base
    with load_htex([provider(ca_file=str(pki.ca_cert), timeout=30)]):
        pid, line = read_first_line(inputs=[File(f"{base}/table.csv")]).result(timeout=120)
        assert pid != os.getpid()
        assert line == "id,value"
        assert (tmp_path / "work" / "table.csv").read_text().endswith("2,beta\n")
    parsl.clear()
    with load_htex([provider(timeout=30)]):  # the system store does not know the test CA
        exc = read_first_line(inputs=[File(f"{base}/table.csv")]).exception(timeout=120)
        if isinstance(exc, DependencyError):
            exc = exc.root_cause
        assert isinstance(exc, DownloadError)
        assert "TLS certificate verification failed" in str(exc)
