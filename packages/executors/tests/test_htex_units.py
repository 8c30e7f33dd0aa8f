"""Pure parts of the HighThroughputExecutor's process layer, tested without processes."""

from __future__ import annotations

import functools
import math
import os
import shlex
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsl.errors import ConfigurationError
from parsl.executors import HighThroughputExecutor
from parsl.executors.high_throughput.call_packing import CallPacker
from parsl.executors.high_throughput.errors import MalformedMessage
from parsl.executors.high_throughput.frame_pipe import (
    FrameReader,
    FrameWriter,
    read_frame,
    write_frame,
)
from parsl.executors.high_throughput.options import DEFAULT_LAUNCH_CMD, render_launch_cmd
from parsl.executors.high_throughput.scale_in import pick_blocks_to_remove
from parsl.executors.high_throughput.worker_pool import build_parser, cpu_sets, worker_count
from parsl.serialize import unpack_apply_message
from parsl.serialize.errors import SerializationError

# ----------------------------------------------------------------- sizing


def test_worker_count_takes_the_tightest_limit() -> None:
    assert worker_count(math.inf, 1.0, None, [], 8, 64.0) == 8
    assert worker_count(3, 1.0, None, [], 8, 64.0) == 3
    assert worker_count(math.inf, 2.0, None, [], 8, 64.0) == 4
    assert worker_count(math.inf, 1.0, 10.0, [], 8, 64.0) == 6
    assert worker_count(math.inf, 1.0, None, ["0", "1"], 8, 64.0) == 2
    assert worker_count(math.inf, 4.0, None, [], 2, 64.0) == 1  # never fewer than one
    # An unknown node size (inf) sets no limit; with no limit at all, one worker.
    assert worker_count(5, 1.0, 2.0, [], math.inf, math.inf) == 5
    assert worker_count(math.inf, 1.0, None, [], math.inf, math.inf) == 1


@pytest.mark.parametrize(
    ("policy", "cores", "expected"),
    [
        ("none", 1, []),
        ("block", 1, ["0", "1", "2", "3"]),
        ("block", 2, ["0,1", "2,3", "0,1", "2,3"]),
        ("block-reverse", 1, ["3", "2", "1", "0"]),
        ("alternating", 2, ["0,1", "2,3", "0,1", "2,3"]),
        ("list:5,6:7", 1, ["5,6", "7", "5,6", "7"]),
    ],
)
def test_cpu_sets(policy: str, cores: int, expected: list[str]) -> None:
    assert cpu_sets(policy, 4, cores, [0, 1, 2, 3]) == expected


def test_alternating_interleaves_cpus() -> None:
    assert cpu_sets("alternating", 2, 2, [0, 1, 2, 3]) == ["0,2", "1,3"]


@pytest.mark.parametrize("policy", ["sideways", "list:", "list:a,b"])
def test_bad_cpu_affinity_is_refused(policy: str) -> None:
    with pytest.raises(ValueError, match="cpu_affinity"):
        cpu_sets(policy, 2, 1, [0, 1])


def test_worker_pool_parser_needs_address_and_port() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--address", "127.0.0.1"])
    args = build_parser().parse_args(
        ["--address", "h", "--port", "5", "--max-workers-per-node", "inf"]
    )
    assert args.max_workers_per_node == math.inf


# --------------------------------------------------------------- scale in


def test_scale_in_prefers_pending_then_idle_blocks_newest_first() -> None:
    loads = {"0": 3, "1": 0, "2": 0, "4": 1}
    candidates = ["0", "1", "2", "3", "4"]
    assert pick_blocks_to_remove(loads, candidates, 1, False) == ["3"]
    assert pick_blocks_to_remove(loads, candidates, 3, False) == ["3", "2", "1"]
    assert pick_blocks_to_remove(loads, candidates, 5, False) == ["3", "2", "1"]
    assert pick_blocks_to_remove(loads, candidates, 5, True) == ["3", "2", "1", "4", "0"]
    assert pick_blocks_to_remove(loads, candidates, 0, True) == []


