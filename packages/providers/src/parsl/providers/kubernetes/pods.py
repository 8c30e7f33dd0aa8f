"""The Kubernetes provider's pure functions: pod names, resource quantities, manifests, states.

Nothing here talks to a cluster: the manifest is the plain JSON the API
server takes, and the state functions read the JSON it answers with, so
everything can be tested on documented or recorded API objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from parsl.errors import bad_value
from parsl.jobs.states import JobState, JobStatus

#: Label put on every pod a provider creates; its value is the block's job id.
JOB_LABEL = "parsl-job"
#: Label naming the provider instance (one per Python process and provider object).
OWNER_LABEL = "parsl-provider"
APP_LABEL = "app"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUANTITY = re.compile(
    r"^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$"
)
_SUFFIX_FACTORS = {
    None: Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}

#: Container waiting reasons after which a pod never starts without someone changing something.
FATAL_WAITING_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)


def quantity(field_name: str, value: Any, *, memory: bool) -> str:
    """Return ``value`` as a Kubernetes quantity string (``"500Mi"``, ``"2"``, ``"250m"``).

    Numbers are accepted for CPU (``0.5`` becomes ``"0.5"``); memory must be
    a string with an optional suffix (``Ki``/``Mi``/``Gi``... or ``k``/``M``/``G``...).
    """
    expected = (
        'a memory quantity such as "500Mi", "2Gi" or "1G"'
        if memory
        else 'a CPU quantity such as 1, 0.5, "2" or "250m"'
    )
    if isinstance(value, bool):
        raise bad_value(field_name, value, expected)
    if isinstance(value, int | float) and not memory:
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise bad_value(field_name, value, expected)
    match = _QUANTITY.match(text)
    if match is None or quantity_value(text) <= 0:
        raise bad_value(field_name, value, expected)
    if memory and match.group("suffix") == "m":
        raise bad_value(field_name, value, expected + " (not millibytes)")
    return text


def quantity_value(text: str) -> Decimal:
    """The number a quantity string stands for (``"1Ki"`` is 1024, ``"250m"`` is 0.25)."""
    match = _QUANTITY.match(text)
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation as e:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"not a Kubernetes quantity: {text!r}") from e
    return number * _SUFFIX_FACTORS[match.group("suffix")]


def dns_label(text: str, limit: int = 63) -> str:
    """``text`` made into a DNS-1123 label: lower case, ``[a-z0-9-]``, at most ``limit`` characters."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:limit].strip("-")
    return cleaned or "parsl"


def is_dns_label(text: str) -> bool:
    """True when ``text`` is a valid DNS-1123 label (pod and label-value safe)."""
    return len(text) <= 63 and _DNS_LABEL.match(text) is not None


def job_id_for(prefix: str, job_name: str, serial: int, unique: str) -> str:
    """The job id of a block: ``<prefix or job name>-<serial>-<unique>``, a DNS label.

    The pods of the block are named ``<job id>-<node index>``, so the id
    leaves room for the index inside the 63-character limit.
    """
    tail = f"-{serial}-{unique}"
    head = dns_label(prefix or job_name, limit=63 - len(tail) - 4)
    return head + tail


def pod_names(job_id: str, nodes: int) -> list[str]:
    """The names of a block's ``nodes`` pods."""
    return [f"{job_id}-{i}" for i in range(nodes)]


@dataclass(frozen=True)
class PodTemplate:
    """Everything a block's pods share, fixed when the provider is made."""

    image: str
    namespace: str
    owner: str
    max_cpu: str
    max_mem: str
    init_cpu: str
    init_mem: str
    worker_init: str = ""
    user_id: str | None = None
    group_id: str | None = None
    run_as_non_root: bool = False
    secret: str | None = None
    persistent_volumes: tuple[tuple[str, str], ...] = ()
    service_account_name: str | None = None
    annotations: dict[str, str] = field(default_factory=dict)
    deadline_s: int | None = None
    shell: str = "/bin/bash"
    extra_requests: dict[str, str] = field(default_factory=dict)
    extra_limits: dict[str, str] = field(default_factory=dict)


def container_script(worker_init: str, command: str) -> str:
    """The shell text a pod runs: the worker_init lines, then the worker command."""
    lines = [line for line in (worker_init.strip(), command.strip()) if line]
    return "\n".join(lines) + "\n"


