"""Run a packed call: Parsl's ``parsl.executors.execute_task.execute_task``.

Code that packs a call with :func:`parsl.serialize.pack_apply_message` (an
executor of its own, a custom worker, ``submit_payload`` users) runs it with
:func:`execute_task`, which is what the workers here do before they serialize
the outcome.
"""

from __future__ import annotations

from typing import Any

from parsl.serialize import unpack_apply_message

__all__ = ["execute_task"]

_BUFFERS = (bytes, bytearray, memoryview)


def execute_task(bufs: bytes) -> Any:
    """Unpack the call in ``bufs`` and run it: its result, or the exception it raises."""
    if not isinstance(bufs, _BUFFERS):
        raise TypeError(
            f"execute_task takes the bytes of pack_apply_message, not {type(bufs).__name__}"
        )
    func, args, kwargs = unpack_apply_message(bytes(bufs))
    return func(*args, **kwargs)
