#!/bin/bash
# A Parsl block, rendered by PBSProProvider.
#PBS -N parsl.aurora.block-0
#PBS -o runinfo/submit_scripts/parsl.aurora.block-0.stdout
#PBS -e runinfo/submit_scripts/parsl.aurora.block-0.stderr
#PBS -l walltime=00:30:00
#PBS -l select=1:ncpus=208
#PBS -q debug
#PBS -A proj123
#PBS -l filesystems=home:flare
#PBS -l place=scatter
source /opt/env/bin/activate
export TMPDIR=/tmp

export JOBNAME=parsl.aurora.block-0

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
<python> -m parsl.executors.high_throughput.worker_pool --address '"'"'<submit-host-address>'"'"' --port 54000 --block-id 0 --max-workers-per-node 12 --cores-per-worker 1.0 --mem-per-worker 0 --prefetch-capacity 0 --heartbeat-period 30.0 --heartbeat-threshold 120.0 --poll-period 10 --logdir runinfo/aurora --cpu-affinity list:1,2,3,4,5,6,7,8,105,106,107,108,109,110,111,112:9,10,11,12,13,14,15,16,113,114,115,116,117,118,119,120:17,18,19,20,21,22,23,24,121,122,123,124,125,126,127,128:25,26,27,28,29,30,31,32,129,130,131,132,133,134,135,136:33,34,35,36,37,38,39,40,137,138,139,140,141,142,143,144:41,42,43,44,45,46,47,48,145,146,147,148,149,150,151,152:53,54,55,56,57,58,59,60,157,158,159,160,161,162,163,164:61,62,63,64,65,66,67,68,165,166,167,168,169,170,171,172:69,70,71,72,73,74,75,76,173,174,175,176,177,178,179,180:77,78,79,80,81,82,83,84,181,182,183,184,185,186,187,188:85,86,87,88,89,90,91,92,189,190,191,192,193,194,195,196:93,94,95,96,97,98,99,100,197,198,199,200,201,202,203,204  --available-accelerators 0.0,0.1,1.0,1.1,2.0,2.1,3.0,3.1,4.0,4.1,5.0,5.1'

