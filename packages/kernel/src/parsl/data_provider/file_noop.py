"""Staging for ``file://`` URLs and plain paths: nothing to move."""

from __future__ import annotations

from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging


class NoOpFileStaging(Staging):
    """Accepts local files and leaves them where they are."""

    def can_stage_in(self, file: File) -> bool:
        return file.scheme == "file"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme == "file"
