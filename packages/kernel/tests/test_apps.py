"""python_app, bash_app and join_app: decorator forms, special keyword arguments, errors."""

from __future__ import annotations

import os
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
import typeguard

import parsl
from parsl import AUTO_LOGNAME, File, bash_app, join_app, python_app
from parsl.app.errors import (
    AppBadFormatting,
    AppTimeout,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    MissingOutputs,
)
from parsl.app.futures import DataFuture
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import JoinError
from parsl.errors import ConfigurationError, NoDataFlowKernelError


@python_app
def add(a: int, b: int) -> int:
    return a + b


@python_app(cache=False, executors="all")
def mul(a: int, b: int) -> int:
    return a * b


@python_app
def boom(msg: str) -> None:
    raise ValueError(msg)


@bash_app
def echo(msg: str, stdout: Any = AUTO_LOGNAME, stderr: Any = AUTO_LOGNAME) -> str:
    return f"echo {msg}; echo err-{msg} >&2"


@bash_app
def write(path: str, outputs: list[File] = []) -> str:  # noqa: B006 - Parsl's idiom
    return f"echo written > {outputs[0].filepath}"


@bash_app
def exit_with(code: int) -> str:
    return f"exit {code}"


def test_python_app_bare_and_with_options(dfk: DataFlowKernel) -> None:
    assert add(add(1, 2), 3).result(timeout=10) == 6
    assert mul(6, 7).result(timeout=10) == 42
    assert add.__name__ == "add"


def test_app_future_properties(dfk: DataFlowKernel) -> None:
    f = add(1, 1)
    assert f.result(timeout=10) == 2
    assert isinstance(f.tid, int)
    assert f.task_status() == "exec_done"
    assert f.outputs == []
    assert f.stdout is None and f.stderr is None
    assert f.cancel() is False
    assert "add" in repr(f)


def test_no_dfk_loaded_is_a_clear_error() -> None:
    parsl.clear()
    with pytest.raises(NoDataFlowKernelError, match=r"^Must first load config$"):
        add(1, 2)


def test_explicit_data_flow_kernel(run_dir: str) -> None:
    from parsl.config import Config
    from parsl.dataflow.dflow import DataFlowKernel

    with DataFlowKernel(Config(run_dir=run_dir)) as d:
        local = python_app(lambda x: x * 2, data_flow_kernel=d)
        assert local(21).result(timeout=10) == 42


