# expect: payload starts with: b'J\n{"'
# expect: round trip: {'a': [1, 2]} True
# expect: dill still reads its own payloads: True
# expect: SerializationError: Failed to serialize the print function
"""An out-of-tree serializer: JSON, for payloads that other languages can read."""

import json

from parsl.serialize import (
    SerializationError,
    SerializerBase,
    deserialize,
    register_serializer,
    serialize,
    unregister_serializer,
)


class JSONSerializer(SerializerBase):
    """Serializes JSON-compatible data only (no functions, no custom classes)."""

    identifier = b"J"  # written in front of every payload; must be unique

    def serialize(self, data):
        return json.dumps(data, sort_keys=True).encode()

    def deserialize(self, payload):
        return json.loads(payload)


dill_payload = serialize({"made": "by dill"})  # written by the default serializer

json_serializer = JSONSerializer()
register_serializer(json_serializer, default=True)  # now every serialize() writes JSON
try:
    payload = serialize({"a": [1, 2]})
    print("payload starts with:", payload[:4])
    print("round trip:", deserialize(payload), deserialize(payload) == {"a": [1, 2]})
    print("dill still reads its own payloads:", deserialize(dill_payload) == {"made": "by dill"})
    try:
        serialize(print, name="the print function")  # JSON cannot hold a function
    except SerializationError as e:
        print("SerializationError:", str(e).split(":")[0])
finally:
    unregister_serializer(json_serializer)  # dill writes again
