"""Bad constructor arguments fail at construction with a ConfigurationError naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from cluster_fakes import FakeBatchSystem, FakeScheduler

from parsl.errors import ConfigurationError, ParslError
from parsl.launchers import SimpleLauncher, SingleNodeLauncher
from parsl.providers.cluster.shell import ClusterProvider
from parsl.providers.cluster.slurm import SlurmProvider, SlurmScheduler

COMMON_BAD: list[tuple[str, Any]] = [
    ("nodes_per_block", 0),
    ("nodes_per_block", "2"),
    ("nodes_per_block", True),
    ("init_blocks", -1),
    ("min_blocks", 1.5),
    ("max_blocks", None),
    ("parallelism", 1.5),
    ("parallelism", -0.1),
    ("parallelism", "1"),
    ("parallelism", False),
    ("walltime", "10 minutes"),
    ("walltime", "00:75:00"),
    ("walltime", 600),
    ("scheduler_options", None),
    ("scheduler_options", ["#SBATCH -N 1"]),
    ("worker_init", 7),
    ("launcher", "srun"),
    ("launcher", SingleNodeLauncher),
    ("cmd_timeout", 0),
    ("cmd_timeout", 2.5),
]

SLURM_BAD: list[tuple[str, Any]] = [
    ("partition", ""),
    ("partition", "debug\n#SBATCH --qos=high"),
    ("account", 42),
    ("qos", "  "),
    ("constraint", "a\rb"),
    ("clusters", ["a", "b"]),
    ("cores_per_node", 0),
    ("cores_per_node", 8.0),
    ("mem_per_node", 0),
    ("mem_per_node", -2),
    ("mem_per_node", "4G"),
    ("mem_per_node", True),
    ("exclusive", "yes"),
    ("exclusive", 1),
    ("regex_job_id", r"Submitted batch job (\d+)"),
    ("regex_job_id", r"(?P<id>"),
    ("regex_job_id", None),
]


@pytest.fixture
def scheduler(tmp_path: Any) -> FakeScheduler:
    return FakeScheduler(FakeBatchSystem(tmp_path / "fake"))


@pytest.mark.parametrize(("field", "value"), COMMON_BAD)
def test_cluster_provider_rejects(scheduler: FakeScheduler, field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        ClusterProvider(scheduler, **{field: value})
    assert info.value.field == field
    assert field in str(info.value) and repr(value) in str(info.value)


@pytest.mark.parametrize(("field", "value"), COMMON_BAD + SLURM_BAD)
def test_slurm_provider_rejects(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as info:
        SlurmProvider(**{field: value})
    assert info.value.field == field
    assert isinstance(info.value, ParslError)


def test_min_blocks_above_max_blocks(scheduler: FakeScheduler) -> None:
    with pytest.raises(ConfigurationError, match="at most max_blocks=2") as info:
        ClusterProvider(scheduler, min_blocks=3, max_blocks=2)
    assert info.value.field == "min_blocks"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("scheduler", "slurm"),
        ("label", "my label"),
        ("label", 3),
        ("script_dir", ""),
        ("script_dir", 5),
    ],
)
def test_shell_only_arguments(scheduler: FakeScheduler, field: str, value: Any) -> None:
    kwargs: dict[str, Any] = {field: value}
    positional = kwargs.pop("scheduler", scheduler)
    with pytest.raises(ConfigurationError) as info:
        ClusterProvider(positional, **kwargs)
    assert info.value.field == field


def test_slurm_scheduler_rejects_bad_clusters() -> None:
    with pytest.raises(ConfigurationError) as info:
        SlurmScheduler(clusters="a\nb")
    assert info.value.field == "clusters"


def test_defaults_match_parsl() -> None:
    provider = SlurmProvider()
    assert provider.label == "slurm"
    assert (provider.partition, provider.account, provider.qos) == (None, None, None)
    assert (provider.constraint, provider.clusters) == (None, None)
    assert provider.nodes_per_block == 1
    assert (provider.cores_per_node, provider.mem_per_node) == (None, None)
    assert (provider.init_blocks, provider.min_blocks, provider.max_blocks) == (1, 0, 1)
    assert provider.parallelism == 1.0
    assert provider.walltime == "00:10:00"
    assert provider.scheduler_options == "" and provider.worker_init == ""
    assert provider.regex_job_id == r"Submitted batch job (?P<id>\S*)"
    assert provider.cmd_timeout == 10
    assert provider.exclusive is True
    assert isinstance(provider.launcher, SingleNodeLauncher)
    assert provider.script_dir is None
    assert provider.resources == {}
    assert provider.status_polling_interval == 60.0


def test_positional_order_matches_parsl() -> None:
    provider = SlurmProvider(
        "part", "acct", "qos", "feat", "clu", 3, 16, 32, 2, 1, 4, 0.5, "02:00:00",
        "#SBATCH --gres=gpu:1", r"job (?P<id>\d+)", "module load x", 30, False, SimpleLauncher(),
    )  # fmt: skip
    assert (provider.partition, provider.account, provider.qos) == ("part", "acct", "qos")
    assert (provider.constraint, provider.clusters) == ("feat", "clu")
    assert (provider.nodes_per_block, provider.cores_per_node, provider.mem_per_node) == (3, 16, 32)
    assert (provider.init_blocks, provider.min_blocks, provider.max_blocks) == (2, 1, 4)
    assert (provider.parallelism, provider.walltime) == (0.5, "02:00:00")
    assert provider.scheduler_options == "#SBATCH --gres=gpu:1"
    assert provider.regex_job_id == r"job (?P<id>\d+)"
    assert (provider.worker_init, provider.cmd_timeout, provider.exclusive) == (
        "module load x",
        30,
        False,
    )
    assert isinstance(provider.launcher, SimpleLauncher)
    assert isinstance(provider.scheduler, SlurmScheduler)
    assert provider.scheduler.clusters == "clu"


def test_label_and_repr(scheduler: FakeScheduler) -> None:
    provider = ClusterProvider(scheduler, label="site-a", walltime="100:00:00")
    assert provider.label == "site-a"
    assert "walltime='100:00:00'" in repr(provider)
    slurm = repr(SlurmProvider(partition="debug", mem_per_node=4))
    assert slurm.startswith("SlurmProvider(nodes_per_block=1,")
    assert "partition='debug'" in slurm and "mem_per_node=4" in slurm
    assert "account" not in slurm
