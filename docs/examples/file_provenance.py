# expect: hello.txt 6 b1946ac92492d2347c6235b4d2611184 written by task None
# expect: loud.txt 7 220c4742d8016b77b1ba11bedb0b8bf1 written by task 0
# expect: louder.txt 8 59940e018c78c4d82f52f1a7ab8e8aa8 written by task 1
# expect: loud.txt was read by tasks [1]
# expect: notes: ['Starting run', 'Ending run']
import os

import parsl
from parsl import File, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.hub import query


@python_app
def shout(inputs=(), outputs=()):
    with open(inputs[0]) as src, open(outputs[0], "w") as dst:
        dst.write(src.read().upper().replace("\n", "!\n"))


with open("hello.txt", "w") as fh:
    fh.write("hello\n")

config = Config(
    executors=[ThreadPoolExecutor(label="threads")],
    monitoring=MonitoringHub(capture_file_provenance=True),
)
with parsl.load(config) as dfk:
    dfk.log_info("Starting run")
    first = shout(inputs=[File("hello.txt")], outputs=[File("loud.txt")])
    second = shout(inputs=[first.outputs[0]], outputs=[File("louder.txt")])
    second.result()
    dfk.log_info("Ending run")
    run_id = dfk.run_id

db = "sqlite:///runinfo/monitoring.db"
files = sorted(query.table_rows(db, "file", run_id), key=lambda f: f["file_name"])
for f in files:
    name = os.path.basename(f["file_name"])
    print(name, f["size"], f["md5sum"], "written by task", f["task_id"])
loud = next(f["file_id"] for f in files if f["file_name"].endswith("/loud.txt"))
readers = [i["task_id"] for i in query.table_rows(db, "input_file", run_id) if i["file_id"] == loud]
print("loud.txt was read by tasks", readers)
print("notes:", [n["info"] for n in query.table_rows(db, "misc_info", run_id)])
