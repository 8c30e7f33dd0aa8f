"""fetch_http / fetch_ftp against real servers on 127.0.0.1, without a DataFlowKernel."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

import pytest

from parsl.data_provider.downloads import (
    fetch,
    fetch_ftp,
    fetch_http,
    redacted,
    write_atomically,
)
from parsl.data_provider.staging_errors import DownloadError, RSyncError, StagingError
from parsl.errors import ParslError


def parts_in(directory: Path) -> list[str]:
    return [n for n in os.listdir(directory) if n.endswith(".part")]


def test_http_download_writes_the_served_bytes(
    http_url: str, served_dir: Path, tmp_path: Path
) -> None:
    payload = os.urandom(3 * (1 << 20) + 17)  # several chunks
    (served_dir / "big.bin").write_bytes(payload)
    dest = tmp_path / "out" / "big.bin"
    fetch_http(f"{http_url}/big.bin", str(dest), timeout=10)
    assert dest.read_bytes() == payload
    assert parts_in(dest.parent) == []


def test_http_404_names_url_and_status_and_keeps_old_file(http_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "missing.txt"
    dest.write_text("old content")
    url = f"{http_url}/missing.txt"
    with pytest.raises(DownloadError) as info:
        fetch_http(url, str(dest), timeout=10)
    assert url in str(info.value)
    assert "HTTP 404" in str(info.value)
    assert info.value.url == url
    assert dest.read_text() == "old content"
    assert parts_in(tmp_path) == []


def test_http_connection_refused_is_a_download_error(refused_port: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{refused_port}/x.txt"
    with pytest.raises(DownloadError, match="refused") as info:
        fetch_http(url, str(tmp_path / "x.txt"), timeout=5)
    assert url in str(info.value)
    assert not (tmp_path / "x.txt").exists()


def test_http_silent_server_times_out_on_time(silent_port: int, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(DownloadError, match="timed out"):
        fetch_http(f"http://127.0.0.1:{silent_port}/x.txt", str(tmp_path / "x.txt"), timeout=0.5)
    assert time.monotonic() - started < 5


def test_http_unwritable_destination_names_the_path(http_url: str, tmp_path: Path) -> None:
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(DownloadError, match="cannot write"):
        fetch_http(f"{http_url}/x.txt", str(blocker / "x.txt"), timeout=10)


def test_ftp_anonymous_download(ftp_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "x.txt"
    fetch_ftp(f"{ftp_url}/x.txt", str(dest), timeout=10)
    assert dest.read_text() == "hello from the server\n"
    assert parts_in(tmp_path) == []


def test_ftp_nested_path_with_user_and_password(
    ftp_url: str, ftp_login: tuple[str, str], tmp_path: Path
) -> None:
    user, password = ftp_login
    url = ftp_url.replace("ftp://", f"ftp://{user}:{password}@") + "/sub/y.txt"
    dest = tmp_path / "y.txt"
    fetch_ftp(url, str(dest), timeout=10)
    assert dest.read_text() == "nested file\n"


def test_ftp_missing_file_reports_the_server_reply(ftp_url: str, tmp_path: Path) -> None:
    url = f"{ftp_url}/nope.txt"
    downloads = tmp_path / "downloads"
    with pytest.raises(DownloadError) as info:
        fetch_ftp(url, str(downloads / "nope.txt"), timeout=10)
    assert url in str(info.value)
    assert "550" in str(info.value)
    assert os.listdir(downloads) == []


def test_ftp_wrong_password_is_reported_without_the_password(
    ftp_url: str, ftp_login: tuple[str, str], tmp_path: Path
) -> None:
    user, _ = ftp_login
    url = ftp_url.replace("ftp://", f"ftp://{user}:wrongpass@") + "/x.txt"
    with pytest.raises(DownloadError, match="530") as info:
        fetch_ftp(url, str(tmp_path / "x.txt"), timeout=10)
    assert "wrongpass" not in str(info.value)
    assert f"{user}:***@" in str(info.value)


def test_ftp_connection_refused(refused_port: int, tmp_path: Path) -> None:
    url = f"ftp://127.0.0.1:{refused_port}/x.txt"
    with pytest.raises(DownloadError, match="refused") as info:
        fetch_ftp(url, str(tmp_path / "x.txt"), timeout=5)
    assert url in str(info.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp:///x.txt", "names no host"),
        ("ftp://127.0.0.1/dir/", "names no file"),
        ("ftp://127.0.0.1:99999/x.txt", "bad port"),
    ],
)
def test_ftp_malformed_urls(url: str, reason: str, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=reason):
        fetch_ftp(url, str(tmp_path / "x.txt"), timeout=5)


def test_fetch_dispatches_on_scheme(http_url: str, ftp_url: str, tmp_path: Path) -> None:
    fetch(f"{http_url}/x.txt", str(tmp_path / "a.txt"), timeout=10)
    fetch(f"{ftp_url}/x.txt", str(tmp_path / "b.txt"), timeout=10)
    assert (tmp_path / "a.txt").read_text() == (tmp_path / "b.txt").read_text()
    with pytest.raises(DownloadError, match="'gopher' is not http, https or ftp"):
        fetch("gopher://127.0.0.1/x.txt", str(tmp_path / "c.txt"), timeout=5)


def test_write_atomically_removes_the_partial_file_on_failure(tmp_path: Path) -> None:
    def fail_halfway(out: object) -> None:
        out.write(b"half")  # type: ignore[attr-defined]
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_atomically(str(tmp_path / "f.bin"), fail_halfway)
    assert os.listdir(tmp_path) == []


def test_redacted_hides_only_the_password() -> None:
    assert redacted("ftp://u:pw@h:21/p") == "ftp://u:***@h:21/p"
    assert redacted("ftp://u:pw@h/p") == "ftp://u:***@h/p"
    assert redacted("http://h/p?q=1") == "http://h/p?q=1"


def test_errors_form_one_tree_and_pickle() -> None:
    download = DownloadError("http://h/x", "HTTP 404 Not Found")
    rsync = RSyncError(["rsync", "a", "b"], "exit code 23")
    for exc in (download, rsync):
        assert isinstance(exc, StagingError)
        assert isinstance(exc, ParslError)
        copy = pickle.loads(pickle.dumps(exc))
        assert type(copy) is type(exc)
        assert str(copy) == str(exc)
    assert "'rsync a b'" in str(rsync)
