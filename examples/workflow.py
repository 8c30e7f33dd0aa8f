"""A small real workflow: estimate pi with bash and Python apps, in parallel.

Bash apps write batches of random points to files; Python apps count the
points inside the unit circle; a join app fans the batches out and a final
app combines them. Results are cached and checkpointed, so running the
script a second time reuses the first run's work.

While it runs, a progress line shows the tasks done, failed, running and
pending. Everything it did is recorded by monitoring; afterwards the script
prints where to look: the run directory, the monitoring database and the
``parsl-visualize`` commands that show it in a browser or as one HTML file.

Run it with:  bash tools/example
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Future

import parsl
from parsl import File, bash_app, join_app, python_app
from parsl.config import Config
from parsl.executors import ThreadPoolExecutor
from parsl.monitoring import MonitoringHub
from parsl.progress import progress
from parsl.utils import get_all_checkpoints


@bash_app(cache=True)
def sample(seed: int, n: int, outputs: list[File] = []) -> str:  # noqa: B006 - Parsl's idiom
    # awk's rand() seeded per batch: n lines of "x y" in [0, 1)
    return f"awk 'BEGIN {{ srand({seed}); for (i = 0; i < {n}; i++) print rand(), rand() }}' > {outputs[0]}"


@python_app(cache=True)
def count_inside(inputs: list[File] = []) -> tuple[int, int]:  # noqa: B006
    inside = total = 0
    with open(inputs[0]) as f:
        for line in f:
            x, y = map(float, line.split())
            inside += x * x + y * y < 1.0
            total += 1
    return inside, total


@python_app
def combine(inputs: list[tuple[int, int]] = []) -> float:  # noqa: B006
    inside = sum(i for i, _ in inputs)
    total = sum(t for _, t in inputs)
    return 4.0 * inside / total


@join_app
def estimate_pi(batches: int, n: int) -> Future[float]:
    counts = []
    for seed in range(batches):
        points = sample(seed, n, outputs=[File(f"points-{seed}.txt")])
        counts.append(count_inside(inputs=[points.outputs[0]]))
    return combine(inputs=counts)


def main() -> int:
    config = Config(
        executors=[ThreadPoolExecutor(max_threads=4)],
        checkpoint_mode="task_exit",
        checkpoint_files=get_all_checkpoints(),
        monitoring=MonitoringHub(workflow_name="estimate-pi", resource_monitoring_interval=1),
    )
    t0 = time.perf_counter()
    with parsl.load(config) as dfk:
        # Ten independent estimates; the progress line follows them as they finish.
        estimates = [estimate_pi(batches=8, n=20_000 + k) for k in range(10)]
        for _ in progress(estimates, label="estimates"):
            pass
        pi = sum(f.result() for f in estimates) / len(estimates)
        run_dir, run_id = dfk.run_dir, dfk.run_id
    hub = config.monitoring
    assert isinstance(hub, MonitoringHub)
    print(f"pi ~= {pi:.4f} from 10 x 8 batches in {time.perf_counter() - t0:.2f} s")
    print(f"run directory:       {run_dir}")
    print(f"monitoring database: {hub.db_path}")
    print(
        f"look at it:          parsl-visualize sqlite:///{hub.db_path}   (then open http://127.0.0.1:8080)"
    )
    print(
        f"or as one HTML file: parsl-visualize report {run_id} -o pi.html sqlite:///{hub.db_path}"
    )
    return 0 if abs(pi - 3.1416) < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
