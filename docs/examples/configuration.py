# expect: ran on: big
# expect: run directory: my_runs/000
# expect: log file exists: True
# expect: finished: True, stdout went to logs/task-1-hello.stdout
# expect: ConfigurationError field: retries
# expect: ConfigurationError field: executors
import os

import parsl
from parsl import bash_app, python_app
from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor


@python_app(executors=["big"])
def where():
    import threading

    return threading.current_thread().name.split("-")[1]  # thread names are parsl-<label>-<n>


@bash_app
def hello(stdout=parsl.AUTO_LOGNAME):
    return "echo hello"


def std_path(task_record, kind):
    # Where stdout/stderr=parsl.AUTO_LOGNAME goes, instead of <run_dir>/task_logs/...
    return f"logs/task-{task_record.id}-{task_record.func_name}.{kind}"


config = Config(
    executors=[
        ThreadPoolExecutor(label="small", max_threads=1),
        ThreadPoolExecutor(label="big", max_threads=8),
    ],
    run_dir="my_runs",
    std_autopath=std_path,
    exit_mode="wait",  # leaving the with-block waits for every task
    retries=1,
)

with parsl.load(config) as dfk:
    print("ran on:", where().result())
    print("run directory:", os.path.relpath(dfk.run_dir))
    print("log file exists:", os.path.exists(os.path.join(dfk.run_dir, "parsl.log")))
    fut = hello()

# exit_mode="wait": the task finished before the with-block was left.
print(f"finished: {fut.done()}, stdout went to {fut.stdout}")

for bad in ({"retries": -1}, {"executors": [ThreadPoolExecutor(), ThreadPoolExecutor()]}):
    try:
        Config(**bad)
    except ConfigurationError as e:
        print("ConfigurationError field:", e.field)
