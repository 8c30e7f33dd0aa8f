"""Staging of ``zip:`` files: members of zip archives, appended under a lock by many tasks."""

from __future__ import annotations

from parsl.data_provider.zip._archive import (
    ZipAuthorityError,
    ZipLocation,
    append_member,
    extract_member,
    parse_zip_url,
    zip_path_split,
)
from parsl.data_provider.zip._staging import (
    RunThenZipAppend,
    ZipExtractThenRun,
    ZipFileStaging,
)

__all__ = [
    "RunThenZipAppend",
    "ZipAuthorityError",
    "ZipExtractThenRun",
    "ZipFileStaging",
    "ZipLocation",
    "append_member",
    "extract_member",
    "parse_zip_url",
    "zip_path_split",
]