@given(
    st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 5)),
    st.lists(st.sampled_from("abcdefgh"), unique=True),
    st.integers(0, 10),
    st.booleans(),
)
def test_scale_in_never_picks_busy_blocks_unless_forced(
    loads: dict[str, int], candidates: list[str], count: int, force: bool
) -> None:
    chosen = pick_blocks_to_remove(loads, candidates, count, force)
    assert len(chosen) <= count and len(set(chosen)) == len(chosen)
    assert set(chosen) <= set(candidates)
    if not force:
        assert all(loads.get(b, 0) == 0 for b in chosen)
    idle = [b for b in candidates if loads.get(b, 0) == 0]
    assert len(chosen) >= min(count, len(idle))


# -------------------------------------------------------------- pipes


def test_frames_cross_a_pipe_whole_in_both_directions() -> None:
    r, w = os.pipe()
    writer, reader = FrameWriter(w), FrameReader(r)
    frames = [b"", b"x", os.urandom(200_000), b"last"]
    got: list[bytes] = []

    def drain() -> None:
        while len(got) < len(frames):
            got.extend(reader.read_frames())

    t = threading.Thread(target=drain)
    t.start()
    for f in frames:
        writer.send(f)
    while writer.pending:
        writer.flush()
    t.join(timeout=10)
    assert got == frames
    os.close(w)
    assert reader.read_frames() == [] and reader.eof
    os.close(r)


def test_blocking_side_reads_frames_and_eof() -> None:
    r, w = os.pipe()
    write_frame(w, b"hello")
    write_frame(w, b"")
    os.close(w)
    assert read_frame(r) == b"hello"
    assert read_frame(r) == b""
    assert read_frame(r) is None
    os.close(r)


def test_truncated_frame_is_an_error() -> None:
    r, w = os.pipe()
    os.write(w, (10).to_bytes(4, "big") + b"abc")
    os.close(w)
    with pytest.raises(MalformedMessage, match="pipe closed"):
        read_frame(r)
    os.close(r)


def test_writer_to_a_closed_pipe_is_marked_broken() -> None:
    r, w = os.pipe()
    os.close(r)
    writer = FrameWriter(w)
    writer.send(b"lost")
    assert writer.broken and not writer.pending
    os.close(w)


# ------------------------------------------------------------ call packing


def sample(a: Any, b: Any = None, *, c: Any = None) -> Any:
    return (a, b, c)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0,), {}),
        ((1, "two"), {"c": 3.5}),
        (([1, 2], {"k": b"v"}), {"c": None}),
        ((True,), {}),
        (((1, "two", None), ()), {"c": (2.5, b"x")}),
        (((1, (2, 3)), (1, [2])), {}),
    ],
)
def test_packed_calls_unpack_with_the_kernel(args: tuple, kwargs: dict) -> None:
    func, got_args, got_kwargs = unpack_apply_message(CallPacker().pack(sample, args, kwargs))
    assert func(*got_args, **got_kwargs) == sample(*args, **kwargs)


def test_functions_are_serialized_once() -> None:
    packer = CallPacker()
    one = packer.pack(sample, (1,), {})
    assert packer.pack(sample, (1,), {}) == one
    partial_one = packer.pack(functools.partial(sample, 1), (), {})
    assert packer.pack(functools.partial(sample, 1), (), {}) == partial_one
    assert len(packer._functions) == 2
    unhashable = functools.partial(sample, [1])
    func, _, _ = unpack_apply_message(packer.pack(unhashable, (), {}))
    assert func() == ([1], None, None)
    assert len(packer._functions) == 2


def test_unserializable_argument_is_named() -> None:
    with pytest.raises(SerializationError, match="positional argument 0 of sample"):
        CallPacker().pack(sample, ((i for i in range(2)),), {})
    wrapped = functools.partial(sample, 1)  # no __name__: named by its repr
    with pytest.raises(SerializationError, match=r"keyword argument 'c' of functools\.partial\("):
        CallPacker().pack(wrapped, (), {"c": (i for i in range(2))})


