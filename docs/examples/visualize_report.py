# expect: workflow done: 11 tasks, 1 failed
# expect: report written: True
# expect: self-contained: True
# expect: the failure is in it: True
import parsl
from parsl import python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.monitoring.visualization.cli import main as parsl_visualize


@python_app
def square(x):
    return x * x


@python_app
def add(*xs):
    return sum(xs)


@python_app
def check(total):
    if total > 100:
        raise ValueError(f"total {total} is too big")
    return total


config = Config(
    executors=[ThreadPoolExecutor(label="threads", max_threads=2)],
    monitoring=MonitoringHub(workflow_name="squares", resource_monitoring_interval=1),
)
with parsl.load(config) as dfk:
    run_id = dfk.run_id
    squares = [square(i) for i in range(7)]
    total = add(*squares)
    fine = check(total)  # 0 + 1 + 4 + ... + 36 = 91
    bigger = add(total, 100)
    too_big = check(bigger)
    futures = [*squares, total, fine, bigger, too_big]
    failed = sum(f.exception() is not None for f in futures)
print(f"workflow done: {len(futures)} tasks, {failed} failed")

# The same as the shell command:  parsl-visualize report RUN_ID -o run.html
status = parsl_visualize(["report", run_id, "-o", "run.html", "sqlite:///runinfo/monitoring.db"])
with open("run.html") as f:
    html = f.read()
print("report written:", status == 0)
print("self-contained:", "<script src" not in html and "https://" not in html)
print("the failure is in it:", "is too big" in html)
