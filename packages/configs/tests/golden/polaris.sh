#!/bin/bash
# A Parsl block, rendered by PBSProProvider.
#PBS -N parsl.polaris.block-0
#PBS -o runinfo/submit_scripts/parsl.polaris.block-0.stdout
#PBS -e runinfo/submit_scripts/parsl.polaris.block-0.stderr
#PBS -l walltime=00:30:00
#PBS -l select=1:ncpus=32:ngpus=4
#PBS -q debug
#PBS -A proj123
#PBS -l filesystems=home:eagle
#PBS -l place=scatter
source /opt/env/bin/activate
export TMPDIR=/tmp

export JOBNAME=parsl.polaris.block-0

PARSL_HOST_ARGS=()
if [ -n "${PBS_NODEFILE:-}" ] && [ -f "$PBS_NODEFILE" ]; then
    PARSL_HOSTFILE=$(d=runinfo/submit_scripts; [ -d "$d" ] || d="${TMPDIR:-/tmp}"; mktemp "$d/parsl_hostfile.XXXXXX")
    awk '!seen[$0]++' "$PBS_NODEFILE" | head -n 1 \
        | awk '{ for (i = 0; i < 1; i++) print }' > "$PARSL_HOSTFILE"
    PARSL_HOST_ARGS=(-hostfile "$PARSL_HOSTFILE")
fi
echo "MpiExecLauncher: starting 1 copies, 1 per node"
mpiexec -n 1 --cpu-bind none "${PARSL_HOST_ARGS[@]}" --depth=64 --ppn 1 /bin/bash -c 'export PARSL_WORKER_RANK=${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}}
export CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
<python> -m parsl.executors.high_throughput.worker_pool --address '"'"'<submit-host-address>'"'"' --port 54000 --block-id 0 --max-workers-per-node inf --cores-per-worker 1.0 --mem-per-worker 0 --prefetch-capacity 0 --heartbeat-period 30.0 --heartbeat-threshold 120.0 --poll-period 10 --logdir runinfo/polaris --cpu-affinity list:24,25,26,27,28,29,30,31,56,57,58,59,60,61,62,63:16,17,18,19,20,21,22,23,48,49,50,51,52,53,54,55:8,9,10,11,12,13,14,15,40,41,42,43,44,45,46,47:0,1,2,3,4,5,6,7,32,33,34,35,36,37,38,39  --available-accelerators 0,1,2,3'

