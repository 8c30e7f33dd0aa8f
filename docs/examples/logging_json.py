# expect: states logged for task 1: ['unsched', 'launched', 'exec_done']
# expect: task 1 waited on task 0
import json
import logging
import os

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.logconfigs.json import JSONLogging


@python_app
def double(x):
    return 2 * x


config = Config(initialize_logging=JSONLogging(level=logging.DEBUG))
with parsl.load(config) as dfk:
    double(double(1)).result()
    log = os.path.join(dfk.run_dir, "parsl.jsonlog")

with open(log) as f:
    records = [json.loads(line) for line in f]
states = [r["parsl.task_state"] for r in records if r.get("parsl.task") == "1"]
print("states logged for task 1:", list(dict.fromkeys(states)))
for r in records:
    if "parsl.dependency_task" in r:
        print(f"task {r['parsl.task']} waited on task {r['parsl.dependency_task']}")
