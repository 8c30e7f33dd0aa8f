# expect: task 0 ok: pending -> launched -> exec_done
# expect: task 1 flaky: pending -> launched -> fail_retryable -> pending -> launched -> exec_done
# expect: task 2 broken: pending -> launched -> fail_retryable -> pending -> launched -> failed
# expect: task 3 downstream: pending -> dep_fail
# expect: workflow end: 2 completed, 2 failed
"""An out-of-tree monitoring sink: keeps every task transition in memory, then reports."""

import queue
from collections import defaultdict

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.monitoring.sink import MonitoringSink, TaskTransition


class InMemorySink(MonitoringSink):
    """Queues events on the kernel's threads (cheap, never blocks); reads them at the end."""

    def __init__(self) -> None:
        self.events: queue.SimpleQueue[TaskTransition] = queue.SimpleQueue()
        self.summary = ""

    def task_transition(self, event: TaskTransition) -> None:
        self.events.put(event)

    def workflow_end(self, run_id: str, tasks_completed: int, tasks_failed: int) -> None:
        self.summary = f"{tasks_completed} completed, {tasks_failed} failed"

    def close(self) -> None:
        pass

    def states_by_task(self) -> dict[tuple[int, str], list[str]]:
        states = defaultdict(list)
        while not self.events.empty():
            e = self.events.get()
            states[(e.task_id, e.func_name)].append(e.state.name)
        return states


tries = []


@python_app
def ok():
    return 1


@python_app
def flaky():
    tries.append(1)
    if len(tries) == 1:
        raise OSError("first try fails")
    return 2


@python_app
def broken():
    raise ValueError("always fails")


@python_app
def downstream(x):
    return x


sink = InMemorySink()
with parsl.load(Config(monitoring=sink, retries=1)):
    futures = [ok(), flaky()]
    failing = broken()
    futures += [failing, downstream(failing)]
    for f in futures:
        f.exception()  # wait for each, whether it fails or not

for (task_id, name), states in sorted(sink.states_by_task().items()):
    print(f"task {task_id} {name}: {' -> '.join(states)}")
print("workflow end:", sink.summary)
