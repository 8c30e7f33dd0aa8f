"""``parsl-perf`` / ``parsl.benchmark.perf``: Parsl's benchmark command, over our DFK."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parsl.benchmark import perf
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

CONFIG_FILE = """
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor

config = Config(executors=[ThreadPoolExecutor(max_threads=4)], run_dir={run_dir!r})
"""


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "perf_config.py"
    path.write_text(CONFIG_FILE.format(run_dir=str(tmp_path / "runinfo")))
    return str(path)


def test_batches_grow_toward_the_target_time(tmp_path: Path) -> None:
    out = io.StringIO()
    config = Config(executors=[ThreadPoolExecutor(max_threads=4)], run_dir=str(tmp_path))
    results = perf.benchmark(config, target_seconds=0.2, iterations=3, min_tasks=5, out=out)
    assert results[0].tasks == 5
    assert all(r.tasks >= 5 and r.seconds > 0 for r in results)
    assert results[1].tasks == perf.next_batch_size(results[0], 0.2, 5)
    text = out.getvalue()
    assert text.count("==== Iteration") == 3 and "Tasks per second:" in text
    assert text.rstrip().endswith("The end")
    from parsl.dataflow.loader import DataFlowKernelLoader

    assert DataFlowKernelLoader._dfk is None  # cleaned up


def test_next_batch_size() -> None:
    assert perf.next_batch_size(perf.Iteration(10, 1.0), 5, 0) == 50
    assert perf.next_batch_size(perf.Iteration(10, 1.0), 0.01, 3) == 3
    assert perf.next_batch_size(perf.Iteration(4, 0.0), 1, 0) == 8


def test_main_with_resources_and_argsize(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = perf.main(
        ["--config", config_file, "--time", "0.1", "--iterations", "2", "--argsize", "1000"]
    )
    assert code == 0
    assert capsys.readouterr().out.count("Tasks per second:") == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--time", "0"], "--time 0.0: must be > 0"),
        (["--iterations", "0"], "--iterations 0: must be >= 1"),
        (["--resources", "{bad"], "is not JSON"),
        (["--resources", "[1]"], "must be a JSON object"),
    ],
)
def test_bad_arguments_are_clear(
    config_file: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert perf.main(["--config", config_file, *argv]) == 2
    assert message in capsys.readouterr().err


def test_bad_config_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert perf.main(["--config", str(tmp_path / "missing.py")]) == 2
    assert "cannot read config file" in capsys.readouterr().err
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    assert perf.main(["--config", str(empty)]) == 2
    assert "must define 'config'" in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_console_script_runs(config_file: str) -> None:
    script = shutil.which("parsl-perf", path=os.path.dirname(sys.executable))
    assert script is not None, "parsl-kernel must install parsl-perf"
    proc = subprocess.run(
        [script, "--config", config_file, "--time", "0.1", "--iterations", "1"],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Tasks per second:" in proc.stdout and "The end" in proc.stdout
    version = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=20, check=False
    )
    assert "parsl-perf" in version.stdout
