"""HTTP staging end to end: apps on a ThreadPoolExecutor read files served by a real http.server."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from parsl import File, python_app
from parsl.data_provider.data_manager import NoStagingProvider
from parsl.data_provider.http import HTTPInTaskStaging, HTTPSeparateTaskStaging
from parsl.data_provider.staging import Staging
from parsl.data_provider.staging_errors import DownloadError
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError

LoadParsl = Callable[..., DataFlowKernel]
PROVIDERS = [HTTPSeparateTaskStaging, HTTPInTaskStaging]


@python_app
def read_input(inputs: list[File]) -> tuple[str, str]:
    with open(inputs[0]) as f:
        return inputs[0].filepath, f.read()


@python_app
def read_positional(f: File) -> str:
    with open(f.filepath) as fh:
        return fh.read()


def staging_failure(exc: BaseException | None) -> DownloadError:
    """The DownloadError behind an app's failure, whichever staging shape raised it."""
    if isinstance(exc, DependencyError):
        exc = exc.root_cause
    assert isinstance(exc, DownloadError), f"expected a DownloadError, got {exc!r}"
    return exc


@pytest.mark.parametrize("provider", PROVIDERS)
def test_app_reads_downloaded_file_in_working_dir(
    provider: Callable[..., Staging], load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    load_parsl([provider()], working_dir=str(work))
    path, content = read_input(inputs=[File(f"{http_url}/x.txt")]).result(timeout=30)
    assert content == "hello from the server\n"
    assert path == str(work / "x.txt")
    assert (work / "x.txt").read_text() == content


@pytest.mark.parametrize("provider", PROVIDERS)
def test_without_working_dir_file_lands_in_current_directory(
    provider: Callable[..., Staging],
    load_parsl: LoadParsl,
    http_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    load_parsl([provider()])
    path, content = read_input(inputs=[File(f"{http_url}/sub/y.txt")]).result(timeout=30)
    assert path == "y.txt"
    assert content == "nested file\n"
    assert (cwd / "y.txt").read_text() == content


@pytest.mark.parametrize("provider", PROVIDERS)
def test_positional_file_argument_is_staged(
    provider: Callable[..., Staging], load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    load_parsl([provider()], working_dir=str(tmp_path / "work"))
    assert (
        read_positional(File(f"{http_url}/x.txt")).result(timeout=30) == "hello from the server\n"
    )


def test_separate_task_runs_one_extra_task(
    load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    dfk = load_parsl([HTTPSeparateTaskStaging()], working_dir=str(tmp_path / "work"))
    read_input(inputs=[File(f"{http_url}/x.txt")]).result(timeout=30)
    assert dfk.tasks_completed == 2


def test_in_task_runs_no_extra_task(load_parsl: LoadParsl, http_url: str, tmp_path: Path) -> None:
    dfk = load_parsl([HTTPInTaskStaging()], working_dir=str(tmp_path / "work"))
    read_input(inputs=[File(f"{http_url}/x.txt")]).result(timeout=30)
    assert dfk.tasks_completed == 1


def test_separate_task_404_fails_the_app_with_a_dependency_on_the_download(
    load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    load_parsl([HTTPSeparateTaskStaging()], working_dir=str(tmp_path / "work"))
    url = f"{http_url}/missing.txt"
    fut = read_input(inputs=[File(url)])
    exc = fut.exception(timeout=30)
    assert isinstance(exc, DependencyError)
    error = staging_failure(exc)
    assert error.url == url
    assert "HTTP 404" in str(error)


def test_in_task_404_fails_the_app_with_the_download_error(
    load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    load_parsl([HTTPInTaskStaging()], working_dir=str(tmp_path / "work"))
    url = f"{http_url}/missing.txt"
    exc = read_input(inputs=[File(url)]).exception(timeout=30)
    assert isinstance(exc, DownloadError)
    assert url in str(exc)
    assert "HTTP 404" in str(exc)
    assert not (tmp_path / "work" / "missing.txt").exists()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_refused_fails_the_app_naming_url(
    provider: Callable[..., Staging], load_parsl: LoadParsl, refused_port: int, tmp_path: Path
) -> None:
    load_parsl([provider(timeout=5)], working_dir=str(tmp_path / "work"))
    url = f"http://127.0.0.1:{refused_port}/x.txt"
    error = staging_failure(read_input(inputs=[File(url)]).exception(timeout=30))
    assert error.url == url
    assert "refused" in error.reason


@pytest.mark.parametrize("provider", PROVIDERS)
def test_silent_server_fails_the_app_after_the_timeout(
    provider: Callable[..., Staging], load_parsl: LoadParsl, silent_port: int, tmp_path: Path
) -> None:
    load_parsl([provider(timeout=0.5)], working_dir=str(tmp_path / "work"))
    url = f"http://127.0.0.1:{silent_port}/x.txt"
    error = staging_failure(read_input(inputs=[File(url)]).exception(timeout=30))
    assert "timed out" in error.reason


@pytest.mark.parametrize("provider", PROVIDERS)
def test_http_output_file_has_no_stage_out(
    provider: Callable[..., Staging], load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    @python_app
    def write_output(outputs: list[File]) -> None:
        pass

    load_parsl([provider()], working_dir=str(tmp_path / "work"))
    with pytest.raises(NoStagingProvider, match="stage out"):
        write_output(outputs=[File(f"{http_url}/upload.txt")])


def test_two_files_from_two_urls_are_both_staged(
    load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    @python_app
    def concatenate(inputs: list[File]) -> str:
        return "".join(Path(f).read_text() for f in inputs)

    work = tmp_path / "work"
    load_parsl([HTTPSeparateTaskStaging()], working_dir=str(work))
    files = [File(f"{http_url}/x.txt"), File(f"{http_url}/sub/y.txt")]
    assert concatenate(inputs=files).result(timeout=30) == "hello from the server\nnested file\n"
    assert sorted(os.listdir(work)) == ["x.txt", "y.txt"]


def test_url_without_a_file_name_is_refused_at_submission(
    load_parsl: LoadParsl, http_url: str, tmp_path: Path
) -> None:
    load_parsl([HTTPSeparateTaskStaging()], working_dir=str(tmp_path / "work"))
    with pytest.raises(DownloadError, match="names no file"):
        read_input(inputs=[File(f"{http_url}/")])
