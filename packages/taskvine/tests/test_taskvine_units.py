"""The pure parts: resource specifications, result codes, task files and the runner, configs."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from parsl.data_provider.files import File
from parsl.errors import ConfigurationError
from parsl.executors.cctools.errors import CctoolsTaskFailure, ResourceExhausted
from parsl.executors.cctools.manager_loop import (
    FailureKind,
    classify_result,
    read_frame,
    workers_disconnected,
    workers_that_ran,
    write_frame,
)
from parsl.executors.cctools.resources import TaskResources, parse_resource_specification
from parsl.executors.cctools.runner import main as runner_main
from parsl.executors.cctools.runner import run_task
from parsl.executors.cctools.taskfiles import find_files, prepare_task
from parsl.executors.errors import InvalidResourceSpecification
from parsl.executors.taskvine import TaskVineExecutor, TaskVineFactoryConfig, TaskVineManagerConfig
from parsl.executors.taskvine.library import read_message, write_message
from parsl.serialize.facade import deserialize


def parse(spec: dict[str, object], **kw: object) -> TaskResources:
    args: dict[str, object] = {"executor": "ex", "function_name": "f", "autocategory": True, **kw}
    return parse_resource_specification(spec, **args)  # type: ignore[arg-type]


def test_every_key_maps_to_the_task() -> None:
    r = parse(
        {
            "cores": 2,
            "memory": 100,
            "disk": 50,
            "gpus": 0,
            "running_time_min": 5,
            "priority": -1.5,
            "category": "big",
        }
    )
    assert r == TaskResources(2, 100, 50, 0, 5.0, -1.5, "big")
    assert r.has_allocation


def test_category_defaults_to_the_function_name_with_autocategory() -> None:
    assert parse({}).category == "f"
    assert parse({}, autocategory=False).category == "parsl-default"
    assert not parse({}).has_allocation


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"cores": 0}, "cores"),
        ({"cores": True}, "cores"),
        ({"memory": "1G"}, "memory"),
        ({"gpus": -1}, "gpus"),
        ({"running_time_min": 0}, "running_time_min"),
        ({"priority": float("nan")}, "priority"),
        ({"category": ""}, "category"),
        ({"walltime": 3}, "walltime"),
    ],
)
def test_bad_values_name_the_key(spec: dict[str, object], key: str) -> None:
    with pytest.raises(InvalidResourceSpecification) as e:
        parse(spec)
    assert e.value.invalid_keys == [key]


def test_all_or_none_names_the_missing_keys() -> None:
    with pytest.raises(InvalidResourceSpecification, match="autolabel") as e:
        parse({"cores": 1}, require_all_or_none=True)
    assert e.value.invalid_keys == ["disk", "memory"]
    assert parse({"cores": 1, "memory": 1, "disk": 1}, require_all_or_none=True).cores == 1


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("SUCCESS", FailureKind.SUCCESS),
        ("RESOURCE_EXHAUSTION", FailureKind.RESOURCE_EXHAUSTED),
        ("SANDBOX_EXHAUSTION", FailureKind.RESOURCE_EXHAUSTED),
        ("MAX_RETRIES", FailureKind.WORKER_LOST),
        ("FORSAKEN", FailureKind.WORKER_LOST),
        ("OUTPUT_MISSING", FailureKind.OUTPUT_MISSING),
        ("SIGNAL", FailureKind.FAILED),
    ],
)
def test_result_codes(name: str, kind: str) -> None:
    assert classify_result(name) == kind


def test_failure_names_the_worker() -> None:
    e = ResourceExhausted(7, "went over disk", "127.0.0.1:9000")
    assert isinstance(e, CctoolsTaskFailure)
    assert str(e) == "task 7 failed on worker 127.0.0.1:9000: went over disk"


def test_failure_status_is_its_cause_as_in_parsl() -> None:
    from parsl.executors.cctools.errors import TaskOutputMissing

    assert ResourceExhausted(3, "memory").status is None
    try:
        try:
            Path("/nonexistent/result").read_bytes()
        except FileNotFoundError as e:
            raise TaskOutputMissing(4, "the result file did not come back") from e
    except TaskOutputMissing as failure:
        assert isinstance(failure.status, FileNotFoundError)


def test_frames_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "frames"
    with open(path, "wb") as f:
        write_frame(f, ("ready", 1))
        write_frame(f, {"x": [1, 2]})
    with open(path, "rb") as f:
        assert read_frame(f) == ("ready", 1)
        assert read_frame(f) == {"x": [1, 2]}
        with pytest.raises(EOFError):
            read_frame(f)


def test_library_messages_are_length_prefixed(tmp_path: Path) -> None:
    r, w = os.pipe()
    write_message(w, "12 run 3 4")
    os.close(w)
    with os.fdopen(r, "rb") as f:
        assert read_message(f) == "12 run 3 4"
        assert read_message(f) is None


def concat(a: File, b: str, outputs: list[File]) -> str:
    with open(a) as f:
        text = f.read() + b
    with open(outputs[0], "w") as f:
        f.write(text)
    return os.path.dirname(a.filepath)


def fail(x: int) -> int:
    raise ValueError(f"bad {x}")


def test_files_are_renamed_for_the_sandbox_and_the_runner_points_them_there(tmp_path: Path) -> None:
    src = tmp_path / "in.txt"
    src.write_text("hello ")
    staging, sandbox = tmp_path / "staging", tmp_path / "sandbox"
    staging.mkdir()
    sandbox.mkdir()
    a, out = File(str(src)), File(str(tmp_path / "out.txt"))
    pkg = prepare_task(
        staging_dir=str(staging),
        task_id=3,
        func=concat,
        args=(a, "world"),
        kwargs={"outputs": [out]},
        resources=TaskResources(),
        shared_fs=False,
    )
    assert [r for _, r in pkg.inputs][:2] == ["parsl.map", "parsl.function"]
    assert pkg.outputs[-1] == (pkg.result_file, "parsl.result")
    assert len(pkg.outputs) == 2 and pkg.outputs[0][0] == str(out.path)
    assert pkg.sandbox_names == ("parsl.map", "parsl.function", "parsl.result")
    for local, remote in pkg.inputs:  # what the manager would do
        (sandbox / remote).write_bytes(Path(local).read_bytes())
    assert run_task("parsl.map", "parsl.function", "parsl.result", str(sandbox))
    result = deserialize((sandbox / "parsl.result").read_bytes())
    assert result["ok"] and result["value"] == str(sandbox)
    out_remote = {b: a for a, b in pkg.outputs}
    assert any(
        (sandbox / name).read_text() == "hello world"
        for name in out_remote
        if name != "parsl.result"
    )


def test_shared_fs_uses_the_paths_themselves(tmp_path: Path) -> None:
    f = File(str(tmp_path / "x"))
    pkg = prepare_task(
        staging_dir=str(tmp_path),
        task_id=1,
        func=fail,
        args=(f,),
        kwargs={},
        resources=TaskResources(),
        shared_fs=True,
    )
    assert pkg.inputs == () and pkg.outputs == ()
    assert pickle.loads(Path(pkg.map_file).read_bytes()) == {f.path: str(tmp_path / "x")}
    assert pkg.command.endswith(f"{pkg.map_file} {pkg.function_file} {pkg.result_file}")


def test_the_runner_returns_the_exception(tmp_path: Path) -> None:
    pkg = prepare_task(
        staging_dir=str(tmp_path),
        task_id=2,
        func=fail,
        args=(4,),
        kwargs={},
        resources=TaskResources(),
        shared_fs=True,
    )
    assert runner_main([pkg.map_file, pkg.function_file, pkg.result_file]) == 0
    result = deserialize(Path(pkg.result_file).read_bytes())
    assert not result["ok"]
    with pytest.raises(ValueError, match="bad 4"):
        result["exception"].reraise()
    assert runner_main([]) == 2


def test_find_files_looks_inside_containers() -> None:
    a, b, c = File("a"), File("b"), File("c")
    assert list(find_files([a, (b,), {"k": c}, "not a file"])) == [a, b, c]


def test_config_errors_name_the_field() -> None:
    with pytest.raises(ConfigurationError, match="worker_launch_method"):
        TaskVineExecutor(worker_launch_method="ssh")
    with pytest.raises(ConfigurationError, match="function_exec_mode"):
        TaskVineExecutor(function_exec_mode="lambda")
    with pytest.raises(ConfigurationError, match="port"):
        TaskVineManagerConfig(port=70000)
    with pytest.raises(ConfigurationError, match="env_pack"):
        TaskVineManagerConfig(env_pack="env.tar.gz")
    with pytest.raises(ConfigurationError, match="library_config"):
        TaskVineManagerConfig(library_config={"slots": 2})
    with pytest.raises(ConfigurationError, match="wait_for_workers"):
        TaskVineManagerConfig(wait_for_workers=-1)
    with pytest.raises(ConfigurationError, match="min_workers"):
        TaskVineFactoryConfig(min_workers=3, max_workers=2)
    with pytest.raises(ConfigurationError, match="manager_config"):
        TaskVineExecutor(manager_config={"port": 1})  # type: ignore[arg-type]


def test_factory_command_carries_the_settings() -> None:
    argv = TaskVineFactoryConfig(
        min_workers=2, max_workers=3, cores=1, memory=500, worker_options="--foo"
    ).command("127.0.0.1", 9000, "/s", "pw")
    assert argv[-2:] == ["127.0.0.1", "9000"]
    assert {"--cores=1", "--memory=500", "--extra-options=--foo", "--password=pw"} <= set(argv)
    assert argv[argv.index("--min-workers") + 1] == "2"


def test_serverless_tasks_need_serverless_mode() -> None:
    ex = TaskVineExecutor(worker_launch_method="manual")
    with pytest.raises(InvalidResourceSpecification, match="serverless"):
        ex.validate_resource_specification({"exec_mode": "serverless"})
    with pytest.raises(InvalidResourceSpecification, match="exec_mode"):
        ex.validate_resource_specification({"exec_mode": "fast"})
    ex.validate_resource_specification({"cores": 1, "exec_mode": "regular"})


def test_public_import_paths() -> None:
    from parsl.executors import TaskVineExecutor as viaregistry
    from parsl.executors.taskvine.factory_config import TaskVineFactoryConfig as F
    from parsl.executors.taskvine.manager_config import TaskVineManagerConfig as M

    assert viaregistry is TaskVineExecutor
    assert (TaskVineFactoryConfig, TaskVineManagerConfig) == (F, M)


def test_workers_that_ran_reads_the_transactions_log(tmp_path: Path) -> None:
    log = tmp_path / "transactions"
    log.write_text(
        "# time manager_pid TASK taskid RUNNING worker\n"
        "1 2 TASK 7 RUNNING 127.0.0.1:1  FIRST_RESOURCES {}\n"
        "1 2 TASK 17 RUNNING 127.0.0.1:9  FIRST_RESOURCES {}\n"
        "1 2 TASK 7 RUNNING 127.0.0.1:2  FIRST_RESOURCES {}\n"
    )
    assert workers_that_ran(str(log), 7) == ["127.0.0.1:1", "127.0.0.1:2"]
    assert workers_that_ran(str(tmp_path / "missing"), 7) == []


def test_workers_disconnected_reads_the_transactions_log(tmp_path: Path) -> None:
    log = tmp_path / "transactions"
    log.write_text(
        "# time manager_pid WORKER worker_id host:port DISCONNECTION (UNKNOWN|FAILURE)\n"
        "1 2 WORKER worker-a 127.0.0.1:1  CONNECTION\n"
        "1 2 WORKER worker-b 127.0.0.1:2  CONNECTION\n"
        "1 2 WORKER worker-a 127.0.0.1:1  DISCONNECTION FAILURE\n"
        "1 2 TASK 7 RUNNING 127.0.0.1:2  FIRST_RESOURCES {}\n"
    )
    assert workers_disconnected(str(log)) == {"127.0.0.1:1"}
    assert workers_disconnected(str(tmp_path / "missing")) == set()
