"""File, addresses, plugins discovery, job states, logging helpers, error classes."""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path

import pytest

from parsl import File, plugins
from parsl.addresses import (
    AddressNotFound,
    address_by_hostname,
    address_by_interface,
    address_by_route,
    get_all_addresses,
)
from parsl.app.errors import BashExitFailure, MissingOutputs, RemoteExceptionWrapper, wrap_error
from parsl.dataflow.errors import DependencyError
from parsl.errors import OptionalModuleMissing, PluginNotFound, bad_value
from parsl.jobs.states import JobState, JobStatus
from parsl.log_utils import set_file_logger, set_stream_logger


def test_file_local_and_remote(tmp_path: Path) -> None:
    f = File(str(tmp_path / "a.txt"))
    assert f.scheme == "file" and f.filename == "a.txt"
    assert os.fspath(f) == str(tmp_path / "a.txt") == str(f)
    assert File(tmp_path / "b") == File(str(tmp_path / "b"))
    assert File(f) == f and hash(File(f)) == hash(f)
    assert File("file:///x/y.txt").filepath == "/x/y.txt"
    r = File("http://127.0.0.1:1/data.csv")
    assert r.scheme == "http" and r.netloc == "127.0.0.1:1" and r.filename == "data.csv"
    with pytest.raises(ValueError, match="No local_path set for File"):
        r.filepath  # noqa: B018
    r.local_path = "/tmp/data.csv"
    assert r.filepath == "/tmp/data.csv" and "local_path" in repr(r)
    # Parsl's repr layout: the address, then each part of the URL.
    assert repr(r) == (
        f"<File at 0x{id(r):x} url={r.url} scheme=http netloc=127.0.0.1:1 path=/data.csv "
        "filename=data.csv local_path=/tmp/data.csv>"
    )
    assert r.cleancopy().local_path is None
    assert pickle.loads(pickle.dumps(r)).local_path == "/tmp/data.csv"
    with pytest.raises(TypeError, match="str or os.PathLike"):
        File(3)  # type: ignore[arg-type]


def test_addresses() -> None:
    assert address_by_interface("lo") == "127.0.0.1"
    assert address_by_route("127.0.0.1") == "127.0.0.1"
    assert address_by_hostname()
    assert "127.0.0.1" in get_all_addresses()
    with pytest.raises(AddressNotFound, match="no-such-if"):
        address_by_interface("no-such-if")
    with pytest.raises(AddressNotFound):
        address_by_interface("")
    with pytest.raises(AddressNotFound, match="not an IP"):
        address_by_route("not-an-ip")


def test_plugins_discovery() -> None:
    assert "ThreadPoolExecutor" in plugins.available("parsl.executors")
    from parsl.executors.threads import ThreadPoolExecutor

    assert plugins.load("parsl.executors", "ThreadPoolExecutor") is ThreadPoolExecutor
    # The hint suggests parsl-executors only while it is not installed.
    with pytest.raises(PluginNotFound, match="is not provided by any installed package") as info:
        plugins.load("parsl.executors", "Nope")
    suggested = "pip install parsl-executors" in str(info.value)
    assert suggested is not plugins._installed("parsl-executors")
    with pytest.raises(AttributeError):
        plugins.module_getattr("parsl.executors", "parsl.executors", "__wrapped__")
    plugins.refresh()
    assert plugins.available("parsl.no-such-group") == []


def test_job_states(tmp_path: Path) -> None:
    assert JobState.COMPLETED.terminal and not JobState.RUNNING.terminal
    out = tmp_path / "out"
    out.write_text("x" * 5000)
    s = JobStatus(JobState.FAILED, "bad", exit_code=2, stdout_path=str(out), stderr_path=None)
    assert s.terminal and s.stderr is None
    assert s.stdout is not None and s.stdout.startswith("...") and len(s.stdout) < 2100
    assert s == JobStatus(JobState.FAILED, "bad", exit_code=2)
    assert s != JobStatus(JobState.FAILED, "other")
    assert "FAILED" in repr(s)
    assert (s == 3) is False


def test_logging_helpers(tmp_path: Path) -> None:
    name = "parsl.test.helpers"
    lg = logging.getLogger(name)
    detach_file = set_file_logger(str(tmp_path / "f.log"), name=name, level=logging.INFO)
    detach_stream = set_stream_logger(name=name, level=logging.INFO)
    lg.info("hello file")
    detach_file()
    detach_stream()
    assert not lg.handlers
    assert "hello file" in (tmp_path / "f.log").read_text()


def test_error_classes() -> None:
    e = bad_value("x", 3, "a str")
    assert e.field == "x" and e.value == 3 and "x=3" in str(e)
    assert "mod" in str(OptionalModuleMissing(["mod"], "for a reason"))
    b = pickle.loads(pickle.dumps(BashExitFailure("app", 4)))
    assert b.exitcode == 4 and b.stderr_tail is None
    t = pickle.loads(pickle.dumps(BashExitFailure("app", 4, "why")))
    assert (t.stderr_tail, str(t)) == (
        "why",
        "bash_app app failed with unix exit code 4; the end of its stderr:\nwhy",
    )
    m = pickle.loads(pickle.dumps(MissingOutputs("gone", ["a"])))
    assert m.outputs == ["a"]
    d = pickle.loads(pickle.dumps(DependencyError([(ValueError("v"), 1)], 2)))
    assert d.failed_task_ids == [1]


def test_remote_exception_wrapper() -> None:
    def bad() -> None:
        raise ValueError("far away")

    w = wrap_error(bad)()
    assert isinstance(w, RemoteExceptionWrapper)
    with pytest.raises(ValueError, match="far away") as e:
        w.reraise()
    assert any("Remote traceback" in n for n in e.value.__notes__)
    assert wrap_error(lambda: 5)() == 5


def test_job_state_prints_its_name_as_in_parsl() -> None:
    from parsl.jobs.states import JobState

    assert str(JobState.COMPLETED) == "JobState.COMPLETED"  # not "4", Python 3.11's IntEnum str
    assert f"{JobState.PENDING}" == "JobState.PENDING"
    assert JobState.COMPLETED == 4 and repr(JobState.FAILED) == "<JobState.FAILED: 5>"
