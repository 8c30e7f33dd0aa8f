"""Bodies of the child processes of the zip tests (importable by spawned interpreters)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from parsl.data_provider.staging_errors import ZipStagingError
from parsl.data_provider.zip import _archive, append_member, parse_zip_url


def append_many(archive: str, worker: int, count: int, src_dir: str) -> None:
    for i in range(count):
        src = Path(src_dir) / f"w{worker}-{i}.txt"
        src.write_text(f"{worker}:{i}")
        url = f"zip:{archive}/w{worker}/{i}.txt"
        append_member(parse_zip_url(url), str(src), url, timeout=60)


def try_lock(archive: str, url: str, q: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    try:
        with _archive.locked(archive, url, timeout=0.2):
            q.put("acquired")
    except ZipStagingError as e:
        q.put(str(e))
