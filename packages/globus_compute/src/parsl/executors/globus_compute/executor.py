"""``GlobusComputeExecutor``: Parsl tasks sent to a Globus Compute endpoint through the SDK's Executor.

The executor is a thin layer over a :class:`globus_compute_sdk.Executor` the
user builds (endpoint id, client, task group, defaults). For each task it
takes the task's ``parsl_resource_specification``:

* the key ``user_endpoint_config`` (a dict) becomes the endpoint's
  ``user_endpoint_config`` for that one submission (the values a multi-user
  endpoint's configuration template is rendered with);
* every other key is sent as the SDK's ``resource_specification`` for that
  submission (e.g. ``num_nodes``, ``ranks_per_node`` for MPI functions);
* a task without a specification uses the defaults the SDK executor was built with,

and restores the SDK executor's defaults after the submission. The SDK's
future completes the task's future: a result, or the exception the SDK reports
(``TaskExecutionFailed`` with the endpoint's traceback for a function that
raised). ``shutdown`` cancels what the SDK has not yet sent, and every task
still outstanding ends with :class:`GlobusComputeShutdown`.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from parsl.data_provider.staging import Staging
from parsl.errors import bad_value
from parsl.executors.base import NO_SPEC, ParslExecutor, submitted_spec
from parsl.executors.errors import ExecutorError, InvalidResourceSpecification
from parsl.executors.globus_compute._sdk import Executor, sdk_shutdown, sdk_submit
from parsl.representation import RepresentationMixin

__all__ = ["GlobusComputeExecutor", "GlobusComputeShutdown"]

logger = logging.getLogger(__name__)

USER_ENDPOINT_CONFIG = "user_endpoint_config"


class GlobusComputeShutdown(ExecutorError):
    """The executor was shut down before the task's result came back."""


def _json_dict(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidResourceSpecification([key], f"{key}={value!r} is not valid: expected a dict")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as e:
        raise InvalidResourceSpecification(
            [key], f"{key} must be JSON-serializable for Globus Compute: {e}"
        ) from e
    return value


def split_resource_specification(
    spec: dict[str, Any] | None,
    default_spec: dict[str, Any] | None,
    default_config: dict[str, Any] | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Return the (resource_specification, user_endpoint_config) one submission uses.

    An empty or missing ``spec`` means the SDK executor's defaults; otherwise
    ``user_endpoint_config`` is taken out of a copy of ``spec`` (falling back to
    the default config) and the rest is the resource specification.
    """
    chosen = copy.deepcopy(spec or default_spec)
    if not chosen:
        return chosen, default_config
    config = chosen.pop(USER_ENDPOINT_CONFIG, default_config)
    if config is not None:
        config = _json_dict(USER_ENDPOINT_CONFIG, config)
    _json_dict("parsl_resource_specification", chosen)
    return chosen, config


class GlobusComputeExecutor(ParslExecutor, RepresentationMixin):
    """Runs Parsl tasks on a Globus Compute endpoint.

    Parameters
    ----------
    executor:
        A :class:`globus_compute_sdk.Executor` naming the endpoint (and
        optionally a client, task group, default ``resource_specification``
        and ``user_endpoint_config``).
    label:
        The executor's label in the Parsl configuration.
    storage_access:
        Staging providers for the apps' ``File`` arguments, as every Parsl
        executor takes them (default: local files only). Choose providers
        that stage inside the task (HTTP, FTP, rsync in-task) or through a
        service (Globus): the task runs on the endpoint, not here.
    working_dir:
        The directory on the endpoint where staging providers that use it
        put the files they fetch (default: the task's current directory).

    Functions, arguments and results travel through the Globus Compute
    service, serialized by the SDK: use the same Python, Parsl and SDK
    versions on both sides.
    """

    def __init__(
        self,
        executor: Executor,
        label: str = "GlobusComputeExecutor",
        storage_access: Sequence[Staging] | None = None,
        working_dir: str | None = None,
    ) -> None:
        if not isinstance(executor, Executor):
            raise bad_value("executor", executor, "a globus_compute_sdk.Executor instance")
        if not isinstance(label, str) or not label:
            raise bad_value("label", label, "a non-empty string")
        if storage_access is not None and (
            isinstance(storage_access, Staging | str)
            or not isinstance(storage_access, Sequence)
            or not all(isinstance(p, Staging) for p in storage_access)
        ):
            raise bad_value("storage_access", storage_access, "a list of Staging providers")
        if working_dir is not None and (not isinstance(working_dir, str) or not working_dir):
            raise bad_value("working_dir", working_dir, "a directory path on the endpoint, or None")
        self.executor = executor
        self.label = label
        self.storage_access = list(storage_access) if storage_access is not None else None
        self.working_dir = working_dir
        self.resource_specification: dict[str, Any] | None = executor.resource_specification
        self.user_endpoint_config: dict[str, Any] | None = executor.user_endpoint_config
        self._lock = threading.Lock()
        self._outstanding: set[Future[Any]] = set()
        self._stopped = False

    def monitor_resources(self) -> bool:
        # Parsl's resource monitor wrapper would run on the endpoint, where no
        # monitoring hub is reachable.
        return False

    def start(self) -> None:
        """Nothing to start: the SDK executor connects on first submission."""

    def validate_resource_specification(self, spec: dict[str, Any]) -> None:
        """Any JSON-serializable keys are passed to the endpoint; check just that."""
        split_resource_specification(spec, None, None)

    @property
    def outstanding(self) -> int:
        with self._lock:
            return len(self._outstanding)

    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any] = NO_SPEC,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        """Send ``func(*args, **kwargs)`` to the endpoint; see the module docstring for the mapping."""
        resource_specification = submitted_spec(resource_specification, kwargs)
        res_spec, config = split_resource_specification(
            resource_specification, self.resource_specification, self.user_endpoint_config
        )
        result: Future[Any] = Future()
        with self._lock:
            if self._stopped:
                raise GlobusComputeShutdown(self.label, "the executor is shut down")
            sdk = self.executor
            try:
                sdk.resource_specification = res_spec
                sdk.user_endpoint_config = config
                remote = sdk_submit(sdk, func, *args, **kwargs)
            finally:
                sdk.resource_specification = self.resource_specification
                sdk.user_endpoint_config = self.user_endpoint_config
            self._outstanding.add(result)
        remote.add_done_callback(lambda done: self._complete(result, done))
        return result

    def _complete(self, result: Future[Any], remote: Future[Any]) -> None:
        with self._lock:
            if result not in self._outstanding:
                return  # already ended by shutdown
            self._outstanding.discard(result)
        if remote.cancelled():
            result.set_exception(
                GlobusComputeShutdown(self.label, "the task was cancelled before it was sent")
            )
            return
        exc = remote.exception()
        if exc is not None:
            result.set_exception(exc)
        else:
            result.set_result(remote.result())

    def shutdown(self) -> None:
        """Cancel what the SDK has not sent; tasks still outstanding end with GlobusComputeShutdown.

        Tasks already registered with the service cannot be recalled and may
        still run on the endpoint; their results are no longer collected.
        """
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            # Taken before the SDK cancels: the cancellations' callbacks then find nothing to
            # settle, and every outstanding task ends with the one shutdown error below.
            left, self._outstanding = self._outstanding, set()
        try:
            sdk_shutdown(self.executor, wait=False, cancel_futures=True)
        except Exception:
            logger.exception("executor %s: shutting down the Globus Compute SDK failed", self.label)
        for fut in left:
            fut.set_exception(
                GlobusComputeShutdown(
                    self.label, "shut down before the task's result came back from the endpoint"
                )
            )
