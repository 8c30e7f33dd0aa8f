"""Drive globus-compute-endpoint's GlobusComputeEngine on our htex, as an endpoint process does.

Usage: python globus_compute_engine_workflow.py RUN_DIR [--parsl-launch-cmd]

No Globus service: the engine is started and given tasks directly. Each task
is packed as the endpoint receives it (a messagepack ``Task`` whose buffer the
SDK's ``ComputeSerializer`` made from the function, args and kwargs); each
result is the messagepack ``Result`` the engine's future carries. Prints one
``name: json`` line per finding for the test to check, and exits 0.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from typing import Any

import psutil
from globus_compute_common import messagepack
from globus_compute_common.messagepack.message_types import Result, Task
from globus_compute_endpoint.engines import GlobusComputeEngine
from globus_compute_endpoint.engines.base import GCFuture
from globus_compute_sdk.serialize import ComputeSerializer

from parsl.providers import LocalProvider

SERDE = ComputeSerializer()


def where_am_i(x: int, y: int = 0) -> dict[str, int]:
    """The task: a value from its arguments, and the process it ran in."""
    import os

    return {"value": x * 10 + y, "pid": os.getpid()}


def refuse(word: str) -> None:
    raise ValueError(f"refused {word}")


def pack_task(func: Any, *args: Any, **kwargs: Any) -> tuple[uuid.UUID, bytes]:
    """A task as the endpoint gets it from the service: its id and its messagepack bytes."""
    task_id = uuid.uuid4()
    buffer = SERDE.pack_buffers(
        [SERDE.serialize(func), SERDE.serialize(args), SERDE.serialize(kwargs)]
    )
    return task_id, messagepack.pack(Task(task_id=task_id, task_buffer=buffer))


def run(engine: GlobusComputeEngine, func: Any, *args: Any, **kwargs: Any) -> Result:
    task_id, packed = pack_task(func, *args, **kwargs)
    fut = GCFuture(task_id)
    engine.submit(fut, packed, resource_specification={})
    result = messagepack.unpack(fut.result(timeout=60))
    assert isinstance(result, Result) and result.task_id == task_id, result
    return result


def say(name: str, value: Any) -> None:
    print(f"{name}: {json.dumps(value)}", flush=True)


# A worker command copied from a Parsl configuration: the engine rewrites its leading
# process_worker_pool.py into "globus-compute-endpoint python-exec ...process_worker_pool".
PARSL_LAUNCH_CMD = (
    "process_worker_pool.py {debug} {max_workers_per_node} -a {addresses}"
    " -p {prefetch_capacity} -c {cores_per_worker} -m {mem_per_worker} --poll {poll_period}"
    " --port={worker_port} --cert_dir {cert_dir} --logdir={logdir} --block_id={{block_id}}"
    " --hb_period={heartbeat_period} --hb_threshold={heartbeat_threshold}"
    " --cpu-affinity {cpu_affinity}"
)


def main(run_dir: str, parsl_launch_cmd: bool) -> int:
    engine = GlobusComputeEngine(
        address="127.0.0.1",
        max_workers_per_node=2,
        provider=LocalProvider(init_blocks=1, max_blocks=1),
        encrypted=False,
        **({"launch_cmd": PARSL_LAUNCH_CMD} if parsl_launch_cmd else {}),
    )
    engine.start(endpoint_id=uuid.uuid4(), run_dir=run_dir)
    htex = engine.executor
    started: list[int] = []
    try:
        say("interchange_launch_cmd", htex.interchange_launch_cmd)
        say("launch_cmd", htex.launch_cmd)
        say("interchange_pid", htex.interchange_pid)
        say("client_pid", os.getpid())
        say("task_counter_before", htex._task_counter)

        ok = run(engine, where_am_i, 4, y=2)
        say("ok_error", ok.is_error)
        say("ok", SERDE.deserialize(ok.data))

        bad = run(engine, refuse, "seven")
        say("bad_error", bad.is_error)
        say("bad_text", bad.data)

        managers = engine.get_connected_managers()
        say("managers", len(managers))
        packages = engine.get_connected_managers_packages()
        say(
            "manager_packages",
            {
                m: [p.get("globus-compute-endpoint"), p.get("globus-compute-sdk")]
                for m, p in packages.items()
            },
        )
        report = engine.get_status_report()
        status = report.global_state
        say(
            "status",
            {
                k: status[k]
                for k in ("managers", "total_workers", "outstanding_tasks", "total_tasks")
            },
        )
        say("node_info", status["node_info"])
        started = [p.pid for p in psutil.Process().children(recursive=True)]
        say("started_pids", started)
    finally:
        engine.shutdown()
    say("alive_after_shutdown", [pid for pid in started if _alive_after(pid, 15.0)])
    return 0


def _alive_after(pid: int, timeout: float) -> bool:
    """True if ``pid`` still runs (and is not a zombie) ``timeout`` seconds from now."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            return False
        time.sleep(0.1)
    return True


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], "--parsl-launch-cmd" in sys.argv[2:]))
