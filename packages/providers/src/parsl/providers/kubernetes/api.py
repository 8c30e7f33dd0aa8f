"""PodAPI: the few pod calls KubernetesProvider makes, each bounded by cmd_timeout, each failure a ProviderError."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

from parsl.errors import OptionalModuleMissing
from parsl.providers.errors import ProviderError, SubmitException
from parsl.providers.kubernetes.pods import api_error_message

logger = logging.getLogger(__name__)


def http_status(error: BaseException) -> int | None:
    """The HTTP status the API answered with, for an error from :class:`PodAPI`; None if it never answered."""
    from kubernetes.client.exceptions import ApiException

    cause = error.__cause__
    return int(cause.status) if isinstance(cause, ApiException) and cause.status else None


class PodSettings(Protocol):
    """Where PodAPI reads its settings from (the KubernetesProvider)."""

    label: str
    namespace: str
    cmd_timeout: int
    kubeconfig: str | None
    context: str | None


class PodAPI:
    """Creates, lists, deletes and reads the logs of pods in one namespace, through the official client.

    The client is imported and the credentials read at the first call: from
    ``kubeconfig`` (and ``context``) when given; else from inside a pod
    (its service account) when ``KUBERNETES_SERVICE_HOST`` is set; else
    from ``$KUBECONFIG`` or ``~/.kube/config``. Each call makes one attempt
    that must answer within ``cmd_timeout`` seconds. Lists and creates read
    the API's JSON directly rather than the client's models, which is both
    faster and the same across the client's generations.
    """

    def __init__(self, settings: PodSettings) -> None:
        self.settings = settings
        self.host = "?"
        self._core: Any = None
        self._lock = threading.Lock()

    # Read at each call, so a setting changed on the provider after it was made still counts.
    @property
    def label(self) -> str:
        return self.settings.label

    @property
    def namespace(self) -> str:
        return self.settings.namespace

    @property
    def cmd_timeout(self) -> int:
        return self.settings.cmd_timeout

    @property
    def kubeconfig(self) -> str | None:
        return self.settings.kubeconfig

    @property
    def context(self) -> str | None:
        return self.settings.context

    # -- connection ----------------------------------------------------------------

    def core(self) -> Any:
        """The client's ``CoreV1Api``, made at the first call."""
        with self._lock:
            if self._core is None:
                self._core = self._connect()
            return self._core

    def _connect(self) -> Any:
        try:
            from kubernetes import client
            from kubernetes import config as kube_config
        except ImportError as e:
            raise OptionalModuleMissing(
                ["kubernetes"],
                "KubernetesProvider needs it: pip install 'parsl-providers[kubernetes]'",
            ) from e
        configuration = client.Configuration()
        config: Any = kube_config  # its loaders are untyped
        try:
            if self.kubeconfig is None and "KUBERNETES_SERVICE_HOST" in os.environ:
                config.load_incluster_config(client_configuration=configuration)
            else:
                # $KUBECONFIG is read now, not when the client was imported (it may be a path list).
                config.load_kube_config(
                    config_file=self.kubeconfig or os.environ.get("KUBECONFIG") or None,
                    context=self.context,
                    client_configuration=configuration,
                )
        except (config.ConfigException, OSError, ValueError, TypeError) as e:
            where = self.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
            raise ProviderError(
                self.label,
                f"no usable Kubernetes credentials in {where}: {e} "
                "(give kubeconfig=..., set KUBECONFIG, or run inside a pod)",
            ) from e
        configuration.retries = False  # one try within cmd_timeout; the strategy asks again later
        self.host = configuration.host
        return client.CoreV1Api(client.ApiClient(configuration))

    def _call(
        self,
        what: str,
        method: Callable[..., Any],
        *args: Any,
        error: type[ProviderError] = ProviderError,
        **kwargs: Any,
    ) -> Any:
        import urllib3

        from kubernetes.client.exceptions import ApiException

        try:
            return method(*args, _request_timeout=self.cmd_timeout, **kwargs)
        except ApiException as e:
            raise error(
                self.label,
                f"{what}: the Kubernetes API answered {e.status} {e.reason}: {api_error_message(e.body)}",
            ) from e
        except urllib3.exceptions.HTTPError as e:
            raise error(
                self.label,
                f"{what}: no answer from the Kubernetes API at {self.host} "
                f"within cmd_timeout={self.cmd_timeout}s: {e}",
            ) from e
        except (
            ValueError
        ) as e:  # the client could not read the answer (pydantic raises ValueErrors)
            raise error(
                self.label,
                f"{what}: the Kubernetes API's answer is not what the client expects: {e}",
            ) from e

    # -- the calls -------------------------------------------------------------------

    def create(self, manifest: dict[str, Any]) -> None:
        """Create one pod; SubmitException if refused (:func:`http_status` tells) or unanswered."""
        name = manifest["metadata"]["name"]
        what = f"creating pod {name} in namespace {self.namespace}"
        core = self.core()
        response = self._call(
            what,
            core.create_namespaced_pod,
            self.namespace,
            manifest,
            error=SubmitException,
            _preload_content=False,
        )
        try:
            answer = json.loads(response.data)
            ok = answer.get("kind") == "Pod" and answer["metadata"]["name"] == name
        except (ValueError, AttributeError, KeyError, TypeError):
            ok = False
        if not ok:
            data = getattr(response, "data", b"")
            text = data.decode(errors="replace") if isinstance(data, bytes) else repr(data)
            raise SubmitException(
                self.label, f"{what}: the answer is not the pod just created: {text[:200]}"
            )

    def list(self, label_selector: str) -> list[dict[str, Any]]:
        """The pods matching ``label_selector``, as the API's JSON objects."""
        what = f"listing pods in namespace {self.namespace}"
        response = self._call(
            what,
            self.core().list_namespaced_pod,
            self.namespace,
            label_selector=label_selector,
            _preload_content=False,
        )
        try:
            items = json.loads(response.data).get("items") or []
        except (ValueError, AttributeError) as e:
            raise ProviderError(self.label, f"{what}: the answer is not a pod list: {e}") from e
        return [p for p in items if isinstance(p, dict)]

    def delete(self, name: str) -> bool:
        """Delete a pod at once: True if deleted or already gone, False if the API refused.

        No answer at all raises ProviderError: whether the pod is gone is unknown.
        """
        try:
            self._call(
                f"deleting pod {name}",
                self.core().delete_namespaced_pod,
                name,
                self.namespace,
                grace_period_seconds=0,
            )
        except ProviderError as e:
            status = http_status(e)
            if status is None:
                raise
            if status != 404:
                logger.warning("%s: %s", self.label, e)
            return status == 404
        return True

    def log_tail(self, name: str, lines: int) -> str:
        """The last ``lines`` lines of a pod's log."""
        return str(
            self._call(
                f"reading the log of pod {name}",
                self.core().read_namespaced_pod_log,
                name,
                self.namespace,
                tail_lines=lines,
            )
        )
