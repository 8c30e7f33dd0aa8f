"""KubernetesProvider: blocks are pods, made and watched through the Kubernetes API."""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
import threading
import uuid
from typing import Any

from parsl.argument_checks import check_bool, check_int, check_text
from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.jobs.walltime import walltime_to_seconds
from parsl.providers.base import ExecutionProvider
from parsl.providers.cluster.arguments import (
    check_directive_value,
    check_walltime,
    set_block_scaling,
)
from parsl.providers.errors import ProviderError, SubmitException
from parsl.providers.kubernetes.api import PodAPI, http_status
from parsl.providers.kubernetes.arguments import (
    check_annotations,
    check_extra_resources,
    check_id,
    check_request_within_limit,
    check_volumes,
)
from parsl.providers.kubernetes.pods import (
    JOB_LABEL,
    PodTemplate,
    block_status,
    is_dns_label,
    job_id_for,
    owner_selector,
    pod_manifest,
    pod_names,
    quantity,
)
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

_LOG_TAIL_LINES = 50


class KubernetesProvider(ExecutionProvider):
    """Runs each block as ``nodes_per_block`` pods of ``image`` in ``namespace``.

    Credentials come from ``kubeconfig`` (a file; ``context`` picks one of
    its contexts), else from inside a pod (its service account) when
    ``KUBERNETES_SERVICE_HOST`` is set, else from ``$KUBECONFIG`` or
    ``~/.kube/config``. They are read at the first API call, so a Config
    can be built (and its pods rendered) without a cluster. Every call
    must answer within ``cmd_timeout`` seconds.

    Each pod runs ``/bin/bash -c '<worker_init>\\n<command>'``, asks for
    ``init_cpu``/``init_mem`` and is limited to ``max_cpu``/``max_mem``.
    With ``walltime`` the pods get ``activeDeadlineSeconds`` and a pod
    past it is reported as TIMEOUT. A container that cannot start (image
    pull errors, bad configuration) makes its block FAILED with the
    kubelet's reason, instead of leaving it pending for ever. The manifest
    of each block, and the last lines of a failed pod's log, are kept in
    ``script_dir``.

    Needs the ``kubernetes`` client: ``pip install 'parsl-providers[kubernetes]'``.

    Args:
        image: container image with Python and the parsl packages the executor needs.
        namespace: Kubernetes namespace of the pods.
        nodes_per_block: pods per block.
        init_blocks, min_blocks, max_blocks, parallelism: scaling, as for every provider.
        max_cpu, max_mem: the container's limits (``2``, ``"500Mi"``).
        init_cpu, init_mem: the container's requests (at most the limits).
        worker_init: shell lines run in the pod before the worker command.
        pod_name: prefix of the pod names (default: from the executor's block name).
        user_id, group_id: run the container as this uid/gid.
        run_as_non_root: ask Kubernetes to refuse starting the container as root.
        secret: name of an image pull secret.
        persistent_volumes: ``(claim name, mount path)`` pairs to mount.
        service_account_name: the pods' service account.
        annotations: annotations put on every pod.
        walltime: optional ``HH:MM:SS`` limit per pod (``activeDeadlineSeconds``).
        cmd_timeout: seconds an API call may take.
        kubeconfig, context: where the credentials come from (see above).
        extra_requests, extra_limits: more container resource requests / limits,
            e.g. ``{"nvidia.com/gpu": "1"}``.
    """

    label = "kubernetes"
    #: Seconds between status polls: one listing per poll is cheap for an API server.
    polling_interval_s: float = 10.0

    @typechecked
    def __init__(
        self,
        image: str,
        namespace: str = "default",
        nodes_per_block: int = 1,
        init_blocks: int = 4,
        min_blocks: int = 0,
        max_blocks: int = 10,
        max_cpu: float | str = 2,
        max_mem: str = "500Mi",
        init_cpu: float | str = 1,
        init_mem: str = "250Mi",
        parallelism: float = 1,
        worker_init: str = "",
        pod_name: str | None = None,
        user_id: str | int | None = None,
        group_id: str | int | None = None,
        run_as_non_root: bool = False,
        secret: str | None = None,
        persistent_volumes: list[tuple[str, str]] | None = None,
        service_account_name: str | None = None,
        annotations: dict[str, str] | None = None,
        walltime: str | None = None,
        cmd_timeout: int = 10,
        kubeconfig: str | None = None,
        context: str | None = None,
        launcher: Any = None,
        extra_requests: dict[str, str] | None = None,
        extra_limits: dict[str, str] | None = None,
    ) -> None:
        if not isinstance(image, str) or not image.strip() or any(c.isspace() for c in image):
            raise bad_value("image", image, 'a container image name such as "python:3.11"')
        if not isinstance(namespace, str) or not is_dns_label(namespace):
            raise bad_value(
                "namespace", namespace, "a Kubernetes namespace name (lower-case DNS label)"
            )
        if launcher is not None:
            raise bad_value("launcher", launcher, "None: each pod runs the worker command itself")
        self.image = image
        self.namespace = namespace
        set_block_scaling(self, nodes_per_block, init_blocks, min_blocks, max_blocks, parallelism)
        self.max_cpu = quantity("max_cpu", max_cpu, memory=False)
        self.max_mem = quantity("max_mem", max_mem, memory=True)
        self.init_cpu = quantity("init_cpu", init_cpu, memory=False)
        self.init_mem = quantity("init_mem", init_mem, memory=True)
        check_request_within_limit("init_cpu", self.init_cpu, self.max_cpu)
        check_request_within_limit("init_mem", self.init_mem, self.max_mem)
        self.worker_init = check_text("worker_init", worker_init)
        if pod_name is not None and (not isinstance(pod_name, str) or not pod_name.strip()):
            raise bad_value("pod_name", pod_name, "None or a name prefix for the pods")
        self.pod_name = pod_name
        self.user_id = check_id("user_id", user_id)
        self.group_id = check_id("group_id", group_id)
        self.run_as_non_root = check_bool("run_as_non_root", run_as_non_root)
        self.secret = check_directive_value("secret", secret)
        self.persistent_volumes = check_volumes(persistent_volumes)
        self.service_account_name = check_directive_value(
            "service_account_name", service_account_name
        )
        self.annotations = check_annotations(annotations)
        self.extra_requests = check_extra_resources("extra_requests", extra_requests)
        self.extra_limits = check_extra_resources("extra_limits", extra_limits)
        self.walltime_limit = None if walltime is None else check_walltime(walltime)
        if walltime is not None:
            self.walltime = walltime
        self.walltime_enforced = walltime is not None
        self.cmd_timeout = check_int("cmd_timeout", cmd_timeout, 1)
        if kubeconfig is not None and (not isinstance(kubeconfig, str) or not kubeconfig):
            raise bad_value("kubeconfig", kubeconfig, "None or the path of a kubeconfig file")
        if context is not None and (not isinstance(context, str) or not context):
            raise bad_value("context", context, "None or the name of a context in the kubeconfig")
        self.kubeconfig = kubeconfig
        self.context = context
        self.launcher = None
        self.script_dir: str | None = None
        self.owner = uuid.uuid4().hex[:10]
        self.resources: dict[Any, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._serial = itertools.count()
        self.api = PodAPI(self)

    @property
    def template(self) -> PodTemplate:
        """What every pod of this provider shares."""
        return PodTemplate(
            image=self.image,
            namespace=self.namespace,
            owner=self.owner,
            max_cpu=self.max_cpu,
            max_mem=self.max_mem,
            init_cpu=self.init_cpu,
            init_mem=self.init_mem,
            worker_init=self.worker_init,
            user_id=self.user_id,
            group_id=self.group_id,
            run_as_non_root=self.run_as_non_root,
            secret=self.secret,
            persistent_volumes=self.persistent_volumes,
            service_account_name=self.service_account_name,
            annotations=self.annotations,
            extra_requests=self.extra_requests,
            extra_limits=self.extra_limits,
            deadline_s=None
            if self.walltime_limit is None
            else int(walltime_to_seconds(self.walltime_limit)),
        )

    @property
    def status_polling_interval(self) -> float:
        """Seconds between status polls (:attr:`polling_interval_s`)."""
        return self.polling_interval_s

    def manifests(
        self, command: str, job_name: str = "parsl.block"
    ) -> tuple[str, list[dict[str, Any]]]:
        """The job id and pod objects the next block running ``command`` would be (no API call)."""
        job_id = job_id_for(self.pod_name or "", job_name, next(self._serial), self.owner[:6])
        template = self.template
        return job_id, [
            pod_manifest(template, job_id, name, command)
            for name in pod_names(job_id, self.nodes_per_block)
        ]

    # -- submit / status / cancel ---------------------------------------------------

    def submit(
        self,
        command: str | None = None,
        tasks_per_node: int | None = None,
        job_name: str = "parsl.block",
        *,
        cmd_string: str | None = None,
    ) -> str:
        """Create the block's pods running ``command`` (once per pod); return the block's job id.

        ``cmd_string=`` is Parsl's keyword for ``command`` on this provider.
        """
        if cmd_string is not None:
            if command is not None:
                raise TypeError("submit() got both command and cmd_string (Parsl's name): give one")
            command = cmd_string
        check_int("tasks_per_node", tasks_per_node, 1)
        if not isinstance(command, str) or not command.strip():
            raise bad_value("command", command, "the worker command, a non-empty string")
        if not isinstance(job_name, str):
            raise bad_value("job_name", job_name, "a string")
        job_id, manifests = self.manifests(command, job_name)
        self._keep(f"{job_id}.pods.json", json.dumps(manifests, indent=2) + "\n")
        created: list[str] = []
        for manifest in manifests:
            try:
                self.api.create(manifest)
            except SubmitException as e:
                # No answer, or a strange one: the pod may exist all the same. A refusal means it does not
                # (and a 409 means the name belongs to another pod, which must be left alone).
                name = manifest["metadata"]["name"]
                self._delete_quietly(created if http_status(e) is not None else [*created, name])
                raise
            created.append(manifest["metadata"]["name"])
        with self._lock:
            self.resources[job_id] = {
                "job_id": job_id,
                "pods": created,
                "status": JobStatus(JobState.PENDING),
            }
        logger.info("%s: block %s is pods %s", self.label, job_id, ", ".join(created))
        return job_id

    def status(self, job_ids: list[Any]) -> list[JobStatus]:
        """Each block's status, in order, from one listing of this provider's pods."""
        ids = [str(j) for j in job_ids]
        with self._lock:
            live = [
                i for i in ids if i in self.resources and not self.resources[i]["status"].terminal
            ]
        if live:
            pods = self.api.list(owner_selector(self.owner))
            for job_id in dict.fromkeys(live):
                mine = [
                    p
                    for p in pods
                    if (p.get("metadata") or {}).get("labels", {}).get(JOB_LABEL) == job_id
                ]
                status = block_status(self.resources[job_id]["pods"], mine)
                if status.state in (JobState.FAILED, JobState.TIMEOUT):
                    status = self._with_logs(job_id, status)
                with self._lock:
                    if not self.resources[job_id]["status"].terminal:
                        self.resources[job_id]["status"] = status
        with self._lock:
            return [
                self.resources[i]["status"]
                if i in self.resources
                else JobStatus(JobState.MISSING, "not a block of this provider")
                for i in ids
            ]

    def cancel(self, job_ids: list[Any]) -> list[bool]:
        """Delete each block's pods; True where every pod was deleted (or already gone)."""
        results = []
        for job_id in (str(j) for j in job_ids):
            with self._lock:
                resource = self.resources.get(job_id)
            if resource is None or resource["status"].terminal:
                results.append(False)
                continue
            ok = self._delete(resource["pods"])
            if ok:
                with self._lock:
                    resource["status"] = JobStatus(
                        JobState.CANCELLED, "pods deleted by the provider"
                    )
            results.append(ok)
        return results

    def _delete(self, names: list[str]) -> bool:
        """Delete each pod; True if all are gone. No answer from the API raises ProviderError."""
        results = [self.api.delete(name) for name in names]
        return all(results)

    def _delete_quietly(self, names: list[str]) -> None:
        try:
            self._delete(names)
        except ProviderError as e:
            logger.warning("%s: could not remove the pods of a failed block: %s", self.label, e)

    def _with_logs(self, job_id: str, status: JobStatus) -> JobStatus:
        """Keep the last lines of each failed block's pod logs in script_dir; point the status at them."""
        parts = []
        for name in self.resources[job_id]["pods"]:
            try:
                text = self.api.log_tail(name, _LOG_TAIL_LINES)
            except ProviderError as e:
                text = f"(no log: {e})"
            parts.append(f"== pod {name}\n{text}")
        path = self._keep(f"{job_id}.log", "\n".join(parts))
        return JobStatus(status.state, status.message, status.exit_code, stdout_path=path)

    def _keep(self, filename: str, text: str) -> str | None:
        try:
            if self.script_dir is None:
                self.script_dir = tempfile.mkdtemp(prefix="parsl-kubernetes-")
            os.makedirs(self.script_dir, mode=0o700, exist_ok=True)
            path = os.path.join(self.script_dir, filename)
            with open(path, "w") as f:
                f.write(text)
            return path
        except OSError as e:
            logger.warning("%s: cannot keep %s in %s: %s", self.label, filename, self.script_dir, e)
            return None

    def __repr__(self) -> str:
        return (
            f"KubernetesProvider(image={self.image!r}, namespace={self.namespace!r}, "
            f"nodes_per_block={self.nodes_per_block}, init_blocks={self.init_blocks}, "
            f"min_blocks={self.min_blocks}, max_blocks={self.max_blocks}, "
            f"max_cpu={self.max_cpu!r}, max_mem={self.max_mem!r})"
        )
