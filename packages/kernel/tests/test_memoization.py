"""BasicMemoizer: lookups, checkpoint modes, reloading, damaged files, threads, bad arguments."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import pathlib
import pickle
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import dill
import pytest

from parsl.dataflow.errors import BadCheckpoint
from parsl.dataflow.memo_hash import UnmemoizableArgument
from parsl.dataflow.memoization import (
    CHECKPOINT_DIRNAME,
    CHECKPOINT_FILENAME,
    BasicMemoizer,
    CheckpointWriteError,
    parse_checkpoint_period,
    read_checkpoint,
)
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import ConfigurationError, InternalConsistencyError
from parsl.utils import get_all_checkpoints, get_last_checkpoint


def square(x: int) -> int:
    return x * x


def greet(name: str, punctuation: str = "!") -> str:
    return f"hello {name}{punctuation}"


def make_task(
    func: Callable[..., Any] = square,
    *args: Any,
    memoize: bool = True,
    ignore_for_cache: tuple[str, ...] = (),
    task_id: int = 0,
    **kwargs: Any,
) -> TaskRecord:
    return TaskRecord(
        id=task_id,
        func=func,
        func_name=func.__name__,
        args=args,
        kwargs=kwargs,
        executor="threads",
        kind="python",
        memoize=memoize,
        ignore_for_cache=ignore_for_cache,
        resource_specification={},
        time_invoked=time.time(),
    )


def tasks_file(run_dir: pathlib.Path) -> pathlib.Path:
    return run_dir / CHECKPOINT_DIRNAME / CHECKPOINT_FILENAME


@pytest.fixture
def run_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "runinfo" / "000"


@pytest.fixture
def started(run_dir: pathlib.Path) -> Iterator[Callable[..., BasicMemoizer]]:
    """Build and start memoizers that are always closed at the end of the test."""
    made: list[BasicMemoizer] = []

    def build(*, directory: pathlib.Path = run_dir, app_cache: bool = True, **kw: Any) -> Any:
        memo = BasicMemoizer(**kw)
        made.append(memo)
        memo.start(run_dir=str(directory), app_cache=app_cache)
        return memo

    yield build
    for memo in made:
        with contextlib.suppress(CheckpointWriteError):
            memo.close()


def run_and_record(memo: BasicMemoizer, task: TaskRecord, result: Any) -> None:
    assert memo.check_memo(task) is None
    memo.update_memo(task, result)


# ----- lookups


def test_miss_then_hit_returns_completed_future(started: Any) -> None:
    memo = started()
    first = make_task(square, 4)
    assert memo.check_memo(first) is None
    assert first.hashsum is not None and len(first.hashsum) == 64
    memo.update_memo(first, 16)

    again = make_task(square, 4, task_id=1)
    fut = memo.check_memo(again)
    assert isinstance(fut, Future) and fut.done()
    assert fut.result() == 16
    assert again.hashsum == first.hashsum
    assert memo.check_memo(make_task(square, 5)) is None


def test_none_is_a_result_that_can_be_remembered(started: Any) -> None:
    memo = started()
    run_and_record(memo, make_task(square, 0), None)
    fut = memo.check_memo(make_task(square, 0))
    assert fut is not None and fut.result() is None


def test_tasks_without_memoize_do_not_participate(started: Any) -> None:
    memo = started()
    task = make_task(square, 3, memoize=False)
    assert memo.check_memo(task) is None
    assert task.hashsum is None
    memo.update_memo(task, 9)
    assert memo.check_memo(make_task(square, 3)) is None


def test_app_cache_false_disables_lookups_and_recording(started: Any) -> None:
    memo = started(app_cache=False, checkpoint_mode="task_exit")
    task = make_task(square, 3)
    assert memo.check_memo(task) is None
    memo.update_memo(task, 9)
    assert memo.check_memo(make_task(square, 3)) is None
    assert memo.checkpoint() is None


def test_failures_are_remembered_in_memory_not_checkpointed(started: Any) -> None:
    memo = started()
    failed: Future[Any] = Future()
    boom = ValueError("boom")
    failed.set_exception(boom)
    run_and_record(memo, make_task(square, 1), failed)
    hit = memo.check_memo(make_task(square, 1))
    assert hit is not None and hit.exception() is boom  # the very same object, as in Parsl
    directory = memo.checkpoint()
    assert directory is not None and read_checkpoint(directory) == {}  # failures stay in memory

    ok: Future[Any] = Future()
    ok.set_result(1)
    run_and_record(memo, make_task(square, 2), ok)
    fut = memo.check_memo(make_task(square, 2))
    assert fut is not None and fut.result() == 1


def test_ignore_for_cache_shares_results(started: Any) -> None:
    memo = started()
    run_and_record(
        memo, make_task(greet, "ann", punctuation="!", ignore_for_cache=("punctuation",)), "x"
    )
    hit = memo.check_memo(
        make_task(greet, "ann", punctuation="?", ignore_for_cache=("punctuation",))
    )
    assert hit is not None and hit.result() == "x"
    assert memo.check_memo(make_task(greet, "ann", punctuation="?")) is None


def test_update_without_prior_check_computes_the_hash(started: Any) -> None:
    memo = started()
    task = make_task(square, 6)
    memo.update_memo(task, 36)
    assert task.hashsum is not None
    fut = memo.check_memo(make_task(square, 6))
    assert fut is not None and fut.result() == 36


def test_unhashable_argument_raises_clear_error(started: Any) -> None:
    memo = started()
    with pytest.raises(UnmemoizableArgument, match="object"):
        memo.check_memo(make_task(square, object()))


# ----- checkpoint modes


def test_task_exit_writes_after_each_update(started: Any, run_dir: pathlib.Path) -> None:
    memo = started(checkpoint_mode="task_exit")
    run_and_record(memo, make_task(square, 2), 4)
    assert len(read_checkpoint(run_dir / CHECKPOINT_DIRNAME)) == 1
    run_and_record(memo, make_task(square, 3), 9)
    assert sorted(read_checkpoint(tasks_file(run_dir)).values()) == [4, 9]


def test_duplicate_results_are_written_once(started: Any, run_dir: pathlib.Path) -> None:
    memo = started(checkpoint_mode="task_exit")
    a, b = make_task(square, 2), make_task(square, 2)
    assert memo.check_memo(a) is None and memo.check_memo(b) is None
    memo.update_memo(a, 4)
    memo.update_memo(b, 4)
    size = tasks_file(run_dir).stat().st_size
    memo.update_memo(b, 4)
    assert tasks_file(run_dir).stat().st_size == size
    assert len(read_checkpoint(tasks_file(run_dir))) == 1


def test_manual_writes_only_on_checkpoint(started: Any, run_dir: pathlib.Path) -> None:
    memo = started(checkpoint_mode="manual")
    run_and_record(memo, make_task(square, 2), 4)
    assert not tasks_file(run_dir).exists()
    assert memo.checkpoint() == str(run_dir / CHECKPOINT_DIRNAME)
    assert list(read_checkpoint(run_dir / CHECKPOINT_DIRNAME).values()) == [4]
    run_and_record(memo, make_task(square, 3), 9)
    memo.close()
    assert list(read_checkpoint(run_dir / CHECKPOINT_DIRNAME).values()) == [4]
    assert memo.checkpoint() == str(run_dir / CHECKPOINT_DIRNAME)  # nothing new: still there


def test_dfk_exit_writes_at_close(started: Any, run_dir: pathlib.Path) -> None:
    memo = started(checkpoint_mode="dfk_exit")
    run_and_record(memo, make_task(square, 2), 4)
    run_and_record(memo, make_task(square, 3), 9)
    assert not tasks_file(run_dir).exists()
    memo.close()
    assert sorted(read_checkpoint(tasks_file(run_dir)).values()) == [4, 9]
    memo.close()  # a second close is harmless


def test_no_mode_never_writes_by_itself(started: Any, run_dir: pathlib.Path) -> None:
    memo = started()
    run_and_record(memo, make_task(square, 2), 4)
    memo.close()
    assert not tasks_file(run_dir).exists()
    assert memo.checkpoint() is not None  # an explicit request still writes
    assert list(read_checkpoint(tasks_file(run_dir)).values()) == [4]


@pytest.mark.timeout(30)
def test_periodic_timer_writes_and_stops_promptly(started: Any, run_dir: pathlib.Path) -> None:
    memo = started(checkpoint_mode="periodic", checkpoint_period="00:00:01")
    timers = [t for t in threading.enumerate() if t.name == "parsl-checkpoint-timer"]
    assert len(timers) == 1 and timers[0].daemon
    run_and_record(memo, make_task(square, 2), 4)
    deadline = time.monotonic() + 10
    while not tasks_file(run_dir).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(read_checkpoint(tasks_file(run_dir)).values()) == [4]

    run_and_record(memo, make_task(square, 3), 9)
    began = time.monotonic()
    memo.close()
    assert time.monotonic() - began < 1.0
    assert not timers[0].is_alive()
    assert sorted(read_checkpoint(tasks_file(run_dir)).values()) == [4, 9]  # the final flush


def test_periodic_default_period_is_thirty_minutes() -> None:
    memo = BasicMemoizer(checkpoint_mode="periodic")
    assert memo._period_s == 1800.0
    memo.close()


def test_context_manager_closes(run_dir: pathlib.Path) -> None:
    memo = BasicMemoizer(checkpoint_mode="dfk_exit")
    with memo:
        memo.start(run_dir=str(run_dir), app_cache=True)
        run_and_record(memo, make_task(square, 2), 4)
    assert tasks_file(run_dir).exists()


def test_unpicklable_result_is_skipped_with_a_warning(
    started: Any, run_dir: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    memo = started(checkpoint_mode="manual")
    gen = (i for i in range(3))
    run_and_record(memo, make_task(square, 1), gen)
    run_and_record(memo, make_task(square, 2), 4)
    with caplog.at_level(logging.WARNING, logger="parsl.dataflow.memoization"):
        memo.checkpoint()
    assert "cannot be pickled" in caplog.text
    assert list(read_checkpoint(tasks_file(run_dir)).values()) == [4]
    fut = memo.check_memo(make_task(square, 1))  # still remembered in memory
    assert fut is not None and fut.result() is gen


def test_write_failure_keeps_records_for_a_retry(
    started: Any, run_dir: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_dir.mkdir(parents=True)
    blocker = run_dir / CHECKPOINT_DIRNAME
    blocker.write_text("a file where the checkpoint directory should be")
    memo = started(checkpoint_mode="task_exit")
    with caplog.at_level(logging.ERROR, logger="parsl.dataflow.memoization"):
        run_and_record(memo, make_task(square, 2), 4)  # logged, not raised
    assert "will retry" in caplog.text
    with pytest.raises(CheckpointWriteError, match=str(blocker)):
        memo.checkpoint()
    blocker.unlink()
    assert memo.checkpoint() == str(blocker)
    assert list(read_checkpoint(blocker).values()) == [4]


def test_dfk_exit_close_reports_a_failed_write(started: Any, run_dir: pathlib.Path) -> None:
    run_dir.mkdir(parents=True)
    (run_dir / CHECKPOINT_DIRNAME).write_text("not a directory")
    memo = started(checkpoint_mode="dfk_exit")
    run_and_record(memo, make_task(square, 2), 4)
    with pytest.raises(CheckpointWriteError):
        memo.close()


# ----- reloading


def test_fresh_memoizer_reuses_checkpointed_results(started: Any, tmp_path: pathlib.Path) -> None:
    rundir = tmp_path / "runinfo"
    first = started(directory=rundir / "000", checkpoint_mode="task_exit")
    run_and_record(first, make_task(square, 2), 4)
    run_and_record(first, make_task(greet, "bo"), "hello bo!")
    first.close()
    started(directory=rundir / "001")  # a run with no checkpoint
    third = started(directory=rundir / "002", checkpoint_mode="task_exit")
    run_and_record(third, make_task(square, 3), 9)

    assert get_all_checkpoints(str(rundir)) == [
        str(rundir / "000" / CHECKPOINT_DIRNAME),
        str(rundir / "002" / CHECKPOINT_DIRNAME),
    ]
    assert get_last_checkpoint(str(rundir)) == [str(rundir / "002" / CHECKPOINT_DIRNAME)]

    fresh = started(directory=rundir / "003", checkpoint_files=get_all_checkpoints(str(rundir)))
    for task, expected in ((make_task(square, 2), 4), (make_task(greet, "bo"), "hello bo!")):
        fut = fresh.check_memo(task)
        assert fut is not None and fut.result() == expected
    fut = fresh.check_memo(make_task(square, 3))
    assert fut is not None and fut.result() == 9
    assert fresh.check_memo(make_task(square, 4)) is None


def test_checkpoint_helpers_on_missing_or_unnumbered_rundirs(tmp_path: pathlib.Path) -> None:
    assert get_all_checkpoints(str(tmp_path / "nowhere")) == []
    assert get_last_checkpoint(str(tmp_path / "nowhere")) == []
    for name in ("10", "9", "named"):
        (tmp_path / name / CHECKPOINT_DIRNAME).mkdir(parents=True)
        (tmp_path / name / CHECKPOINT_DIRNAME / CHECKPOINT_FILENAME).write_bytes(b"")
    names = [pathlib.Path(p).parent.name for p in get_all_checkpoints(str(tmp_path))]
    assert names == ["9", "10", "named"]


def test_a_checkpoint_file_path_is_accepted_too(started: Any, run_dir: pathlib.Path) -> None:
    memo = started(checkpoint_mode="task_exit")
    run_and_record(memo, make_task(square, 2), 4)
    other = started(directory=run_dir.parent / "001", checkpoint_files=[tasks_file(run_dir)])
    assert other.check_memo(make_task(square, 2)) is not None


# ----- damaged checkpoints


def write_two_records(started: Any, run_dir: pathlib.Path) -> bytes:
    memo = started(checkpoint_mode="task_exit")
    run_and_record(memo, make_task(square, 2), 4)
    run_and_record(memo, make_task(square, 3), 9)
    return tasks_file(run_dir).read_bytes()


def test_missing_checkpoint_is_bad_checkpoint_naming_path(tmp_path: pathlib.Path) -> None:
    missing = tmp_path / "runinfo" / "000" / "checkpoint"
    memo = BasicMemoizer(checkpoint_files=[str(missing)])
    with pytest.raises(BadCheckpoint, match=str(missing)):
        memo.start(run_dir=str(tmp_path / "run"), app_cache=True)


def test_foreign_file_is_bad_checkpoint(tmp_path: pathlib.Path) -> None:
    bogus = tmp_path / "tasks.pkl"
    bogus.write_bytes(dill.dumps({"not": "a checkpoint"}))
    with pytest.raises(BadCheckpoint, match="not a Parsl checkpoint"):
        read_checkpoint(bogus)


def record_ends(data: bytes) -> list[int]:
    """End offsets of the pickles in a checkpoint file (Parsl's format: pickles one after another)."""
    stream, ends = io.BytesIO(data), []
    while stream.tell() < len(data):
        pickle.load(stream)
        ends.append(stream.tell())
    return ends


@pytest.mark.parametrize("where", ["first", "second"])
def test_corrupted_record_is_bad_checkpoint(
    started: Any, run_dir: pathlib.Path, where: str
) -> None:
    data = bytearray(write_two_records(started, run_dir))
    offset = 0 if where == "first" else record_ends(bytes(data))[0]
    data[offset] ^= 0xFF
    tasks_file(run_dir).write_bytes(bytes(data))
    with pytest.raises(BadCheckpoint, match=f"{tasks_file(run_dir)}.*corrupt"):
        read_checkpoint(run_dir / CHECKPOINT_DIRNAME)


def test_truncated_last_record_is_ignored(started: Any, run_dir: pathlib.Path) -> None:
    data = write_two_records(started, run_dir)
    first, last = record_ends(data)
    assert last == len(data)
    for end in range(first, len(data)):  # every cut inside the second record
        tasks_file(run_dir).write_bytes(data[:end])
        assert list(read_checkpoint(run_dir / CHECKPOINT_DIRNAME).values()) == [4]
    for end in range(first):  # every cut inside the first
        tasks_file(run_dir).write_bytes(data[:end])
        assert read_checkpoint(tasks_file(run_dir)) == {}
    tasks_file(run_dir).write_bytes(b"PARSL-CHECK")  # an earlier release died writing its header
    assert read_checkpoint(tasks_file(run_dir)) == {}


def test_resuming_into_a_torn_file_drops_the_tail_before_appending(
    started: Any, run_dir: pathlib.Path
) -> None:
    data = write_two_records(started, run_dir)
    tasks_file(run_dir).write_bytes(data[:-3])
    memo = started(checkpoint_mode="task_exit")
    run_and_record(memo, make_task(square, 5), 25)
    assert sorted(read_checkpoint(tasks_file(run_dir)).values()) == [4, 25]


def _raw_record(payload: bytes) -> bytes:
    head = struct.pack(">II", len(payload), zlib.crc32(payload))
    return head + struct.pack(">I", zlib.crc32(head)) + payload


def test_earlier_format_is_still_read_and_continued_in_parsls(
    started: Any, run_dir: pathlib.Path
) -> None:
    task = make_task(square, 2)
    memo = started(checkpoint_mode="task_exit")
    run_and_record(memo, task, 4)
    hashsum = task.hashsum
    assert hashsum is not None
    legacy = b"PARSL-CHECKPOINT 1\n" + _raw_record(dill.dumps((hashsum, 4)))
    tasks_file(run_dir).write_bytes(legacy)
    assert read_checkpoint(tasks_file(run_dir)) == {hashsum: 4}
    again = started(checkpoint_mode="task_exit")
    run_and_record(again, make_task(square, 3), 9)
    data = tasks_file(run_dir).read_bytes()
    assert not data.startswith(b"PARSL-CHECKPOINT")
    assert sorted(read_checkpoint(tasks_file(run_dir)).values()) == [4, 9]


@pytest.mark.parametrize(
    ("payload", "message"),
    [(b"\x80\x05garbage", "cannot be unpickled"), (dill.dumps(["h", 1]), "not a .hashsum")],
)
def test_well_framed_but_wrong_payload_is_bad_checkpoint(
    tmp_path: pathlib.Path, payload: bytes, message: str
) -> None:
    path = tmp_path / "tasks.pkl"
    path.write_bytes(b"PARSL-CHECKPOINT 1\n" + _raw_record(payload))
    with pytest.raises(BadCheckpoint, match=message):
        read_checkpoint(path)


# ----- threads


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["task_exit", "manual"])
def test_concurrent_updates_lose_nothing(started: Any, run_dir: pathlib.Path, mode: str) -> None:
    memo = started(checkpoint_mode=mode)
    threads_n, per_thread = 8, 60
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                n = k * per_thread + i
                task = make_task(square, n)
                memo.check_memo(task)
                memo.update_memo(task, n * n)
                memo.update_memo(make_task(square, n), n * n)  # a duplicate racing in
                if mode == "manual" and i % 10 == 0:
                    memo.checkpoint()
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=worker, args=(k,)) for k in range(threads_n)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(timeout=50)
    assert errors == []
    memo.checkpoint()
    records = read_checkpoint(tasks_file(run_dir))
    total = threads_n * per_thread
    assert sorted(records.values()) == [n * n for n in range(total)]
    assert len(record_ends(tasks_file(run_dir).read_bytes())) == total  # no duplicates


