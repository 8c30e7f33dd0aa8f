#!/bin/bash
# A Parsl block, rendered by SlurmProvider.
#SBATCH --job-name=parsl.frontier.block-0
#SBATCH --output=runinfo/submit_scripts/parsl.frontier.block-0.stdout
#SBATCH --error=runinfo/submit_scripts/parsl.frontier.block-0.stderr
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=1
#SBATCH --time=00:10:00
#SBATCH --partition=batch
#SBATCH --account=proj123
#SBATCH --exclusive

source /opt/env/bin/activate

export JOBNAME=parsl.frontier.block-0

export CORES=${SLURM_CPUS_ON_NODE:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)}
export NODES=${SLURM_JOB_NUM_NODES:-1}
echo "SrunLauncher: starting 1 copies, 1 on each of $NODES nodes"
srun --nodes=1 --ntasks=1 --ntasks-per-node=1 -l /bin/bash -c 'export PARSL_WORKER_RANK=${SLURM_PROCID:-0}
export CORES=${SLURM_CPUS_ON_NODE:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)}
<python> -m parsl.executors.high_throughput.worker_pool --address '"'"'<submit-host-address>'"'"' --port 54000 --block-id 0 --max-workers-per-node inf --cores-per-worker 1.0 --mem-per-worker 0 --prefetch-capacity 0 --heartbeat-period 30.0 --heartbeat-threshold 120.0 --poll-period 10 --logdir runinfo/frontier --cpu-affinity list:49,50,51,52,53,54,55:57,58,59,60,61,62,63:17,18,19,20,21,22,23:25,26,27,28,29,30,31:1,2,3,4,5,6,7:9,10,11,12,13,14,15:33,34,35,36,37,38,39:41,42,43,44,45,46,47  --available-accelerators 0,1,2,3,4,5,6,7'

