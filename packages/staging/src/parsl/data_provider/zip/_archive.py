"""``zip:`` URLs and the locked archive operations behind ZipFileStaging.

A ``zip:`` URL names a member inside a zip archive: ``zip:/data/run1.zip/out/a.txt``
is the member ``out/a.txt`` of the archive ``/data/run1.zip``. The archive part
ends at the first path component whose name ends in ``.zip``.

Every operation on an archive holds an exclusive ``flock`` on a sidecar lock
file (``<archive>.lock``) and, within one process, a thread lock for the same
archive, so concurrent tasks in threads or in separate worker processes on
one host (or a file system with working ``flock``) never interleave their writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import posixpath
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from parsl.data_provider.staging_errors import ZipStagingError

LOCK_POLL_S = 0.005
_thread_locks: dict[str, threading.Lock] = {}
_thread_locks_guard = threading.Lock()


@dataclass(frozen=True)
class ZipLocation:
    """Where a ``zip:`` URL points: an archive on disk and a member name inside it."""

    archive: str
    member: str


class ZipAuthorityError(ZipStagingError):
    """A ``zip:`` URL with an authority (host) part: Parsl's name for this refusal.

    ``netloc`` is that part; ``url`` and ``reason`` as for every :class:`ZipStagingError`.
    """

    def __init__(self, url: str, netloc: str) -> None:
        super().__init__(
            url,
            f"ZipFileStaging cannot stage Files with an authority (netloc) section ({netloc}); "
            "a zip: URL names a local archive and no host",
        )
        self.netloc = netloc

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.url, self.netloc))


def zip_path_split(path: str) -> tuple[str, str]:
    """Parsl's helper: ``/a/b.zip/c/d`` as ``("/a/b.zip", "c/d")`` (see :func:`parse_zip_url`).

    The archive is the path up to its first component ending in ``.zip``;
    a path with none raises ValueError.
    """
    components = path.split("/")
    for i, name in enumerate(components):
        if name.lower().endswith(".zip") and len(name) > len(".zip"):
            return "/".join(components[: i + 1]), "/".join(components[i + 1 :])
    raise ValueError(f"{path!r} has no component ending in '.zip'")


def parse_zip_url(url: str) -> ZipLocation:
    """Split a ``zip:`` URL into archive path and member name, or raise :class:`ZipStagingError`."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "zip":
        raise ZipStagingError(url, f"the scheme is {parts.scheme or 'missing'!r}, not 'zip'")
    if parts.netloc:
        raise ZipAuthorityError(url, parts.netloc)
    if parts.query or parts.fragment:
        raise ZipStagingError(url, "a zip: URL has no query or fragment")
    try:
        archive, inside = zip_path_split(parts.path)
    except ValueError:
        raise ZipStagingError(
            url, "no path component ends in '.zip'; write zip:/path/to/archive.zip/member/name"
        ) from None
    member_parts = [c for c in inside.split("/") if c not in ("", ".")]
    if not member_parts:
        raise ZipStagingError(url, f"it names the archive {archive!r} but no member inside it")
    if ".." in member_parts:
        raise ZipStagingError(url, "a member name may not contain '..'")
    return ZipLocation(archive=archive or "/", member="/".join(member_parts))


def _thread_lock(archive: str) -> threading.Lock:
    key = os.path.realpath(archive)
    with _thread_locks_guard:
        return _thread_locks.setdefault(key, threading.Lock())


@contextlib.contextmanager
def locked(archive: str, url: str, timeout: float) -> Iterator[None]:
    """Hold the archive's thread lock and exclusive file lock, waiting at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    tlock = _thread_lock(archive)
    if not tlock.acquire(timeout=timeout):
        raise ZipStagingError(url, f"the archive stayed locked for {timeout:g} s")
    try:
        directory = os.path.dirname(archive)
        try:
            if directory:
                os.makedirs(directory, exist_ok=True)
            fd = os.open(f"{archive}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise ZipStagingError(url, f"cannot create the lock file: {e.strerror}") from e
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise ZipStagingError(
                            url, f"the archive stayed locked for {timeout:g} s"
                        ) from None
                    time.sleep(LOCK_POLL_S)
            yield
        finally:
            os.close(fd)  # closing releases the flock
    finally:
        tlock.release()


def append_member(location: ZipLocation, source: str, url: str, timeout: float) -> None:
    """Add the file ``source`` to the archive as ``location.member``, creating the archive."""
    if not os.path.isfile(source):
        raise ZipStagingError(url, f"the app did not write its output file {source!r}")
    with locked(location.archive, url, timeout):
        if os.path.exists(location.archive) and not zipfile.is_zipfile(location.archive):
            raise ZipStagingError(url, f"{location.archive} is not a readable zip file")
        try:
            with zipfile.ZipFile(location.archive, "a", compression=zipfile.ZIP_DEFLATED) as zf:
                if location.member in zf.NameToInfo:
                    raise ZipStagingError(
                        url, f"the archive already has a member {location.member!r}"
                    )
                zf.write(source, arcname=location.member)
        except zipfile.BadZipFile as e:
            raise ZipStagingError(url, f"{location.archive} is not a readable zip file: {e}") from e
        except OSError as e:
            raise ZipStagingError(url, f"cannot write {location.archive}: {e.strerror}") from e


def extract_member(location: ZipLocation, dest: str, url: str, timeout: float) -> None:
    """Copy ``location.member`` out of the archive to the file ``dest``."""
    if not os.path.exists(location.archive):
        raise ZipStagingError(url, f"the archive {location.archive} does not exist")
    with locked(location.archive, url, timeout):
        try:
            with zipfile.ZipFile(location.archive) as zf:
                try:
                    info = zf.getinfo(location.member)
                except KeyError:
                    raise ZipStagingError(
                        url, f"the archive has no member {location.member!r}"
                    ) from None
                directory = os.path.dirname(dest)
                if directory:
                    os.makedirs(directory, exist_ok=True)
                partial = f"{dest}.part"
                with zf.open(info) as src, open(partial, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.replace(partial, dest)
        except zipfile.BadZipFile as e:
            raise ZipStagingError(url, f"{location.archive} is not a readable zip file: {e}") from e
        except OSError as e:
            raise ZipStagingError(url, f"cannot extract to {dest}: {e.strerror}") from e


def local_member_path(location: ZipLocation, working_dir: str | None) -> str:
    """Where the app reads or writes the member: its name inside ``working_dir`` (or the cwd)."""
    local = posixpath.join(*location.member.split("/"))
    return os.path.join(working_dir, local) if working_dir else local
