"""File provenance and notes, from messages to rows of ``file``, ``input_file``, ``output_file``,
``environment`` and ``misc_info``.

The kernel (:mod:`parsl.dataflow.provenance`) sends a file's name and, for a
file this host can see, its local path. Here, in the writer process, the
file is read: its size, md5 sum and modification time go into its ``file``
row. A file a task wrote gets its row (re)written when the task completes;
a file only read (an input no task of the run wrote) gets a row the first
time it is read, which a later writer of the file replaces. Files larger
than :data:`MD5_MAX_BYTES`, and those past a batch's :data:`MD5_BATCH_BYTES`,
get a size but no md5 sum, so hashing cannot hold up the database for long.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from parsl.monitoring.db import tables
from parsl.monitoring.db.columns import MessageTable, Row, Stamp, unix_time
from parsl.monitoring.types import MessageType

MD5_MAX_BYTES = 1 << 30
"""Files up to this size (1 GiB) get an md5 sum."""

MD5_BATCH_BYTES = 1 << 30
"""The most bytes one batch of events reads for md5 sums (1 GiB, a second or two); files past
that get a size but no md5 sum, so that hashing never holds up the writer for long (and
``MonitoringHub.close()`` ends within its timeout)."""

MAX_REMEMBERED = 100_000
"""How many input files' facts the writer remembers (so a file read by many tasks is read once)."""

FILE = MessageTable(tables.file)
INPUT = MessageTable(tables.input_file)
OUTPUT = MessageTable(tables.output_file)
ENVIRONMENT = MessageTable(tables.environment)
MISC = MessageTable(tables.misc_info)

Facts = tuple[float | None, int | None, str | None]
"""A file's modification time, size and md5 sum (None for what could not be read)."""

_NO_FACTS: Facts = (None, None, None)


def file_facts(path: Any, limit: int | None = None) -> Facts:
    """Modification time, size and md5 sum of the file at ``path``; Nones for what cannot be read.

    Only a regular file of at most ``limit`` bytes (default :data:`MD5_MAX_BYTES`) is read for
    its md5 sum (never a FIFO or a device, which could block).
    """
    if not isinstance(path, str) or not path:
        return _NO_FACTS
    try:
        st = os.stat(path)
    except OSError:
        return _NO_FACTS
    if not stat.S_ISREG(st.st_mode):
        return (st.st_mtime, None, None)
    if st.st_size > (MD5_MAX_BYTES if limit is None else limit):
        return (st.st_mtime, st.st_size, None)
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return (st.st_mtime, st.st_size, None)
    return (st.st_mtime, st.st_size, digest.hexdigest())


@dataclass
class ProvenanceState:
    """What the writer keeps between batches."""

    environments: dict[tuple[str, str], str] = field(default_factory=dict)
    """(run id, executor label) -> environment_id: fills ``task.task_environment``."""
    input_facts: dict[str, Facts] = field(default_factory=dict)
    """file_id -> facts of files already read as inputs (bounded by MAX_REMEMBERED)."""

    def facts_of_input(self, fid: str, path: Any, limit: int) -> Facts:
        facts = self.input_facts.get(fid)
        if facts is None:
            if len(self.input_facts) >= MAX_REMEMBERED:
                self.input_facts.clear()
            facts = self.input_facts[fid] = file_facts(path, limit)
        return facts


PROVENANCE_KINDS = frozenset(
    {
        MessageType.INPUT_FILE_INFO,
        MessageType.OUTPUT_FILE_INFO,
        MessageType.ENVIRONMENT_INFO,
        MessageType.MISC_INFO,
    }
)


class ProvenanceRows:
    """One batch's provenance rows (see the module's docstring)."""

    def __init__(self, state: ProvenanceState, stamp: Stamp) -> None:
        self.state = state
        self.stamp = stamp
        self.written: dict[str, Row] = {}
        """``file`` rows of files tasks wrote, by file_id (an upsert touches a key once)."""
        self.read: dict[str, Row] = {}
        """``file`` rows of files read, kept only where no row exists yet."""
        self.inputs: list[Row] = []
        self.outputs: list[Row] = []
        self.environments: list[Row] = []
        self.notes: list[Row] = []
        self.hash_budget = MD5_BATCH_BYTES
        """Bytes this batch may still read for md5 sums."""

    def __bool__(self) -> bool:
        return bool(self.inputs or self.outputs or self.environments or self.notes)

    def add(self, kind: MessageType, body: dict[str, Any]) -> None:
        """One provenance message; ValueError/TypeError for a malformed one."""
        stamp = self.stamp
        if kind is MessageType.MISC_INFO:
            self.notes.append(MISC.row(body, stamp))
        elif kind is MessageType.ENVIRONMENT_INFO:
            row = ENVIRONMENT.row(body, stamp)
            self.environments.append(row)
            self.state.environments[(str(body["run_id"]), str(body["label"]))] = str(
                body["environment_id"]
            )
        else:
            self._file(kind, body)

    def _file(self, kind: MessageType, body: dict[str, Any]) -> None:
        output = kind is MessageType.OUTPUT_FILE_INFO
        link = (OUTPUT if output else INPUT).row(body, self.stamp)
        fid = str(body["file_id"])
        path = body.get("file_path")
        limit = min(MD5_MAX_BYTES, self.hash_budget)
        facts = file_facts(path, limit) if output else self.state.facts_of_input(fid, path, limit)
        mtime, size, md5 = facts
        if md5 is not None and size is not None:
            self.hash_budget -= size
        row_body = {
            **body,
            "timestamp": mtime if mtime is not None else unix_time(body["timestamp"]),
            "size": size,
            "md5sum": md5,
        }
        if not output:  # the row of a file no task wrote has no task
            row_body["task_id"] = row_body["try_id"] = None
        row = FILE.row(row_body, self.stamp)
        if output:
            self.outputs.append(link)
            self.written[fid] = row
            self.read.pop(fid, None)
        else:
            self.inputs.append(link)
            if fid not in self.written:
                self.read.setdefault(fid, row)
