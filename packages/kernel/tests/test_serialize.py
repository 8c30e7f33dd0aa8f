"""Serialization: dill by default, plugin serializers, errors that name the culprit."""

from __future__ import annotations

from typing import Any

import pytest

from parsl.serialize import (
    DeserializationError,
    SerializationError,
    SerializerBase,
    deserialize,
    pack_apply_message,
    register_serializer,
    serialize,
    unpack_apply_message,
    unregister_serializer,
)


def test_round_trip_values_and_closures() -> None:
    k = 10
    fn = lambda x: x + k  # noqa: E731
    for value in (1, "s", [1, {"a": (2, 3)}], None, b"bytes"):
        assert deserialize(serialize(value)) == value
    assert deserialize(serialize(fn))(1) == 11


def test_pack_apply_round_trip() -> None:
    def f(a: int, b: int = 0) -> int:
        return a - b

    func, args, kwargs = unpack_apply_message(pack_apply_message(f, (5,), {"b": 2}))
    assert func(*args, **kwargs) == 3


def test_unserializable_argument_is_named() -> None:
    def f(*a: Any, **k: Any) -> None:
        return None

    gen = (x for x in [1])  # generators cannot be serialized, even by dill
    with pytest.raises(SerializationError, match="positional argument 1 of f"):
        pack_apply_message(f, (1, gen), {})
    with pytest.raises(SerializationError, match="keyword argument 'g' of f"):
        pack_apply_message(f, (), {"g": gen})


def test_deserialize_garbage() -> None:
    with pytest.raises(DeserializationError, match="no serializer header"):
        deserialize(b"nothing")
    with pytest.raises(DeserializationError, match="no serializer registered for identifier b.ZZ."):
        deserialize(b"ZZ\nabc")
    with pytest.raises(DeserializationError, match="UnpicklingError|Error"):
        deserialize(b"D\nnot a pickle")


class Reversing(SerializerBase):
    identifier = b"REV"

    def serialize(self, data: Any) -> bytes:
        if not isinstance(data, str):
            raise TypeError("strings only")
        return data[::-1].encode()

    def deserialize(self, body: bytes) -> Any:
        return body.decode()[::-1]


def test_plugin_serializer() -> None:
    plugin = Reversing()
    register_serializer(plugin, default=True)
    try:
        payload = serialize("hello")
        assert payload == b"REV\nolleh"
        assert deserialize(payload) == "hello"
        with pytest.raises(SerializationError, match="strings only"):
            serialize(3, name="the answer")
    finally:
        unregister_serializer(plugin)
    assert serialize("x").startswith(b"D\n")
    with pytest.raises(DeserializationError):
        deserialize(b"REV\nolleh")


def test_register_validates() -> None:
    with pytest.raises(TypeError):
        register_serializer(object())  # type: ignore[arg-type]

    class NoId(Reversing):
        identifier = b""

    with pytest.raises(ValueError, match="identifier"):
        register_serializer(NoId())


def test_pickle_serializer_payloads_are_readable() -> None:
    import pickle

    assert deserialize(b"P\n" + pickle.dumps([1, 2])) == [1, 2]


def test_execute_task_runs_a_packed_call() -> None:
    from parsl.executors.execute_task import execute_task

    def addemup(*args: int, name: str = "apples") -> str:
        return f"{sum(args)} {name}"

    assert execute_task(pack_apply_message(addemup, (1, 2, 3), {"name": "boots"})) == "6 boots"
    assert execute_task(bytearray(pack_apply_message(addemup, (4,), {}))) == "4 apples"


def test_execute_task_raises_the_call_s_exception_and_rejects_non_bytes() -> None:
    from parsl.executors.execute_task import execute_task

    def boom(x: int) -> int:
        raise ValueError(f"bad {x}")

    with pytest.raises(ValueError, match="bad 7"):
        execute_task(pack_apply_message(boom, (7,), {}))
    with pytest.raises(TypeError, match="bytes of pack_apply_message, not str"):
        execute_task("not bytes")  # type: ignore[arg-type]
