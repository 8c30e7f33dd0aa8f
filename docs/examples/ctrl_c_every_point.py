# expect: interrupt points tried: 3 lock kept: never
import contextlib
import threading

from parsl.testing.ctrl_c import InterruptAt, interrupting, lock_is_free

lock = threading.Lock()
totals = {"a": 0}


def add(key: str) -> None:  # the code under test: must never keep `lock`
    with lock:
        totals[key] = totals.get(key, 0) + 1


n = 0
while True:
    n += 1
    trace = InterruptAt(n, {__file__})
    with contextlib.suppress(KeyboardInterrupt), interrupting(trace):
        add("a")
    assert lock_is_free(lock), f"Ctrl-C at point {n} kept the lock"
    if not trace.fired:
        break
print("interrupt points tried:", n - 1, "lock kept: never")