def pod_manifest(template: PodTemplate, job_id: str, pod_name: str, command: str) -> dict[str, Any]:
    """The ``v1/Pod`` object for one pod of block ``job_id`` running ``command``."""
    container: dict[str, Any] = {
        "name": "parsl-worker",
        "image": template.image,
        "command": [template.shell, "-c"],
        "args": [container_script(template.worker_init, command)],
        "env": [{"name": "PARSL_POD_NAME", "value": pod_name}],
        "resources": {
            "limits": {"cpu": template.max_cpu, "memory": template.max_mem} | template.extra_limits,
            "requests": {"cpu": template.init_cpu, "memory": template.init_mem}
            | template.extra_requests,
        },
    }
    security: dict[str, Any] = {}
    if template.user_id is not None:
        security["runAsUser"] = int(template.user_id)
    if template.group_id is not None:
        security["runAsGroup"] = int(template.group_id)
    if template.run_as_non_root:
        security["runAsNonRoot"] = True
    if security:
        container["securityContext"] = security
    volumes = []
    mounts = []
    for index, (claim, mount_path) in enumerate(template.persistent_volumes):
        name = f"volume-{index}"
        volumes.append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
        mounts.append({"name": name, "mountPath": mount_path})
    if mounts:
        container["volumeMounts"] = mounts
    spec: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if volumes:
        spec["volumes"] = volumes
    if template.secret is not None:
        spec["imagePullSecrets"] = [{"name": template.secret}]
    if template.service_account_name is not None:
        spec["serviceAccountName"] = template.service_account_name
    if template.deadline_s is not None:
        spec["activeDeadlineSeconds"] = template.deadline_s
    metadata: dict[str, Any] = {
        "name": pod_name,
        "namespace": template.namespace,
        "labels": {APP_LABEL: "parsl", JOB_LABEL: job_id, OWNER_LABEL: template.owner},
    }
    if template.annotations:
        metadata["annotations"] = dict(template.annotations)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec}


def owner_selector(owner: str) -> str:
    """The label selector matching every pod of one provider instance."""
    return f"{APP_LABEL}=parsl,{OWNER_LABEL}={owner}"


# -- states ------------------------------------------------------------------


def _container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status") or {}
    return list(status.get("containerStatuses") or [])


def pod_status(pod: dict[str, Any]) -> JobStatus:
    """One pod's state in Parsl's model, read from its API object."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    name = (pod.get("metadata") or {}).get("name", "?")
    if phase == "Pending":
        for container in _container_statuses(pod):
            waiting = (container.get("state") or {}).get("waiting") or {}
            reason = waiting.get("reason")
            if reason in FATAL_WAITING_REASONS:
                detail = waiting.get("message") or ""
                return JobStatus(JobState.FAILED, f"pod {name}: {reason} {detail}".strip())
        for condition in status.get("conditions") or []:
            if condition.get("reason") == "Unschedulable":
                return JobStatus(
                    JobState.PENDING, f"pod {name}: unschedulable: {condition.get('message', '')}"
                )
        return JobStatus(JobState.PENDING)
    if phase == "Running":
        return JobStatus(JobState.RUNNING)
    if phase in ("Succeeded", "Failed"):
        exit_code = None
        reason = status.get("reason")
        for container in _container_statuses(pod):
            terminated = (container.get("state") or {}).get("terminated") or {}
            if "exitCode" in terminated:
                exit_code = int(terminated["exitCode"])
                reason = reason or terminated.get("reason")
        if phase == "Succeeded":
            return JobStatus(JobState.COMPLETED, exit_code=exit_code)
        if reason == "DeadlineExceeded":
            return JobStatus(
                JobState.TIMEOUT, f"pod {name}: {status.get('message') or reason}", exit_code
            )
        message = f"pod {name} failed" + (f": {reason}" if reason else "")
        if exit_code is not None:
            message += f", exit code {exit_code}"
        if status.get("message"):
            message += f" ({status['message']})"
        return JobStatus(JobState.FAILED, message, exit_code)
    return JobStatus(JobState.UNKNOWN, f"pod {name}: phase {phase!r}")


#: The state a block takes from its pods: the first of these any pod is in (else all completed).
_SEVERITY = (
    JobState.FAILED,
    JobState.TIMEOUT,
    JobState.UNKNOWN,
    JobState.PENDING,
    JobState.RUNNING,
)


def block_status(expected: list[str], pods: list[dict[str, Any]]) -> JobStatus:
    """A block's state from its pods: a failed pod fails the block; all done is COMPLETED.

    ``expected`` is the pod names the block was made of; one that is gone
    while others remain makes the block FAILED, none left makes it MISSING.
    """
    by_name = {(p.get("metadata") or {}).get("name"): p for p in pods}
    if not any(name in by_name for name in expected):
        return JobStatus(JobState.MISSING, "no pod of this block exists any more")
    statuses = []
    for name in expected:
        if name not in by_name:
            statuses.append(JobStatus(JobState.FAILED, f"pod {name} is gone"))
        else:
            statuses.append(pod_status(by_name[name]))
    for state in _SEVERITY:
        for s in statuses:
            if s.state is state:
                return s
    return statuses[0]  # every pod COMPLETED


def api_error_message(body: str | bytes | None) -> str:
    """The ``message`` of a ``v1/Status`` error body, or the body itself."""
    import json

    if body is None:
        return ""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return text.strip()