def test_scalars_and_flat_tuples_of_them_use_plain_pickle() -> None:
    """Plain pickle (C) for what it writes as dill would; dill (Python) for everything else."""
    import pickle

    from parsl.serialize.dill_serializer import DillSerializer, PickleSerializer

    values = [7, "s", None, (4, 1), (1, "two", 2.5, b"x", None, True), (), (1, (2,)), (1, [2]), [1]]
    packed = CallPacker().pack(sample, tuple(values), {})
    plain = PickleSerializer.identifier + b"\n"
    envelope = pickle.loads(packed[len(plain) :])
    kinds = [part.startswith(plain) for part in envelope[2:]]
    assert kinds == [True, True, True, True, True, True, False, False, False]
    assert all(p.startswith(DillSerializer.identifier) for p in envelope[8:])


# ------------------------------------------------------------ options


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"label": ""}, "label"),
        ({"provider": "local"}, "provider"),
        ({"address": "two words"}, "address"),
        ({"loopback_address": "localhost"}, "loopback_address"),
        ({"worker_port": 70000}, "worker_port"),
        ({"worker_port_range": (5000, 4000)}, "worker_port_range"),
        ({"interchange_port_range": (1, 2, 3)}, "interchange_port_range"),
        ({"cores_per_worker": 0}, "cores_per_worker"),
        ({"mem_per_worker": -1}, "mem_per_worker"),
        ({"max_workers_per_node": 0}, "max_workers_per_node"),
        ({"cpu_affinity": "diagonal"}, "cpu_affinity"),
        ({"available_accelerators": "0,1"}, "available_accelerators"),
        ({"available_accelerators": ["0", "0"]}, "available_accelerators"),
        ({"prefetch_capacity": -1}, "prefetch_capacity"),
        ({"heartbeat_period": 0}, "heartbeat_period"),
        ({"heartbeat_period": 10, "heartbeat_threshold": 5}, "heartbeat_threshold"),
        ({"drain_period": -5}, "drain_period"),
        ({"poll_period": 0.5}, "poll_period"),
        ({"worker_debug": "yes"}, "worker_debug"),
        ({"worker_logdir_root": 3}, "worker_logdir_root"),
        ({"manager_selector": object()}, "manager_selector"),
        ({"encrypted": "yes"}, "encrypted"),
        ({"launch_cmd": "run {nonsense}"}, "launch_cmd"),
        ({"interchange_launch_cmd": "python -m x"}, "interchange_launch_cmd"),
        ({"storage_access": ["not staging"]}, "storage_access"),
        ({"interchange_start_timeout": 0}, "interchange_start_timeout"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_field(
    kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        HighThroughputExecutor(**kwargs)
    assert info.value.field == field
    assert field in str(info.value)


def test_defaults_are_parsl_compatible_and_safe() -> None:
    htex = HighThroughputExecutor()
    assert htex.label == "HighThroughputExecutor"
    assert htex.address == "127.0.0.1" and htex.loopback_address == "127.0.0.1"
    assert htex.max_workers_per_node == math.inf
    assert (htex.prefetch_capacity, htex.heartbeat_period, htex.heartbeat_threshold) == (0, 30, 120)
    assert htex.available_accelerators == []
    assert HighThroughputExecutor(available_accelerators=2).available_accelerators == ["0", "1"]


def test_launch_command_renders_options() -> None:
    cmd = render_launch_cmd(
        DEFAULT_LAUNCH_CMD,
        "7",
        address="10.0.0.1",
        worker_port=5555,
        max_workers_per_node=math.inf,
        cores_per_worker=1.0,
        mem_per_worker=None,
        prefetch_capacity=0,
        heartbeat_period=30.0,
        heartbeat_threshold=120.0,
        poll_period=10,
        logdir="/tmp/a dir",
        cpu_affinity="block",
        drain_period=None,
        accelerators=["0", "1"],
        cert_dir=None,
        debug=True,
    )
    assert "--block-id 7" in cmd and "--port 5555" in cmd
    assert "--logdir '/tmp/a dir'" in cmd
    assert "--available-accelerators 0,1" in cmd and "--debug" in cmd
    assert "--cert-dir" not in cmd and "--drain-period" not in cmd
    assert "--max-workers-per-node inf" in cmd and "--mem-per-worker 0" in cmd
    argv = shlex.split(cmd)
    assert argv[1:3] == ["-m", "parsl.executors.high_throughput.worker_pool"]
    args = build_parser().parse_args(argv[3:])
    assert (args.cpu_affinity, args.port, args.logdir) == ("block", 5555, "/tmp/a dir")
