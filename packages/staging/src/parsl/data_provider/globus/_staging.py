"""GlobusStaging: ``globus://ENDPOINT/path`` files move by Globus transfer tasks.

Each transfer runs as a task of its own on the DataFlowKernel's internal
executor (it only talks to the Globus service), so it shows up in the task
table, fails its dependent app with a DependencyError whose root cause is a
staging error, and is retried when ``Config(retries=...)`` allows.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import uuid
from collections.abc import Sequence
from typing import Any

from parsl.app.futures import DataFuture
from parsl.data_provider.downloads import executor_working_dir
from parsl.data_provider.files import File
from parsl.data_provider.globus._auth import GlobusAuth
from parsl.data_provider.globus._transfer import TransferRequest, run_transfer
from parsl.data_provider.staging import Staging
from parsl.errors import ConfigurationError, bad_value
from parsl.typecheck import typechecked

INTERNAL_EXECUTOR = "_parsl_internal"
DEFAULT_DEADLINE = 3600.0
DEFAULT_POLL_INTERVAL = 5.0


def endpoint_path_for(
    working_dir: str, filename: str, endpoint_path: str | None, local_path: str | None
) -> str:
    """The path on the executor's endpoint of ``filename`` inside ``working_dir``.

    With ``local_path`` and ``endpoint_path``, ``working_dir`` (under
    ``local_path``) maps onto the same place under ``endpoint_path``; without
    them the endpoint sees the local file system's paths unchanged.
    """
    working_dir = os.path.abspath(working_dir)
    if endpoint_path is None or local_path is None:
        return posixpath.join(working_dir, filename)
    relative = os.path.relpath(working_dir, os.path.abspath(local_path))
    if relative == ".." or relative.startswith("../"):
        raise ConfigurationError(
            f"the executor's working_dir {working_dir!r} is not under GlobusStaging's "
            f"local_path {local_path!r}, so it has no path on the endpoint",
            field="working_dir",
            value=working_dir,
        )
    return posixpath.normpath(posixpath.join(endpoint_path, relative, filename))


def _check_path(field: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("/"):
        raise bad_value(f"GlobusStaging.{field}", value, "an absolute path or None")
    return value


def _check_seconds(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise bad_value(f"GlobusStaging.{field}", value, "a number of seconds > 0")
    return float(value)


class GlobusStaging(Staging):
    """Stages ``globus://ENDPOINT/path`` files in and out of the executor's ``working_dir``.

    ``endpoint_uuid`` is the Globus collection that sees the executor's file
    system. Stage-in transfers ``ENDPOINT:path`` to ``<working_dir>/<name>``
    before the app runs; stage-out transfers the app's ``<working_dir>/<name>``
    to ``ENDPOINT:path`` after it succeeds. When the collection shows the file
    system under another root, ``local_path`` (a local directory) and
    ``endpoint_path`` (the same directory as the collection names it) map one
    onto the other. ``deadline`` bounds each transfer in seconds (it is then
    cancelled); ``poll_interval`` is how often its status is read; ``auth``
    chooses the credentials (see :class:`GlobusAuth`).
    """

    @typechecked
    def __init__(
        self,
        endpoint_uuid: str | uuid.UUID,
        endpoint_path: str | None = None,
        local_path: str | None = None,
        *,
        auth: GlobusAuth | None = None,
        deadline: float = DEFAULT_DEADLINE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        try:
            self.endpoint_uuid = str(uuid.UUID(str(endpoint_uuid)))
        except ValueError:
            raise bad_value(
                "GlobusStaging.endpoint_uuid", endpoint_uuid, "a Globus collection UUID"
            ) from None
        self.endpoint_path = _check_path("endpoint_path", endpoint_path)
        self.local_path = _check_path("local_path", local_path)
        if (self.endpoint_path is None) != (self.local_path is None):
            raise ConfigurationError(
                "GlobusStaging needs endpoint_path and local_path together (one directory as "
                "the endpoint and the local file system name it), or neither",
                field="endpoint_path",
                value=endpoint_path,
            )
        if auth is not None and not isinstance(auth, GlobusAuth):
            raise bad_value("GlobusStaging.auth", auth, "a GlobusAuth or None")
        self.auth = auth or GlobusAuth()
        self.deadline = _check_seconds("deadline", deadline)
        self.poll_interval = _check_seconds("poll_interval", poll_interval)

    def can_stage_in(self, file: File) -> bool:
        return file.scheme.lower() == "globus"

    def can_stage_out(self, file: File) -> bool:
        return file.scheme.lower() == "globus"

    def _local(self, dm: Any, executor: str, file: File) -> str:
        """Set ``file.local_path`` and return the same file's path on this endpoint."""
        working_dir = executor_working_dir(dm, executor)
        if working_dir is None:
            raise bad_value(
                f"executor {executor!r} working_dir",
                None,
                "a directory the Globus endpoint can see (GlobusStaging stages into it)",
            )
        if not file.netloc or not file.filename:
            raise bad_value("File", file.url, "globus://ENDPOINT_UUID/path/to/file")
        file.local_path = os.path.join(os.path.abspath(working_dir), file.filename)
        return endpoint_path_for(working_dir, file.filename, self.endpoint_path, self.local_path)

    def stage_in(self, dm: Any, executor: str, file: File, parent_fut: Any) -> DataFuture | None:
        from parsl.app.app import python_app

        request = TransferRequest(
            source_endpoint=file.netloc,
            source_path=file.path,
            destination_endpoint=self.endpoint_uuid,
            destination_path=self._local(dm, executor, file),
            label=f"parsl stage-in {file.filename}",
        )
        app = python_app(executors=[INTERNAL_EXECUTOR], data_flow_kernel=dm.dfk)(_globus_stage_in)
        extra: dict[str, Any] = {} if parent_fut is None else {"parent_fut": parent_fut}
        fut = app(self, request, outputs=[file], _parsl_staging_inhibit=True, **extra)
        outputs: list[DataFuture] = fut.outputs
        return outputs[0] if outputs else DataFuture(fut, file, tid=getattr(fut, "tid", None))

    def stage_out(self, dm: Any, executor: str, file: File, app_fu: Any) -> Any | None:
        from parsl.app.app import python_app

        source_path = self._local(dm, executor, file)
        assert file.local_path is not None
        with contextlib.suppress(OSError):  # the app writes there; it may be on another host
            os.makedirs(os.path.dirname(file.local_path), exist_ok=True)
        request = TransferRequest(
            source_endpoint=self.endpoint_uuid,
            source_path=source_path,
            destination_endpoint=file.netloc,
            destination_path=file.path,
            label=f"parsl stage-out {file.filename}",
        )
        app = python_app(executors=[INTERNAL_EXECUTOR], data_flow_kernel=dm.dfk)(_globus_stage_out)
        return app(self, request, inputs=[file], _parsl_staging_inhibit=True, parent_fut=app_fu)

    def transfer(self, request: TransferRequest) -> str:
        """Run one transfer now with this provider's credentials and deadline; return its task id."""
        return run_transfer(self.auth.transfer_client(), request, self.deadline, self.poll_interval)

    def __repr__(self) -> str:
        return (
            f"GlobusStaging(endpoint_uuid={self.endpoint_uuid!r}, "
            f"endpoint_path={self.endpoint_path!r}, local_path={self.local_path!r})"
        )


def _globus_stage_in(
    staging: GlobusStaging,
    request: TransferRequest,
    outputs: Sequence[File] = (),
    parent_fut: Any = None,
) -> str:
    """Body of a stage-in task: transfer the file to the executor's endpoint."""
    return staging.transfer(request)


def _globus_stage_out(
    staging: GlobusStaging,
    request: TransferRequest,
    inputs: Sequence[File] = (),
    parent_fut: Any = None,
) -> str:
    """Body of a stage-out task (after the app): transfer the file from the executor's endpoint."""
    return staging.transfer(request)
