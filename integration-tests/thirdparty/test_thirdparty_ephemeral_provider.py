"""parsl-ephemeral-provider (PyPI, requires parsl): an out-of-tree cloud provider, on our executors.

It subclasses ``ExecutionProvider`` with ``RepresentationMixin``, reports
``JobStatus``/``JobState``, and registers a second class on
``parsl.providers`` with ``setattr``. AWS cannot run here, so the AWS API is
mocked at boto's own seam with moto (``mock_aws``), as the project's rules
allow for cloud services. Installed with ``--no-deps`` beside ours by
tools/setup-env.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import parsl
import parsl.providers
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.jobs.states import JobState
from parsl.providers.base import ExecutionProvider


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    import boto3
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
        image = ec2.describe_images()["Images"][0]["ImageId"]
        yield {"vpc_id": vpc, "subnet_id": subnet, "security_group_id": group, "image_id": image}


def make_provider(aws: dict[str, str], tmp_path: Path, **kw: Any) -> Any:
    from parsl_ephemeral_provider import EphemeralProvider

    return EphemeralProvider(
        region="us-east-1", state_file_path=str(tmp_path / "state.json"), **aws, **kw
    )


def test_provider_is_ours_and_registers_on_parsl_providers(
    aws: dict[str, str], tmp_path: Path
) -> None:
    provider = make_provider(aws, tmp_path, max_blocks=2)
    assert isinstance(provider, ExecutionProvider)
    assert repr(provider).startswith("EphemeralProvider(")
    from parsl_ephemeral_provider import EphemeralComputeProvider

    assert parsl.providers.EphemeralComputeProvider is EphemeralComputeProvider
    assert getattr(parsl.providers, "EphemeralComputeProvider", None) is EphemeralComputeProvider


def test_submit_status_cancel_through_the_provider_interface(
    aws: dict[str, str], tmp_path: Path
) -> None:
    provider = make_provider(aws, tmp_path, max_blocks=2)
    provider.script_dir = str(tmp_path)
    job = provider.submit("echo worker", 1, "parsl.block")
    [status] = provider.status([job])
    assert status.state == JobState.RUNNING
    assert provider.cancel([job]) == [True]
    [after] = provider.status([job])
    assert after.state != JobState.RUNNING


@pytest.mark.timeout(60)
def test_htex_starts_and_cancels_a_cloud_block(aws: dict[str, str], tmp_path: Path) -> None:
    provider = make_provider(aws, tmp_path, init_blocks=1, min_blocks=0, max_blocks=1)
    htex = HighThroughputExecutor(label="cloud", provider=provider, address="127.0.0.1")
    config = Config(executors=[htex], run_dir=str(tmp_path / "runinfo"), strategy="none")
    with parsl.load(config):
        deadline = time.monotonic() + 20
        while not htex.blocks_to_job_id and time.monotonic() < deadline:
            time.sleep(0.1)
        [(_block, job)] = htex.blocks_to_job_id.items()
        [status] = provider.status([job])
        assert status.state == JobState.RUNNING
    [after] = provider.status([job])
    assert after.state != JobState.RUNNING  # cleanup cancelled the block
