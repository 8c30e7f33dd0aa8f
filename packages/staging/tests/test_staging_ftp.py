"""FTP staging end to end: apps on a ThreadPoolExecutor read files from a real pyftpdlib server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from parsl import File, python_app
from parsl.data_provider.ftp import FTPInTaskStaging, FTPSeparateTaskStaging
from parsl.data_provider.staging import Staging
from parsl.data_provider.staging_errors import DownloadError
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError

LoadParsl = Callable[..., DataFlowKernel]
PROVIDERS = [FTPSeparateTaskStaging, FTPInTaskStaging]


@python_app
def read_input(inputs: list[File]) -> tuple[str, str]:
    with open(inputs[0]) as f:
        return inputs[0].filepath, f.read()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_app_reads_file_fetched_over_ftp(
    provider: Callable[..., Staging], load_parsl: LoadParsl, ftp_url: str, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    load_parsl([provider()], working_dir=str(work))
    path, content = read_input(inputs=[File(f"{ftp_url}/sub/y.txt")]).result(timeout=30)
    assert content == "nested file\n"
    assert path == str(work / "y.txt")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_ftp_with_login_in_url(
    provider: Callable[..., Staging],
    load_parsl: LoadParsl,
    ftp_url: str,
    ftp_login: tuple[str, str],
    tmp_path: Path,
) -> None:
    user, password = ftp_login
    load_parsl([provider()], working_dir=str(tmp_path / "work"))
    url = ftp_url.replace("ftp://", f"ftp://{user}:{password}@") + "/x.txt"
    _, content = read_input(inputs=[File(url)]).result(timeout=30)
    assert content == "hello from the server\n"


def test_separate_task_missing_file_is_a_dependency_failure(
    load_parsl: LoadParsl, ftp_url: str, tmp_path: Path
) -> None:
    load_parsl([FTPSeparateTaskStaging()], working_dir=str(tmp_path / "work"))
    url = f"{ftp_url}/nope.txt"
    exc = read_input(inputs=[File(url)]).exception(timeout=30)
    assert isinstance(exc, DependencyError)
    cause = exc.root_cause
    assert isinstance(cause, DownloadError)
    assert cause.url == url
    assert "550" in cause.reason


def test_in_task_missing_file_fails_the_app(
    load_parsl: LoadParsl, ftp_url: str, tmp_path: Path
) -> None:
    load_parsl([FTPInTaskStaging()], working_dir=str(tmp_path / "work"))
    url = f"{ftp_url}/nope.txt"
    exc = read_input(inputs=[File(url)]).exception(timeout=30)
    assert isinstance(exc, DownloadError)
    assert url in str(exc)
    assert "550" in str(exc)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_ftp_connection_refused_fails_the_app(
    provider: Callable[..., Staging], load_parsl: LoadParsl, refused_port: int, tmp_path: Path
) -> None:
    load_parsl([provider(timeout=5)], working_dir=str(tmp_path / "work"))
    url = f"ftp://127.0.0.1:{refused_port}/x.txt"
    exc = read_input(inputs=[File(url)]).exception(timeout=30)
    cause = exc.root_cause if isinstance(exc, DependencyError) else exc
    assert isinstance(cause, DownloadError)
    assert url in str(cause)
    assert "refused" in cause.reason


def test_http_and_ftp_providers_side_by_side(
    load_parsl: LoadParsl, http_url: str, ftp_url: str, tmp_path: Path
) -> None:
    from parsl.data_provider.http import HTTPInTaskStaging

    @python_app
    def read_both(inputs: list[File]) -> list[str]:
        return [Path(f).read_text() for f in inputs]

    work = tmp_path / "work"
    load_parsl([HTTPInTaskStaging(), FTPSeparateTaskStaging()], working_dir=str(work))
    files = [File(f"{http_url}/x.txt"), File(f"{ftp_url}/sub/y.txt")]
    assert read_both(inputs=files).result(timeout=30) == [
        "hello from the server\n",
        "nested file\n",
    ]
