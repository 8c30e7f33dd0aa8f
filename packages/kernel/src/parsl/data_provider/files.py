"""The File object: a location that apps read and write, possibly remote."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlparse


class File:
    """A file named by a path or a URL (``file://``, ``http://``, ``ftp://``, ``globus://`` ...).

    ``File("data/x.txt")`` and ``File("file:///abs/x.txt")`` are local.
    Remote files are staged in or out by a staging provider, which sets
    :attr:`local_path`; ``filepath`` then gives the path an app should open.
    """

    def __init__(self, url: str | os.PathLike[str]) -> None:
        if isinstance(url, File):
            url = str(url.__dict__["url"])
        if not isinstance(url, str | os.PathLike):
            raise TypeError(f"File(url) needs a str or os.PathLike, not {type(url).__name__}")
        self.url: str = os.fspath(url)
        parsed = urlparse(self.url)
        self.scheme = parsed.scheme if parsed.scheme else "file"
        self.netloc = parsed.netloc
        self.path = parsed.path
        self.filename = os.path.basename(self.path)
        self.local_path: str | None = None

    def cleancopy(self) -> File:
        """A copy without staging state, for hashing and for a fresh stage-in."""
        return File(self.url)

    @property
    def filepath(self) -> str:
        """The path an app should open: the staged local copy if any, else the URL's path."""
        if self.local_path is not None:
            return self.local_path
        if self.scheme in ("file", ""):
            return self.path
        raise ValueError(
            f"No local_path set for File {self.url!r}: its scheme {self.scheme!r} needs "
            "staging in first, and no staging provider has done so yet"
        )

    def __fspath__(self) -> str:
        return self.filepath

    def __str__(self) -> str:
        return self.filepath if self.scheme == "file" or self.local_path else self.url

    def __repr__(self) -> str:
        # Parsl's layout: the object's address and each part of the URL, unquoted.
        extra = f" local_path={self.local_path}" if self.local_path else ""
        return (
            f"<{type(self).__name__} at 0x{id(self):x} url={self.url} scheme={self.scheme} "
            f"netloc={self.netloc} path={self.path} filename={self.filename}{extra}>"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, File) and self.url == other.url

    def __hash__(self) -> int:
        return hash(("parsl.File", self.url))

    def __getstate__(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
