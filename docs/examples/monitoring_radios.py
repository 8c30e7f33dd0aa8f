# expect: running rows: 3, running_ended rows: 3
# expect: every task has a resource row: True
# expect: node rows name this host: True
# expect: block 0 went PENDING -> RUNNING: True
import os
import sqlite3
import time

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import HighThroughputExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.radios import UDPRadio
from parsl.providers import LocalProvider


@python_app
def total(n):
    return sum(range(n))


config = Config(
    executors=[
        HighThroughputExecutor(
            label="htex",
            max_workers_per_node=2,
            heartbeat_period=1,
            provider=LocalProvider(init_blocks=1, max_blocks=1),
            remote_monitoring_radio=UDPRadio(),  # the default is HTEXRadio()
        )
    ],
    monitoring=MonitoringHub(
        logging_endpoint="sqlite:///monitoring.db", resource_monitoring_interval=1
    ),
    strategy="none",
)
with parsl.load(config) as dfk:
    run_id = dfk.run_id
    results = [f.result() for f in [total(10**6) for _ in range(3)]]
    time.sleep(1.5)  # a heartbeat and a block status poll

db = sqlite3.connect("monitoring.db")


def count(sql):
    return db.execute(sql, (run_id,)).fetchone()[0]


running = count("SELECT COUNT(*) FROM status WHERE run_id=? AND task_status_name='running'")
ended = count("SELECT COUNT(*) FROM status WHERE run_id=? AND task_status_name='running_ended'")
print(f"running rows: {running}, running_ended rows: {ended}")
sampled = count("SELECT COUNT(DISTINCT task_id) FROM resource WHERE run_id=?")
print("every task has a resource row:", sampled == 3)
hosts = {h for (h,) in db.execute("SELECT hostname FROM node WHERE run_id=?", (run_id,))}
print("node rows name this host:", hosts == {os.uname().nodename})
states = [
    s
    for (s,) in db.execute(
        "SELECT status FROM block WHERE run_id=? AND block_id='0' ORDER BY timestamp", (run_id,)
    )
]
print("block 0 went PENDING -> RUNNING:", states[:2] == ["PENDING", "RUNNING"])
