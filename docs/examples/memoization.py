# expect: first run: 9 exec_done
# expect: same call again: 9 memo_done
# expect: label ignored for the cache: memo_done
# expect: manual checkpoint written: True
# expect: checkpoints found: 2, last: 1
# expect: after restart: 9 memo_done, 16 memo_done
import os

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.utils import get_all_checkpoints, get_last_checkpoint

calls = []


@python_app(cache=True, ignore_for_cache=["label"])
def square(x, label=""):
    calls.append(x)
    return x * x


# Run 1: results are remembered, and appended to this run's checkpoint
# after each task (checkpoint_mode="task_exit").
with parsl.load(Config(checkpoint_mode="task_exit")):
    first = square(3)
    print("first run:", first.result(), first.task_status())
    again = square(3)
    print("same call again:", again.result(), again.task_status())
    labelled = square(3, label="only a label changed")
    labelled.result()
    print("label ignored for the cache:", labelled.task_status())

# Run 2: checkpoint only when the program asks for it.
with parsl.load(Config(checkpoint_mode="manual")) as dfk:
    square(4).result()
    directory = dfk.checkpoint()
    print("manual checkpoint written:", directory is not None and os.path.isdir(directory))

# Run 3 (a restart): load the checkpoints of the earlier runs.
checkpoints = get_all_checkpoints("runinfo")
print(f"checkpoints found: {len(checkpoints)}, last: {len(get_last_checkpoint('runinfo'))}")
with parsl.load(Config(checkpoint_files=checkpoints)):
    a, b = square(3), square(4)
    print(f"after restart: {a.result()} {a.task_status()}, {b.result()} {b.task_status()}")

assert calls == [3, 4], calls  # each function body ran once across all three runs
