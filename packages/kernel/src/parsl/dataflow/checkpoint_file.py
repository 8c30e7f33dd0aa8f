"""Parsl's checkpoint file, ``<run_dir>/checkpoint/tasks.pkl``: reading and appending records.

The file is Parsl's: a sequence of pickles appended one after another, each
a dict ``{'hash': <task hash>, 'exception': <exception or None>, 'result':
<value>}``, so a checkpoint written by Parsl loads here and ours load in
Parsl. A result the standard pickle cannot handle is written with dill
(readable by Parsl where dill is installed, as it is with Parsl). Each append
is flushed and fsync'd; on load, a record cut short at the end of the file (a
crash in the middle of a write) is ignored, and anything else that does not
unpickle to such a dict raises :class:`~parsl.dataflow.errors.BadCheckpoint`.

Files written by earlier releases of ours (a ``PARSL-CHECKPOINT 1`` header,
then CRC-framed records) are still read.
"""

from __future__ import annotations

import io
import logging
import os
import pickle
import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import dill

from parsl.dataflow.errors import BadCheckpoint

logger = logging.getLogger(__name__)

CHECKPOINT_FILENAME = "tasks.pkl"

_LEGACY_MAGIC = b"PARSL-CHECKPOINT 1\n"
_LEGACY_HEADER = struct.Struct(">III")  # payload length, crc32(payload), crc32(first 8 bytes)


class Failure:
    """A remembered failure: identical calls fail with this very exception."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def encode_record(hashsum: str, result: Any) -> bytes:
    """One Parsl checkpoint record for a successful task (pickle, or dill where pickle cannot)."""
    record = {"hash": hashsum, "exception": None, "result": result}
    try:
        return pickle.dumps(record)
    except Exception:
        return dill.dumps(record)  # type: ignore[no-any-return]


def checkpoint_file(path: str | os.PathLike[str]) -> str:
    """``tasks.pkl`` inside a checkpoint directory (or the file itself)."""
    path = os.fspath(path)
    return path if os.path.isfile(path) else os.path.join(path, CHECKPOINT_FILENAME)


def _torn(error: BaseException) -> bool:
    return isinstance(error, EOFError) or "truncated" in str(error)


def _scan(data: bytes, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(end offset, record)`` for each whole record; stop quietly at a torn tail."""
    if data.startswith(_LEGACY_MAGIC) or (data and _LEGACY_MAGIC.startswith(data)):
        yield from _scan_legacy(data, path)
        return
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        start = stream.tell()
        try:
            record = pickle.load(stream)
        except Exception as e:
            if _torn(e):
                return
            raise BadCheckpoint(
                f"{path}: record at byte {start} is corrupt or cannot be unpickled: "
                f"{type(e).__name__}: {e}"
            ) from e
        if not (isinstance(record, dict) and isinstance(record.get("hash"), str)):
            raise BadCheckpoint(
                f"{path} is not a Parsl checkpoint file: record at byte {start} is not a "
                "{'hash', 'exception', 'result'} dict"
            )
        yield stream.tell(), record


def _scan_legacy(data: bytes, path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    pos = len(_LEGACY_MAGIC)
    while len(data) - pos >= _LEGACY_HEADER.size:
        length, payload_crc, header_crc = _LEGACY_HEADER.unpack_from(data, pos)
        if zlib.crc32(data[pos : pos + 8]) != header_crc:
            raise BadCheckpoint(f"{path}: record header at byte {pos} is corrupt")
        start = pos + _LEGACY_HEADER.size
        if start + length > len(data):
            return
        payload = data[start : start + length]
        if zlib.crc32(payload) != payload_crc:
            raise BadCheckpoint(f"{path}: record at byte {pos} is corrupt (checksum mismatch)")
        try:
            pair = dill.loads(payload)
        except Exception as e:
            raise BadCheckpoint(
                f"{path}: record at byte {pos} cannot be unpickled: {type(e).__name__}: {e}"
            ) from e
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], str)):
            raise BadCheckpoint(f"{path}: record at byte {pos} is not a (hashsum, result) pair")
        pos = start + length
        yield pos, {"hash": pair[0], "exception": None, "result": pair[1]}


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``hash -> result`` records of a checkpoint directory (or its ``tasks.pkl``).

    A record holding an exception (Parsl can write those) maps to a
    :class:`Failure`.
    """
    file = checkpoint_file(path)
    try:
        with open(file, "rb") as f:
            data = f.read()
    except OSError as e:
        raise BadCheckpoint(f"cannot read checkpoint {file}: {e.strerror or e}") from e
    records: dict[str, Any] = {}
    for _, record in _scan(data, file):
        exc = record.get("exception")
        records[record["hash"]] = Failure(exc) if exc is not None else record.get("result")
    return records


def append_records(file: str, records: Sequence[bytes], *, fresh: bool) -> None:
    """Append encoded records durably; on a ``fresh`` file first drop any torn tail.

    A file in our earlier format is first rewritten in Parsl's format.
    """
    if not records and not fresh and os.path.exists(file):
        return  # nothing new, and the file is there already: no need to sync anything
    if fresh:
        os.makedirs(os.path.dirname(file), exist_ok=True)
        if os.path.exists(file):
            with open(file, "rb") as f:
                data = f.read()
            if data.startswith(_LEGACY_MAGIC):  # continue it in Parsl's format
                converted = [
                    encode_record(r["hash"], r["result"]) for _, r in _scan_legacy(data, file)
                ]
                with open(file + ".tmp", "wb") as f:
                    f.write(b"".join(converted))
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(file + ".tmp", file)
                logger.info("converted %s to Parsl's checkpoint format", file)
            else:
                end = max((offset for offset, _ in _scan(data, file)), default=0)
                if end < len(data):
                    logger.warning("dropping a torn record at the end of %s", file)
                    os.truncate(file, end)
    with open(file, "ab") as f:
        f.write(b"".join(records))
        f.flush()
        os.fsync(f.fileno())
    if fresh:
        dir_fd = os.open(os.path.dirname(file), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
