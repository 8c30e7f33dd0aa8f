# expect: rendered: timeout --signal=TERM 5 bash -c 'echo hi'
# expect: quick block: COMPLETED ['copy 0', 'copy 1', 'copy 2']
# expect: slow block: FAILED after less than 10 s: True
"""An out-of-tree launcher: bounds how long each copy of the worker command may run."""

import shlex
import time

from parsl.launchers import SingleNodeLauncher
from parsl.launchers.base import Launcher
from parsl.providers import LocalProvider


class TimeLimitLauncher(Launcher):
    """Wraps the command in coreutils ``timeout``, then hands it to another launcher."""

    def __init__(self, seconds: int, inner: Launcher | None = None, debug: bool = False) -> None:
        super().__init__(debug=debug)
        if not isinstance(seconds, int) or seconds < 1:
            raise ValueError(f"seconds={seconds!r}: expected an int >= 1")
        self.seconds = seconds
        self.inner = inner

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int) -> str:
        # A launcher is a pure function: no I/O, just a new command string.
        limited = f"timeout --signal=TERM {self.seconds} bash -c {shlex.quote(command)}"
        if self.inner is None:
            return limited
        return self.inner(limited, tasks_per_node, nodes_per_block)


def run_block(provider: LocalProvider, command: str, copies: int):
    job = provider.submit(command, tasks_per_node=copies)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        (status,) = provider.status([job])
        if status.terminal:
            return status
        time.sleep(0.05)
    provider.cancel([job])
    raise TimeoutError(f"block {job} did not finish")


print("rendered:", TimeLimitLauncher(5)("echo hi", tasks_per_node=1, nodes_per_block=1))

launcher = TimeLimitLauncher(2, inner=SingleNodeLauncher(debug=False))
provider = LocalProvider(launcher=launcher)

quick = run_block(provider, 'echo "copy $PARSL_WORKER_RANK"', copies=3)
print("quick block:", quick.state.name, sorted(quick.stdout.splitlines()))

start = time.monotonic()
slow = run_block(provider, "sleep 30", copies=2)
print(f"slow block: {slow.state.name} after less than 10 s: {time.monotonic() - start < 10}")
