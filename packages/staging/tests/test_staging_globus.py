"""GlobusStaging at globus-sdk's own test seam: ``globus_sdk.testing`` responses over ``responses``.

The Globus cloud cannot run here. Every HTTP call the SDK makes (Auth token
grants, Transfer submission id, submit, task status, event list, cancel) is
answered by a response registered with ``globus_sdk.testing``; a call that
matches none fails the test. What is real: the DataFlowKernel, the staging
tasks, the SDK's request building, authorizers and token storage.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import globus_sdk
import pytest
import responses
from globus_sdk.testing import RegisteredResponse, load_response

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.data_provider.globus import GlobusAuth, GlobusStaging, endpoint_path_for
from parsl.data_provider.globus._auth import ENV_CLIENT_ID, ENV_CLIENT_SECRET
from parsl.data_provider.staging_errors import (
    GlobusAuthError,
    GlobusTransferError,
    GlobusTransferTimeout,
    StagingError,
)
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor

LOCAL_EP = "ddb59aef-6d04-11e5-ba46-22000b92c6ec"
REMOTE_EP = "ddb59af0-6d04-11e5-ba46-22000b92c6ec"
NATIVE_ID = "7a1e3c5e-0000-4000-8000-00000000a11c"
ACCESS = "AT-secret-access-token-0123456789"
REFRESH = "RT-secret-refresh-token-9876543210"


@python_app
def read_path(inputs: list[File]) -> str:
    return inputs[0].filepath


@python_app
def write_out(outputs: list[File]) -> str:
    with open(outputs[0], "w") as f:
        f.write("result\n")
    return outputs[0].filepath


@python_app
def fail_app(outputs: list[File]) -> None:
    raise RuntimeError("the app failed")


@pytest.fixture
def mocked() -> Iterator[None]:
    """globus_sdk.testing registers on the module-level ``responses`` mock: start and reset it."""
    responses.start()
    try:
        yield
    finally:
        responses.stop()
        responses.reset()


@pytest.fixture
def confidential(monkeypatch: pytest.MonkeyPatch, mocked: None) -> None:
    """A confidential client in the environment, and Globus Auth granting it a Transfer token."""
    monkeypatch.setenv(ENV_CLIENT_ID, "c0nf1de0-0000-4000-8000-000000000001")
    monkeypatch.setenv(ENV_CLIENT_SECRET, "confidential-secret")
    load_response(globus_sdk.ConfidentialAppAuthClient.oauth2_client_credentials_tokens)


def task_id() -> str:
    return str(load_response(globus_sdk.TransferClient.submit_transfer).metadata["task_id"])


def transfer_service(*statuses: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    """Register submission id, submit, the task's successive statuses, its events and cancel."""
    load_response(globus_sdk.TransferClient.get_submission_id)
    tid = task_id()
    for doc in statuses:
        RegisteredResponse(
            service="transfer", path=f"/v0.10/task/{tid}", json={"task_id": tid, **doc}
        ).add()
    RegisteredResponse(
        service="transfer",
        path=f"/v0.10/task/{tid}/event_list",
        json={"DATA_TYPE": "event_list", "DATA": events or [], "limit": 10, "offset": 0},
    ).add()
    RegisteredResponse(
        service="transfer",
        method="POST",
        path=f"/v0.10/task/{tid}/cancel",
        json={"DATA_TYPE": "result", "code": "Canceled", "message": "cancelled"},
    ).add()
    return tid


def calls(fragment: str, method: str = "GET") -> list[Any]:
    return [c for c in responses.calls if fragment in c.request.url and c.request.method == method]


def submitted() -> list[dict[str, Any]]:
    return [json.loads(c.request.body) for c in calls("/v0.10/transfer", "POST")]


@pytest.fixture
def load(tmp_path: Path) -> Iterator[Callable[..., DataFlowKernel]]:
    loaded: list[DataFlowKernel] = []

    def go(staging: GlobusStaging, retries: int = 0) -> DataFlowKernel:
        executor = ThreadPoolExecutor(
            label="globus_test", storage_access=[staging], working_dir=str(tmp_path / "work")
        )
        dfk = parsl.load(
            Config(
                executors=[executor],
                retries=retries,
                run_dir=str(tmp_path / "runinfo"),
                strategy=None,
            )
        )
        loaded.append(dfk)
        return dfk

    yield go
    for dfk in loaded:
        dfk.cleanup()
    parsl.clear()


