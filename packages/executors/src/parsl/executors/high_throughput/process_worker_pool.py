"""``process_worker_pool.py``: our worker pool under Parsl's command name and flags.

A ``launch_cmd`` copied from a Parsl configuration starts
``process_worker_pool.py -a ADDRS -p PREFETCH -c CORES ... --block_id=N``
(possibly behind ``numactl``, ``singularity exec`` and the like). This
console script reads Parsl's flags, translates them to ours
(:func:`translate`) and runs :func:`.worker_pool.main`.

Honoured: ``-d/--debug``, ``-a/--addresses`` (several are probed, the first
reachable wins, within ``--address_probe_timeout`` seconds), ``--port`` (or
``--task_port`` and ``--result_port`` naming the same port: our interchange
uses one), ``-l/--logdir``, ``-u/--uid`` (the manager id), ``-b/--block_id``,
``-c/--cores_per_worker``, ``-m/--mem_per_worker`` (GB; 0 or ``None``: no
limit), ``--max_workers_per_node`` (alias ``--max_workers``),
``-p/--prefetch_capacity``, ``--hb_period``, ``--hb_threshold``,
``--drain_period``, ``--poll`` (ms), ``--cert_dir`` (``None``: no
encryption), ``--cpu-affinity``, ``--available-accelerators``,
``--enable_mpi_mode``, ``--mpi-launcher``.

Accepted and ignored (documented no-op): ``--start-method`` (our workers are
always separate processes, started fresh). A flag we do not know is an
error naming it.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from parsl.executors.high_throughput import worker_pool
from parsl.executors.high_throughput.mpi_resources import MPI_LAUNCHERS

PROG = "process_worker_pool.py"


class TranslationError(ValueError):
    """Parsl-style flags that this worker pool cannot honour."""


def _none_or(text: str | None) -> str | None:
    """Parsl renders an unset value as the word ``None``."""
    if text is None or text.strip() in ("", "None"):
        return None
    return text.strip()


def build_parser() -> argparse.ArgumentParser:
    """Parsl's worker-pool flags (short and long spellings)."""
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    p.add_argument("-d", "--debug", action="store_true")
    p.add_argument("-a", "--addresses", default="")
    p.add_argument("-l", "--logdir", default="process_worker_pool_logs")
    p.add_argument("--logconf", default=None, help="a pickled parsl.logconfigs LogConfig")
    p.add_argument("-u", "--uid", default=None)
    p.add_argument("-b", "--block_id", default=None)
    p.add_argument("-c", "--cores_per_worker", default="1.0")
    p.add_argument("-m", "--mem_per_worker", default="0")
    p.add_argument("-t", "--task_port", default=None)
    p.add_argument("-r", "--result_port", default=None)
    p.add_argument("--port", default=None)
    p.add_argument("--max_workers_per_node", "--max_workers", dest="max_workers", default=None)
    p.add_argument("-p", "--prefetch_capacity", default="0")
    p.add_argument("--hb_period", default="30")
    p.add_argument("--hb_threshold", default="120")
    p.add_argument("--drain_period", default=None)
    p.add_argument("--address_probe_timeout", default=None)
    p.add_argument("--poll", default="10")
    p.add_argument("--cert_dir", default=None)
    p.add_argument("--cpu-affinity", dest="cpu_affinity", default="none")
    p.add_argument("--available-accelerators", dest="accelerators", nargs="*", default=[])
    p.add_argument("--enable_mpi_mode", action="store_true")
    p.add_argument("--mpi-launcher", dest="mpi_launcher", default="mpiexec", choices=MPI_LAUNCHERS)
    p.add_argument(
        "--start-method",
        dest="start_method",
        default="spawn",
        choices=("spawn", "fork", "thread"),
        help="accepted for Parsl compatibility; workers are always fresh processes",
    )
    return p


def _number(flag: str, text: str, kind: type[float] | type[int] = float) -> str:
    try:
        value = kind(text)
    except ValueError:
        raise TranslationError(f"{flag} {text!r}: expected a number") from None
    return str(value)


def _port(args: argparse.Namespace) -> str:
    task, result = _none_or(args.task_port), _none_or(args.result_port)
    port = _none_or(args.port)
    if port is None:
        if task is None and result is None:
            raise TranslationError("no interchange port: give --port (or --task_port)")
        if task is not None and result is not None and task != result:
            raise TranslationError(
                f"--task_port={task} and --result_port={result} differ: this worker pool "
                "talks to the interchange on one port; give --port"
            )
        port = task or result
    return _number("--port", str(port), int)


def translate(argv: Sequence[str]) -> list[str]:
    """Our ``parsl-worker-pool`` arguments for Parsl-style ``argv``; raises TranslationError."""
    args = build_parser().parse_args(list(argv))
    addresses = [a for a in args.addresses.split(",") if a.strip()]
    if not addresses:
        raise TranslationError("no interchange address: give -a/--addresses")
    out = [
        "--address",
        ",".join(a.strip() for a in addresses),
        "--port",
        _port(args),
        "--cores-per-worker",
        _number("-c", args.cores_per_worker),
        "--prefetch-capacity",
        _number("-p", args.prefetch_capacity, int),
        "--heartbeat-period",
        _number("--hb_period", args.hb_period),
        "--heartbeat-threshold",
        _number("--hb_threshold", args.hb_threshold),
        "--poll-period",
        _number("--poll", args.poll, int),
        "--logdir",
        args.logdir,
        "--cpu-affinity",
        args.cpu_affinity,
    ]
    if _none_or(args.block_id) is not None:
        out += ["--block-id", args.block_id]
    if _none_or(args.uid) is not None:
        out += ["--manager-id", args.uid]
    limit = _none_or(args.max_workers)
    if limit is not None and not math.isinf(float(_number("--max_workers_per_node", limit))):
        out += ["--max-workers-per-node", _number("--max_workers_per_node", limit)]
    mem = _none_or(args.mem_per_worker)
    if mem is not None and float(_number("-m", mem)) > 0:
        out += ["--mem-per-worker", _number("-m", mem)]
    drain = _none_or(args.drain_period)
    if drain is not None:
        out += ["--drain-period", _number("--drain_period", drain)]
    probe = _none_or(args.address_probe_timeout)
    if probe is not None:
        out += ["--address-probe-timeout", _number("--address_probe_timeout", probe)]
    cert_dir = _none_or(args.cert_dir)
    if cert_dir is not None:
        out += ["--cert-dir", cert_dir]
    logconf = _none_or(args.logconf)
    if logconf is not None:
        out += ["--log-config", logconf]
    accelerators = [a for chunk in args.accelerators for a in chunk.split(",") if a.strip()]
    if accelerators:
        out += ["--available-accelerators", ",".join(accelerators)]
    if args.debug:
        out.append("--debug")
    if args.enable_mpi_mode:
        out += ["--enable-mpi-mode", "--mpi-launcher", args.mpi_launcher]
    return out


def main(argv: list[str] | None = None) -> int:
    """Translate Parsl's flags and run the worker pool; exit 2 on flags it cannot honour."""
    try:
        ours = translate(sys.argv[1:] if argv is None else argv)
    except TranslationError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    return worker_pool.main(ours)


if __name__ == "__main__":
    sys.exit(main())
