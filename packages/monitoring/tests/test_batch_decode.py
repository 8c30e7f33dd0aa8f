"""The writer's radio batch decoder gives decode_values' result or error for every input."""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable
from typing import Any

import pytest

from parsl.monitoring.hub import batch_decode
from parsl.monitoring.hub.batch_decode import Decoded, make_decoder, stdlib_loads
from parsl.monitoring.radios.wire import (
    FIELDS,
    RadioMessageError,
    decode_values,
    encode_batch,
    encode_values,
)
from parsl.monitoring.types import MessageType

RUN = "9600c967-e8df-40e5-bd97-2e5a9ac99c0f"
T = 1_796_394_451.6246686


def _loaders() -> list[Any]:
    loaders: list[Any] = [pytest.param(stdlib_loads, id="stdlib")]
    try:
        import orjson
    except ImportError:
        loaders.append(pytest.param(None, id="orjson", marks=pytest.mark.skip("orjson absent")))
    else:
        loaders.append(pytest.param(orjson.loads, id="orjson"))
    return loaders


LOADERS = _loaders()


def worker_batch(task_id: int = 99, **resource: Any) -> bytes:
    """A batch as an htex worker sends it for one task: running, a sample, running_ended."""
    sample = dict.fromkeys(FIELDS[MessageType.RESOURCE_INFO])
    sample.update(run_id=RUN, task_id=task_id, try_id=0, timestamp=T + 1e-5,
                  resource_monitoring_interval=1.0, hostname="vm", psutil_process_pid=9434,
                  psutil_cpu_num=1, psutil_process_status="running",
                  psutil_process_num_threads=2, psutil_process_time_user=0.25,
                  psutil_process_memory_resident=32_772_096,
                  psutil_process_memory_percent=0.1296559296885989)  # fmt: skip
    sample.update(resource)

    def info(name: str, dt: float) -> list[Any]:
        return [RUN, task_id, 0, name, T + dt, "vm", "htex", "0"]

    return encode_values(
        [
            (MessageType.TASK_INFO, info("running", 0.0)),
            (MessageType.RESOURCE_INFO, list(sample.values())),
            (MessageType.TASK_INFO, info("running_ended", 2e-5)),
        ]
    )


def outcome(decode: Callable[[bytes], Decoded], data: bytes) -> Any:
    try:
        return ("ok", decode(data))
    except RadioMessageError as e:
        return ("error", str(e))


def same_as_decode_values(decode: Callable[[bytes], Decoded], data: bytes) -> None:
    expected = outcome(decode_values, data)
    got = outcome(decode, data)
    assert got == expected, data
    if got[0] == "ok":  # equal values of the same types (1 == 1.0 == True)
        for (kind, body), (kind2, body2) in zip(got[1], expected[1], strict=True):
            assert kind is kind2
            assert list(map(type, body)) == list(map(type, body2)), data


def test_the_writer_uses_orjson_exactly_when_it_is_installed() -> None:
    try:
        import orjson  # noqa: F401
    except ImportError:
        assert not batch_decode.FAST_JSON
        assert batch_decode.decode_radio_batch is decode_values
    else:
        assert batch_decode.FAST_JSON
        assert batch_decode.decode_radio_batch is not decode_values


def test_no_fast_parser_is_decode_values_itself() -> None:
    assert make_decoder(None) is decode_values


@pytest.mark.parametrize("loads", LOADERS)
def test_worker_batches_decode_to_the_same_messages(loads: Any) -> None:
    decode = make_decoder(loads)
    for data in (
        worker_batch(),
        worker_batch(task_id=0, psutil_process_disk_read=2**63 - 1),
        worker_batch(psutil_process_memory_virtual=1.5e300, psutil_process_cpu_percent=-0.0),
        worker_batch(hostname="nœud-ü\u2603\U0001f600", psutil_process_status='a"\\\n\t'),
        encode_values([]),
    ):
        same_as_decode_values(decode, data)
        assert decode(data) == decode_values(data)


@pytest.mark.parametrize("loads", LOADERS)
def test_batches_off_the_fast_path_decode_as_decode_values_decodes_them(loads: Any) -> None:
    decode = make_decoder(loads)
    keyed = encode_batch([(MessageType.TASK_INFO, {"run_id": RUN, "task_id": 1, "try_id": 0,
                           "task_status_name": "running", "timestamp": T, "extra": 1})])  # fmt: skip
    workflow = encode_batch([(MessageType.WORKFLOW_INFO, {"run_id": RUN, "x": "y"})])
    v1 = json.dumps({"v": 1, "messages": [["TASK_INFO", {"run_id": RUN, "task_id": 1, "try_id": 0,
                     "task_status_name": "running", "timestamp": T}]]}).encode()  # fmt: skip
    for data in (keyed, workflow, v1):
        same_as_decode_values(decode, data)
        assert outcome(decode, data)[0] == "ok"


