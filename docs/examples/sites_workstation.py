# expect: [0, 1, 4, 9]
# expect: #SBATCH --partition=debug
import parsl
from parsl.configs import load_config, render_script


@parsl.python_app
def square(x):
    return x * x


# The catalog's "workstation" entry: HighThroughputExecutor on this machine.
with parsl.load(load_config("workstation", max_workers_per_node=2)):
    print([square(i).result() for i in range(4)])

# The batch script one block of a Slurm entry would submit, without submitting it.
script = render_script("generic-slurm", partition="debug", env_setup="module load python")
print(next(line for line in script.splitlines() if "--partition" in line))
