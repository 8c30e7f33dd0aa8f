"""A launch_cmd copied from a Parsl configuration starts our worker pool (``process_worker_pool.py``)."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput import executor as executor_module
from parsl.executors.high_throughput import options, parsl_launch
from parsl.executors.high_throughput.address_probe import NoReachableAddress, probe_addresses
from parsl.executors.high_throughput.process_worker_pool import TranslationError, main, translate
from parsl.providers import LocalProvider

MakeHtex = Callable[..., HighThroughputExecutor]
VENV_BIN = os.path.dirname(sys.executable)

#: As a Parsl user writes it: a numactl prefix, then Parsl's worker command and placeholders.
NUMACTL_LAUNCH_CMD = "numactl --hardware > /dev/null; " + parsl_launch.PARSL_DEFAULT_LAUNCH_CMD

#: The pre-2024 form: two ports, --max_workers, --start-method.
OLD_PARSL_LAUNCH_CMD = (
    "process_worker_pool.py {debug} {max_workers} -a {addresses} -p {prefetch_capacity}"
    " -c {cores_per_worker} -m {mem_per_worker} --poll {poll_period} --task_port={task_port}"
    " --result_port={result_port} --logdir={logdir} --block_id={{block_id}}"
    " --hb_period={heartbeat_period} {address_probe_timeout_string}"
    " --hb_threshold={heartbeat_threshold} --cpu-affinity {cpu_affinity}"
    " --available-accelerators {accelerators} --start-method {start_method}"
)


@python_app
def where_am_i() -> tuple[int, str]:
    import os

    return os.getpid(), os.environ.get("PARSL_WORKER_RANK", "")


def test_parsl_templates_are_recognised_and_checked() -> None:
    assert parsl_launch.is_parsl_style(parsl_launch.PARSL_DEFAULT_LAUNCH_CMD)
    assert parsl_launch.is_parsl_style("x --block_id={{block_id}}")
    assert not parsl_launch.is_parsl_style(options.DEFAULT_LAUNCH_CMD)
    assert HighThroughputExecutor(launch_cmd=NUMACTL_LAUNCH_CMD).launch_cmd == NUMACTL_LAUNCH_CMD
    with pytest.raises(ConfigurationError, match="unknown field"):
        HighThroughputExecutor(launch_cmd="process_worker_pool.py -a {addresses} {nonsense}")
    with pytest.raises(ConfigurationError, match="enable_mpi_mode"):
        HighThroughputExecutor(launch_cmd=OLD_PARSL_LAUNCH_CMD, enable_mpi_mode=True)


def test_rendering_fills_both_passes_as_parsl_does() -> None:
    cmd = options.render_launch_cmd(
        parsl_launch.PARSL_DEFAULT_LAUNCH_CMD,
        "3",
        address="10.1.2.3",
        worker_port=54001,
        max_workers_per_node=4.0,
        cores_per_worker=1.0,
        mem_per_worker=None,
        prefetch_capacity=2,
        heartbeat_period=30.0,
        heartbeat_threshold=120.0,
        poll_period=10,
        logdir="/tmp/w",
        cpu_affinity="block",
        drain_period=None,
        accelerators=["0", "1"],
        cert_dir=None,
        debug=True,
        mpi=None,
        address_probe_timeout=5,
    )
    argv = shlex.split(cmd)
    assert argv[0] == "process_worker_pool.py"
    for piece in (
        "--debug",
        "--max_workers_per_node=4",
        "--port=54001",
        "--block_id=3",
        "--address_probe_timeout=5",
        "--drain_period=None",
        "--mpi-launcher=mpiexec",
    ):
        assert piece in argv
    assert argv[argv.index("-a") + 1] == "10.1.2.3"
    assert argv[argv.index("-m") + 1] == "None"
    assert argv[-2:] == ["0", "1"]
    assert "--enable_mpi_mode" not in argv
    # The worker pool reads exactly that command back.
    ours = translate(argv[1:])
    assert ours[ours.index("--port") + 1] == "54001"
    assert ours[ours.index("--max-workers-per-node") + 1] == "4.0"
    assert ours[ours.index("--available-accelerators") + 1] == "0,1"
    assert ours[ours.index("--address-probe-timeout") + 1] == "5.0"
    assert "--mem-per-worker" not in ours and "--drain-period" not in ours
    assert "--cert-dir" not in ours and "--debug" in ours


def test_translation_of_every_flag() -> None:
    ours = translate(
        [
            "-a",
            "h1,h2",
            "--task_port=7",
            "--result_port=7",
            "-u",
            "m1",
            "-b",
            "9",
            "-m",
            "2.5",
            "--max_workers=3",
            "--drain_period=60",
            "--cert_dir",
            "/c",
            "--enable_mpi_mode",
            "--mpi-launcher=srun",
            "--start-method",
            "fork",
            "--available-accelerators",
            "a,b",
            "c",
        ]
    )
    pairs = dict(zip(ours[::2], ours[1::2], strict=False))
    assert pairs["--address"] == "h1,h2" and pairs["--port"] == "7"
    assert pairs["--manager-id"] == "m1" and pairs["--block-id"] == "9"
    assert pairs["--mem-per-worker"] == "2.5" and pairs["--max-workers-per-node"] == "3.0"
    assert pairs["--drain-period"] == "60.0" and pairs["--cert-dir"] == "/c"
    assert pairs["--available-accelerators"] == "a,b,c"
    assert ours[-3:] == ["--enable-mpi-mode", "--mpi-launcher", "srun"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-a", "h", "--task_port=1", "--result_port=2"], "talks to the interchange on one port"),
        (["-a", "h"], "no interchange port"),
        (["--port=1"], "no interchange address"),
        (["-a", "h", "--port=x"], "expected a number"),
        (["-a", "h", "--port=1", "-c", "many"], "-c 'many'"),
    ],
)
def test_flags_it_cannot_honour_are_clear_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(TranslationError, match=message):
        translate(argv)
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unknown_flag_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        translate(["-a", "h", "--port=1", "--no-such-flag"])
    assert "--no-such-flag" in capsys.readouterr().err


def test_probe_picks_the_first_reachable_address() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        # 127.0.0.2 routes to loopback too, but nothing listens there on this port.
        assert probe_addresses(["127.0.0.2", "127.0.0.1"], port, 3) == "127.0.0.1"
        assert probe_addresses(["127.0.0.1", "127.0.0.2"], port, 3) == "127.0.0.1"
        assert probe_addresses(["only-one"], port, 3) == "only-one"
    started = time.monotonic()
    with pytest.raises(NoReachableAddress, match="within 0.5 s"):
        probe_addresses(["127.0.0.2", "127.0.0.3"], port, 0.5)
    assert time.monotonic() - started < 5
    with pytest.raises(NoReachableAddress, match="no interchange address"):
        probe_addresses([" "], port, 1)


def test_console_script_is_installed_and_refuses_unreachable_addresses(tmp_path: Path) -> None:
    script = shutil.which("process_worker_pool.py", path=VENV_BIN)
    assert script is not None, "parsl-executors must install process_worker_pool.py"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free_port = s.getsockname()[1]
    proc = subprocess.run(
        [
            script,
            "-a",
            "127.0.0.2,127.0.0.3",
            f"--port={free_port}",
            "--address_probe_timeout=1",
            f"--logdir={tmp_path}",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2
    assert "no interchange address of 127.0.0.2, 127.0.0.3" in proc.stderr


def _on_path_provider() -> LocalProvider:
    # As a Parsl user's worker_init activates their environment.
    return LocalProvider(init_blocks=1, max_blocks=1, worker_init=f"export PATH={VENV_BIN}:$PATH")


@pytest.mark.timeout(90)
@pytest.mark.parametrize(
    "template",
    [
        NUMACTL_LAUNCH_CMD,
        OLD_PARSL_LAUNCH_CMD,
        # As configurations written for Parsl build one from its module constant.
        "numactl --hardware > /dev/null; " + executor_module.DEFAULT_LAUNCH_CMD,
    ],
)
def test_htex_runs_tasks_with_a_parsl_launch_cmd(run_dir: str, template: str) -> None:
    htex = HighThroughputExecutor(
        label="parsl_style",
        max_workers_per_node=2,
        launch_cmd=template,
        address_probe_timeout=10,
        provider=_on_path_provider(),
    )
    with parsl.load(Config(executors=[htex], run_dir=run_dir)):
        results = [where_am_i().result(timeout=60) for _ in range(6)]
        managers = htex.connected_managers()
    assert {rank for _, rank in results} <= {"0", "1"}
    assert len(managers) == 1 and managers[0]["worker_count"] == 2
    logs = list(Path(run_dir).rglob("manager.log"))
    assert logs and "starting with 2 workers" in logs[0].read_text()


@pytest.mark.timeout(90)
def test_parsl_interchange_launch_cmd_runs_our_interchange(run_dir: str) -> None:
    # Parsl configurations set interchange_launch_cmd=["interchange.py"] (or a full path to it).
    assert executor_module.DEFAULT_INTERCHANGE_LAUNCH_CMD == ["interchange.py"]
    script = shutil.which("interchange.py", path=VENV_BIN)
    assert script is not None, "parsl-executors must install interchange.py"
    htex = HighThroughputExecutor(
        label="parsl_interchange",
        max_workers_per_node=1,
        interchange_launch_cmd=[script],
        launch_cmd=parsl_launch.PARSL_DEFAULT_LAUNCH_CMD,
        provider=_on_path_provider(),
    )
    with parsl.load(Config(executors=[htex], run_dir=run_dir)):
        pid, _ = where_am_i().result(timeout=60)
        assert htex.interchange_pid is not None
        cmdline = psutil.Process(htex.interchange_pid).cmdline()
    assert pid != os.getpid()
    assert any(part.endswith("interchange.py") for part in cmdline), cmdline
