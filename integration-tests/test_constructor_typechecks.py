"""Every package's public constructors check argument types with typeguard, as Parsl's do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from typeguard import TypeCheckError

from parsl.data_provider.globus import GlobusStaging
from parsl.data_provider.http import HTTPInTaskStaging
from parsl.data_provider.rsync import RSyncStaging
from parsl.data_provider.zip import ZipFileStaging
from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor, MPIExecutor
from parsl.launchers import MpiExecLauncher, SrunLauncher, WrappedLauncher
from parsl.monitoring import MonitoringHub
from parsl.providers import CondorProvider, KubernetesProvider, PBSProProvider, SlurmProvider

WRONG: list[tuple[str, Callable[[], Any]]] = [
    ("max_workers_per_node", lambda: HighThroughputExecutor(max_workers_per_node="4")),
    ("max_workers_per_block", lambda: MPIExecutor(max_workers_per_block="2")),
    ("nodes_per_block", lambda: SlurmProvider(nodes_per_block="1")),
    ("walltime", lambda: PBSProProvider(walltime=5)),
    ("cmd_chunk_size", lambda: CondorProvider(cmd_chunk_size="x")),
    ("image", lambda: KubernetesProvider(image=3)),
    ("overrides", lambda: SrunLauncher(overrides=1)),
    ("bind_cmd", lambda: MpiExecLauncher(bind_cmd=None)),
    ("prepend", lambda: WrappedLauncher(1)),
    ("hub_address", lambda: MonitoringHub(hub_address=1)),
    ("timeout", lambda: ZipFileStaging(timeout="1")),
    ("hostname", lambda: RSyncStaging(1)),
    ("timeout", lambda: HTTPInTaskStaging(timeout="x")),
    ("endpoint_uuid", lambda: GlobusStaging(endpoint_uuid=5)),
]


@pytest.mark.parametrize(("field", "make"), WRONG, ids=[f"{i}-{w[0]}" for i, w in enumerate(WRONG)])
def test_wrong_type_is_typeguards_error_naming_the_field(
    field: str, make: Callable[[], Any]
) -> None:
    with pytest.raises(TypeCheckError) as e:
        make()
    assert isinstance(e.value, ConfigurationError)
    assert field in str(e.value)


def test_right_types_construct() -> None:
    built = [
        HighThroughputExecutor(max_workers_per_node=2, provider=SlurmProvider(nodes_per_block=2)),
        MPIExecutor(max_workers_per_block=1),
        PBSProProvider(walltime="00:10:00"),
        KubernetesProvider(image="python:3.11"),
        MpiExecLauncher(bind_cmd="--bind-to"),
        MonitoringHub(hub_address="127.0.0.1", hub_port_range=(55050, 56000)),
        ZipFileStaging(timeout=5),
        RSyncStaging("login1"),
        GlobusStaging(endpoint_uuid="00000000-0000-0000-0000-000000000000"),
    ]
    assert len(built) == 9
