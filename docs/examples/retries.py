# expect: flaky succeeded after 2 failures
# expect: fail_history: ['OSError', 'OSError']
# expect: ValueError ends the task at once: 1 try
# expect: OSError retried up to the budget: 4 tries
import itertools

import parsl
from parsl import python_app
from parsl.config import Config

attempts = itertools.count(1)


@python_app
def flaky():
    # Fails on the first two tries, succeeds on the third.
    n = next(attempts)
    if n <= 2:
        raise OSError(f"transient failure on try {n}")
    return n


tries: dict[str, int] = {}


@python_app
def always_fails(kind):
    tries[kind] = tries.get(kind, 0) + 1
    raise {"value": ValueError, "os": OSError}[kind](kind)


def retry_cost(exception, task_record):
    # The cost of one failure: tasks retry while the sum of costs stays
    # within Config(retries=...). A cost above the budget stops retries at once.
    return 1.0 if isinstance(exception, OSError) else 100.0


with parsl.load(Config(retries=3, retry_handler=retry_cost)):
    fut = flaky()
    print(f"flaky succeeded after {fut.result() - 1} failures")
    # The future keeps its task record, which holds each failed try's exception.
    print("fail_history:", [type(e).__name__ for e in fut.task_record.fail_history])

    for kind in ("value", "os"):
        always_fails(kind).exception()  # waits for the task; returns its exception
    print(f"ValueError ends the task at once: {tries['value']} try")
    print(f"OSError retried up to the budget: {tries['os']} tries")