def test_unknown_executor_label(dfk: DataFlowKernel) -> None:
    app = python_app(lambda: 1, executors=["nope"])
    with pytest.raises(ConfigurationError, match=r"'nope' is not in the config"):
        app()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"executors": "threads"}, "executors"),
        ({"cache": "yes"}, "cache"),
        ({"ignore_for_cache": "x"}, "ignore_for_cache"),
    ],
)
def test_decorator_options_validated(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        python_app(**kwargs)(lambda: 1)


def test_decorating_a_non_callable() -> None:
    with pytest.raises(ConfigurationError, match="callable"):
        python_app(3)  # type: ignore[call-overload]


def test_exception_propagates(dfk: DataFlowKernel) -> None:
    f = boom("bad thing")
    with pytest.raises(ValueError, match="bad thing"):
        f.result(timeout=10)
    assert f.task_status() == "failed"


def test_bash_app_stdout_stderr_autologname(dfk: DataFlowKernel) -> None:
    f = echo("hello")
    assert f.result(timeout=10) == 0
    assert str(f.stdout).startswith(dfk.run_dir)
    assert Path(f.stdout).read_text() == "hello\n"
    assert Path(f.stderr).read_text() == "err-hello\n"


def test_bash_app_explicit_paths_and_modes(dfk: DataFlowKernel, tmp_path: Path) -> None:
    out = tmp_path / "sub" / "out.txt"
    echo("one", stdout=str(out), stderr=None).result(timeout=10)
    echo("two", stdout=str(out), stderr=None).result(timeout=10)
    assert out.read_text() == "one\ntwo\n"  # default mode appends
    echo("three", stdout=(str(out), "w"), stderr=None).result(timeout=10)
    assert out.read_text() == "three\n"


def test_bash_bad_std_stream(dfk: DataFlowKernel, tmp_path: Path) -> None:
    f = echo("x", stdout=(str(tmp_path / "o"), "w", "extra"))
    with pytest.raises(BadStdStreamFile, match="path, mode"):
        f.result(timeout=10)
    f = echo("x", stdout=str(tmp_path))  # a directory cannot be opened for writing
    with pytest.raises(BadStdStreamFile, match="could not be opened"):
        f.result(timeout=10)
    f = echo("x", stdout=5)
    with pytest.raises(BadStdStreamFile):
        f.result(timeout=10)


@pytest.mark.parametrize(
    "spec",
    [["o.txt", "w"], ("o.txt", None), (42, "w"), ("o.txt", "w", 42), ("o.txt",), 3.5],
    ids=["list", "null_mode", "not_a_string", "3tuple", "1tuple", "float"],
)
def test_misshapen_std_stream_is_typeguards_error_too(
    dfk: DataFlowKernel, tmp_path: Path, spec: Any
) -> None:
    """As in Parsl, a stdout/stderr of the wrong shape is typeguard's TypeCheckError."""
    with pytest.raises(typeguard.TypeCheckError) as info:
        echo("x", stdout=spec, stderr=str(tmp_path / "e")).result(timeout=10)
    assert isinstance(info.value, BadStdStreamFile)  # and still ours
    assert info.value.field == "stdout"  # type: ignore[attr-defined]
    assert "path, mode" in str(info.value)
    with pytest.raises(typeguard.TypeCheckError, match="stderr="):
        echo("x", stdout=str(tmp_path / "o"), stderr=spec).result(timeout=10)


def test_a_bad_mode_is_not_a_type_error(dfk: DataFlowKernel, tmp_path: Path) -> None:
    with pytest.raises(BadStdStreamFile, match="could not be opened") as info:
        echo("x", stdout=(str(tmp_path / "o"), "badmode")).result(timeout=10)
    assert not isinstance(info.value, typeguard.TypeCheckError)


def test_bash_exit_failure_has_exitcode(dfk: DataFlowKernel) -> None:
    with pytest.raises(BashExitFailure) as e:
        exit_with(3).result(timeout=10)
    assert e.value.exitcode == 3
    assert "exit code 3" in str(e.value)
    assert exit_with(0).result(timeout=10) == 0


def test_bash_exit_failure_shows_the_end_of_this_runs_stderr(
    dfk: DataFlowKernel, tmp_path: Path
) -> None:
    err = tmp_path / "app.err"
    err.write_text("old line from an earlier run\n")
    noisy = bash_app(
        lambda stderr=None: (
            "for i in $(seq 1 30); do echo line-$i >&2; done; echo 'srun: error: too many' >&2; exit 4"
        )
    )
    with pytest.raises(BashExitFailure) as e:
        noisy(stderr=str(err)).result(timeout=10)
    tail = e.value.stderr_tail
    assert tail is not None and tail.endswith("srun: error: too many")
    assert len(tail.splitlines()) == 10 and "line-22" in tail and "line-21" not in tail
    assert "old line" not in tail  # appended to, but only this run's lines are shown
    assert str(e.value).startswith(
        "bash_app <lambda> failed with unix exit code 4; the end of its stderr:"
    )
    # write-only mode, and no stderr file at all
    with pytest.raises(BashExitFailure) as e:
        noisy(stderr=(str(tmp_path / "w.err"), "w")).result(timeout=10)
    assert e.value.stderr_tail is not None and "too many" in e.value.stderr_tail
    with pytest.raises(BashExitFailure) as e:
        exit_with(5).result(timeout=10)
    assert e.value.stderr_tail is None and str(e.value).endswith("exit code 5")


def test_bash_runs_under_bash(dfk: DataFlowKernel, tmp_path: Path) -> None:
    out = tmp_path / "shell.txt"
    app = bash_app(lambda stdout=None: "echo ${BASH_VERSION:+is-bash}")
    app(stdout=str(out)).result(timeout=10)
    assert out.read_text() == "is-bash\n"


def test_bash_outputs_and_data_futures(dfk: DataFlowKernel, tmp_path: Path) -> None:
    target = File(str(tmp_path / "made.txt"))
    f = write("x", outputs=[target])
    assert len(f.outputs) == 1
    df = f.outputs[0]
    assert isinstance(df, DataFuture)
    assert df.result(timeout=10) is target
    assert df.tid == f.tid
    assert df.filepath == target.filepath and df.filename == "made.txt"
    assert Path(target.filepath).read_text() == "written\n"


def test_bash_missing_outputs(dfk: DataFlowKernel, tmp_path: Path) -> None:
    app = bash_app(lambda outputs=(): "true")
    f = app(outputs=[File(str(tmp_path / "never.txt"))])
    with pytest.raises(MissingOutputs, match="never.txt"):
        f.result(timeout=10)
    with pytest.raises(MissingOutputs):
        f.outputs[0].result(timeout=10)


def test_bash_function_must_return_str(dfk: DataFlowKernel) -> None:
    with pytest.raises(BashAppNoReturn, match="int"):
        bash_app(lambda: 5)().result(timeout=10)


def test_bash_function_formatting_error(dfk: DataFlowKernel) -> None:
    with pytest.raises(AppBadFormatting):
        bash_app(lambda d: "echo {x}".format(**d))({}).result(timeout=10)


def test_python_walltime(dfk: DataFlowKernel) -> None:
    @python_app
    def spin(seconds: float, walltime: float | None = None) -> str:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.01)
        return "done"

    t0 = time.monotonic()
    with pytest.raises(AppTimeout, match="walltime"):
        spin(30, walltime=0.5).result(timeout=20)
    assert time.monotonic() - t0 < 5
    assert spin(0.01, walltime=5).result(timeout=10) == "done"


