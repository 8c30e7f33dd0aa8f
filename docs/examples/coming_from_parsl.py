# expect: local_threads: 42
# expect: htex with a Parsl launch_cmd: [0, 1, 4, 9]
# expect: placeholder raises OptionalModuleMissing
import os
import sys

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.errors import OptionalModuleMissing
from parsl.executors import FluxExecutor, HighThroughputExecutor
from parsl.providers import LocalProvider


@python_app
def square(x):
    return x * x


# 1. Parsl's ready-made configurations import as they do in Parsl's tutorials.
from parsl.configs.local_threads import config  # noqa: E402

with parsl.load(config):
    print("local_threads:", square(6).result() + 6)

# 2. A launch_cmd copied from a Parsl configuration (a numactl or container
#    prefix, Parsl's placeholders, --block_id={{block_id}}) starts our workers
#    through the process_worker_pool.py console script.
launch_cmd = (
    "nice -n 0 process_worker_pool.py {debug} {max_workers_per_node} -a {addresses}"
    " -p {prefetch_capacity} -c {cores_per_worker} -m {mem_per_worker} --poll {poll_period}"
    " --port={worker_port} --cert_dir {cert_dir} --logdir={logdir} --block_id={{block_id}}"
    " --hb_period={heartbeat_period} {address_probe_timeout_string}"
    " --hb_threshold={heartbeat_threshold} --drain_period={drain_period}"
    " --cpu-affinity {cpu_affinity} {enable_mpi_mode} --mpi-launcher={mpi_launcher}"
    " --available-accelerators {accelerators}"
)
htex = HighThroughputExecutor(
    label="htex_parsl_style",
    max_workers_per_node=2,
    launch_cmd=launch_cmd,
    # Where process_worker_pool.py is, as `source activate my-env` would do it.
    provider=LocalProvider(worker_init=f"export PATH={os.path.dirname(sys.executable)}:$PATH"),
)
with parsl.load(Config(executors=[htex])):
    print("htex with a Parsl launch_cmd:", [f.result() for f in map(square, range(4))])

# 3. Executors whose systems are not installed still import; using one says what to install.
try:
    FluxExecutor()
except OptionalModuleMissing:
    print("placeholder raises OptionalModuleMissing")