# ----- bad arguments and misuse


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"checkpoint_mode": "sometimes"}, "checkpoint_mode"),
        ({"checkpoint_mode": True}, "checkpoint_mode"),
        ({"checkpoint_files": "runinfo/000/checkpoint"}, "checkpoint_files"),
        ({"checkpoint_files": [1]}, "checkpoint_files"),
        ({"checkpoint_files": 3}, "checkpoint_files"),
        ({"checkpoint_mode": "manual", "checkpoint_period": "00:10:00"}, "checkpoint_period"),
        ({"checkpoint_mode": "periodic", "checkpoint_period": "1 hour"}, "checkpoint_period"),
        ({"checkpoint_mode": "periodic", "checkpoint_period": "00:00:00"}, "checkpoint_period"),
        ({"checkpoint_mode": "periodic", "checkpoint_period": "00:61:00"}, "checkpoint_period"),
        ({"checkpoint_mode": "periodic", "checkpoint_period": 30}, "checkpoint_period"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigurationError, match=field) as info:
        BasicMemoizer(**kwargs)
    assert info.value.field == field


def test_period_parsing() -> None:
    assert parse_checkpoint_period("01:02:03") == 3723.0
    assert parse_checkpoint_period("100:00:00") == 360000.0


def test_start_validates_and_starts_afresh(tmp_path: pathlib.Path) -> None:
    memo = BasicMemoizer()
    with pytest.raises(ConfigurationError, match="run_dir"):
        memo.start(run_dir=42, app_cache=True)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="app_cache"):
        memo.start(run_dir=str(tmp_path), app_cache="yes")  # type: ignore[arg-type]
    memo.start(run_dir=str(tmp_path), app_cache=True)
    assert memo.checkpoint_dir == os.path.join(str(tmp_path), CHECKPOINT_DIRNAME)
    second = tmp_path / "second"
    memo.start(run_dir=str(second), app_cache=True)  # the same Config loaded again, as in Parsl
    assert memo.checkpoint_dir == os.path.join(str(second), CHECKPOINT_DIRNAME)
    memo.close()