EDGE_CASES = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'{"v":2}',
    b'{"v":2,"messages":{}}',
    b'{"v":2,"messages":[],"extra":[[[[[[1]]]]]]}',
    b'{"v":2.0,"messages":[]}',
    b'{"v":true,"messages":[]}',
    b'{"v":3,"messages":[]}',
    b'{"v":1,"messages":[],"v":2}',  # a repeated key: the last one counts
    b'{"v":2,"messages":[],"messages":[["NO_SUCH",[]]]}',
    b'{"v":2,"messages":[["TASK_INFO"]]}',
    b'{"v":2,"messages":[["TASK_INFO",[1,2,3],4]]}',
    b'{"v":2,"messages":[[1,[]]]}',
    b'{"v":2,"messages":[["WORKFLOW_INFO",[1]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",1.5,"h","e"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,null,"running",1.5,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",1.5,null,null,null]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",1.5,["h"],"e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",1.5,{"h":1},"e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",18446744073709551616,0,"running",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",-9223372036854775809,0,"running",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",9223372036854775807,0,"running",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",1e400,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",-1e400,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",NaN,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",Infinity,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["r",-0,0,"running",1.0E+2,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["\\ud800",1,0,"running",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["\\ud83d\\ude00\\u0000",1,0,"r",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["\x01",1,0,"running",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["\xed\xa0\x80",1,0,"running",1,"h","e","0"]]]}',
    b'{"v":2,"messages":[["TASK_INFO",["\xff",1,0,"running",1,"h","e","0"]]]}',
    b'\xef\xbb\xbf{"v":2,"messages":[]}',
    b' \t\r\n{"v":2,"messages":[]} \n',
    b'{"v":2,"messages":[]}x',
    b'{"v":2,"messages":[],}',
    b'{"v":2,"messages":[["TASK_INFO",["r",1,0,"running",1,"h","e","0"],]]}',
    b"{'v':2,'messages':[]}",
    b'{"v":2,"messages":[' + b"[" * 5000 + b"]" * 5000 + b"]}",
    b'{"v":2,"messages":[],"x":' + b"[" * 1010 + b"]" * 1010 + b"}",
]


@pytest.mark.parametrize("loads", LOADERS)
def test_edge_cases_give_decode_values_result_or_error(loads: Any) -> None:
    decode = make_decoder(loads)
    for data in EDGE_CASES:
        same_as_decode_values(decode, data)


@pytest.mark.parametrize("loads", LOADERS)
def test_mutated_batches_give_decode_values_result_or_error(loads: Any) -> None:
    decode = make_decoder(loads)
    rng = random.Random(20261204)
    base = worker_batch()
    alphabet = b'0123456789.-+eE"\\[]{},:nulltruefalseNaN \x00\x7f\xc3\xa9\xed\xff'
    for _ in range(4000):
        data = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            where = rng.randrange(len(data))
            action = rng.random()
            if action < 0.4:
                data[where] = rng.choice(alphabet)
            elif action < 0.7:
                data.insert(where, rng.choice(alphabet))
            elif action < 0.9:
                del data[where]
            else:
                data[where:] = data[where : where + rng.randint(0, 3)]
        same_as_decode_values(decode, bytes(data))


@pytest.mark.parametrize("loads", LOADERS)
def test_numbers_parse_to_the_same_values_and_types(loads: Any) -> None:
    # Every double (random bit patterns, written as Python writes them), integers around the
    # 64-bit edges, and numbers written in other forms than Python writes them.
    decode = make_decoder(loads)
    rng = random.Random(7)
    doubles = [struct.unpack("<d", rng.randbytes(8))[0] for _ in range(3000)]
    doubles = [d for d in doubles if d == d and abs(d) != float("inf")]
    integers = [0, -1, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1]
    integers += [rng.randrange(-(10**20), 10**20) for _ in range(500)]
    texts = [repr(v) for v in doubles + integers]
    texts += ["1E5", "1e-5", "-0.0", "0e0", "123456789012345678.5", "1.00000000000000011102230246251565",
              "2.2250738585072011e-308", "4.9e-324", "1e-400", "0.1e1", "100000000000000000000e-2"]  # fmt: skip
    info = '["TASK_INFO",["r",1,0,"running",1,"h","e","0"]]'
    for text in texts:
        sample = f'["RESOURCE_INFO",["r",1,0,{text},{text},"h"' + ",1" * 15 + "]]"
        data = ('{"v":2,"messages":[' + info + "," + sample + "]}").encode()
        assert outcome(decode_values, data)[0] == "ok", data
        same_as_decode_values(decode, data)
