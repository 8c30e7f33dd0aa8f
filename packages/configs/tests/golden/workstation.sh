#!/bin/bash
# LocalProvider: run directly, no batch script

export CORES=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null || echo 1)
parsl_launch_copy() {
<python> -m parsl.executors.high_throughput.worker_pool --address '<submit-host-address>' --port 54000 --block-id 0 --max-workers-per-node inf --cores-per-worker 1.0 --mem-per-worker 0 --prefetch-capacity 0 --heartbeat-period 30.0 --heartbeat-threshold 120.0 --poll-period 10 --logdir runinfo/workstation --cpu-affinity none
}
echo "SingleNodeLauncher: starting 1 copies on $HOSTNAME, CORES=$CORES"
PARSL_PIDS=()
trap 'kill -TERM "${PARSL_PIDS[@]}" 2>/dev/null; wait; exit 143' TERM INT
for (( PARSL_RANK = 0; PARSL_RANK < 1; PARSL_RANK++ )); do
    ( export PARSL_WORKER_RANK=$PARSL_RANK; parsl_launch_copy ) &
    PARSL_PIDS+=($!)
done
PARSL_FAILED=0
for PARSL_PID in "${PARSL_PIDS[@]}"; do
    wait "$PARSL_PID" || PARSL_FAILED=$(( PARSL_FAILED + 1 ))
done
echo "SingleNodeLauncher: $PARSL_FAILED of 1 copies failed"
if [ "$PARSL_FAILED" -ge 1 ]; then
    exit 1
fi

