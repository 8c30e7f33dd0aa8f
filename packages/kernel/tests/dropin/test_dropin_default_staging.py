"""parsl.data_provider.data_manager.default_staging: Parsl's default staging providers, as a list to extend."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import parsl
from parsl import plugins
from parsl.config import Config
from parsl.data_provider import data_manager
from parsl.data_provider.file_noop import NoOpFileStaging
from parsl.data_provider.files import File
from parsl.executors import ThreadPoolExecutor


def test_default_staging_is_a_fresh_list_of_parsls_defaults() -> None:
    from parsl.data_provider.data_manager import default_staging

    names = [type(p).__name__ for p in default_staging]
    installed = plugins.available("parsl.staging")
    # Local files always; FTP and HTTP(S) as separate tasks, and zip archives, when a
    # package provides them (Parsl's list, in Parsl's order).
    parsls = (
        "NoOpFileStaging",
        "FTPSeparateTaskStaging",
        "HTTPSeparateTaskStaging",
        "ZipFileStaging",
    )
    assert names == [n for n in parsls if n == "NoOpFileStaging" or n in installed]
    default_staging.append(NoOpFileStaging())
    assert len(data_manager.default_staging) == len(names)  # a new list each time
    assert not hasattr(data_manager, "no_such_name")


def test_names_nobody_provides_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data_manager, "DEFAULT_STAGING_NAMES", ("NoOpFileStaging", "NoSuchStaging"))
    assert [type(p) for p in data_manager.default_staging] == [NoOpFileStaging]


@pytest.mark.timeout(60)
def test_default_staging_stages_local_files(run_dir: str, tmp_path: Path) -> None:
    source = tmp_path / "local.txt"
    source.write_text("local\n")
    ex = ThreadPoolExecutor(label="local", storage_access=data_manager.default_staging)
    with parsl.load(Config(executors=[ex], run_dir=run_dir)):

        @parsl.python_app
        def read(inputs: list[File]) -> str:
            with open(inputs[0].filepath) as f:
                return f.read()

        assert read(inputs=[File(str(source))]).result(timeout=30) == "local\n"


@pytest.fixture
def http_file(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "data.txt").write_text("served over http\n")

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/data.txt"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.skipif(
    "HTTPSeparateTaskStaging" not in plugins.available("parsl.staging"),
    reason="HTTP staging comes from parsl-staging, which is not installed",
)
@pytest.mark.timeout(60)
def test_an_executor_with_default_staging_reads_an_http_file(
    http_file: str, run_dir: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ex = ThreadPoolExecutor(label="staged", storage_access=data_manager.default_staging)
    with parsl.load(Config(executors=[ex], run_dir=run_dir)):

        @parsl.python_app
        def read(inputs: list[File]) -> str:
            with open(inputs[0].filepath) as f:
                return f.read()

        assert read(inputs=[File(http_file)]).result(timeout=30) == "served over http\n"
