"""Parsl's buffer framing: pack_buffers, unpack_buffers, unpack_and_deserialize."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.serialize.errors import DeserializationError
from parsl.serialize.facade import (
    pack_apply_message,
    pack_buffers,
    serialize,
    unpack_and_deserialize,
    unpack_apply_message,
    unpack_buffers,
)


def scale(x: int, *, by: int = 2) -> int:
    return x * by


def test_buffers_round_trip_whatever_they_hold() -> None:
    buffers = [b"", b"\n", b"12\n34", bytes(range(256)) * 10, b"x"]
    packed = pack_buffers(buffers)
    assert unpack_buffers(packed) == buffers
    assert unpack_buffers(pack_buffers([])) == []
    assert unpack_buffers(pack_buffers([bytearray(b"ab"), memoryview(b"cd")])) == [b"ab", b"cd"]


def test_a_call_packed_as_three_buffers_is_read_by_both_unpackers() -> None:
    packed = pack_buffers([serialize(scale), serialize((3,)), serialize({"by": 5})])
    func, args, kwargs = unpack_and_deserialize(packed)
    assert func(*args, **kwargs) == 15
    func, args, kwargs = unpack_apply_message(packed)
    assert (args, kwargs) == ((3,), {"by": 5})
    assert func(*args, **kwargs) == 15


def test_unpack_and_deserialize_reads_pack_apply_message_too() -> None:
    func, args, kwargs = unpack_and_deserialize(pack_apply_message(scale, (4,), {}))
    assert (func(*args, **kwargs), args, kwargs) == (8, (4,), {})


@pytest.mark.parametrize("count", [2, 4])
def test_a_packed_call_must_have_three_buffers(count: int) -> None:
    packed = pack_buffers([serialize(i) for i in range(count)])
    with pytest.raises(DeserializationError, match=f"3 buffers .*has {count}"):
        unpack_and_deserialize(packed)


@pytest.mark.parametrize(
    "packed",
    [
        pack_buffers([b"abcdef"])[:-1],  # truncated body
        b"\n5\nab",  # length beyond the end
        b"\nx\nab",  # length not a number
        b"\n12",  # no newline after the length
        serialize([1, 2]),  # a serialize() payload, not packed buffers
    ],
)
def test_malformed_buffers_are_a_clear_error(packed: bytes) -> None:
    with pytest.raises(DeserializationError):
        unpack_buffers(packed)


@pytest.mark.parametrize("bad", ["text", 3, None, [b"a"]])
def test_wrong_types_are_named(bad: Any) -> None:
    with pytest.raises(TypeError, match="not bytes"):
        pack_buffers([b"ok", bad])
    with pytest.raises(TypeError, match="expected bytes"):
        unpack_buffers(bad)
    with pytest.raises(TypeError, match="expected bytes"):
        unpack_and_deserialize(bad)