def staging(**kwargs: Any) -> GlobusStaging:
    return GlobusStaging(LOCAL_EP, **{"poll_interval": 0.01, "deadline": 10, **kwargs})


def root(exc: BaseException | None) -> BaseException | None:
    return exc.root_cause if isinstance(exc, DependencyError) else exc


# ----------------------------------------------------------------- the happy paths


def test_stage_in_transfers_before_the_app_runs(
    confidential: None, load: Callable[..., DataFlowKernel], tmp_path: Path
) -> None:
    tid = transfer_service({"status": "ACTIVE"}, {"status": "SUCCEEDED"})
    load(staging())
    seen: list[int] = []

    @python_app
    def app(inputs: list[File]) -> str:
        seen.append(len(calls(f"/task/{tid}")))
        return inputs[0].filepath

    path = app(inputs=[File(f"globus://{REMOTE_EP}/data/in.txt")]).result(timeout=30)
    assert path == str(tmp_path / "work" / "in.txt")
    assert seen == [2]  # both status polls, the SUCCEEDED one included, came before the app
    [body] = submitted()
    assert body["source_endpoint"] == REMOTE_EP
    assert body["destination_endpoint"] == LOCAL_EP
    [item] = body["DATA"]
    assert item["source_path"] == "/data/in.txt"
    assert item["destination_path"] == str(tmp_path / "work" / "in.txt")
    assert body["submission_id"] and body["sync_level"] == 3
    assert body["label"] == "parsl stage-in in_txt"  # Globus refuses '.' in labels


def test_stage_out_transfers_after_the_app(
    confidential: None, load: Callable[..., DataFlowKernel], tmp_path: Path
) -> None:
    transfer_service({"status": "SUCCEEDED"})
    load(staging(endpoint_path="/~/scratch", local_path=str(tmp_path)))
    fut = write_out(outputs=[File(f"globus://{REMOTE_EP}/results/out.txt")])
    assert fut.outputs[0].result(timeout=30) is not None
    assert fut.result(timeout=5) == str(tmp_path / "work" / "out.txt")
    assert (tmp_path / "work" / "out.txt").read_text() == "result\n"
    [body] = submitted()
    assert (body["source_endpoint"], body["destination_endpoint"]) == (LOCAL_EP, REMOTE_EP)
    [item] = body["DATA"]
    assert item["source_path"] == "/~/scratch/work/out.txt"  # working_dir mapped on the endpoint
    assert item["destination_path"] == "/results/out.txt"


def test_a_failed_app_is_not_staged_out(
    confidential: None, load: Callable[..., DataFlowKernel]
) -> None:
    transfer_service({"status": "SUCCEEDED"})
    load(staging())
    fut = fail_app(outputs=[File(f"globus://{REMOTE_EP}/results/out.txt")])
    with pytest.raises(DependencyError):
        fut.outputs[0].result(timeout=30)
    assert submitted() == []


# ----------------------------------------------------------------- failure, retry, deadline


FAILED = {
    "status": "FAILED",
    "nice_status": None,
    "fatal_error": {"code": "PERMISSION_DENIED", "description": "permission denied"},
}
EVENTS = [
    {
        "code": "PERMISSION_DENIED",
        "description": "permission denied",
        "details": "Error (transfer)\nEndpoint: remote\nServer: 10.0.0.1:2811\nmkdir /results: Permission denied",
        "is_error": True,
        "time": "2026-01-01T00:00:00+00:00",
    },
    {"code": "STARTED", "description": "started", "details": "", "is_error": False},
]


def test_a_failed_transfer_fails_the_app_with_globus_events(
    confidential: None, load: Callable[..., DataFlowKernel]
) -> None:
    tid = transfer_service(FAILED, events=EVENTS)
    load(staging())
    fut = read_path(inputs=[File(f"globus://{REMOTE_EP}/data/in.txt")])
    exc = root(fut.exception(timeout=30))
    assert isinstance(exc, GlobusTransferError) and isinstance(exc, StagingError)
    assert exc.task_id == tid
    assert tid in str(exc)
    assert "PERMISSION_DENIED: permission denied" in str(exc)
    assert "mkdir /results: Permission denied" in str(exc)
    assert "STARTED" not in str(exc)
    assert isinstance(fut.exception(), DependencyError)


