"""FalconStaging: ``falcon://HOST/dir`` inputs received on the worker with the Falcon data mover."""

from __future__ import annotations

import functools
import os
import posixpath
from collections.abc import Callable
from typing import Any

from parsl.data_provider.falcon._protocol import ProtocolError, check_host
from parsl.data_provider.falcon._receive import ReceiveSettings, parse_falcon_url, receive
from parsl.data_provider.files import File
from parsl.data_provider.staging import Staging
from parsl.errors import bad_value


class FalconReceiveThenRun:
    """Receives the directory into its local path, then calls the app's function (picklable)."""

    __name__: str
    __wrapped__: Callable[..., Any]

    def __init__(self, func: Callable[..., Any], file: File, settings: ReceiveSettings) -> None:
        functools.update_wrapper(self, func, updated=())
        self.func = func
        self.file = file
        self.settings = settings

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        receive(self.file.url, self.file.local_path or self.file.filename, self.settings)
        return self.func(*args, **kwargs)


def _seconds(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise bad_value(f"FalconStaging.{field}", value, "a number of seconds > 0")
    return float(value)


class FalconStaging(Staging):
    """Stages in ``falcon://HOST[:PORT]/path/to/dir`` directories with Falcon, inside the task.

    On the worker, a ``falcon receiver`` listens on ``receiver_host`` (the
    worker's address as the data's host reaches it) and ``parsl-falcon-agent``
    on ``HOST`` (port ``PORT``, default 50100) runs ``falcon sender`` for the
    directory. The directory arrives as ``<working_dir>/<its name>``;
    ``File.filepath`` points there. Every file is checked against the agent's
    list (name and size) before the app runs. ``falcon`` is the program
    (default ``$PARSL_FALCON_EXECUTABLE`` or ``falcon`` on PATH), ``timeout``
    bounds a transfer, ``max_cc`` caps Falcon's concurrency. Stage-out is not
    supported.
    """

    def __init__(
        self,
        receiver_host: str = "127.0.0.1",
        *,
        falcon: str | None = None,
        timeout: float = 3600.0,
        listen_timeout: float = 30.0,
        max_cc: int | None = None,
    ) -> None:
        try:
            check_host(receiver_host)
        except ProtocolError:
            raise bad_value(
                "FalconStaging.receiver_host", receiver_host, "a host name or IP address"
            ) from None
        if falcon is not None and (not isinstance(falcon, str) or not falcon):
            raise bad_value("FalconStaging.falcon", falcon, "the falcon program's name or path")
        if max_cc is not None and (
            isinstance(max_cc, bool) or not isinstance(max_cc, int) or max_cc < 1
        ):
            raise bad_value("FalconStaging.max_cc", max_cc, "a positive integer or None")
        self.settings = ReceiveSettings(
            receiver_host=receiver_host,
            falcon=falcon,
            timeout=_seconds("timeout", timeout),
            listen_timeout=_seconds("listen_timeout", listen_timeout),
            max_cc=max_cc,
        )

    def can_stage_in(self, file: File) -> bool:
        return file.scheme.lower() == "falcon"

    def can_stage_out(self, file: File) -> bool:
        return False

    def replace_task(
        self, dm: Any, executor: str, file: File, func: Callable[..., Any]
    ) -> Callable[..., Any] | None:
        where = parse_falcon_url(file.url)
        name = posixpath.basename(where.directory)
        working_dir = getattr(dm.dfk.executors[executor], "working_dir", None)
        file.local_path = os.path.join(working_dir, name) if working_dir else name
        return FalconReceiveThenRun(func, file, self.settings)

    def __repr__(self) -> str:
        return f"FalconStaging(receiver_host={self.settings.receiver_host!r})"
