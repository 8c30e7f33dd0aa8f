"""logging_endpoint URLs and the default database location."""

from __future__ import annotations

import os

import pytest

from parsl.errors import ConfigurationError
from parsl.monitoring.hub import database_path_from_url, default_database_path


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///monitoring.db", "monitoring.db"),
        ("sqlite:///runinfo/monitoring.db", "runinfo/monitoring.db"),
        ("sqlite:////abs/dir/monitoring.db", "/abs/dir/monitoring.db"),
        ("SQLite:///m.db", "m.db"),
        ("sqlite+pysqlite:///m.db", "m.db"),
    ],
)
def test_sqlite_urls_give_paths(url: str, path: str) -> None:
    assert database_path_from_url(url) == path


def test_non_string_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="URL string"):
        database_path_from_url(b"sqlite:///m.db")  # type: ignore[arg-type]


def test_default_database_sits_beside_the_run_directory(tmp_path: object) -> None:
    run_dir = os.path.join(str(tmp_path), "runinfo", "003")
    assert default_database_path(run_dir) == os.path.join(str(tmp_path), "runinfo", "monitoring.db")


def test_default_database_for_a_relative_run_directory_is_absolute() -> None:
    path = default_database_path("runinfo/000")
    assert os.path.isabs(path)
    assert path == os.path.join(os.getcwd(), "runinfo", "monitoring.db")
