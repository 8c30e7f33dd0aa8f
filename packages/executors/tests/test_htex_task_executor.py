"""submit_payload's ``task_executor`` context, connected_managers_packages, and their helpers."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import htex_tasks
import pytest

import parsl
from parsl.app.errors import RemoteExceptionWrapper
from parsl.executors.base import TaskCount
from parsl.executors.high_throughput.errors import InvalidTaskContext
from parsl.executors.high_throughput.executor import HighThroughputExecutor
from parsl.executors.high_throughput.protocol import Register, decode
from parsl.executors.high_throughput.task_executor import call_named, check_task_executor
from parsl.executors.high_throughput.versions import installed_packages
from parsl.serialize import deserialize, pack_apply_message

MakeHtex = Callable[..., HighThroughputExecutor]
RUN_BUFFER = "htex_tasks.run_buffer"


# ------------------------------------------------------------ on a real htex


def test_named_function_runs_the_raw_buffer_on_a_worker(make_htex: MakeHtex) -> None:
    htex = make_htex()
    context = {"task_executor": {"f": RUN_BUFFER, "a": ("t1",), "k": {"suffix": "!"}}}
    fut = htex.submit_payload(context, b"\x00raw task bytes")
    got = fut.result(timeout=30)
    assert {k: got[k] for k in ("buffer", "tag", "suffix")} == {
        "buffer": b"\x00raw task bytes",
        "tag": "t1",
        "suffix": "!",
    }
    assert got["pid"] != os.getpid()
    assert fut.parsl_executor_task_id == 1  # type: ignore[attr-defined]  (Parsl's ids start at 1)
    assert htex._task_counter == 1
    # A Parsl call through submit_payload, after it, also gets its task id.
    plain = htex.submit_payload({}, pack_apply_message(htex_tasks.add, (2, 3), {}))
    assert plain.result(timeout=30) == 5
    assert plain.parsl_executor_task_id == 2  # type: ignore[attr-defined]
    assert (htex._task_counter, htex.outstanding, htex.outstanding()) == (2, 0, 0)


def test_named_function_failures_reach_the_future(make_htex: MakeHtex) -> None:
    htex = make_htex()
    fut = htex.submit_payload({"task_executor": {"f": "htex_tasks.refuse_buffer"}}, b"x")
    with pytest.raises(ValueError, match="refused b'x'"):
        fut.result(timeout=30)
    missing = htex.submit_payload({"task_executor": {"f": "htex_tasks.no_such_function"}}, b"")
    with pytest.raises(AttributeError, match="no_such_function"):
        missing.result(timeout=30)


def test_a_bad_task_executor_context_is_refused_at_submit(make_htex: MakeHtex) -> None:
    htex = make_htex()
    with pytest.raises(InvalidTaskContext, match=r"\['f'\]='run_buffer' is not valid"):
        htex.submit_payload({"task_executor": {"f": "run_buffer"}}, b"")
    with pytest.raises(ValueError, match="unknown keys"):  # InvalidTaskContext is a ValueError
        htex.submit_payload({"task_executor": {"f": RUN_BUFFER, "args": ()}}, b"")
    assert htex._task_counter == 0  # nothing was sent
    assert (
        htex.submit_payload({"task_executor": {"f": RUN_BUFFER, "a": ["t"]}}, b"ok").result(
            timeout=30
        )["buffer"]
        == b"ok"
    )


def test_connected_managers_packages_lists_the_workers_environment(make_htex: MakeHtex) -> None:
    htex = make_htex()
    assert htex.submit(htex_tasks.add, {}, 1, 1).result(timeout=30) == 2
    [manager] = htex.connected_managers()
    packages = htex.connected_managers_packages()
    assert list(packages) == [manager["manager"]]
    assert packages[manager["manager"]] == installed_packages()
    assert "parsl-executors" in packages[manager["manager"]]


# --------------------------------------------------------------- pure parts


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("pkg.f", "expected a dict"),
        ({}, r"\['f'\]=None is not valid"),
        ({"f": 3}, r"\['f'\]=3 is not valid"),
        ({"f": "pkg."}, "dotted name"),
        ({"f": "pkg.has space"}, "dotted name"),
        ({"f": ".f"}, "dotted name"),
        ({"f": "pkg.f", "a": "xy"}, r"\['a'\] of type str"),
        ({"f": "pkg.f", "k": [1]}, r"\['k'\]=\[1\]"),
        ({"f": "pkg.f", "k": {1: 2}}, "string keys"),
        ({"f": "pkg.f", "x": 1}, r"unknown keys \['x'\]"),
    ],
)
def test_check_task_executor_names_what_is_wrong(spec: object, text: str) -> None:
    with pytest.raises(InvalidTaskContext, match=text):
        check_task_executor(spec)


def test_check_task_executor_normalizes() -> None:
    assert check_task_executor({"f": "a.b.c"}) == ("a.b.c", (), {})
    assert check_task_executor({"f": "a.c", "a": [1], "k": None}) == ("a.c", (1,), {})


def test_call_named_imports_and_calls() -> None:
    got = call_named(RUN_BUFFER, b"b", "t", suffix="s")
    assert (got["buffer"], got["tag"], got["suffix"]) == (b"b", "t", "s")


def test_call_named_through_a_worker_execute() -> None:
    from parsl.executors.high_throughput.call_packing import CallPacker
    from parsl.executors.high_throughput.worker import execute

    payload = CallPacker().pack(call_named, ("htex_tasks.refuse_buffer", b"z"), {})
    wrapped = deserialize(execute(payload))
    assert isinstance(wrapped, RemoteExceptionWrapper)
    with pytest.raises(ValueError, match="refused b'z'"):
        wrapped.reraise()


def test_installed_packages_reads_dist_info_names(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, names in (
        (first, ["Globus_Compute.SDK-4.19.0.dist-info", "pkg-1.0.dist-info", "old.egg-info"]),
        (second, ["pkg-2.0.dist-info", "other-0.1.dist-info", "notes.txt"]),
    ):
        folder.mkdir()
        for name in names:
            (folder / name).mkdir()
    got = installed_packages([str(first), str(tmp_path / "missing"), str(second)])
    # "parsl" is always reported, as Parsl's managers do: this project's parsl.__version__.
    assert got == {
        "globus-compute-sdk": "4.19.0",
        "pkg": "1.0",
        "other": "0.1",
        "parsl": parsl.__version__,
    }
    (second / "parsl-2026.10.26.dist-info").mkdir()  # a real Parsl installed: its version
    assert installed_packages([str(second)])["parsl"] == "2026.10.26"


def test_register_carries_the_packages_and_round_trips() -> None:
    reg = Register.for_this_process(
        manager_id="m", block_id="0", hostname="h", worker_count=1, prefetch_capacity=0
    )
    assert reg.packages == installed_packages()
    assert decode(reg.encode()) == reg


def test_task_count_is_an_int_and_callable() -> None:
    count = TaskCount(3)
    assert count == 3 and count() == 3 and count + 1 == 4
    assert type(count()) is int


def test_interchange_log_has_parsls_per_task_line_with_worker_debug(make_htex: MakeHtex) -> None:
    # Parsl's tests (and users reading interchange.log) look for this line at DEBUG.
    import time
    from pathlib import Path

    htex = make_htex(worker_debug=True)
    assert htex.submit(htex_tasks.add, {}, 1, 2).result(timeout=30) == 3
    log = Path(htex.worker_logdir) / "interchange.log"
    deadline = time.monotonic() + 10
    while "Put task 1 onto pending_task_queue" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.05)
