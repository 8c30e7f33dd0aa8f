"""RadicalPilotExecutor on a real local.localhost pilot (one session shared by the module's tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from parsl import bash_app, python_app
from parsl.app.errors import BashExitFailure
from parsl.dataflow.dflow import DataFlowKernel
from parsl.errors import ConfigurationError
from parsl.executors.errors import (
    BadStateException,
    InvalidResourceSpecification,
    UnsupportedFeatureError,
)
from parsl.executors.radical import RadicalPilotExecutor, RadicalTaskFailed, task_fields


@python_app
def add(a: int, b: int, parsl_resource_specification: dict[str, Any] | None = None) -> int:
    return a + b


@python_app
def env_and_pid(
    parsl_resource_specification: dict[str, Any] | None = None,
) -> tuple[int, str | None]:
    import os

    return os.getpid(), os.environ.get("RP_TASK_ID")


@python_app
def fails() -> None:
    raise ValueError("raised on the pilot")


@python_app
def exits() -> None:
    import sys

    sys.exit(3)


@bash_app
def greet(name: str, stdout: str | None = None) -> str:
    return f"echo hello {name}"


@bash_app
def exit_3() -> str:
    return "exit 3"


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_python_apps_run_on_the_pilot(rp_dfk: DataFlowKernel) -> None:
    assert add(1, 2).result(timeout=240) == 3  # the first waits for the pilot
    futures = [add(i, i) for i in range(6)]
    assert [f.result(timeout=120) for f in futures] == [0, 2, 4, 6, 8, 10]
    pid, task_id = env_and_pid().result(timeout=120)
    assert pid != os.getpid()
    assert task_id is not None and task_id.startswith("task.")  # run by RADICAL-Pilot's agent


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_bash_apps_and_their_failures(rp_dfk: DataFlowKernel, tmp_path: Path) -> None:
    out = tmp_path / "greet.out"
    assert greet("pilot", stdout=str(out)).result(timeout=120) == 0
    assert out.read_text().strip() == "hello pilot"
    with pytest.raises(BashExitFailure):
        exit_3().result(timeout=120)


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_python_exception_surfaces(rp_dfk: DataFlowKernel) -> None:
    with pytest.raises(ValueError, match="raised on the pilot"):
        fails().result(timeout=120)


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_sys_exit_in_a_task_fails_it_and_never_ends_the_script(rp_dfk: DataFlowKernel) -> None:
    # SystemExit, raised by result(), would end this script in silence.
    with pytest.raises(RadicalTaskFailed, match=r"the task called sys\.exit\(3\)") as e:
        exits().result(timeout=120)
    assert isinstance(e.value.__cause__, SystemExit) and e.value.__cause__.code == 3


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_resource_specification_cores_and_ranks(rp_dfk: DataFlowKernel) -> None:
    assert add(2, 2, parsl_resource_specification={"cores_per_rank": 2}).result(timeout=120) == 4
    assert (
        add(3, 3, parsl_resource_specification={"ranks": 1, "gpus_per_rank": 0}).result(timeout=120)
        == 6
    )


@pytest.mark.slow
@pytest.mark.timeout(200)
def test_more_than_the_pilot_has_fails_clearly(rp_dfk: DataFlowKernel) -> None:
    with pytest.raises(RadicalTaskFailed, match="ended FAILED"):
        add(1, 1, parsl_resource_specification={"cores_per_rank": 64}).result(timeout=120)


def test_bad_resource_specification_fails_the_task(rp_dfk: DataFlowKernel) -> None:
    with pytest.raises(InvalidResourceSpecification, match="does not know 'colour'"):
        add(1, 1, parsl_resource_specification={"colour": "blue"}).result(timeout=30)


def test_task_fields_mapping() -> None:
    assert task_fields({"cores": 4, "memory": 100, "disk": 5, "priority": 1}) == {
        "ranks": 4,
        "mem_per_rank": 100,
        "lfs_per_rank": 5,
    }
    assert task_fields(
        {"ranks": 2, "cores_per_rank": 3, "gpus_per_rank": 0.5, "gpu_type": "CUDA"}
    ) == {
        "ranks": 2,
        "cores_per_rank": 3,
        "gpus_per_rank": 0.5,
        "gpu_type": "CUDA",
    }
    assert task_fields(None) == {}
    with pytest.raises(InvalidResourceSpecification, match="ranks"):
        task_fields({"ranks": 0})
    with pytest.raises(InvalidResourceSpecification, match="whole number"):
        task_fields({"cores_per_rank": 1.5})
    with pytest.raises(InvalidResourceSpecification, match="cores_per_rank=True"):
        task_fields({"cores_per_rank": True})
    with pytest.raises(InvalidResourceSpecification, match="expected a string"):
        task_fields({"gpu_type": 3})
    with pytest.raises(InvalidResourceSpecification, match="different values"):
        task_fields({"cores": 2, "ranks": 3})


def test_constructor_checks_and_import_path() -> None:
    from parsl.executors import RadicalPilotExecutor as exported

    assert exported is RadicalPilotExecutor
    with pytest.raises(ConfigurationError, match="resource"):
        RadicalPilotExecutor(resource="")
    with pytest.raises(ConfigurationError, match="label"):
        RadicalPilotExecutor(label="")
    with pytest.raises(ConfigurationError, match="bulk_mode"):
        RadicalPilotExecutor(bulk_mode="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="working_dir"):
        RadicalPilotExecutor(working_dir=3)  # type: ignore[arg-type]
    with pytest.raises(UnsupportedFeatureError, match="rpex_cfg"):
        RadicalPilotExecutor(rpex_cfg=object())
    ex = RadicalPilotExecutor(cores=2)
    assert ex.pilot_kwargs == {"cores": 2}
    with pytest.raises(BadStateException, match="not running"):
        ex.submit(print, {})
    ex.shutdown()


def test_missing_radical_pilot_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    import parsl.executors.radical as package
    from parsl.errors import OptionalModuleMissing

    monkeypatch.setitem(sys.modules, "parsl.executors.radical._rp", None)  # import fails
    monkeypatch.delattr(package, "_rp", raising=False)
    ex = RadicalPilotExecutor(working_dir=str(tmp_path))
    with pytest.raises(OptionalModuleMissing, match=r"pip install 'radical.pilot"):
        ex.start()
