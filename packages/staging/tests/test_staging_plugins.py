"""The public surface: import paths, entry points, constructor validation, picklable wrappers."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from parsl import plugins
from parsl.data_provider.downloads import DownloadThenRun, local_path_for
from parsl.data_provider.files import File
from parsl.data_provider.ftp import FTPInTaskStaging, FTPSeparateTaskStaging
from parsl.data_provider.globus import GlobusStaging
from parsl.data_provider.http import HTTPInTaskStaging, HTTPSeparateTaskStaging
from parsl.data_provider.rsync import RSyncStaging
from parsl.data_provider.staging import Staging
from parsl.data_provider.zip import ZipFileStaging
from parsl.errors import ConfigurationError

PUBLIC = {
    "HTTPSeparateTaskStaging": HTTPSeparateTaskStaging,
    "HTTPInTaskStaging": HTTPInTaskStaging,
    "FTPSeparateTaskStaging": FTPSeparateTaskStaging,
    "FTPInTaskStaging": FTPInTaskStaging,
    "RSyncStaging": RSyncStaging,
    "ZipFileStaging": ZipFileStaging,
    "GlobusStaging": GlobusStaging,
}
DOWNLOADERS = [HTTPSeparateTaskStaging, HTTPInTaskStaging, FTPSeparateTaskStaging, FTPInTaskStaging]


def read_text(path: str) -> str:
    return Path(path).read_text()


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_entry_point_resolves_to_the_public_class(name: str) -> None:
    assert plugins.load("parsl.staging", name) is PUBLIC[name]
    assert issubclass(PUBLIC[name], Staging)


@pytest.mark.parametrize(
    ("provider", "accepted", "refused"),
    [
        (
            HTTPSeparateTaskStaging,
            ["http://h/a", "https://h/a", "HTTPS://h/a"],
            ["ftp://h/a", "/a"],
        ),
        (HTTPInTaskStaging, ["http://h/a", "https://h/a"], ["ftp://h/a", "file:///a"]),
        (FTPSeparateTaskStaging, ["ftp://h/a"], ["http://h/a", "/a"]),
        (FTPInTaskStaging, ["ftp://u:p@h/a"], ["https://h/a", "globus://e/a"]),
    ],
)
def test_download_providers_stage_in_only_their_schemes(
    provider: type[Staging], accepted: list[str], refused: list[str]
) -> None:
    staging = provider()
    for url in accepted:
        assert staging.can_stage_in(File(url)), url
        assert not staging.can_stage_out(File(url)), url
    for url in refused:
        assert not staging.can_stage_in(File(url)), url


@pytest.mark.parametrize("provider", DOWNLOADERS)
@pytest.mark.parametrize("timeout", [0, -2.5, "60", None, True])
def test_bad_timeout_is_a_configuration_error(provider: type[Staging], timeout: object) -> None:
    with pytest.raises(ConfigurationError, match=f"{provider.__name__}.timeout"):
        provider(timeout=timeout)  # type: ignore[call-arg]


def test_repr_shows_the_timeout() -> None:
    assert repr(FTPInTaskStaging(timeout=7)) == "FTPInTaskStaging(timeout=7)"


def test_local_path_for() -> None:
    assert local_path_for(File("http://h/a/b.csv"), "/work") == "/work/b.csv"
    assert local_path_for(File("http://h/a/b.csv"), None) == "b.csv"


def test_in_task_wrapper_pickles_and_downloads_where_it_is_unpickled(
    http_url: str, tmp_path: Path
) -> None:
    file = File(f"{http_url}/x.txt")
    file.local_path = str(tmp_path / "worker" / "x.txt")
    wrapper = DownloadThenRun(read_text, file, 10.0)
    assert wrapper.__name__ == "read_text"
    copy = pickle.loads(pickle.dumps(wrapper))
    assert copy(file.local_path) == "hello from the server\n"