def test_a_failed_transfer_is_retried_when_retries_allow(
    confidential: None, load: Callable[..., DataFlowKernel], tmp_path: Path
) -> None:
    transfer_service(FAILED, {"status": "SUCCEEDED"}, events=EVENTS)
    load(staging(), retries=1)
    path = read_path(inputs=[File(f"globus://{REMOTE_EP}/data/in.txt")]).result(timeout=30)
    assert path == str(tmp_path / "work" / "in.txt")
    assert len(submitted()) == 2
    assert len(calls("/submission_id")) == 2  # each try is a new submission


def test_an_overdue_transfer_is_cancelled(
    confidential: None, load: Callable[..., DataFlowKernel]
) -> None:
    tid = transfer_service({"status": "ACTIVE", "nice_status": "Queued"})
    load(staging(deadline=0.3))
    start = time.monotonic()
    fut = read_path(inputs=[File(f"globus://{REMOTE_EP}/data/in.txt")])
    exc = root(fut.exception(timeout=30))
    assert time.monotonic() - start < 10
    assert isinstance(exc, GlobusTransferTimeout)
    assert f"Globus transfer task {tid} failed" in str(exc)
    assert "not finished within 0.3 s (status ACTIVE, Queued); cancelled" in str(exc)
    assert len(calls(f"/task/{tid}/cancel", "POST")) == 1
    [body] = submitted()
    assert body["deadline"]  # Globus itself also gives up at the deadline


def test_a_failed_cancel_is_reported(confidential: None) -> None:
    load_response(globus_sdk.TransferClient.get_submission_id)
    tid = task_id()
    RegisteredResponse(
        service="transfer", path=f"/v0.10/task/{tid}", json={"status": "INACTIVE"}
    ).add()
    RegisteredResponse(
        service="transfer",
        method="POST",
        path=f"/v0.10/task/{tid}/cancel",
        status=409,
        json={"code": "Conflict", "message": "task is already complete"},
    ).add()
    with pytest.raises(GlobusTransferTimeout, match=r"cancelling it failed too \(HTTP 409"):
        staging(deadline=0.05).transfer(_request())


def test_a_refused_submission_is_a_transfer_error(confidential: None) -> None:
    load_response(globus_sdk.TransferClient.get_submission_id)
    load_response(globus_sdk.TransferClient.submit_transfer, case="failure")
    with pytest.raises(GlobusTransferError, match="NoTransferItems") as info:
        staging().transfer(_request())
    assert info.value.task_id == "(not submitted)"


def _request() -> Any:
    from parsl.data_provider.globus import TransferRequest

    return TransferRequest(REMOTE_EP, "/a", LOCAL_EP, "/b")


# ----------------------------------------------------------------- credentials


def stored_tokens(path: Path, expires_at: int) -> None:
    from globus_sdk.token_storage import JSONTokenStorage, TokenStorageData

    JSONTokenStorage(path, namespace=NATIVE_ID).store_token_data_by_resource_server(
        {
            "transfer.api.globus.org": TokenStorageData(
                resource_server="transfer.api.globus.org",
                identity_id=None,
                scope="urn:globus:auth:scope:transfer.api.globus.org:all",
                access_token=ACCESS,
                refresh_token=REFRESH,
                expires_at_seconds=expires_at,
                token_type="Bearer",
            )
        }
    )


