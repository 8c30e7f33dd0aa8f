"""KubernetesProvider through the real kubernetes client, against the stand-in API server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kube_standin import StandInCluster, standin_cluster

from parsl.errors import ConfigurationError, OptionalModuleMissing
from parsl.jobs.states import JobState, JobStatus
from parsl.providers import KubernetesProvider
from parsl.providers.errors import ProviderError, SubmitException

MakeProvider = Callable[..., KubernetesProvider]


@pytest.fixture
def cluster() -> Iterator[StandInCluster]:
    with standin_cluster(namespaces=("default", "science")) as c:
        yield c


@pytest.fixture
def make(cluster: StandInCluster, tmp_path: Path) -> MakeProvider:
    def build(**kwargs: Any) -> KubernetesProvider:
        kwargs.setdefault("image", "python:3.11")
        kwargs.setdefault("kubeconfig", str(cluster.kubeconfig()))
        provider = KubernetesProvider(**kwargs)
        provider.script_dir = str(tmp_path / "scripts")
        return provider

    return build


def wait_for(
    provider: KubernetesProvider, job_id: str, states: set[JobState], timeout: float = 15
) -> JobStatus:
    deadline = time.monotonic() + timeout
    while True:
        (status,) = provider.status([job_id])
        if status.state in states or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


def test_a_block_is_pods_that_run_the_command(
    make: MakeProvider, cluster: StandInCluster, tmp_path: Path
) -> None:
    provider = make(nodes_per_block=2, worker_init="export GREETING=hello")
    job_id = provider.submit("echo $GREETING from $PARSL_POD_NAME", 1, "parsl.htex.block-0")
    assert job_id.startswith("parsl-htex-block-0-")
    status = wait_for(provider, job_id, {JobState.COMPLETED})
    assert status.state is JobState.COMPLETED and status.exit_code == 0
    logs = sorted(Path(cluster.workdir).glob("default.*.log"))
    assert [p.read_text() for p in logs] == [f"hello from {job_id}-0\n", f"hello from {job_id}-1\n"]
    kept = json.loads((tmp_path / "scripts" / f"{job_id}.pods.json").read_text())
    assert [p["metadata"]["name"] for p in kept] == [f"{job_id}-0", f"{job_id}-1"]
    assert kept[0]["spec"]["containers"][0]["image"] == "python:3.11"


def test_status_is_one_listing_per_poll_and_finished_blocks_are_not_asked_again(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    jobs = [provider.submit("sleep 30", 1) for _ in range(3)]
    before = len(cluster.requests)
    statuses = provider.status(jobs)
    assert [s.state for s in statuses] == [JobState.RUNNING] * 3
    assert cluster.requests[before:] == [("GET", "/api/v1/namespaces/default/pods")]
    assert provider.cancel(jobs) == [True, True, True]
    before = len(cluster.requests)
    assert [s.state for s in provider.status(jobs)] == [JobState.CANCELLED] * 3
    assert cluster.requests[before:] == []


def test_cancel_deletes_the_pods_and_kills_their_processes(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make(nodes_per_block=2)
    job_id = provider.submit("sleep 60", 1)
    assert wait_for(provider, job_id, {JobState.RUNNING}).state is JobState.RUNNING
    pids = cluster.pids()
    assert len(pids) == 2
    assert provider.cancel([job_id]) == [True]
    assert cluster.pods == {}
    for pid in pids:
        assert (
            not os.path.exists(f"/proc/{pid}")
            or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
        )
    assert provider.status([job_id])[0].state is JobState.CANCELLED
    assert provider.cancel([job_id]) == [False]  # already finished
    assert provider.cancel(["not-mine"]) == [False]


def test_a_failed_pod_fails_the_block_with_its_exit_code_and_log(make: MakeProvider) -> None:
    provider = make()
    job_id = provider.submit("echo about to fail; exit 3", 1)
    status = wait_for(provider, job_id, {JobState.FAILED})
    assert status.state is JobState.FAILED and status.exit_code == 3
    assert "exit code 3" in str(status.message)
    assert status.stdout is not None and "about to fail" in status.stdout
    assert status.stdout_path is not None and status.stdout_path.endswith(f"{job_id}.log")


def test_walltime_becomes_active_deadline_and_timeout(make: MakeProvider) -> None:
    provider = make(walltime="00:00:01")
    assert provider.walltime_enforced
    job_id = provider.submit("sleep 60", 1)
    status = wait_for(provider, job_id, {JobState.TIMEOUT}, timeout=20)
    assert status.state is JobState.TIMEOUT, status
    assert "deadline" in str(status.message)


def test_a_container_that_cannot_start_fails_the_block(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    job_id = provider.submit("sleep 60", 1)
    cluster.force_waiting(
        "default", f"{job_id}-0", "ImagePullBackOff", 'Back-off pulling image "python:3.11"'
    )
    status = wait_for(provider, job_id, {JobState.FAILED})
    assert status.state is JobState.FAILED
    assert "ImagePullBackOff" in str(status.message)


def test_pods_held_pending_report_pending(make: MakeProvider, cluster: StandInCluster) -> None:
    cluster.hold_pending = True
    provider = make()
    job_id = provider.submit("true", 1)
    assert provider.status([job_id])[0].state is JobState.PENDING


def test_a_pod_deleted_behind_the_providers_back_is_missing(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    job_id = provider.submit("sleep 60", 1)
    cluster.delete("default", f"{job_id}-0")
    assert provider.status([job_id])[0].state is JobState.MISSING
    assert provider.status(["never-submitted"])[0].state is JobState.MISSING


def test_submit_takes_parsls_cmd_string_keyword(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    job_id = provider.submit(cmd_string="true", tasks_per_node=1, job_name="parsl.block")
    assert ("default", f"{job_id}-0") in cluster.pods
    with pytest.raises(TypeError, match="both command and cmd_string"):
        provider.submit("true", 1, cmd_string="true")
    with pytest.raises(ConfigurationError, match="tasks_per_node"):
        provider.submit(cmd_string="true")


def test_pods_go_to_the_namespace_asked_for(make: MakeProvider, cluster: StandInCluster) -> None:
    provider = make(namespace="science")
    job_id = provider.submit("true", 1)
    assert ("science", f"{job_id}-0") in cluster.pods
    assert provider.status([job_id])[0].state in {JobState.RUNNING, JobState.COMPLETED}


# -- errors: clear, fast, nothing left behind ------------------------------------


def test_unknown_namespace_is_a_submit_error_with_the_apis_words(make: MakeProvider) -> None:
    provider = make(namespace="nope")
    with pytest.raises(SubmitException, match=r'404 .*namespaces "nope" not found'):
        provider.submit("true", 1)


def test_a_refused_pod_removes_the_pods_already_made(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make(nodes_per_block=3)
    original = cluster.create
    calls = []

    def create_then_refuse(namespace: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        calls.append(body["metadata"]["name"])
        if len(calls) == 2:
            cluster.refuse_next_create = (
                403,
                "Forbidden",
                'pods "x" is forbidden: exceeded quota: compute',
            )
        return original(namespace, body)

    cluster.create = create_then_refuse  # type: ignore[method-assign]
    with pytest.raises(SubmitException, match="403 .*exceeded quota"):
        provider.submit("sleep 60", 1)
    assert cluster.pods == {}
    assert provider.resources == {}


def test_a_pod_name_taken_is_a_clear_conflict(make: MakeProvider, cluster: StandInCluster) -> None:
    provider = make()
    job_id, (manifest,) = provider.manifests("true")
    provider._serial = iter([int(job_id.split("-")[-2])])  # the next block gets the same name
    cluster.create("default", manifest)
    with pytest.raises(SubmitException, match="409 .*already exists"):
        provider.submit("true", 1)


def test_wrong_token_is_unauthorized(cluster: StandInCluster, tmp_path: Path) -> None:
    config = cluster.kubeconfig(tmp_path / "bad-kubeconfig", token="wrong")
    provider = KubernetesProvider("python:3.11", kubeconfig=str(config))
    with pytest.raises(SubmitException, match="401 Unauthorized"):
        provider.submit("true", 1)
    assert cluster.pods == {}


def test_missing_kubeconfig_names_where_it_looked(tmp_path: Path) -> None:
    provider = KubernetesProvider("python:3.11", kubeconfig=str(tmp_path / "absent"))
    with pytest.raises(ProviderError, match=r"no usable Kubernetes credentials in .*absent"):
        provider.submit("true", 1)


def test_kubeconfig_from_the_environment_and_a_named_context(
    cluster: StandInCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = cluster.kubeconfig(tmp_path / "env-kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(config))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    provider = KubernetesProvider("python:3.11")
    job_id = provider.submit("true", 1)
    assert ("default", f"{job_id}-0") in cluster.pods
    other = KubernetesProvider("python:3.11", context="no-such-context")
    with pytest.raises(ProviderError, match="no-such-context"):
        other.submit("true", 1)


def test_in_cluster_credentials_missing_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    provider = KubernetesProvider("python:3.11")
    with pytest.raises(ProviderError, match="no usable Kubernetes credentials"):
        provider.submit("true", 1)


def test_unreachable_api_server_fails_fast(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with standin_cluster() as cluster:
        config = cluster.kubeconfig(tmp_path / "kc")
        config.write_text(config.read_text().replace(cluster.url, f"http://127.0.0.1:{port}"))
    provider = KubernetesProvider("python:3.11", kubeconfig=str(config), cmd_timeout=2)
    started = time.monotonic()
    with pytest.raises(
        SubmitException, match=f"no answer from the Kubernetes API at http://127.0.0.1:{port}"
    ):
        provider.submit("true", 1)
    assert time.monotonic() - started < 5


def test_a_slow_api_server_hits_cmd_timeout(make: MakeProvider, cluster: StandInCluster) -> None:
    provider = make(cmd_timeout=1)
    job_id = provider.submit("sleep 60", 1)
    cluster.delay_s = 3
    started = time.monotonic()
    with pytest.raises(ProviderError, match="cmd_timeout=1s"):
        provider.status([job_id])
    assert time.monotonic() - started < 2.5
    cluster.delay_s = 0


def test_an_answer_that_is_not_json_is_a_clear_error(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    job_id = provider.submit("sleep 60", 1)
    cluster.garbage = "<html>proxy error</html>"
    with pytest.raises(ProviderError, match="listing pods .*not a pod list"):
        provider.status([job_id])
    with pytest.raises(
        SubmitException, match="creating pod .*not the pod just created: <html>proxy error"
    ):
        provider.submit("true", 1)
    cluster.garbage = None
    assert provider.status([job_id])[0].state is JobState.RUNNING


def test_a_create_whose_answer_never_comes_leaves_no_pod(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make(nodes_per_block=2, cmd_timeout=1)
    cluster.create_answer_delay_s = 2  # the pod is made; the answer is too late
    with pytest.raises(SubmitException, match="creating pod .*cmd_timeout=1s"):
        provider.submit("sleep 60", 1)
    assert cluster.pods == {}  # the provider deleted the pod it could not be sure about


def test_without_the_kubernetes_client_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = KubernetesProvider("python:3.11")  # building it needs no client
    for name in [m for m in sys.modules if m == "kubernetes" or m.startswith("kubernetes.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "kubernetes", None)
    with pytest.raises(OptionalModuleMissing, match=r"parsl-providers\[kubernetes\]"):
        provider.submit("true", 1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"image": ""}, "image"),
        ({"image": "two words"}, "image"),
        ({"image": None}, "image"),
        ({"namespace": "Has_Caps"}, "namespace"),
        ({"nodes_per_block": 0}, "nodes_per_block"),
        ({"init_blocks": -1}, "init_blocks"),
        ({"min_blocks": 3, "max_blocks": 2}, "min_blocks"),
        ({"parallelism": 2}, "parallelism"),
        ({"max_cpu": "lots"}, "max_cpu"),
        ({"max_mem": 512}, "max_mem"),
        ({"init_cpu": 4}, "init_cpu"),  # above max_cpu=2
        ({"init_mem": "1Gi"}, "init_mem"),  # above max_mem=500Mi
        ({"worker_init": 5}, "worker_init"),
        ({"pod_name": ""}, "pod_name"),
        ({"user_id": "root"}, "user_id"),
        ({"group_id": True}, "group_id"),
        ({"run_as_non_root": "yes"}, "run_as_non_root"),
        ({"secret": ""}, "secret"),
        ({"persistent_volumes": [("claim",)]}, "persistent_volumes"),
        ({"persistent_volumes": [("claim", "relative/path")]}, "persistent_volumes"),
        ({"persistent_volumes": "claim:/data"}, "persistent_volumes"),
        ({"service_account_name": 7}, "service_account_name"),
        ({"annotations": {"a": 1}}, "annotations"),
        ({"walltime": "1 hour"}, "walltime"),
        ({"cmd_timeout": 0}, "cmd_timeout"),
        ({"kubeconfig": ""}, "kubeconfig"),
        ({"context": 3}, "context"),
        ({"launcher": object()}, "launcher"),
    ],
)
def test_bad_settings_are_clear_errors(kwargs: dict[str, Any], field: str) -> None:
    settings: dict[str, Any] = {"image": "python:3.11"}
    settings.update(kwargs)
    with pytest.raises(ConfigurationError) as info:
        KubernetesProvider(**settings)
    assert info.value.field == field


def test_bad_submit_arguments_are_clear_errors(make: MakeProvider) -> None:
    provider = make()
    with pytest.raises(ConfigurationError, match="tasks_per_node"):
        provider.submit("true", 0)
    with pytest.raises(ConfigurationError, match="command"):
        provider.submit("  ", 1)
    with pytest.raises(ConfigurationError, match="job_name"):
        provider.submit("true", 1, job_name=None)  # type: ignore[arg-type]


def test_defaults_and_repr_follow_parsl() -> None:
    provider = KubernetesProvider("python:3.11")
    assert (provider.namespace, provider.init_blocks, provider.min_blocks, provider.max_blocks) == (
        "default",
        4,
        0,
        10,
    )
    assert (provider.max_cpu, provider.max_mem, provider.init_cpu, provider.init_mem) == (
        "2",
        "500Mi",
        "1",
        "250Mi",
    )
    assert provider.launcher is None and not provider.walltime_enforced
    assert provider.label == "kubernetes"
    assert "image='python:3.11'" in repr(provider)


def test_a_refused_delete_is_false_and_the_block_stays_live(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    job_id = provider.submit("sleep 60", 1)
    cluster.refuse_deletes = (403, "Forbidden", 'pods "x" is forbidden: cannot delete')
    assert provider.cancel([job_id]) == [False]
    assert provider.status([job_id])[0].state is JobState.RUNNING
    cluster.refuse_deletes = None
    assert provider.cancel([job_id]) == [True]


def test_a_pod_gone_from_a_failed_block_says_it_has_no_log(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make(nodes_per_block=2)
    job_id = provider.submit("sleep 60", 1)
    cluster.delete("default", f"{job_id}-1")
    status = provider.status([job_id])[0]
    assert status.state is JobState.FAILED and f"{job_id}-1 is gone" in str(status.message)
    assert status.stdout is not None
    assert f"== pod {job_id}-1\n(no log: " in status.stdout and "404" in status.stdout


def test_an_unwritable_script_dir_does_not_stop_the_block(make: MakeProvider) -> None:
    provider = make()
    provider.script_dir = "/proc/no-such-dir"  # nothing can be created under /proc
    job_id = provider.submit("sleep 60", 1)
    assert provider.status([job_id])[0].state is JobState.RUNNING


def test_numeric_ids_annotations_and_polling_interval() -> None:
    provider = KubernetesProvider(
        "python:3.11", user_id=1000, group_id="100", annotations={"team": "physics"}
    )
    _, (pod,) = provider.manifests("true")
    assert pod["spec"]["containers"][0]["securityContext"] == {"runAsUser": 1000, "runAsGroup": 100}
    assert pod["metadata"]["annotations"] == {"team": "physics"}
    provider.polling_interval_s = 2.5
    assert provider.status_polling_interval == 2.5


def test_cancel_of_a_block_whose_pod_is_already_gone_is_accepted(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make(nodes_per_block=2)
    job_id = provider.submit("sleep 60", 1)
    cluster.delete("default", f"{job_id}-0")  # gone before the provider heard of it
    assert provider.cancel([job_id]) == [True]
    assert cluster.pods == {}


def test_settings_changed_after_construction_are_used(
    make: MakeProvider, cluster: StandInCluster
) -> None:
    provider = make()
    provider.namespace = "science"  # as a user might, after building the provider
    job_id = provider.submit("sleep 60", 1)
    assert ("science", f"{job_id}-0") in cluster.pods
    _, (pod,) = provider.manifests("true")
    assert pod["metadata"]["namespace"] == "science"
    provider.cmd_timeout = 1
    cluster.delay_s = 2
    with pytest.raises(ProviderError, match="cmd_timeout=1s"):
        provider.status([job_id])
    cluster.delay_s = 0