def test_python_walltime_interrupts_sleep_on_helper_thread(dfk: DataFlowKernel) -> None:
    @python_app
    def nap(walltime: float = 0.3) -> None:
        time.sleep(30)

    t0 = time.monotonic()
    with pytest.raises(AppTimeout):
        nap().result(timeout=20)
    assert time.monotonic() - t0 < 5


def test_walltime_in_main_thread_uses_alarm() -> None:
    from parsl.app.python import run_with_walltime

    t0 = time.monotonic()
    with pytest.raises(AppTimeout):
        run_with_walltime(time.sleep, 0.2, 30)
    assert time.monotonic() - t0 < 5
    assert run_with_walltime(lambda x: x + 1, 5, 1) == 2


def test_bash_walltime(dfk: DataFlowKernel) -> None:
    app = bash_app(lambda walltime=None: "sleep 30")
    t0 = time.monotonic()
    with pytest.raises(AppTimeout):
        app(walltime=0.5).result(timeout=20)
    assert time.monotonic() - t0 < 8


@pytest.mark.parametrize("bad", [0, -1, "10", True])
def test_bad_walltime_rejected_at_call(dfk: DataFlowKernel, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="walltime"):
        add(1, 2, walltime=bad)


def test_resource_spec_must_be_dict(dfk: DataFlowKernel) -> None:
    with pytest.raises(ConfigurationError, match="parsl_resource_specification"):
        add(1, 2, parsl_resource_specification=[1])


def test_thread_pool_rejects_resource_spec_keys(dfk: DataFlowKernel) -> None:
    from parsl.executors.errors import InvalidResourceSpecification

    f = add(1, 2, parsl_resource_specification={"cores": 2})
    with pytest.raises(InvalidResourceSpecification, match="cores"):
        f.result(timeout=10)


def test_special_kwargs_passed_only_when_declared(dfk: DataFlowKernel) -> None:
    @python_app
    def takes(inputs: list[int] = [], walltime: float = 5) -> tuple[int, float]:  # noqa: B006
        return sum(inputs), walltime

    @python_app
    def takes_nothing() -> str:
        return "ok"

    @python_app
    def takes_all(**kw: Any) -> list[str]:
        return sorted(kw)

    assert takes(inputs=[1, 2]).result(timeout=10) == (3, 5)
    assert takes_nothing(walltime=5, parsl_resource_specification={}).result(timeout=10) == "ok"
    assert takes_all(inputs=[], walltime=5).result(timeout=10) == ["inputs", "walltime"]


def test_join_app_single_and_list(dfk: DataFlowKernel) -> None:
    @join_app
    def one(x: int) -> Future[int]:
        return add(x, 1)

    @join_app
    def many(n: int) -> list[Future[int]]:
        return [add(i, 0) for i in range(n)]

    @join_app
    def none() -> list[Future[int]]:
        return []

    assert one(1).result(timeout=10) == 2
    assert many(5).result(timeout=10) == [0, 1, 2, 3, 4]
    assert none().result(timeout=10) == []
    assert add(one(1), 1).result(timeout=10) == 3


def test_join_app_inner_failure_is_join_error(dfk: DataFlowKernel) -> None:
    @join_app
    def j() -> list[Future[None]]:
        return [boom("inner"), add(1, 1)]  # type: ignore[list-item]

    f = j()
    with pytest.raises(JoinError) as e:
        f.result(timeout=10)
    assert isinstance(e.value.root_cause, ValueError)
    assert len(e.value.dependent_exceptions_tids) == 1


def test_join_app_wrong_return_type(dfk: DataFlowKernel) -> None:
    @join_app
    def bad() -> int:
        return 5

    with pytest.raises(TypeError, match="must return a Future"):
        bad().result(timeout=10)


def test_std_autopath_hook(run_dir: str, tmp_path: Path) -> None:
    from parsl.config import Config

    def autopath(task: Any, kw: str) -> str:
        return str(tmp_path / f"custom-{task.id}.{kw}")

    with parsl.load(Config(run_dir=run_dir, std_autopath=autopath)):
        f = echo("z")
        f.result(timeout=10)
    assert os.path.basename(f.stdout) == f"custom-{f.tid}.stdout"
    assert Path(f.stdout).read_text() == "z\n"
