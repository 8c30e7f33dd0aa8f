#!/bin/bash
# A Parsl block, rendered by SlurmProvider.
#SBATCH --job-name=parsl.frontera.block-0
#SBATCH --output=runinfo/submit_scripts/parsl.frontera.block-0.stdout
#SBATCH --error=runinfo/submit_scripts/parsl.frontera.block-0.stderr
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --time=00:10:00
#SBATCH --partition=normal
#SBATCH --account=proj123
#SBATCH --exclusive

source /opt/env/bin/activate

export JOBNAME=parsl.frontera.block-0

export CORES=${SLURM_CPUS_ON_NODE:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)}
export NODES=${SLURM_JOB_NUM_NODES:-2}
echo "SrunLauncher: starting 2 copies, 1 on each of $NODES nodes"
srun --nodes=2 --ntasks=2 --ntasks-per-node=1 -l /bin/bash -c 'export PARSL_WORKER_RANK=${SLURM_PROCID:-0}
export CORES=${SLURM_CPUS_ON_NODE:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)}
<python> -m parsl.executors.high_throughput.worker_pool --address '"'"'<submit-host-address>'"'"' --port 54000 --block-id 0 --max-workers-per-node 56 --cores-per-worker 1.0 --mem-per-worker 0 --prefetch-capacity 0 --heartbeat-period 30.0 --heartbeat-threshold 120.0 --poll-period 10 --logdir runinfo/frontera --cpu-affinity none'

