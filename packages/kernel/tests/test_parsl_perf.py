"""``parsl-perf`` / ``parsl.benchmark.perf``: Parsl's benchmark command, over our DFK."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
    results = perf.benchmark(config, target_seconds=0.2, iterations=3, min_tasks=15, out=out)
    assert results[0].tasks == 15  # Parsl's first batch is 10 tasks; min_tasks raises it
    assert all(r.tasks >= 15 and r.seconds > 0 for r in results)
    assert results[1].tasks == perf.next_batch_size(results[0], 0.2, 15)
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


def _fake_batch(rate: float) -> Callable[[int, dict[str, Any], int], perf.Iteration]:
    """A batch that takes ``n / rate`` seconds (0 for an endless rate), without running tasks."""

    def batch(n: int, resources: dict[str, Any], argsize: int) -> perf.Iteration:
        return perf.Iteration(n, 0.0 if rate == float("inf") else n / rate)

    return batch


def _sizes(mode: perf.IterationMode, rate: float, target: float, **kw: Any) -> list[int]:
    config = Config(executors=[ThreadPoolExecutor(max_threads=1)], run_dir=kw.pop("run_dir"))
    results = perf.benchmark(
        config, target_seconds=target, mode=mode, out=io.StringIO(), batch=_fake_batch(rate), **kw
    )
    return [r.tasks for r in results]


def test_estimate_runs_until_a_batch_takes_half_the_target(tmp_path: Path) -> None:
    # 10 tasks take 0.01 s; the next batch is sized for 0.1 s and takes it: done.
    assert _sizes(perf.ESTIMATE, 1000, 0.1, run_dir=str(tmp_path)) == [10, 100]
    # an endless rate never reaches the target: the guard ends the run
    endless = _sizes(perf.ESTIMATE, float("inf"), 0.1, run_dir=str(tmp_path))
    assert len(endless) == perf.MAX_ITERATIONS
    assert endless[:3] == [10, 20, 40]


def test_exponential_doubles_until_a_batch_takes_the_target(tmp_path: Path) -> None:
    sizes = _sizes(perf.EXPONENTIAL, 1000, 0.1, run_dir=str(tmp_path))
    assert sizes == [10, 20, 40, 80, 160]  # 160 tasks take 0.16 s >= 0.1
    fixed = _sizes(perf.EXPONENTIAL, 1000, 0.1, run_dir=str(tmp_path), iterations=2)
    assert fixed == [10, 20]


def test_explicit_sizes_through_the_command_line(
    config_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert perf.main(["--config", config_file, "--time", "5", "--iterate", "3, 7"]) == 0
    out = capsys.readouterr().out
    assert "Will run 3 tasks\n" in out and "Will run 7 tasks\n" in out
    assert out.count("Tasks per second:") == 2
    assert perf.iteration_mode("4,5,6") == perf.IterationMode("sizes", (4, 5, 6))


@pytest.mark.parametrize("mode", ["bogus", "10,x", "0", "10,,20", ""])
def test_bad_iterate_modes_are_named(
    config_file: str, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        perf.main(["--config", config_file, "--iterate", mode])
    assert exit_info.value.code == 2
    assert f"Invalid iteration mode: {mode}" in capsys.readouterr().err


def test_a_config_file_with_fresh_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "fresh.py"
    path.write_text(
        "from parsl.config import Config\n"
        "from parsl.executors import ThreadPoolExecutor\n"
        "def fresh_config():\n"
        f"    return Config(executors=[ThreadPoolExecutor()], run_dir={str(tmp_path)!r})\n"
    )
    assert perf.main(["--config", str(path), "--iterate", "4"]) == 0
    assert "Will run 4 tasks" in capsys.readouterr().out
    wrong = tmp_path / "wrong.py"
    wrong.write_text("def fresh_config():\n    return 3\n")
    assert perf.main(["--config", str(wrong)]) == 2
    assert "fresh_config() returned a int" in capsys.readouterr().err


def test_resources_as_a_python_dict_literal() -> None:
    assert perf._resources("{'cores': 1, 'memory': 0}") == {"cores": 1, "memory": 0}
    assert perf._resources('{"cores": 2}') == {"cores": 2}


EXECUTOR_CONFIG = """
from concurrent.futures import Future
from parsl.config import Config
from parsl.executors.base import ParslExecutor


class Custom(ParslExecutor):
    label = "custom"

    def start(self):
        pass

    def submit(self, func, resource_specification, *args, **kwargs):
        {submit}

    def shutdown(self):
        pass


config = Config(executors=[Custom()], run_dir={run_dir!r})
"""


def _executor_config(tmp_path: Path, submit: str) -> str:
    path = tmp_path / "custom.py"
    path.write_text(EXECUTOR_CONFIG.format(submit=submit, run_dir=str(tmp_path / "runinfo")))
    return str(path)


def test_failing_tasks_end_the_run_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _executor_config(tmp_path, 'raise RuntimeError("no workers here")')
    assert perf.main(["--config", path, "--iterate", "3"]) == 1
    captured = capsys.readouterr()
    assert "the benchmark failed: RuntimeError: no workers here" in captured.err
    assert "Cleaning up DFK" in captured.out
    from parsl.dataflow.loader import DataFlowKernelLoader

    assert DataFlowKernelLoader._dfk is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("import no_such_module_here\n", "failed: ModuleNotFoundError"),
        ("config = (\n", "failed: SyntaxError"),
        ("def fresh_config():\n    raise ValueError('no site')\n", "fresh_config() failed"),
    ],
)
def test_config_files_that_raise_are_named(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.py"
    path.write_text(text)
    assert perf.main(["--config", str(path)]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.timeout(60)
def test_ctrl_c_during_a_batch_cleans_up_and_exits_130(tmp_path: Path) -> None:
    path = _executor_config(tmp_path, "return Future()  # never completes")
    proc = subprocess.Popen(
        [sys.executable, "-m", "parsl.benchmark.perf", "--config", path, "--iterate", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the batch is waiting on a future that never completes
            if line.startswith("Will run 2 tasks"):
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 130, err
    assert "parsl-perf: interrupted" in err
    assert "Cleaning up DFK" in out