def test_stored_native_tokens_are_used_without_a_refresh(mocked: None, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    stored_tokens(tokens, int(time.time()) + 3600)
    transfer_service({"status": "SUCCEEDED"})
    auth = GlobusAuth(native_client_id=NATIVE_ID, token_file=str(tokens))
    staging(auth=auth).transfer(_request())
    assert calls("/oauth2/token", "POST") == []
    assert responses.calls[-1].request.headers["Authorization"] == f"Bearer {ACCESS}"


def test_an_expired_access_token_is_refreshed_and_stored(
    mocked: None, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tokens = tmp_path / "tokens.json"
    stored_tokens(tokens, int(time.time()) - 10)
    RegisteredResponse(
        service="auth",
        method="POST",
        path="/v2/oauth2/token",
        json={
            "access_token": "AT-new-after-refresh",
            "scope": "urn:globus:auth:scope:transfer.api.globus.org:all",
            "expires_in": 3600,
            "token_type": "Bearer",
            "resource_server": "transfer.api.globus.org",
            "other_tokens": [],
        },
    ).add()
    transfer_service({"status": "SUCCEEDED"})
    GlobusStaging(LOCAL_EP, auth=GlobusAuth(NATIVE_ID, str(tokens)), poll_interval=0.01).transfer(
        _request()
    )
    assert len(calls("/oauth2/token", "POST")) == 1
    assert "AT-new-after-refresh" in tokens.read_text()
    for secret in (ACCESS, REFRESH, "AT-new-after-refresh"):
        assert secret not in caplog.text


def test_a_refused_refresh_asks_to_log_in_again(mocked: None, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    stored_tokens(tokens, int(time.time()) - 10)
    RegisteredResponse(
        service="auth",
        method="POST",
        path="/v2/oauth2/token",
        status=400,
        json={"error": "invalid_grant"},
    ).add()
    with pytest.raises(GlobusAuthError, match="log in again with parsl-globus-auth") as info:
        staging(auth=GlobusAuth(NATIVE_ID, str(tokens))).transfer(_request())
    assert REFRESH not in str(info.value)


def test_a_401_from_transfer_is_an_auth_error(confidential: None) -> None:
    RegisteredResponse(
        service="transfer",
        path="/v0.10/submission_id",
        status=401,
        json={"code": "AuthenticationFailed", "message": "Token is not active"},
    ).add()
    with pytest.raises(GlobusAuthError, match="Token is not active"):
        staging().transfer(_request())


def test_the_staging_error_reaches_the_app_when_no_credentials_exist(
    mocked: None, load: Callable[..., DataFlowKernel], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in (ENV_CLIENT_ID, ENV_CLIENT_SECRET, "PARSL_GLOBUS_NATIVE_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)
    load(staging())
    exc = root(read_path(inputs=[File(f"globus://{REMOTE_EP}/a")]).exception(timeout=30))
    assert isinstance(exc, GlobusAuthError)
    assert "parsl-globus-auth --client-id" in str(exc)
    assert len(responses.calls) == 0


def test_missing_stored_tokens_and_half_a_confidential_client(
    mocked: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(GlobusAuthError, match="run 'parsl-globus-auth --client-id"):
        GlobusAuth(NATIVE_ID, str(tmp_path / "none.json")).authorizer()
    monkeypatch.setenv(ENV_CLIENT_ID, "x")
    with pytest.raises(GlobusAuthError, match="set both"):
        GlobusAuth().authorizer()


def test_a_refused_client_secret_is_an_auth_error(
    mocked: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_CLIENT_ID, "c0nf1de0-0000-4000-8000-000000000001")
    monkeypatch.setenv(ENV_CLIENT_SECRET, "wrong")
    RegisteredResponse(
        service="auth",
        method="POST",
        path="/v2/oauth2/token",
        status=401,
        json={"error": "invalid_client"},
    ).add()
    with pytest.raises(GlobusAuthError, match="check the client id and secret"):
        GlobusAuth().transfer_client()


def test_no_token_in_the_run_log(
    confidential: None, load: Callable[..., DataFlowKernel], tmp_path: Path
) -> None:
    transfer_service({"status": "SUCCEEDED"})
    dfk = load(staging())
    read_path(inputs=[File(f"globus://{REMOTE_EP}/data/in.txt")]).result(timeout=30)
    granted = [c.response.json()["access_token"] for c in calls("/oauth2/token", "POST")]
    assert granted
    log = Path(dfk.run_dir, "parsl.log").read_text()
    assert "Globus transfer task" in log
    assert all(token not in log for token in granted)
    assert "confidential-secret" not in log


# ----------------------------------------------------------------- parsl-globus-auth


def test_login_stores_refresh_tokens_mode_0600(
    mocked: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from parsl.data_provider.globus._cli import main

    RegisteredResponse(
        service="auth",
        method="POST",
        path="/v2/oauth2/token",
        json={
            "access_token": ACCESS,
            "refresh_token": REFRESH,
            "scope": "urn:globus:auth:scope:transfer.api.globus.org:all",
            "expires_in": 172800,
            "token_type": "Bearer",
            "resource_server": "transfer.api.globus.org",
            "other_tokens": [],
        },
    ).add()
    monkeypatch.setattr("builtins.input", lambda prompt: "the-code\n")
    tokens = tmp_path / "dir" / "tokens.json"
    assert main(["--client-id", NATIVE_ID, "--token-file", str(tokens)]) == 0
    out = capsys.readouterr().out
    assert "https://auth.globus.org/v2/oauth2/authorize?" in out
    assert f"Globus tokens stored in {tokens}" in out
    assert ACCESS not in out and REFRESH not in out
    assert stat.S_IMODE(os.stat(tokens).st_mode) == 0o600
    [exchange] = calls("/oauth2/token", "POST")
    assert "code=the-code" in exchange.request.body
    assert GlobusAuth(NATIVE_ID, str(tokens)).authorizer().refresh_token == REFRESH  # type: ignore[attr-defined]


def test_login_failures_exit_1(
    mocked: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from parsl.data_provider.globus._cli import main

    load_response(
        globus_sdk.NativeAppAuthClient.oauth2_exchange_code_for_tokens, case="invalid_grant"
    )
    monkeypatch.setattr("builtins.input", lambda prompt: "bad")
    assert main(["--client-id", NATIVE_ID, "--token-file", str(tmp_path / "t.json")]) == 1
    assert "did not accept the code" in capsys.readouterr().err
    monkeypatch.setattr("builtins.input", lambda prompt: "   ")
    assert main(["--client-id", NATIVE_ID, "--token-file", str(tmp_path / "t.json")]) == 1
    assert "no authorization code" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()
    monkeypatch.delenv("PARSL_GLOBUS_NATIVE_CLIENT_ID", raising=False)
    with pytest.raises(SystemExit) as info:
        main([])
    assert info.value.code == 2


def test_login_without_a_transfer_token_stores_nothing(
    mocked: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parsl.data_provider.globus import login

    load_response(globus_sdk.NativeAppAuthClient.oauth2_exchange_code_for_tokens, case="openid")
    with pytest.raises(GlobusAuthError, match="no Transfer token"):
        login(NATIVE_ID, str(tmp_path / "t.json"), read_code=lambda p: "c", show=lambda s: None)
    assert not (tmp_path / "t.json").exists()


# ----------------------------------------------------------------- construction and paths


@pytest.mark.parametrize(
    ("working_dir", "endpoint_path", "local_path", "expected"),
    [
        ("/scratch/u/work", None, None, "/scratch/u/work/f.txt"),
        ("/scratch/u/work", "/~/", "/scratch/u", "/~/work/f.txt"),
        ("/scratch/u", "/project", "/scratch/u", "/project/f.txt"),
        ("/scratch/u/a/../b", "/p", "/scratch/u", "/p/b/f.txt"),
    ],
)
def test_working_dir_maps_onto_the_endpoint_path(
    working_dir: str, endpoint_path: str | None, local_path: str | None, expected: str
) -> None:
    assert endpoint_path_for(working_dir, "f.txt", endpoint_path, local_path) == expected


def test_a_working_dir_outside_local_path_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not under GlobusStaging's local_path"):
        endpoint_path_for("/elsewhere", "f", "/p", "/scratch")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"endpoint_uuid": "not-a-uuid"}, "endpoint_uuid"),
        ({"endpoint_path": "/p"}, "together"),
        ({"local_path": "/l"}, "together"),
        ({"endpoint_path": "p", "local_path": "/l"}, "endpoint_path"),
        ({"deadline": 0}, "deadline"),
        ({"poll_interval": "1"}, "poll_interval"),
        ({"auth": "token"}, "auth"),
    ],
)
def test_bad_arguments_are_configuration_errors(kwargs: dict[str, Any], match: str) -> None:
    args = {"endpoint_uuid": LOCAL_EP, **kwargs}
    with pytest.raises(ConfigurationError, match=match):
        GlobusStaging(**args)


def test_accepts_globus_urls_only_and_needs_a_working_dir(
    load_parsl: Callable[..., DataFlowKernel],
) -> None:
    s = GlobusStaging(LOCAL_EP)
    assert s.can_stage_in(File(f"globus://{REMOTE_EP}/a")) and s.can_stage_out(File("GLOBUS://e/a"))
    assert not s.can_stage_in(File("/a")) and not s.can_stage_out(File("https://h/a"))
    assert repr(s) == (
        f"GlobusStaging(endpoint_uuid='{LOCAL_EP}', endpoint_path=None, local_path=None)"
    )
    load_parsl([s])  # no working_dir
    with pytest.raises(ConfigurationError, match="working_dir"):
        read_path(inputs=[File(f"globus://{REMOTE_EP}/a")])
    with pytest.raises(ConfigurationError, match="globus://ENDPOINT_UUID/path/to/file"):
        parsl.dfk().executors["staging_test"].working_dir = "/tmp"  # type: ignore[attr-defined]
        read_path(inputs=[File("globus:///a")])
