"""Parsl's serializer registration: ordered lists for code and data, and read-only extras."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from parsl.serialize import (
    SerializerBase,
    additional_methods_for_deserialization,
    deserialize,
    methods_for_code,
    methods_for_data,
    register_method_for_code,
    register_method_for_data,
    serialize,
    unregister_serializer,
)
from parsl.serialize.concretes import DillCallableSerializer, DillSerializer, PickleSerializer
from parsl.serialize.errors import DeserializationError, SerializationError


class ParslStyleJson(SerializerBase):
    """Written as for Parsl: the identifier in ``_identifier``."""

    _identifier = b"js"

    def serialize(self, data: Any) -> bytes:
        import json

        return json.dumps(data).encode()

    def deserialize(self, body: bytes) -> Any:
        import json

        return json.loads(body)


class Tagged(SerializerBase):
    """Serializes callables by name (only those it knows)."""

    identifier = b"tag"

    def __init__(self, known: dict[str, Any]) -> None:
        self.known = known

    def serialize(self, data: Any) -> bytes:
        for name, obj in self.known.items():
            if obj is data:
                return name.encode()
        raise TypeError("unknown callable")

    def deserialize(self, body: bytes) -> Any:
        return self.known[body.decode()]


def first(methods: dict[bytes, SerializerBase]) -> SerializerBase:
    """The serializer tried first."""
    return next(iter(methods.values()))


@pytest.fixture
def restore() -> Iterator[None]:
    code, data = dict(methods_for_code), dict(methods_for_data)
    extra = dict(additional_methods_for_deserialization)
    yield
    for methods, saved in ((methods_for_code, code), (methods_for_data, data)):
        methods.clear()
        methods.update(saved)
    additional_methods_for_deserialization.clear()
    additional_methods_for_deserialization.update(extra)


def test_concretes_module_names() -> None:
    assert isinstance(first(methods_for_data), DillSerializer)
    assert PickleSerializer.identifier in additional_methods_for_deserialization
    assert ParslStyleJson.identifier == b"js" and ParslStyleJson().identifier == b"js"


@pytest.mark.usefixtures("restore")
def test_registered_data_method_is_tried_first_and_falls_back() -> None:
    register_method_for_data(ParslStyleJson())
    assert serialize({"a": [1, 2]}) == b'js\n{"a": [1, 2]}'
    assert deserialize(b'js\n{"a": [1, 2]}') == {"a": [1, 2]}
    payload = serialize({1, 2})  # json cannot: the next method (dill) writes it
    assert payload.startswith(b"D\n") and deserialize(payload) == {1, 2}
    # Callables do not use the data list.
    assert serialize(len).startswith(b"D\n")


@pytest.mark.usefixtures("restore")
def test_registered_code_method_and_unregister() -> None:
    tagged = Tagged({"len": len})
    register_method_for_code(tagged)
    assert first(methods_for_code) is tagged and methods_for_code[b"tag"] is tagged
    assert serialize(len) == b"tag\nlen"
    assert deserialize(b"tag\nlen") is len
    assert serialize(max).startswith(b"D\n")  # unknown to it: dill
    assert serialize([1]).startswith(b"D\n")  # data is not code
    unregister_serializer(tagged)
    assert tagged not in methods_for_code.values()
    with pytest.raises(DeserializationError, match="no serializer registered"):
        deserialize(b"tag\nlen")


@pytest.mark.usefixtures("restore")
def test_every_method_failing_names_each_error() -> None:
    methods_for_data.clear()
    methods_for_data[b"js"] = ParslStyleJson()
    with pytest.raises(SerializationError, match="the thing.*not JSON serializable"):
        serialize({1, 2}, name="the thing")
    dill_payload = DillSerializer.identifier + b"\n" + DillSerializer().serialize({1, 2})
    assert deserialize(dill_payload) == {1, 2}  # dill payloads stay readable
    unregister_serializer(first(methods_for_data))
    assert isinstance(first(methods_for_data), DillSerializer)  # never left empty


@pytest.mark.usefixtures("restore")
def test_extra_deserializers_only_read() -> None:
    additional_methods_for_deserialization[b"js"] = ParslStyleJson()
    assert deserialize(b"js\n[3]") == [3]
    assert serialize([3]).startswith(b"D\n")
    with pytest.raises(ValueError, match="newline"):
        register_method_for_data(type("Bad", (ParslStyleJson,), {"_identifier": b"a\nb"})())
    with pytest.raises(TypeError, match="SerializerBase"):
        register_method_for_code(object())  # type: ignore[arg-type]


class _CountingDill(DillSerializer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Any] = []

    def serialize(self, data: Any) -> bytes:
        self.calls.append(data)
        return super().serialize(data)


class _Counting(DillCallableSerializer, _CountingDill):
    """DillCallableSerializer whose underlying dill calls are counted."""


class _Unhashable:
    __hash__ = None  # type: ignore[assignment]

    def __call__(self) -> int:
        return 7

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unhashable)


@pytest.mark.usefixtures("restore")
def test_dill_callable_serializer_serializes_each_function_once() -> None:
    s = _Counting()

    def f(x: int) -> int:
        return x + 1

    first = s.serialize(f)
    assert s.serialize(f) == first
    assert s.calls == [f]
    odd = _Unhashable()
    s.serialize(odd)  # cannot be a cache key: serialized every time, still works
    s.serialize(odd)
    assert len(s.calls) == 3
    register_method_for_code(DillCallableSerializer())
    payload = serialize(lambda x: x * 3)
    assert payload.startswith(b"C\n")
    assert deserialize(payload)(2) == 6


@pytest.mark.usefixtures("restore")
def test_parsl_dict_recipe_swaps_the_data_serializers() -> None:
    # Parsl's dicts by identifier: the recipe ProxyStore's users follow to write data with
    # one serializer only, keeping the previous ones to read what they wrote.
    assert methods_for_code[DillSerializer.identifier].identifier == DillSerializer.identifier
    previous = methods_for_data.copy()
    additional_methods_for_deserialization.update(previous)
    methods_for_data.clear()
    register_method_for_data(ParslStyleJson())
    assert list(methods_for_data) == [b"js"]
    assert serialize({"a": 1}) == b'js\n{"a": 1}'
    with pytest.raises(SerializationError):  # no fallback once the others are cleared
        serialize({1, 2})
    dill_payload = DillSerializer.identifier + b"\n" + DillSerializer().serialize({1, 2})
    assert deserialize(dill_payload) == {1, 2}
    methods_for_data.clear()
    methods_for_data.update(previous)
    assert serialize({1, 2}).startswith(DillSerializer.identifier + b"\n")
