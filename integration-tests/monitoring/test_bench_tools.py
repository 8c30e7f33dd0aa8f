"""tools/bench-monitoring and tools/bench-monitoring-parts run, and print every figure they promise.

Smoke runs on tiny workloads: the figures are for people (the tools' docstrings
say what each means); these tests keep the tools working as the code they
measure changes under them.
"""

from __future__ import annotations

import glob
import re
import sys
import tempfile
from pathlib import Path

import pytest
from child_processes import run_in_own_group

ROOT = Path(__file__).resolve().parents[2]
FIGURE = re.compile(r"^\s*([a-z_]+)\s+([+-]?\d+(?:\.\d+)?)\s")


def run_tool(name: str, *args: str, timeout: float) -> str:
    """Run ``tools/<name> args`` in its own process group; kill the group if it overruns."""
    done = run_in_own_group([sys.executable, str(ROOT / "tools" / name), *args], timeout)
    assert done.returncode == 0, (
        f"tools/{name} exited {done.returncode}:\n{done.stdout}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def figures(out: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for line in out.splitlines() if (m := FIGURE.match(line))}


@pytest.mark.timeout(150)
def test_parts_tool_prints_each_part() -> None:
    out = run_tool("bench-monitoring-parts", "--tasks", "300", "--repeat", "1", timeout=120)
    found = figures(out)
    parts = ("worker_plain", "worker_on", "worker_nores", "unpack", "sampler", "send", "pack")
    for name in (*parts, "transition", "writer"):
        assert name in found, f"no {name} figure in:\n{out}"
    # The monitored call does all the plain call does and more: it can only cost more.
    assert found["worker_on"] > found["worker_plain"], out
    assert found["writer"] > 0, out


@pytest.mark.timeout(240)
def test_bench_monitoring_breakdown_prints_every_figure() -> None:
    pattern = str(Path(tempfile.gettempdir()) / "parsl-bench-mon-*")
    before = set(glob.glob(pattern))
    out = run_tool(
        "bench-monitoring",
        *("--tasks", "200", "--rounds", "1", "--breakdown", "--events", "600", "--no-postgresql"),
        timeout=210,
    )
    found = figures(out)
    for name in (
        "htex_off",
        "htex_on",
        "ratio",
        "cpu_off",
        "cpu_on",
        "cpu_nodb",
        "cpu_nores",
        "cpu_ratio",
        "htex_nodb",
        "htex_nores",
        "db_size",
        "write_sqlite",
        "enqueue",
    ):
        assert name in found, f"no {name} figure in:\n{out}"
    threads = dict(re.findall(r"^  (off|on|nodb|nores)\s+(.*)$", out, re.MULTILINE))
    assert set(threads) == {"off", "on", "nodb", "nores"}, out
    assert "main" in threads["off"] and "monitoring" not in threads["off"], out
    assert "monitoring" in threads["on"], out  # the hub's forwarder thread, only when monitored
    assert set(glob.glob(pattern)) <= before  # each run's directory and database removed


@pytest.mark.timeout(150)
def test_bench_monitoring_tasks_that_sleep() -> None:
    out = run_tool(
        "bench-monitoring",
        *("--tasks", "100", "--rounds", "1", "--events", "600", "--no-postgresql"),
        *("--workers", "2", "--task-seconds", "0.01"),
        timeout=120,
    )
    assert "task=sleep(0.01)" in out.splitlines()[0], out
    found = figures(out)
    # Two workers running 10 ms tasks finish at most 200 a second: the tasks did sleep.
    for name in ("htex_off", "htex_on"):
        assert 0 < found[name] <= 200, out
    assert "ratio" in found, out


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        (
            "bench-monitoring",
            ("--task-seconds", "-1"),
            "--task-seconds: must be at least 0, got -1",
        ),
        ("bench-monitoring", ("--rounds", "0"), "--rounds: must be at least 1, got 0"),
        ("bench-monitoring", ("--task-seconds", "inf"), "expected a finite number, got inf"),
        ("bench-monitoring", ("--tasks", "many"), "--tasks: expected a number, got 'many'"),
        ("bench-monitoring-parts", ("--repeat", "0"), "--repeat: must be at least 1, got 0"),
    ],
)
def test_bench_tools_refuse_bad_numbers_before_measuring(
    tool: str, args: tuple[str, ...], message: str
) -> None:
    done = run_in_own_group([sys.executable, str(ROOT / "tools" / tool), *args], 30)
    assert done.returncode == 2, done  # argparse's usage error, not a traceback mid-run
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout == "", done.stdout  # nothing measured, no header printed
