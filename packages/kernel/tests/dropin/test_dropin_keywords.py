"""Calls written for Parsl with its keyword names: exceptions, DataFlowKernel.submit, make_rundir."""

from __future__ import annotations

import os
import pickle
import sys

import pytest

import parsl
from parsl.app.errors import RemoteExceptionWrapper
from parsl.config import Config
from parsl.dataflow.rundirs import make_rundir
from parsl.executors import ThreadPoolExecutor
from parsl.executors.errors import BadStateException, ExecutorError, ScalingFailed
from parsl.providers.errors import (
    ProviderError,
    SchedulerMissingArgs,
    ScriptPathError,
    SubmitException,
)


def _round_trip(exc: BaseException) -> BaseException:
    again = pickle.loads(pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL))
    assert type(again) is type(exc) and str(again) == str(exc)
    return again


def test_executor_errors_take_parsls_keywords() -> None:
    pool = ThreadPoolExecutor(label="mine")
    cause = OSError("interchange gone")
    bad = BadStateException(executor=pool, exception=cause)
    assert (bad.executor, bad.executor_label, bad.exception) == (pool, "mine", cause)
    assert str(bad) == "Executor 'mine' failed: interchange gone"
    failed = ScalingFailed(executor=pool, reason="no blocks")
    assert str(failed) == "Executor 'mine' failed: no blocks"
    plain = ExecutorError(executor="x", reason="y")
    assert (plain.executor_label, plain.reason) == ("x", "y")
    for exc in (bad, failed, plain):
        assert _round_trip(exc).executor_label == exc.executor_label  # type: ignore[attr-defined]


def test_submit_exception_takes_parsls_keywords() -> None:
    exc = SubmitException(
        job_name="parsl.block-1", message="sbatch refused", stdout="", stderr="no account"
    )
    assert (exc.job_name, exc.message, exc.stderr) == (
        "parsl.block-1",
        "sbatch refused",
        "no account",
    )
    assert str(exc) == "parsl.block-1: sbatch refused\nstderr: no account"
    assert _round_trip(exc).message == "sbatch refused"  # type: ignore[attr-defined]


def test_scheduler_missing_args_takes_parsls_form() -> None:
    exc = SchedulerMissingArgs(["account", "queue"], "slurm")
    assert isinstance(exc, ProviderError)
    assert (exc.missing_keywords, exc.sitename, exc.provider) == (
        ["account", "queue"],
        "slurm",
        "slurm",
    )
    assert str(exc) == "slurm: missing settings: account, queue"
    one = SchedulerMissingArgs(missing_keywords="walltime", sitename="pbs")
    assert one.missing_keywords == ["walltime"]
    again = _round_trip(exc)
    assert again.missing_keywords == ["account", "queue"]  # type: ignore[attr-defined]


def test_script_path_error_takes_parsls_form() -> None:
    exc = ScriptPathError("/scratch/job.submit", "permission denied")
    assert isinstance(exc, SubmitException)
    assert exc.script_path == "/scratch/job.submit"
    assert str(exc) == "submit script /scratch/job.submit: permission denied"
    named = ScriptPathError(script_path="/s/j", reason="disk full", provider="slurm")
    assert str(named) == "slurm: submit script /s/j: disk full"
    assert (named.provider, named.script_path) == ("slurm", "/s/j")
    assert _round_trip(named).script_path == "/s/j"  # type: ignore[attr-defined]


def test_unknown_keywords_are_refused() -> None:
    with pytest.raises(TypeError):
        BadStateException(executor="x", reason="y")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        SubmitException(provider="x", reason="y")  # type: ignore[call-arg]


def _scale(x: int, by: int = 1) -> int:
    return x * by


def test_dfk_submit_takes_parsls_keywords(run_dir: str) -> None:
    with parsl.load(Config(run_dir=run_dir)) as dfk:
        fut = dfk.submit(
            func=_scale, app_args=(3,), app_kwargs={"by": 4}, executors="all", cache=False
        )
        assert fut.result(timeout=10) == 12


def test_make_rundir_takes_parsls_path_keyword(tmp_path: os.PathLike[str]) -> None:
    base = os.path.join(tmp_path, "runinfo")
    first, second = make_rundir(path=base), make_rundir(base)
    assert (os.path.basename(first), os.path.basename(second)) == ("000", "001")
    assert os.path.dirname(first) == os.path.abspath(base)


def test_remote_exception_wrapper_takes_parsls_keywords() -> None:
    try:
        raise KeyError("missing")
    except KeyError:
        e_type, e_value, tb = sys.exc_info()
    assert e_type is not None and e_value is not None
    wrapped = RemoteExceptionWrapper(e_type=e_type, e_value=e_value, traceback=tb)
    assert "raise KeyError" in wrapped.tb_text
    with pytest.raises(KeyError, match="missing"):
        wrapped.reraise()


def test_serializer_registration_and_deserialize_take_parsls_keywords() -> None:
    from parsl.serialize import facade
    from parsl.serialize.base import SerializerBase
    from parsl.serialize.dill_serializer import DillSerializer, PickleSerializer

    class Upper(SerializerBase):
        _identifier = b"upper-kw"

        def serialize(self, data: object) -> bytes:
            return str(data).upper().encode()

        def deserialize(self, payload: bytes) -> object:
            return payload.decode()

    # Parsl's names: "payload" on the base class, "body" on its concrete serializers
    assert PickleSerializer().deserialize(body=pickle.dumps([1, 2])) == [1, 2]
    assert DillSerializer().deserialize(body=PickleSerializer().serialize("x")) == "x"
    upper = Upper()
    try:
        facade.register_method_for_data(s=upper)
        assert facade.deserialize(facade.serialize("abc")) == "ABC"
        facade.register_method_for_code(s=upper)
        assert next(iter(facade.methods_for_code.values())) is upper
    finally:
        facade.unregister_serializer(upper)
    assert facade.deserialize(facade.serialize("abc")) == "abc"
