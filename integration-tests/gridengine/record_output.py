"""Record real Grid Engine output for the parsing tests (packages/providers/tests/data/gridengine).

Starts a one-node cell (integration-tests/gridengine_cluster.py) in a temporary
directory, runs the very commands GridEngineScheduler builds (qsub, qstat,
qacct -j, qdel) on jobs in known states, and writes each command's stdout,
stderr and exit status as ``<case>.stdout``, ``<case>.stderr`` and
``<case>.rc``; ``job_ids.txt`` says which job was which. The cell is stopped
by pid afterwards.

    .venv/bin/python integration-tests/gridengine/record_output.py OUTPUT_DIR
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gridengine_cluster import GridEngineCluster

from parsl.providers.cluster.gridengine import GridEngineScheduler

SCHEDULER = GridEngineScheduler()


def main(out_dir: Path) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ge-record-") as tmp:
        cluster = GridEngineCluster(Path(tmp) / "cell")
        cluster.start()
        try:
            record_all(cluster, Path(tmp), out_dir)
        finally:
            cluster.stop()
    return 0


def record_all(cluster: GridEngineCluster, tmp: Path, out: Path) -> None:
    env = cluster.env()

    def run(case: str | None, argv: list[str]) -> subprocess.CompletedProcess[str]:
        p = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
        if case is not None:
            (out / f"{case}.stdout").write_text(p.stdout)
            (out / f"{case}.stderr").write_text(p.stderr)
            (out / f"{case}.rc").write_text(f"{p.returncode}\n")
        return p

    def script(name: str, body: str, *directives: str) -> str:
        path = tmp / f"{name}.sh"
        lines = [
            "#!/bin/bash",
            f"#$ -N {name}",
            f"#$ -o {tmp}/{name}.out",
            f"#$ -e {tmp}/{name}.err",
        ]
        path.write_text("\n".join([*lines, *directives, body, ""]))
        return str(path)

    def submit(case: str | None, name: str, body: str, *directives: str) -> str:
        p = run(case, SCHEDULER.submit_command(script(name, body, *directives)))
        return SCHEDULER.parse_submit_output(p.returncode, p.stdout, p.stderr)

    def wait_gone(job: str) -> None:
        deadline = time.monotonic() + 60
        while f"\n{job:>7} " in "\n" + run(None, ["qstat"]).stdout:
            assert time.monotonic() < deadline, f"job {job} still in qstat"
            time.sleep(0.2)

    ids = {
        "R": submit("qsub_ok", "running", "sleep 120", "#$ -l h_rt=00:05:00", "#$ -q debug.q"),
        "H": submit(None, "held", "true", "#$ -h"),
        "P": submit(None, "pending", "true", f"#$ -pe smp {cluster.slots + 1}"),
        "F": submit(None, "failing", "exit 3"),
        "C": submit(None, "completing", "true"),
        "T": submit(None, "timeout", "sleep 120", "#$ -l h_rt=00:00:02"),
    }
    run("qsub_bad_queue", SCHEDULER.submit_command(script("badq", "true", "#$ -q nosuch.q")))
    run("qsub_bad_resource", SCHEDULER.submit_command(script("badr", "true", "#$ -l nosuch=1")))
    for job in (ids["F"], ids["C"]):
        wait_gone(job)
    deadline = time.monotonic() + 30
    while " r " not in run(None, ["qstat"]).stdout:
        assert time.monotonic() < deadline, "the running job never ran"
        time.sleep(0.2)
    run("qstat_mixed", SCHEDULER.status_command(list(ids.values())))
    run("qdel_running", SCHEDULER.cancel_command([ids["R"]]))
    run("qdel_pending", SCHEDULER.cancel_command([ids["P"]]))
    run("qdel_unknown", SCHEDULER.cancel_command(["99999"]))
    run("qdel_mixed", SCHEDULER.cancel_command([ids["H"], "99998"]))
    for job in (ids["R"], ids["T"], ids["H"]):
        wait_gone(job)
    time.sleep(2)  # accounting_flush_time is 0, but the record is written after qstat forgets
    run("qstat_empty", SCHEDULER.status_command(list(ids.values())))
    for case, key in (("completed", "C"), ("failed", "F"), ("cancelled", "R"), ("timeout", "T")):
        run(f"qacct_{case}", SCHEDULER.history_command(ids[key]) or [])
    run("qacct_unknown", SCHEDULER.history_command("99999") or [])
    (out / "job_ids.txt").write_text(" ".join(f"{k}={v}" for k, v in ids.items()) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
