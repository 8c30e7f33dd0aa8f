"""One Globus transfer as a blocking call: submit, poll until done or the deadline, report.

The caller (a staging task on the DataFlowKernel's internal executor) gets
the task id back on success, or one of the package's exceptions: a
:class:`GlobusTransferError` carrying Globus's own error events, a
:class:`GlobusTransferTimeout` after the task has been cancelled, or a
:class:`GlobusAuthError` when Globus refuses the credentials.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parsl.data_provider.globus._auth import describe_api_error, sdk
from parsl.data_provider.staging_errors import (
    GlobusAuthError,
    GlobusTransferError,
    GlobusTransferTimeout,
)

if TYPE_CHECKING:
    import globus_sdk

logger = logging.getLogger(__name__)
MAX_EVENTS = 5


@dataclass(frozen=True)
class TransferRequest:
    """What to move: one file from one endpoint path to another."""

    source_endpoint: str
    source_path: str
    destination_endpoint: str
    destination_path: str
    label: str = "parsl staging"

    def __str__(self) -> str:
        return (
            f"{self.source_endpoint}:{self.source_path} -> "
            f"{self.destination_endpoint}:{self.destination_path}"
        )


def task_label(text: str) -> str:
    """``text`` as a Globus task label: letters, digits, space, '-', '_' and ',' only, <= 128."""
    return re.sub(r"[^A-Za-z0-9 _,-]", "_", text)[:128]


def error_events(client: globus_sdk.TransferClient, task_id: str) -> str:
    """Globus's own account of a failed task: its error events, newest first."""
    lines = []
    for event in client.task_event_list(task_id, limit=MAX_EVENTS * 2):
        if event.get("is_error"):
            text = f"{event.get('code')}: {event.get('description')}"
            details = str(event.get("details") or "").strip()
            lines.append(f"{text} ({details})" if details else text)
        if len(lines) >= MAX_EVENTS:
            break
    return "; ".join(lines) if lines else "Globus reported no error events"


def _statuses(
    client: globus_sdk.TransferClient,
    task_id: str,
    deadline: float,
    poll_interval: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Iterator[dict[str, Any]]:
    """The task document at each poll, until the monotonic ``deadline``."""
    while True:
        yield dict(client.get_task(task_id).data)
        left = deadline - clock()
        if left <= 0:
            return
        sleep(min(poll_interval, left))


def run_transfer(
    client: globus_sdk.TransferClient,
    request: TransferRequest,
    deadline_s: float,
    poll_interval: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Submit ``request``, wait for it at most ``deadline_s`` seconds, return the task id."""
    g = sdk()
    try:
        return _run(g, client, request, deadline_s, poll_interval, clock, sleep)
    except g.AuthAPIError as e:
        raise GlobusAuthError(
            f"Globus Auth refused to refresh the access token ({describe_api_error(e)}); "
            "the refresh token has expired or been revoked: log in again with parsl-globus-auth"
        ) from None
    except g.TransferAPIError as e:
        if e.http_status in (401, 403) and e.code in ("AuthenticationFailed", "Unauthorized"):
            raise GlobusAuthError(
                f"Globus Transfer refused the credentials ({describe_api_error(e)}); "
                "log in again with parsl-globus-auth or check the confidential client"
            ) from None
        raise GlobusTransferError(
            "(not submitted)", f"{request}: {describe_api_error(e)}"
        ) from None
    except g.NetworkError as e:
        raise GlobusTransferError(
            "(unknown)", f"{request}: cannot reach Globus ({type(e).__name__})"
        ) from None


def _run(
    g: Any,
    client: globus_sdk.TransferClient,
    request: TransferRequest,
    deadline_s: float,
    poll_interval: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> str:
    start = clock()
    deadline = start + deadline_s
    service_deadline = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=deadline_s)
    data = g.TransferData(
        request.source_endpoint,
        request.destination_endpoint,
        label=task_label(request.label),
        submission_id=client.get_submission_id()["value"],
        sync_level="checksum",
        verify_checksum=True,
        deadline=service_deadline,
    )
    data.add_item(request.source_path, request.destination_path)
    task_id = str(client.submit_transfer(data)["task_id"])
    logger.info("Globus transfer task %s submitted: %s", task_id, request)
    task: dict[str, Any] = {}
    for task in _statuses(client, task_id, deadline, poll_interval, clock, sleep):
        status = task.get("status")
        if status == "SUCCEEDED":
            logger.info("Globus transfer task %s succeeded in %.1f s", task_id, clock() - start)
            return task_id
        if status == "FAILED":
            fatal = task.get("fatal_error") or {}
            reason = error_events(client, task_id)
            if fatal:
                reason = f"{fatal.get('code')}: {fatal.get('description')}; events: {reason}"
            logger.warning("Globus transfer task %s failed: %s", task_id, reason)
            raise GlobusTransferError(task_id, f"{request}: {reason}")
    last = f"status {task.get('status')}, {task.get('nice_status') or 'no detail'}"
    try:
        client.cancel_task(task_id)
        cancelled = "cancelled"
    except g.GlobusAPIError as e:
        cancelled = f"cancelling it failed too ({describe_api_error(e)})"
    logger.warning("Globus transfer task %s overran %g s: %s", task_id, deadline_s, cancelled)
    raise GlobusTransferTimeout(
        task_id, f"{request}: not finished within {deadline_s:g} s ({last}); {cancelled}"
    )
