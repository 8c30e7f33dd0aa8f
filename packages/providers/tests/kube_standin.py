"""A stand-in Kubernetes API server (pods only) on 127.0.0.1, with a kubelet that runs pods as processes.

No Kubernetes can run on these machines (no kube-apiserver in Debian or
PyPI, no container engine), so the KubernetesProvider's tests talk to this
instead: the real ``kubernetes`` client, configured from a real kubeconfig
file, sends real HTTP requests here. It speaks the part of the ``v1`` API
the provider uses, with the API's own JSON shapes and ``Status`` errors:

* ``POST /api/v1/namespaces/{ns}/pods`` (validation: name, containers,
  requests <= limits; 404 unknown namespace, 409 name taken, 422 invalid)
* ``GET /api/v1/namespaces/{ns}/pods`` with an equality ``labelSelector``
* ``GET /api/v1/namespaces/{ns}/pods/{name}`` and ``.../log?tailLines=N``
* ``DELETE /api/v1/namespaces/{ns}/pods/{name}``

Every request needs the bearer token (else 401). The "kubelet" runs each
pod's container ``command + args`` as a local process in its own session,
with the container's ``env`` (the image is not used: there is no container
runtime), and reports Running, then Succeeded or Failed by exit code; an
``activeDeadlineSeconds`` past due kills it and reports DeadlineExceeded.
Tests can also hold pods Pending, force a waiting reason, make the server
slow, or refuse the next create. Processes are stopped by pid.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from parsl.providers.kubernetes.pods import is_dns_label, quantity_value

_PODS = re.compile(r"^/api/v1/namespaces/(?P<ns>[^/]+)/pods(?:/(?P<name>[^/]+)(?P<log>/log)?)?$")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class StandInPod:
    """One pod: its object as stored, and the process running it (if any)."""

    obj: dict[str, Any]
    log_path: str
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    forced_waiting: tuple[str, str] | None = None
    deadline_hit: bool = False
    env: dict[str, str] = field(default_factory=dict)


class StandInCluster:
    """The API server and kubelet; ``start()`` it, ``kubeconfig()`` points a client at it, ``stop()``."""

    def __init__(
        self,
        workdir: Path,
        *,
        namespaces: tuple[str, ...] = ("default",),
        token: str = "stand-in-token",
        run_pods: bool = True,
    ) -> None:
        self.workdir = workdir
        self.namespaces = set(namespaces)
        self.token = token
        self.run_pods = run_pods
        self.pods: dict[tuple[str, str], StandInPod] = {}
        self.requests: list[tuple[str, str]] = []
        self.delay_s = 0.0
        self.refuse_next_create: tuple[int, str, str] | None = None
        self.hold_pending = False
        self.refuse_deletes: tuple[int, str, str] | None = (
            None  # (code, reason, message) for every delete
        )
        self.create_answer_delay_s = 0.0  # a create succeeds, but its answer comes this late
        self.garbage: str | None = None  # when set, every authorized request gets this text, 200 OK
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> StandInCluster:
        cluster = self

        class Handler(_Handler):
            standin = cluster

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def kubeconfig(
        self, path: Path | None = None, *, token: str | None = None, namespace: str = "default"
    ) -> Path:
        """Write a kubeconfig file for this server (JSON is valid YAML) and return its path."""
        path = path or self.workdir / "kubeconfig"
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "standin", "cluster": {"server": self.url}}],
            "users": [{"name": "tester", "user": {"token": token or self.token}}],
            "contexts": [
                {
                    "name": "standin",
                    "context": {"cluster": "standin", "user": "tester", "namespace": namespace},
                }
            ],
            "current-context": "standin",
        }
        path.write_text(json.dumps(config))
        return path

    def stop(self) -> None:
        """Stop the server, then every pod process (by pid, its whole session)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.lock:
            for pod in self.pods.values():
                _kill(pod)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def pids(self) -> list[int]:
        with self.lock:
            return [p.process.pid for p in self.pods.values() if p.process is not None]

    # -- test controls -----------------------------------------------------------

    def force_waiting(self, namespace: str, name: str, reason: str, message: str) -> None:
        """Make a pod Pending with a container waiting for ``reason`` (as the kubelet reports it)."""
        with self.lock:
            pod = self.pods[(namespace, name)]
            _kill(pod)
            pod.forced_waiting = (reason, message)

    # -- behaviour ----------------------------------------------------------------

    def create(self, namespace: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if namespace not in self.namespaces:
            return 404, status(404, "NotFound", f'namespaces "{namespace}" not found')
        if self.refuse_next_create is not None:
            code, reason, message = self.refuse_next_create
            self.refuse_next_create = None
            return code, status(code, reason, message)
        metadata = body.get("metadata") or {}
        name = metadata.get("name", "")
        problems = []
        if body.get("kind") != "Pod" or body.get("apiVersion") != "v1":
            problems.append("kind/apiVersion: must be v1 Pod")
        if not isinstance(name, str) or not is_dns_label(name):
            problems.append(f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 label")
        containers = (body.get("spec") or {}).get("containers") or []
        if not containers:
            problems.append("spec.containers: Required value")
        for i, c in enumerate(containers):
            if not c.get("image"):
                problems.append(f"spec.containers[{i}].image: Required value")
            res = c.get("resources") or {}
            for key, request in (res.get("requests") or {}).items():
                limit = (res.get("limits") or {}).get(key)
                if limit is not None and quantity_value(str(request)) > quantity_value(str(limit)):
                    problems.append(
                        f"spec.containers[{i}].resources.requests: Invalid value: {request!r}: "
                        f"must be less than or equal to {key} limit of {limit}"
                    )
        if problems:
            return 422, status(422, "Invalid", f'Pod "{name}" is invalid: ' + ", ".join(problems))
        with self.lock:
            if (namespace, name) in self.pods:
                return 409, status(409, "AlreadyExists", f'pods "{name}" already exists')
            obj = json.loads(json.dumps(body))
            obj["metadata"].update(
                namespace=namespace, uid=str(uuid.uuid4()), creationTimestamp=_now()
            )
            pod = StandInPod(obj=obj, log_path=str(self.workdir / f"{namespace}.{name}.log"))
            self.pods[(namespace, name)] = pod
            if self.run_pods and not self.hold_pending:
                self._run(pod)
            return 201, self.view(pod)

    def _run(self, pod: StandInPod) -> None:
        container = pod.obj["spec"]["containers"][0]
        argv = list(container.get("command") or []) + list(container.get("args") or [])
        env = dict(os.environ)
        env.update({e["name"]: e.get("value", "") for e in container.get("env") or []})
        with open(pod.log_path, "wb") as log:
            pod.process = subprocess.Popen(
                argv,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        pod.started = time.monotonic()

    def view(self, pod: StandInPod) -> dict[str, Any]:
        """The pod object with its current status, as the API would return it."""
        obj = json.loads(json.dumps(pod.obj))
        cname = obj["spec"]["containers"][0]["name"]
        deadline = obj["spec"].get("activeDeadlineSeconds")
        proc = pod.process
        overdue = deadline is not None and time.monotonic() - pod.started > deadline
        if proc is not None and overdue and proc.poll() is None:
            pod.deadline_hit = True
            _kill(pod)
        if pod.forced_waiting is not None:
            reason, message = pod.forced_waiting
            state: dict[str, Any] = {"waiting": {"reason": reason, "message": message}}
            st: dict[str, Any] = {"phase": "Pending"}
        elif proc is None:
            st, state = {"phase": "Pending"}, {"waiting": {"reason": "ContainerCreating"}}
        elif pod.deadline_hit:
            st = {
                "phase": "Failed",
                "reason": "DeadlineExceeded",
                "message": "Pod was active on the node longer than the specified deadline",
            }
            state = {"terminated": {"exitCode": 137, "reason": "Error"}}
        elif proc.poll() is None:
            st, state = {"phase": "Running"}, {"running": {"startedAt": _now()}}
        else:
            code = proc.returncode if proc.returncode >= 0 else 128 - proc.returncode
            st = {"phase": "Succeeded" if code == 0 else "Failed"}
            state = {
                "terminated": {"exitCode": code, "reason": "Completed" if code == 0 else "Error"}
            }
        st["containerStatuses"] = [
            {
                "name": cname,
                "image": obj["spec"]["containers"][0]["image"],
                "imageID": "",
                "ready": "running" in state,
                "restartCount": 0,
                "state": state,
            }
        ]
        obj["status"] = st
        return obj

    def list(self, namespace: str, selector: str | None) -> dict[str, Any]:
        wanted = dict(part.split("=", 1) for part in selector.split(",")) if selector else {}
        with self.lock:
            items = [
                self.view(p)
                for (ns, _), p in self.pods.items()
                if ns == namespace
                and all(p.obj["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())
            ]
        return {
            "apiVersion": "v1",
            "kind": "PodList",
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }

    def delete(self, namespace: str, name: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            pod = self.pods.pop((namespace, name), None)
        if pod is None:
            return 404, status(404, "NotFound", f'pods "{name}" not found')
        _kill(pod)
        obj = self.view(pod)
        obj["metadata"]["deletionTimestamp"] = _now()
        return 200, obj


def status(code: int, reason: str, message: str) -> dict[str, Any]:
    """A ``v1/Status`` failure object, as the API server returns errors."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _kill(pod: StandInPod) -> None:
    proc = pod.process
    if proc is None or proc.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


class _Handler(BaseHTTPRequestHandler):
    standin: StandInCluster
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = (
        True  # headers and body are separate writes: no 40 ms delayed-ACK stalls
    )

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, obj: dict[str, Any] | str) -> None:
        data = obj.encode() if isinstance(obj, str) else json.dumps(obj).encode()
        try:
            self.send_response(code)
            self.send_header(
                "Content-Type", "text/plain" if isinstance(obj, str) else "application/json"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (
            BrokenPipeError,
            ConnectionResetError,
        ):  # the client gave up waiting (cmd_timeout tests)
            self.close_connection = True

    def _route(self, method: str) -> None:
        cluster = self.standin
        url = urlparse(self.path)
        cluster.requests.append((method, url.path))
        if cluster.delay_s:
            time.sleep(cluster.delay_s)
        if self.headers.get("Authorization") != f"Bearer {cluster.token}":
            self._send(401, status(401, "Unauthorized", "Unauthorized"))
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if cluster.garbage is not None:
            self._send(200, cluster.garbage)
            return
        match = _PODS.match(url.path)
        if match is None:
            self._send(
                404, status(404, "NotFound", "the server could not find the requested resource")
            )
            return
        ns, name, log = match.group("ns"), match.group("name"), match.group("log")
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if method == "POST" and name is None:
            code, obj = cluster.create(ns, json.loads(body))
            time.sleep(cluster.create_answer_delay_s)
            self._send(code, obj)
        elif method == "GET" and name is None:
            self._send(200, cluster.list(ns, query.get("labelSelector")))
        elif method == "GET":
            with cluster.lock:
                pod = cluster.pods.get((ns, name))
                if pod is None:
                    self._send(404, status(404, "NotFound", f'pods "{name}" not found'))
                elif log:
                    text = (
                        Path(pod.log_path).read_text(errors="replace")
                        if os.path.exists(pod.log_path)
                        else ""
                    )
                    if "tailLines" in query:
                        text = "".join(text.splitlines(keepends=True)[-int(query["tailLines"]) :])
                    self._send(200, text)
                else:
                    self._send(200, cluster.view(pod))
        elif method == "DELETE" and name is not None and cluster.refuse_deletes is not None:
            code, reason, message = cluster.refuse_deletes
            self._send(code, status(code, reason, message))
        elif method == "DELETE" and name is not None:
            code, obj = cluster.delete(ns, name)
            self._send(code, obj)
        else:
            self._send(405, status(405, "MethodNotAllowed", f"{method} is not supported here"))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_DELETE(self) -> None:
        self._route("DELETE")


@contextmanager
def standin_cluster(**kwargs: Any) -> Iterator[StandInCluster]:
    """A started stand-in cluster in a fresh temporary directory, stopped afterwards."""
    with tempfile.TemporaryDirectory(prefix="kube-standin-") as tmp:
        cluster = StandInCluster(Path(tmp), **kwargs).start()
        try:
            yield cluster
        finally:
            cluster.stop()
