"""The KubernetesProvider's pure part: quantities, names, manifests, pod JSON to job states."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsl.errors import ConfigurationError
from parsl.jobs.states import JobState
from parsl.providers.kubernetes.pods import (
    JOB_LABEL,
    OWNER_LABEL,
    PodTemplate,
    api_error_message,
    block_status,
    container_script,
    dns_label,
    is_dns_label,
    job_id_for,
    owner_selector,
    pod_manifest,
    pod_names,
    pod_status,
    quantity,
    quantity_value,
)

SAMPLES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "kubernetes" / "pods.json").read_text()
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", Decimal(2)),
        ("0.5", Decimal("0.5")),
        ("250m", Decimal("0.25")),
        ("500Mi", Decimal(500 * 2**20)),
        ("1Gi", Decimal(2**30)),
        ("1G", Decimal(10**9)),
        ("128974848", Decimal(128974848)),
        ("1Ki", Decimal(1024)),
    ],
)
def test_quantity_value_reads_kubernetes_suffixes(text: str, value: Decimal) -> None:
    assert quantity_value(text) == value


def test_quantity_accepts_numbers_for_cpu_and_strings_for_memory() -> None:
    assert quantity("max_cpu", 2, memory=False) == "2"
    assert quantity("max_cpu", 0.5, memory=False) == "0.5"
    assert quantity("max_cpu", "250m", memory=False) == "250m"
    assert quantity("max_mem", " 2Gi ", memory=True) == "2Gi"


@pytest.mark.parametrize(
    ("value", "memory"),
    [
        (True, False),
        (None, False),
        (-1, False),
        (0, False),
        ("two", False),
        ("2 cores", False),
        (512, True),  # memory needs a string: 512 what?
        ("500MB", True),
        ("100m", True),  # millibytes
        ("0Mi", True),
        ([], True),
    ],
)
def test_quantity_rejects_what_kubernetes_would_refuse(value: Any, memory: bool) -> None:
    with pytest.raises(ConfigurationError, match="quantity"):
        quantity("field", value, memory=memory)


def test_quantity_value_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity_value("lots")


def test_dns_label_cleans_job_names() -> None:
    assert dns_label("parsl.HTEX_label.block-0") == "parsl-htex-label-block-0"
    assert dns_label("...") == "parsl"
    assert dns_label("a" * 100, limit=10) == "a" * 10
    assert is_dns_label("parsl-block-0")
    assert not is_dns_label("Parsl")
    assert not is_dns_label("-x")
    assert not is_dns_label("a" * 64)


@given(
    prefix=st.text(max_size=80),
    job_name=st.text(max_size=80),
    serial=st.integers(min_value=0, max_value=10**9),
    nodes=st.integers(min_value=1, max_value=999),
)
def test_every_pod_name_is_a_valid_label(
    prefix: str, job_name: str, serial: int, nodes: int
) -> None:
    job_id = job_id_for(prefix, job_name, serial, "abc123")
    assert is_dns_label(job_id)
    for name in pod_names(job_id, nodes)[-1:]:
        assert is_dns_label(name), name


def test_job_ids_differ_by_serial_and_owner() -> None:
    a = job_id_for("", "parsl.htex.block-0", 0, "aaaaaa")
    assert a == "parsl-htex-block-0-0-aaaaaa"
    assert job_id_for("", "parsl.htex.block-0", 1, "aaaaaa") != a
    assert job_id_for("", "parsl.htex.block-0", 0, "bbbbbb") != a
    assert job_id_for("worker", "ignored", 3, "cccccc") == "worker-3-cccccc"


def _template(**overrides: Any) -> PodTemplate:
    settings: dict[str, Any] = {
        "image": "python:3.11",
        "namespace": "science",
        "owner": "own123",
        "max_cpu": "2",
        "max_mem": "1Gi",
        "init_cpu": "1",
        "init_mem": "512Mi",
    }
    settings.update(overrides)
    return PodTemplate(**settings)


def test_minimal_manifest_runs_the_command_with_requests_and_limits() -> None:
    pod = pod_manifest(_template(), "job-1", "job-1-0", "parsl-worker-pool --block-id 0")
    assert pod["apiVersion"] == "v1" and pod["kind"] == "Pod"
    meta = pod["metadata"]
    assert meta["name"] == "job-1-0" and meta["namespace"] == "science"
    assert meta["labels"] == {"app": "parsl", JOB_LABEL: "job-1", OWNER_LABEL: "own123"}
    assert "annotations" not in meta
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never"
    assert set(spec) == {"restartPolicy", "containers"}
    (container,) = spec["containers"]
    assert container["image"] == "python:3.11"
    assert container["command"] == ["/bin/bash", "-c"]
    assert container["args"] == ["parsl-worker-pool --block-id 0\n"]
    assert container["resources"] == {
        "limits": {"cpu": "2", "memory": "1Gi"},
        "requests": {"cpu": "1", "memory": "512Mi"},
    }
    assert {"name": "PARSL_POD_NAME", "value": "job-1-0"} in container["env"]
    assert "securityContext" not in container and "volumeMounts" not in container


def test_full_manifest_carries_every_option() -> None:
    template = _template(
        worker_init="source /opt/env/bin/activate",
        user_id="1000",
        group_id="100",
        run_as_non_root=True,
        secret="registry-creds",
        persistent_volumes=(("data-claim", "/data"), ("scratch-claim", "/scratch")),
        service_account_name="parsl-sa",
        annotations={"team": "physics"},
        deadline_s=3600,
    )
    pod = pod_manifest(template, "j", "j-0", "run-worker")
    spec = pod["spec"]
    (container,) = spec["containers"]
    assert container["args"] == ["source /opt/env/bin/activate\nrun-worker\n"]
    assert container["securityContext"] == {
        "runAsUser": 1000,
        "runAsGroup": 100,
        "runAsNonRoot": True,
    }
    assert container["volumeMounts"] == [
        {"name": "volume-0", "mountPath": "/data"},
        {"name": "volume-1", "mountPath": "/scratch"},
    ]
    assert spec["volumes"] == [
        {"name": "volume-0", "persistentVolumeClaim": {"claimName": "data-claim"}},
        {"name": "volume-1", "persistentVolumeClaim": {"claimName": "scratch-claim"}},
    ]
    assert spec["imagePullSecrets"] == [{"name": "registry-creds"}]
    assert spec["serviceAccountName"] == "parsl-sa"
    assert spec["activeDeadlineSeconds"] == 3600
    assert pod["metadata"]["annotations"] == {"team": "physics"}


def test_manifest_is_accepted_by_the_official_client_model() -> None:
    from kubernetes.client import ApiClient

    pod = pod_manifest(_template(user_id="1", persistent_volumes=(("c", "/d"),)), "j", "j-0", "x")
    client: Any = ApiClient()
    # How the client reads a V1Pod from JSON, in the old (kubernetes<36) and new generated clients.
    model = client._ApiClient__deserialize(pod, "V1Pod")
    assert type(model).__name__ == "V1Pod"
    assert client.sanitize_for_serialization(model) == pod


def test_container_script_skips_empty_parts() -> None:
    assert container_script("", "cmd") == "cmd\n"
    assert container_script("  a\nb  ", "  cmd ") == "a\nb\ncmd\n"


def test_owner_selector() -> None:
    assert owner_selector("x1") == "app=parsl,parsl-provider=x1"


@pytest.mark.parametrize(
    ("sample", "state", "exit_code", "words"),
    [
        ("creating", JobState.PENDING, None, None),
        ("no_status", JobState.UNKNOWN, None, "phase None"),
        ("unschedulable", JobState.PENDING, None, "Insufficient cpu"),
        ("image_pull", JobState.FAILED, None, "ImagePullBackOff"),
        ("config_error", JobState.FAILED, None, 'secret "creds" not found'),
        ("running", JobState.RUNNING, None, None),
        ("succeeded", JobState.COMPLETED, 0, None),
        ("failed", JobState.FAILED, 2, "exit code 2"),
        ("oom", JobState.FAILED, 137, "OOMKilled"),
        ("evicted", JobState.FAILED, None, "low on resource"),
        ("deadline", JobState.TIMEOUT, None, "deadline"),
        ("unknown", JobState.UNKNOWN, None, "Unknown"),
    ],
)
def test_pod_status_from_documented_pod_objects(
    sample: str, state: JobState, exit_code: int | None, words: str | None
) -> None:
    status = pod_status(SAMPLES[sample])
    assert status.state is state
    assert status.exit_code == exit_code
    if words is None:
        assert status.message is None
    else:
        assert status.message is not None and words in status.message


def _named(sample: str, name: str) -> dict[str, Any]:
    pod = json.loads(json.dumps(SAMPLES[sample]))
    pod["metadata"]["name"] = name
    return pod


def test_block_status_aggregates_its_pods() -> None:
    names = ["b-0", "b-1"]
    assert (
        block_status(names, [_named("running", "b-0"), _named("running", "b-1")]).state
        is JobState.RUNNING
    )
    assert (
        block_status(names, [_named("running", "b-0"), _named("creating", "b-1")]).state
        is JobState.PENDING
    )
    assert (
        block_status(names, [_named("succeeded", "b-0"), _named("running", "b-1")]).state
        is JobState.RUNNING
    )
    assert (
        block_status(names, [_named("succeeded", "b-0"), _named("succeeded", "b-1")]).state
        is JobState.COMPLETED
    )
    failed = block_status(names, [_named("running", "b-0"), _named("failed", "b-1")])
    assert failed.state is JobState.FAILED and "b-1" in str(failed.message)
    assert (
        block_status(names, [_named("deadline", "b-0"), _named("running", "b-1")]).state
        is JobState.TIMEOUT
    )


def test_block_status_when_pods_disappear() -> None:
    missing = block_status(["b-0", "b-1"], [_named("running", "other-0")])
    assert missing.state is JobState.MISSING
    half = block_status(["b-0", "b-1"], [_named("running", "b-0")])
    assert half.state is JobState.FAILED and "b-1 is gone" in str(half.message)


def test_api_error_message_reads_status_objects() -> None:
    body = json.dumps({"kind": "Status", "message": 'namespaces "x" not found', "code": 404})
    assert api_error_message(body) == 'namespaces "x" not found'
    assert api_error_message(body.encode()) == 'namespaces "x" not found'
    assert api_error_message("plain text\n") == "plain text"
    assert api_error_message('["not", "a status"]') == '["not", "a status"]'
    assert api_error_message(None) == ""