@pytest.mark.parametrize("call", ["check_memo", "update_memo", "checkpoint"])
def test_use_before_start_is_an_error(call: str) -> None:
    memo = BasicMemoizer()
    assert memo.checkpoint_dir is None
    args: tuple[Any, ...] = {"check_memo": (make_task(),), "update_memo": (make_task(), 1)}.get(
        call, ()
    )
    with pytest.raises(InternalConsistencyError, match="before start"):
        getattr(memo, call)(*args)
    memo.close()


def test_repr_shows_configuration() -> None:
    memo = BasicMemoizer(checkpoint_files=["a"], checkpoint_mode="manual")
    assert repr(memo) == (
        "BasicMemoizer(checkpoint_files=['a'], checkpoint_mode='manual', checkpoint_period=None)"
    )


@pytest.mark.parametrize("mode", ["task_exit", "dfk_exit"])
def test_results_reused_from_a_checkpoint_are_checkpointed_again(
    tmp_path: pathlib.Path, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Three runs, each loading only the previous run's checkpoint, all get the first result."""
    import uuid

    import parsl
    from parsl import python_app
    from parsl.config import Config
    from parsl.executors import ThreadPoolExecutor
    from parsl.utils import get_last_checkpoint

    @python_app(cache=True)
    def fresh_id(x: str) -> uuid.UUID:
        import uuid

        return uuid.uuid4()

    caplog.set_level(logging.INFO, logger="parsl")
    run_dir = str(tmp_path / "runinfo")
    seen = []
    for n in range(3):
        files = get_last_checkpoint(rundir=run_dir) if n else []
        memoizer = BasicMemoizer(checkpoint_mode=mode, checkpoint_files=files)
        config = Config(executors=[ThreadPoolExecutor()], run_dir=run_dir, memoizer=memoizer)
        with parsl.load(config):
            seen.append(fresh_id("same").result(timeout=20))
            seen.append(fresh_id("same").result(timeout=20))  # an in-run hit: written once
    assert len(set(seen)) == 1
    for n in range(3):  # one record per run's checkpoint, never duplicated
        assert len(read_checkpoint(os.path.join(run_dir, f"00{n}", "checkpoint"))) == 1
    assert "Done checkpointing 1 tasks" in caplog.text


def test_a_failure_read_from_a_checkpoint_is_reused_but_never_written_as_a_result(
    tmp_path: pathlib.Path,
) -> None:
    """Parsl's records may carry an 'exception': such a call fails again, and is not carried."""
    import parsl
    from parsl import python_app
    from parsl.config import Config
    from parsl.dataflow.memo_hash import task_hash
    from parsl.executors import ThreadPoolExecutor

    @python_app(cache=True)
    def flaky(x: int) -> int:
        return x

    # The hash the call will have: a task record built as the DataFlowKernel builds it.
    probe = TaskRecord(
        id=0, func=flaky, func_name="flaky", args=(3,), kwargs={}, executor="t",
        kind="python", memoize=True, ignore_for_cache=(), resource_specification={},
        time_invoked=0.0,
    )  # fmt: skip
    old = tmp_path / "old" / CHECKPOINT_DIRNAME
    old.mkdir(parents=True)
    record = {"hash": task_hash(probe), "exception": ValueError("from Parsl"), "result": None}
    (old / CHECKPOINT_FILENAME).write_bytes(pickle.dumps(record))
    run_dir = str(tmp_path / "runinfo")
    memoizer = BasicMemoizer(checkpoint_mode="task_exit", checkpoint_files=[str(old)])
    config = Config(executors=[ThreadPoolExecutor(label="t")], run_dir=run_dir, memoizer=memoizer)
    with parsl.load(config):
        with pytest.raises(ValueError, match="from Parsl"):
            flaky(3).result(timeout=20)
    assert read_checkpoint(os.path.join(run_dir, "000", CHECKPOINT_DIRNAME)) == {}
