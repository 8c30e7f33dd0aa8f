"""Checkpoints on disk as Parsl documents them: run_dir/checkpoint/tasks.pkl, pickled record dicts."""

from __future__ import annotations

import io
import os
import pickle
import time
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memoization import BasicMemoizer
from parsl.utils import get_all_checkpoints, get_last_checkpoint

CALLS: list[int] = []


@python_app(cache=True)
def double(x: int) -> int:
    CALLS.append(x)
    return 2 * x


def records(path: str) -> list[dict[str, Any]]:
    """Read tasks.pkl the way Parsl does: pickle.load until the end of the file."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        out.append(pickle.load(stream))
    return out


def test_checkpoint_file_is_parsls_record_format(tmp_path: Path) -> None:
    rundir = tmp_path / "runinfo"
    with parsl.load(Config(run_dir=str(rundir), checkpoint_mode="task_exit")) as dfk:
        assert double(21).result(timeout=20) == 42
        run_dir = dfk.run_dir
    file = os.path.join(run_dir, "checkpoint", "tasks.pkl")
    [record] = records(file)
    assert set(record) == {"hash", "exception", "result"}
    assert record["exception"] is None
    assert record["result"] == 42
    assert isinstance(record["hash"], str)


def test_records_written_elsewhere_load(tmp_path: Path) -> None:
    rundir = tmp_path / "runinfo"
    with parsl.load(Config(run_dir=str(rundir), checkpoint_mode="task_exit")) as dfk:
        double(5).result(timeout=20)
        double(6).result(timeout=20)
        first = dfk.run_dir
    by_result = {r["result"]: r["hash"] for r in records(f"{first}/checkpoint/tasks.pkl")}
    # A checkpoint directory written by another program in Parsl's format
    other = tmp_path / "elsewhere" / "checkpoint"
    other.mkdir(parents=True)
    with open(other / "tasks.pkl", "wb") as f:
        pickle.dump({"hash": by_result[10], "exception": None, "result": 1000}, f)
        pickle.dump({"hash": by_result[12], "exception": KeyError("from disk"), "result": None}, f)
    CALLS.clear()
    with parsl.load(Config(run_dir=str(rundir), checkpoint_files=[str(other)])):
        assert double(5).result(timeout=20) == 1000
        with pytest.raises(KeyError, match="from disk"):
            double(6).result(timeout=20)
    assert CALLS == []


def test_checkpoint_helpers_follow_parsls_rundir_layout(tmp_path: Path) -> None:
    rundir = tmp_path / "runinfo"
    with parsl.load(Config(run_dir=str(rundir), checkpoint_mode="task_exit")):
        double(1).result(timeout=20)  # run 000: a checkpoint
    with parsl.load(Config(run_dir=str(rundir))):
        double(2).result(timeout=20)  # run 001: none
    assert get_all_checkpoints(str(rundir)) == [str(rundir / "000" / "checkpoint")]
    assert get_last_checkpoint(str(rundir)) == []  # the last run wrote none
    with parsl.load(Config(run_dir=str(rundir), checkpoint_mode="dfk_exit")):
        double(3).result(timeout=20)  # run 002
    assert get_last_checkpoint(str(rundir)) == [str(rundir / "002" / "checkpoint")]
    assert len(get_all_checkpoints(str(rundir))) == 2


@pytest.mark.timeout(60)
def test_periodic_checkpoint_writes_every_period(tmp_path: Path) -> None:
    cfg = Config(
        run_dir=str(tmp_path / "runinfo"), checkpoint_mode="periodic", checkpoint_period="00:00:01"
    )
    with parsl.load(cfg) as dfk:
        file = Path(dfk.run_dir) / "checkpoint" / "tasks.pkl"
        deadline = time.monotonic() + 10
        while not file.exists() and time.monotonic() < deadline:  # no task finished yet
            time.sleep(0.1)
        assert file.exists()
        assert double(7).result(timeout=20) == 14
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            r["result"] == 14 for r in records(str(file))
        ):
            time.sleep(0.1)
        assert [r["result"] for r in records(str(file))] == [14]
        log = Path(dfk.run_dir) / "parsl.log"
    # Parsl's lines for each pass, each starting with the time in seconds, as scripts read them
    passes = [
        line
        for line in log.read_text().splitlines()
        if "Done checkpointing" in line or "No tasks checkpointed in this pass" in line
    ]
    assert any("Done checkpointing 1 tasks" in line for line in passes)
    assert any("No tasks checkpointed in this pass" in line for line in passes)
    stamps = [float(line.partition(" ")[0]) for line in passes]
    assert stamps == sorted(stamps) and abs(stamps[-1] - time.time()) < 60


def test_one_memoizer_started_by_two_loads(tmp_path: Path) -> None:
    memo = BasicMemoizer(checkpoint_mode="task_exit")
    with parsl.load(Config(run_dir=str(tmp_path / "runinfo"), memoizer=memo)):
        assert double(8).result(timeout=20) == 16
    with parsl.load(Config(run_dir=str(tmp_path / "runinfo"), memoizer=memo)) as dfk:
        assert double(9).result(timeout=20) == 18  # start() again: no internal error
        second = dfk.run_dir
    assert [r["result"] for r in records(f"{second}/checkpoint/tasks.pkl")] == [18]


def test_a_checkpointing_memoizer_without_files_loads_every_earlier_run(tmp_path: Path) -> None:
    """Parsl 2026: BasicMemoizer(checkpoint_mode=...) with no checkpoint_files reuses the run_dir's."""
    rundir = str(tmp_path / "runinfo")

    def run(memoizer: BasicMemoizer | None = None, **config: Any) -> int:
        CALLS.clear()
        with parsl.load(Config(run_dir=rundir, memoizer=memoizer, **config)):
            assert double(7).result(timeout=20) == 14
        return len(CALLS)

    assert run(BasicMemoizer(checkpoint_mode="task_exit")) == 1  # nothing earlier: it runs
    assert run(BasicMemoizer(checkpoint_mode="task_exit")) == 0  # run 000's checkpoint
    assert run(BasicMemoizer(checkpoint_mode="task_exit", checkpoint_files=[])) == 1  # none
    assert run(BasicMemoizer()) == 1  # checkpointing off: nothing is loaded either
    # The Config-level spelling (Parsl before 2026) keeps its meaning: no files, none loaded.
    assert run(checkpoint_mode="task_exit") == 1
    assert run(checkpoint_mode="task_exit", checkpoint_files=get_all_checkpoints(rundir)) == 0
    assert BasicMemoizer().checkpoint_files is None
