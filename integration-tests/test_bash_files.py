"""Bash apps that write files read by Python apps, their streams, and how they fail."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

import parsl
from parsl import File, bash_app, python_app
from parsl.app.errors import (
    AppBadFormatting,
    BadStdStreamFile,
    BashAppNoReturn,
    BashExitFailure,
    MissingOutputs,
)
from parsl.dataflow.dflow import DataFlowKernel
from parsl.dataflow.errors import DependencyError
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import ParslError


@bash_app
def write_lines(n: int, outputs: list[File] = []) -> str:  # noqa: B006
    return f"seq 1 {n} > {outputs[0].filepath}"


@python_app
def double_lines(inputs: list[File] = [], outputs: list[File] = []) -> int:  # noqa: B006
    with open(inputs[0].filepath) as src:
        numbers = [int(line) for line in src]
    with open(outputs[0].filepath, "w") as dst:
        dst.writelines(f"{2 * x}\n" for x in numbers)
    return len(numbers)


@bash_app
def concatenate(inputs: list[File] = [], outputs: list[File] = []) -> str:  # noqa: B006
    names = " ".join(f.filepath for f in inputs)
    return f"cat {names} > {outputs[0].filepath}"


@python_app
def read_sum(inputs: list[File] = []) -> int:  # noqa: B006
    with open(inputs[0].filepath) as f:
        return sum(int(line) for line in f)


@bash_app
def speak(stdout: object = None, stderr: object = None) -> str:
    return "echo to-out; echo to-err >&2"


@bash_app
def speak_auto(stdout: object = parsl.AUTO_LOGNAME, stderr: object = parsl.AUTO_LOGNAME) -> str:
    return "echo auto-out; echo auto-err >&2"


@bash_app
def exit_with(code: int) -> str:
    return f"echo failing; exit {code}"


@bash_app
def promise_but_do_not_write(outputs: list[File] = []) -> str:  # noqa: B006
    return "true"


@bash_app
def broken_builder(x: int) -> str:
    raise ValueError(f"cannot build a command for {x}")


@bash_app
def bad_format(values: dict[str, int]) -> str:
    return "echo {}".format(values["missing"])


@bash_app
def returns_number() -> int:
    return 42


@pytest.mark.timeout(30)
def test_bash_output_file_feeds_python_apps(dfk: DataFlowKernel, tmp_path: Path) -> None:
    raw = File(str(tmp_path / "raw.txt"))
    doubled = File(str(tmp_path / "doubled.txt"))
    written = write_lines(5, outputs=[raw])
    assert len(written.outputs) == 1
    processed = double_lines(inputs=[written.outputs[0]], outputs=[doubled])
    total = read_sum(inputs=[processed.outputs[0]])

    assert total.result(timeout=20) == 2 * (1 + 2 + 3 + 4 + 5)
    assert written.result() == 0
    assert processed.result() == 5
    assert written.outputs[0].result().filepath == raw.filepath
    assert (tmp_path / "doubled.txt").read_text() == "2\n4\n6\n8\n10\n"


@pytest.mark.timeout(30)
def test_bash_app_waits_for_two_producers(dfk: DataFlowKernel, tmp_path: Path) -> None:
    first = write_lines(2, outputs=[File(str(tmp_path / "one.txt"))])
    second = write_lines(3, outputs=[File(str(tmp_path / "two.txt"))])
    both = concatenate(
        inputs=[first.outputs[0], second.outputs[0]], outputs=[File(str(tmp_path / "both.txt"))]
    )
    assert read_sum(inputs=[both.outputs[0]]).result(timeout=20) == 1 + 2 + 1 + 2 + 3
    assert (tmp_path / "both.txt").read_text() == "1\n2\n1\n2\n3\n"


@pytest.mark.timeout(30)
def test_stdout_and_stderr_to_explicit_paths(dfk: DataFlowKernel, tmp_path: Path) -> None:
    out, err = tmp_path / "logs" / "o.txt", tmp_path / "logs" / "e.txt"
    fut = speak(stdout=str(out), stderr=str(err))
    assert fut.result(timeout=20) == 0
    assert fut.stdout == str(out)
    assert fut.stderr == str(err)
    assert out.read_text() == "to-out\n"
    assert err.read_text() == "to-err\n"


@pytest.mark.timeout(30)
def test_plain_path_appends_and_mode_tuples_choose(dfk: DataFlowKernel, tmp_path: Path) -> None:
    appended, truncated = tmp_path / "append.txt", tmp_path / "truncate.txt"
    explicit_append = tmp_path / "explicit.txt"
    for path in (appended, truncated, explicit_append):
        path.write_text("earlier\n")

    speak(stdout=str(appended)).result(timeout=20)
    speak(stdout=(str(truncated), "w")).result(timeout=20)
    speak(stdout=(str(explicit_append), "a")).result(timeout=20)

    assert appended.read_text() == "earlier\nto-out\n"
    assert truncated.read_text() == "to-out\n"
    assert explicit_append.read_text() == "earlier\nto-out\n"


@pytest.mark.timeout(30)
def test_auto_logname_puts_streams_under_the_run_dir(dfk: DataFlowKernel) -> None:
    fut = speak_auto()
    assert fut.result(timeout=20) == 0
    out, err = fut.stdout, fut.stderr
    assert isinstance(out, str) and isinstance(err, str)
    assert out != err
    assert os.path.commonpath([out, dfk.run_dir]) == dfk.run_dir
    assert os.path.commonpath([err, dfk.run_dir]) == dfk.run_dir
    assert str(fut.tid) in os.path.basename(out)
    with open(out) as f:
        assert f.read() == "auto-out\n"
    with open(err) as f:
        assert f.read() == "auto-err\n"

    explicit = speak(stdout=parsl.AUTO_LOGNAME)
    explicit.result(timeout=20)
    assert isinstance(explicit.stdout, str) and explicit.stdout != out
    assert explicit.stderr is None
    with open(explicit.stdout) as f:
        assert f.read() == "to-out\n"


@pytest.mark.timeout(30)
def test_nonzero_exit_is_bash_exit_failure(dfk: DataFlowKernel) -> None:
    fut = exit_with(7)
    exc = fut.exception(timeout=20)
    assert isinstance(exc, BashExitFailure)
    assert isinstance(exc, ParslError)
    assert exc.exitcode == 7
    assert "7" in str(exc) and "exit_with" in str(exc)
    with pytest.raises(BashExitFailure):
        fut.result()
    assert fut.task_status() == "failed"


@pytest.mark.timeout(30)
def test_missing_outputs_fail_the_task_and_its_data_futures(
    dfk: DataFlowKernel, tmp_path: Path
) -> None:
    never = File(str(tmp_path / "never-written.txt"))
    fut = promise_but_do_not_write(outputs=[never])
    exc = fut.exception(timeout=20)
    assert isinstance(exc, MissingOutputs)
    assert [getattr(o, "filepath", o) for o in exc.outputs] == [never.filepath]
    assert "never-written.txt" in str(exc)
    assert isinstance(fut.outputs[0].exception(timeout=5), MissingOutputs)

    reader = read_sum(inputs=[fut.outputs[0]])
    dep = reader.exception(timeout=20)
    assert isinstance(dep, DependencyError)
    assert isinstance(dep.root_cause, MissingOutputs)


@pytest.mark.timeout(30)
def test_exception_raised_while_building_the_command(dfk: DataFlowKernel) -> None:
    exc = broken_builder(3).exception(timeout=20)
    assert isinstance(exc, ValueError)
    assert "cannot build a command for 3" in str(exc)

    formatting = bad_format({"present": 1}).exception(timeout=20)
    assert isinstance(formatting, AppBadFormatting)
    assert "missing" in str(formatting)

    no_command = returns_number().exception(timeout=20)
    assert isinstance(no_command, BashAppNoReturn)
    assert "int" in str(no_command)


@pytest.mark.timeout(30)
def test_unusable_stream_specs_are_clear_errors(dfk: DataFlowKernel, tmp_path: Path) -> None:
    wrong_type = speak(stdout=12345).exception(timeout=20)
    assert isinstance(wrong_type, BadStdStreamFile)
    assert "12345" in str(wrong_type)

    wrong_tuple = speak(stdout=(str(tmp_path / "x"), "w", "extra")).exception(timeout=20)
    assert isinstance(wrong_tuple, BadStdStreamFile)

    (tmp_path / "a-file").write_text("")
    under_a_file = str(tmp_path / "a-file" / "out.txt")
    unopenable = speak(stderr=under_a_file).exception(timeout=20)
    assert isinstance(unopenable, BadStdStreamFile)
    assert under_a_file in str(unopenable)


@pytest.mark.timeout(30)
def test_std_autopath_chooses_auto_lognames(
    load_dfk: Callable[..., DataFlowKernel], tmp_path: Path
) -> None:
    def autopath(task: TaskRecord, kw: str) -> str:
        return str(tmp_path / "custom" / f"{task.func_name}-{task.id}.{kw}")

    load_dfk(std_autopath=autopath)
    fut = speak_auto()
    assert fut.result(timeout=20) == 0
    assert fut.stdout == str(tmp_path / "custom" / f"speak_auto-{fut.tid}.stdout")
    assert (tmp_path / "custom" / f"speak_auto-{fut.tid}.stderr").read_text() == "auto-err\n"
