#!/bin/bash
# A Parsl block, rendered by PBSProProvider.
#PBS -N parsl.crux.block-0
#PBS -o runinfo/submit_scripts/parsl.crux.block-0.stdout
#PBS -e runinfo/submit_scripts/parsl.crux.block-0.stderr
#PBS -l walltime=00:30:00
#PBS -l select=1:ncpus=256:system=crux
#PBS -q debug
#PBS -A proj123
#PBS -l filesystems=home:eagle
#PBS -l place=scatter
source /opt/env/bin/activate
export TMPDIR=/tmp

export JOBNAME=parsl.crux.block-0

PARSL_HOST_ARGS=()
if [ -n "${PBS_NODEFILE:-}" ] && [ -f "$PBS_NODEFILE" ]; then
    PARSL_HOSTFILE=$(d=runinfo/submit_scripts; [ -d "$d" ] || d="${TMPDIR:-/tmp}"; mktemp "$d/parsl_hostfile.XXXXXX")
    awk '!seen[$0]++' "$PBS_NODEFILE" | head -n 1 \
        | awk '{ for (i = 0; i < 1; i++) print }' > "$PARSL_HOSTFILE"
    PARSL_HOST_ARGS=(-hostfile "$PARSL_HOSTFILE")
fi
echo "MpiExecLauncher: starting 1 copies, 1 per node"
mpiexec -n 1 --cpu-bind none "${PARSL_HOST_ARGS[@]}" --ppn 1 /bin/bash -c 'export PARSL_WORKER_RANK=${PMI_RANK:-${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-0}}}
export CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
<python> -m parsl.executors.high_throughput.worker_pool --address '"'"'<submit-host-address>'"'"' --port 54000 --block-id 0 --max-workers-per-node inf --cores-per-worker 1.0 --mem-per-worker 0 --prefetch-capacity 0 --heartbeat-period 30.0 --heartbeat-threshold 120.0 --poll-period 10 --logdir runinfo/crux --cpu-affinity none'

