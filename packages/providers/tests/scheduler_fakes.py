"""Stand-ins for PBS Pro, Torque, LSF, Grid Engine and HTCondor commands, over the fake batch system.

Each flavour gets a directory of its own holding one Python script (the
dispatcher) and, linked to it, the scheduler's command names (``qsub``,
``qstat``, ``bjobs``, ``condor_q``, ...). The dispatcher reads the output
paths from the block's script (or HTCondor description), starts the script
through ``fake-submit`` (a real background session, see cluster_fakes.py),
and answers in the scheduler's documented output format: the formats kept
under tests/data/<scheduler>. Put the directory first on PATH.
"""

from __future__ import annotations

import sys
from pathlib import Path

from cluster_fakes import FakeBatchSystem

COMMANDS = {
    "pbspro": ["qsub", "qstat", "qdel"],
    "torque": ["qsub", "qstat", "qdel"],
    "lsf": ["bsub", "bjobs", "bkill"],
    "gridengine": ["qsub", "qstat", "qacct", "qdel"],
    "condor": ["condor_submit", "condor_q", "condor_history", "condor_rm"],
}

DISPATCHER = r"""#!@PYTHON@
import json, os, re, subprocess, sys, tempfile
from pathlib import Path

FLAVOUR, BIN, STATE, WRAPPERS = @FLAVOUR@, @BIN@, @STATE@, @WRAPPERS@
COMMAND = os.path.basename(sys.argv[0])
ARGS = sys.argv[1:]


def fake(name, *args):
    return subprocess.run([os.path.join(BIN, name), *args], capture_output=True, text=True)


def states(ids):
    found = {}
    for line in fake("fake-status", *ids).stdout.splitlines():
        fields = line.split()
        found[fields[0]] = (fields[1], int(fields[2]) if len(fields) > 2 else None)
    return found


def submit(script, out, err):
    fd, wrapper = tempfile.mkstemp(dir=WRAPPERS)
    with os.fdopen(fd, "w") as f:
        f.write(f"#FAKE --output={out}\n#FAKE --error={err}\nexec bash '{script}'\n")
    p = fake("fake-submit", wrapper)
    if p.returncode:
        sys.stderr.write(p.stderr)
        sys.exit(p.returncode)
    return p.stdout.split()[-1]


def directive(text, pattern):
    match = re.search(pattern, text, re.M)
    return match.group(1).strip() if match else "/dev/null"


def cancel(ids):
    p = fake("fake-cancel", *ids)
    return set(re.findall(r"job (\S+) is not active", p.stderr))


def number(job_id):
    return job_id.split(".")[0]


def pbs():
    server = "fake" + FLAVOUR
    if COMMAND == "qsub":
        text = Path(ARGS[-1]).read_text()
        job = submit(ARGS[-1], directive(text, r"^#PBS -o (.+)$"), directive(text, r"^#PBS -e (.+)$"))
        print(f"{job}.{server}")
        return 0
    ids = [a for a in ARGS if not a.startswith("-") and a != "json"]
    if COMMAND == "qdel":
        refused = cancel([number(i) for i in ids])
        for i in ids:
            if number(i) in refused:
                words = "Job has finished" if FLAVOUR == "pbspro" else "Invalid state for job - COMPLETE"
                print(f"qdel: {words} {i}", file=sys.stderr)
        return 35 if refused else 0
    found = states([number(i) for i in ids])
    jobs, unknown = {}, []
    for i in ids:
        if number(i) not in found:
            unknown.append(i)
            continue
        word, rc = found[number(i)]
        exit_status = {"DONE": 0, "FAILED": rc, "CANCELLED": 271, "LOST": -3}.get(word)
        done = "F" if FLAVOUR == "pbspro" else "C"
        attributes = {"job_state": "R" if word == "RUNNING" else done}
        if exit_status is not None:
            attributes["Exit_status" if FLAVOUR == "pbspro" else "exit_status"] = exit_status
        jobs[i] = attributes
    for i in unknown:
        error = "Unknown Job Id" if FLAVOUR == "pbspro" else "Unknown Job Id Error"
        print(f"qstat: {error} {i}", file=sys.stderr)
    if FLAVOUR == "pbspro" and jobs:
        print(json.dumps({"pbs_server": server, "Jobs": jobs}, indent=4))
    elif jobs:
        for i, attributes in jobs.items():
            print(f"Job Id: {i}")
            for key, value in attributes.items():
                print(f"    {key} = {value}")
    return 153 if unknown else 0


def lsf():
    if COMMAND == "bsub":
        if ARGS:
            path = ARGS[-1]
        else:
            fd, path = tempfile.mkstemp(dir=WRAPPERS, suffix=".stdin")
            with os.fdopen(fd, "w") as f:
                f.write(sys.stdin.read())
        text = Path(path).read_text()
        job = submit(path, directive(text, r"^#BSUB -o (.+)$"), directive(text, r"^#BSUB -e (.+)$"))
        print(f"Job <{job}> is submitted to default queue <normal>.")
        return 0
    ids = [a for a in ARGS if a.isdigit()]
    if COMMAND == "bkill":
        refused = cancel(ids)
        for i in ids:
            if i in refused:
                print(f"Job <{i}>: Job has already finished", file=sys.stderr)
            else:
                print(f"Job <{i}> is being terminated")
        return 255 if refused else 0
    found = states(ids)
    for i in ids:
        if i not in found:
            print(f"Job <{i}> is not found", file=sys.stderr)
            continue
        word, rc = found[i]
        stat, code = {"RUNNING": ("RUN", "-"), "DONE": ("DONE", "-"), "CANCELLED": ("EXIT", "130")}.get(
            word, ("EXIT", str(rc if rc is not None else 1))
        )
        print(f"{i} {stat} {code}")
    return 255 if set(ids) - set(found) else 0


def gridengine():
    if COMMAND == "qsub":
        text = Path(ARGS[-1]).read_text()
        job = submit(ARGS[-1], directive(text, r"^#\$ -o (.+)$"), directive(text, r"^#\$ -e (.+)$"))
        name = directive(text, r"^#\$ -N (.+)$")
        print(f'Your job {job} ("{name}") has been submitted')
        return 0
    if COMMAND == "qdel":
        refused = cancel(ARGS)
        for i in ARGS:
            if i in refused:
                print(f'denied: job "{i}" does not exist')
            else:
                print(f"fake has registered the job {i} for deletion")
        return 1 if refused else 0
    every = sorted(p.name.split(".")[0] for p in Path(STATE).glob("*.job"))
    found = states(every)
    if COMMAND == "qstat":
        running = [i for i in every if found.get(i, ("",))[0] == "RUNNING"]
        if running:
            print("job-ID  prior   name       user         state submit/start at     queue  slots ja-task-ID")
            print("-" * 90)
        for i in running:
            print(f"{i:>7} 0.50000 block      fake         r     11/24/2026 20:38:19 debug.q@fake 1")
        return 0
    job = ARGS[-1]
    word, rc = found.get(job, ("", None))
    if word not in ("DONE", "FAILED", "CANCELLED"):
        print(f"error: job id {job} not found", file=sys.stderr)
        return 1
    failed, exit_status = {"DONE": ("0", 0), "CANCELLED": ("100 : assumedly after job", 137)}.get(
        word, ("0", rc)
    )
    print("=" * 62)
    print(f"jobnumber    {job}\nfailed       {failed}\nexit_status  {exit_status}")
    return 0


def condor():
    if COMMAND == "condor_submit":
        text = Path(ARGS[-1]).read_text()
        script = directive(text, r"^executable = (.+)$")
        job = submit(script, directive(text, r"^output = (.+)$"), directive(text, r"^error = (.+)$"))
        print(f"Submitting job(s).\n1 job(s) submitted to cluster {job}.")
        return 0
    ids = [a for a in ARGS if a.isdigit()]
    if COMMAND == "condor_rm":
        refused = cancel(ids)
        for i in ids:
            if i in refused:
                print(f"Couldn't find/remove all jobs in cluster {i}", file=sys.stderr)
            else:
                print(f"All jobs in cluster {i} have been marked for removal")
        return 1 if refused else 0
    found = states(ids)
    for i in ids:
        word, rc = found.get(i, ("", None))
        if COMMAND == "condor_q" and word == "RUNNING":
            print(f"{i}.0 2 undefined undefined")
        elif COMMAND == "condor_history" and word == "CANCELLED":
            print(f"{i}.0 3 undefined via condor_rm (by user fake)")
        elif COMMAND == "condor_history" and word in ("DONE", "FAILED"):
            print(f"{i}.0 4 {rc if rc is not None else 0} undefined")
    return 0


sys.exit({"pbspro": pbs, "torque": pbs, "lsf": lsf, "gridengine": gridengine, "condor": condor}[FLAVOUR]())
"""


def install_standins(system: FakeBatchSystem, flavour: str) -> Path:
    """Write ``flavour``'s stand-in commands next to the fake system; return their directory."""
    bin_dir = system.bin_dir.parent / f"{flavour}-bin"
    wrappers = system.bin_dir.parent / "wrappers"
    bin_dir.mkdir()
    wrappers.mkdir(exist_ok=True)
    values = {
        "@PYTHON@": sys.executable,
        "@FLAVOUR@": repr(flavour),
        "@BIN@": repr(str(system.bin_dir)),
        "@STATE@": repr(str(system.state_dir)),
        "@WRAPPERS@": repr(str(wrappers)),
    }
    text = DISPATCHER
    for key, value in values.items():
        text = text.replace(key, value)
    dispatcher = bin_dir / f"fake-{flavour}"
    dispatcher.write_text(text)
    dispatcher.chmod(0o755)
    for command in COMMANDS[flavour]:
        (bin_dir / command).symlink_to(dispatcher)
    return bin_dir
