"""load_config: parameters checked against what the site expects, and a real workflow on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import UNLOADABLE_NOTE, sample_params

import parsl
from parsl.config import Config
from parsl.configs import catalog_dir, get_entry, list_entries, load_config
from parsl.configs.catalog import CATALOG_ENV
from parsl.errors import ConfigurationError

POLARIS = {"account": "A1", "queue": "debug", "filesystems": "home:eagle", "env_setup": "true"}


@pytest.mark.parametrize("name", [e.name for e in list_entries() if not e.unavailable])
def test_every_loadable_entry_builds_a_config(name: str) -> None:
    config = load_config(name, **sample_params(get_entry(name)))
    assert isinstance(config, Config)
    executor: Any = config.executors[0]
    assert type(executor).__name__ == get_entry(name).executor.type
    assert type(executor.provider).__name__ == get_entry(name).provider.type


def test_parameters_reach_the_provider() -> None:
    executor: Any = load_config("polaris", **POLARIS).executors[0]
    provider: Any = executor.provider
    assert (provider.account, provider.queue) == ("A1", "debug")
    assert "filesystems=home:eagle" in provider.scheduler_options
    assert provider.worker_init.startswith("true\nexport TMPDIR=/tmp")
    assert type(provider.launcher).__name__ == "MpiExecLauncher"


def test_missing_parameter_names_it_and_its_meaning() -> None:
    params = dict(POLARIS)
    del params["account"]
    with pytest.raises(
        ConfigurationError, match="polaris needs parameter.*'account'.*ALCF project"
    ) as e:
        load_config("polaris", **params)
    assert e.value.field == "account"


def test_unknown_parameter_lists_what_the_entry_takes() -> None:
    with pytest.raises(ConfigurationError, match="unknown parameter.*acct.*'account'"):
        load_config("polaris", **{**POLARIS, "acct": "A1"})


def test_value_outside_the_site_choices_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="queue='fast'.*debug-scaling"):
        load_config("polaris", **{**POLARIS, "queue": "fast"})


def test_value_not_matching_the_pattern_is_rejected() -> None:
    with pytest.raises(ConfigurationError, match="filesystems='home eagle'.*e.g. home:eagle"):
        load_config("polaris", **{**POLARIS, "filesystems": "home eagle"})


@pytest.mark.parametrize("value", [3, None, True])
def test_wrong_type_is_rejected(value: object) -> None:
    with pytest.raises(ConfigurationError, match="account.*must be str"):
        load_config("polaris", **{**POLARIS, "account": value})


def test_int_parameter_rejects_text() -> None:
    with pytest.raises(ConfigurationError, match="nodes_per_block.*must be int"):
        load_config("polaris", **{**POLARIS, "nodes_per_block": "2"})


def test_bad_value_caught_by_the_provider_names_the_entry() -> None:
    with pytest.raises(ConfigurationError, match="polaris: .*walltime"):
        load_config("polaris", **{**POLARIS, "walltime": "soon"})


def test_unavailable_entry_says_why(with_unloadable_entry: str) -> None:
    with pytest.raises(ConfigurationError, match=f"cannot be loaded here: {UNLOADABLE_NOTE}"):
        load_config(with_unloadable_entry, partition="debug", env_setup="true")


def test_kubernetes_entry_loads_a_kubernetes_provider() -> None:
    from parsl.providers import KubernetesProvider

    config = load_config("kubernetes", namespace="science", image="python:3.12", address="10.0.0.5")
    (executor,) = config.executors
    provider = executor.provider
    assert isinstance(provider, KubernetesProvider)
    assert (provider.namespace, provider.image, provider.max_mem) == (
        "science",
        "python:3.12",
        "2Gi",
    )
    assert executor.address == "10.0.0.5"
    with pytest.raises(ConfigurationError, match="kubernetes: namespace='Bad_NS'"):
        load_config("kubernetes", namespace="Bad_NS", image="python:3.12")


def test_kubernetes_launch_cmd_is_htexs_default_with_the_images_python() -> None:
    from parsl.executors.high_throughput.options import DEFAULT_LAUNCH_CMD

    executor = load_config("kubernetes", namespace="default", image="python:3.11").executors[0]
    assert executor.launch_cmd == DEFAULT_LAUNCH_CMD.replace("{python}", "python3")


def test_unknown_provider_class_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (catalog_dir() / "generic-slurm.toml").read_text()
    (tmp_path / "generic-slurm.toml").write_text(text.replace("SlurmProvider", "NoSuchProvider"))
    monkeypatch.setenv(CATALOG_ENV, str(tmp_path))
    with pytest.raises(ConfigurationError, match="'NoSuchProvider' is not installed"):
        load_config("generic-slurm", partition="p", env_setup="true")


@pytest.mark.timeout(120)
def test_workflow_runs_through_the_workstation_entry(tmp_path: Path) -> None:
    config = load_config("workstation", max_workers_per_node=2)
    config.run_dir = str(tmp_path / "runinfo")

    @parsl.python_app
    def double(x: int) -> int:
        return 2 * x

    with parsl.load(config):
        assert [f.result(timeout=60) for f in [double(i) for i in range(4)]] == [0, 2, 4, 6]
