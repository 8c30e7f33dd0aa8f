"""HTTPS staging against a real loopback HTTPS server whose certificate comes from a test CA."""

from __future__ import annotations

import os
import pickle
import ssl
from collections.abc import Callable
from pathlib import Path

import pytest
from staging_pki import TestPKI, make_pki

from parsl import File, python_app
from parsl.data_provider.downloads import DownloadThenRun, TLSSettings, fetch, fetch_http
from parsl.data_provider.files import File as FileClass
from parsl.data_provider.ftp import FTPInTaskStaging
from parsl.data_provider.http import HTTPInTaskStaging, HTTPSeparateTaskStaging
from parsl.data_provider.staging import Staging
from parsl.data_provider.staging_errors import DownloadError
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.errors import ConfigurationError

LoadParsl = Callable[..., DataFlowKernel]
PROVIDERS = [HTTPSeparateTaskStaging, HTTPInTaskStaging]


@python_app
def read_input(inputs: list[File]) -> str:
    with open(inputs[0]) as f:
        return f.read()


def root_cause(exc: BaseException | None) -> BaseException | None:
    return exc.root_cause if isinstance(exc, DependencyError) else exc


def test_fetch_with_the_test_ca_succeeds(https_url: str, pki: TestPKI, tmp_path: Path) -> None:
    dest = tmp_path / "x.txt"
    fetch_http(f"{https_url}/x.txt", str(dest), 10, TLSSettings(ca_file=str(pki.ca_cert)))
    assert dest.read_text() == "hello from the server\n"


def test_verification_is_on_by_default(https_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "x.txt"
    with pytest.raises(DownloadError, match="TLS certificate verification failed") as info:
        fetch(f"{https_url}/x.txt", str(dest), 10)
    assert "ca_file=" in info.value.reason
    assert "unable to get local issuer certificate" in info.value.reason
    assert isinstance(info.value.__cause__.reason, ssl.SSLCertVerificationError)  # type: ignore[union-attr]
    assert not dest.exists()
    assert os.listdir(tmp_path) == ["pki", "served"]


def test_a_certificate_from_another_ca_is_refused(https_url: str, tmp_path: Path) -> None:
    other = make_pki(tmp_path / "other", prefix="other-")
    with pytest.raises(DownloadError, match="TLS certificate verification failed"):
        fetch(
            f"{https_url}/x.txt", str(tmp_path / "x"), 10, TLSSettings(ca_file=str(other.ca_cert))
        )


def test_verify_false_accepts_any_certificate(https_url: str, tmp_path: Path) -> None:
    dest = tmp_path / "x.txt"
    fetch(f"{https_url}/x.txt", str(dest), 10, TLSSettings(verify=False))
    assert dest.read_text() == "hello from the server\n"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_apps_read_https_files_with_the_ca_file(
    provider: Callable[..., Staging],
    load_parsl: LoadParsl,
    https_url: str,
    pki: TestPKI,
    tmp_path: Path,
) -> None:
    load_parsl([provider(ca_file=str(pki.ca_cert))], working_dir=str(tmp_path / "work"))
    content = read_input(inputs=[File(f"{https_url}/sub/y.txt")]).result(timeout=30)
    assert content == "nested file\n"
    assert (tmp_path / "work" / "y.txt").read_text() == content


@pytest.mark.parametrize("provider", PROVIDERS)
def test_apps_fail_with_a_clear_error_on_an_untrusted_certificate(
    provider: Callable[..., Staging], load_parsl: LoadParsl, https_url: str, tmp_path: Path
) -> None:
    load_parsl([provider()], working_dir=str(tmp_path / "work"))
    fut = read_input(inputs=[File(f"{https_url}/x.txt")])
    exc = root_cause(fut.exception(timeout=30))
    assert isinstance(exc, DownloadError)
    assert "TLS certificate verification failed" in str(exc)
    assert not (tmp_path / "work" / "x.txt").exists()


def test_ssl_cert_file_in_the_environment_is_honoured(
    https_url: str, pki: TestPKI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca_cert))
    dest = tmp_path / "x.txt"
    fetch(f"{https_url}/x.txt", str(dest), 10)
    assert dest.read_text() == "hello from the server\n"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"verify": "yes"}, "HTTPInTaskStaging.verify"),
        ({"ca_file": 3}, "HTTPInTaskStaging.ca_file"),
        ({"ca_file": "/nonexistent/ca.pem"}, "HTTPInTaskStaging.ca_file"),
    ],
)
def test_bad_tls_arguments_are_configuration_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field):
        HTTPInTaskStaging(**kwargs)  # type: ignore[arg-type]


def test_repr_and_pickling_carry_the_tls_settings(pki: TestPKI) -> None:
    staging = HTTPSeparateTaskStaging(timeout=5, ca_file=pki.ca_cert)
    assert (
        repr(staging) == f"HTTPSeparateTaskStaging(timeout=5, verify=True, ca_file='{pki.ca_cert}')"
    )
    assert repr(FTPInTaskStaging()) == "FTPInTaskStaging(timeout=60)"
    wrapper = DownloadThenRun(len, FileClass("https://h/a"), 5.0, staging.tls)
    assert pickle.loads(pickle.dumps(wrapper)).tls == TLSSettings(ca_file=str(pki.ca_cert))
