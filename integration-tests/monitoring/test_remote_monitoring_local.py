"""Remote monitoring into a real MonitoringHub (SQLite): htex on LocalProvider, each radio kind.

Checks the rows Parsl's tables get from the workers (``status`` running /
running_ended, ``resource``), from the interchange (``node``) and from the
executor (``block``).
"""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from monitoring_db import rows

import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.radios import FilesystemRadio, HTEXRadio, UDPRadio
from parsl.monitoring.visualization import BackgroundServer, open_database
from parsl.providers import LocalProvider

pytestmark = pytest.mark.timeout(180)


@python_app
def cube(x: int) -> int:
    import time

    time.sleep(0.3)
    return x**3


@bash_app
def count_to(n: int) -> str:
    return f"seq {n} > /dev/null"


RADIOS: dict[str, Any] = {
    "htex": HTEXRadio,
    "udp": UDPRadio,
    "filesystem": lambda: FilesystemRadio(poll_interval=0.1),
}


@pytest.mark.parametrize("kind", list(RADIOS))
def test_worker_node_and_block_rows_reach_the_database(kind: str, tmp_path: Path) -> None:
    db = tmp_path / "monitoring.db"
    hub = MonitoringHub(logging_endpoint=f"sqlite:///{db}", resource_monitoring_interval=0.1)
    htex = HighThroughputExecutor(
        label="htex_local",
        max_workers_per_node=2,
        heartbeat_period=0.5,
        heartbeat_threshold=5,
        provider=LocalProvider(init_blocks=1, min_blocks=1, max_blocks=1),
        remote_monitoring_radio=RADIOS[kind](),
    )
    config = Config(
        executors=[htex], run_dir=str(tmp_path / "runinfo"), monitoring=hub, strategy="none"
    )
    with parsl.load(config) as dfk:
        run_id = dfk.run_id
        assert [f.result(timeout=60) for f in [cube(i) for i in range(4)]] == [0, 1, 8, 27]
        assert count_to(1000).result(timeout=60) == 0
        import time

        time.sleep(1.5)  # heartbeats and a block status poll

    by_task = rows(
        db,
        "SELECT task_id, task_status_name FROM status WHERE run_id = ? "
        "AND task_status_name IN ('running', 'running_ended') ORDER BY task_id, timestamp",
        run_id,
    )
    assert by_task == [(t, s) for t in range(5) for s in ("running", "running_ended")]
    resource = rows(
        db,
        "SELECT task_id, COUNT(*), MAX(psutil_process_memory_resident) FROM resource "
        "WHERE run_id = ? GROUP BY task_id",
        run_id,
    )
    assert [r[0] for r in resource] == list(range(5))
    assert all(count >= 1 and rss > 0 for _, count, rss in resource)
    assert max(count for _, count, _ in resource[:4]) >= 2  # 0.3 s tasks, samples every 0.1 s

    nodes = rows(
        db,
        "SELECT hostname, block_id, worker_count, cpu_count, total_memory, active FROM node "
        "WHERE run_id = ?",
        run_id,
    )
    block_ids = {b for (b,) in rows(db, "SELECT block_id FROM block WHERE run_id = ?", run_id)}
    assert nodes and "0" in {n[1] for n in nodes}
    for hostname, block_id, workers, cpus, memory, _ in nodes:
        assert (hostname, workers, cpus) == (os.uname().nodename, 2, os.cpu_count())
        assert block_id in block_ids and memory > 0
    # As in Parsl: one row when a manager registers, one when it goes; heartbeats (every
    # 0.5 s here, over more than 1.5 s) refresh the first row's last_heartbeat.
    shape = rows(
        db,
        "SELECT uid, SUM(active), SUM(1 - active), "
        "MAX(CASE WHEN active THEN julianday(last_heartbeat) - julianday(timestamp) END) "
        "FROM node WHERE run_id = ? GROUP BY uid",
        run_id,
    )
    for uid, active_rows, inactive_rows, beat_days in shape:
        assert (active_rows, inactive_rows) == (1, 1), uid
        assert beat_days * 86400 > 1.0, uid

    blocks = [
        s
        for (s,) in rows(
            db,
            "SELECT status FROM block WHERE run_id = ? AND block_id = '0' ORDER BY timestamp",
            run_id,
        )
    ]
    assert blocks[0] == "PENDING" and "RUNNING" in blocks
    # Shutdown scales the block in (Parsl's SCALED_IN), then the provider's own last state.
    assert blocks.count("PENDING") == 1 and blocks.count("SCALED_IN") == 1, blocks
    assert blocks[-1] in ("CANCELLED", "COMPLETED")

    if kind == "htex":
        # parsl-visualize's resource page over these real samples: per-app CPU and memory.
        viewer = open_database(f"sqlite:///{db}")
        server = BackgroundServer(viewer)
        try:
            with urllib.request.urlopen(
                f"{server.url}/workflow/{run_id}/resources", timeout=20
            ) as r:
                page = r.read().decode()
        finally:
            server.stop()
            viewer.close()
        table = page[page.index('id="dist-table"') :]
        table = table[: table.index("</table>")]
        assert "<td>cube</td>" in table and "<td>count_to</td>" in table
