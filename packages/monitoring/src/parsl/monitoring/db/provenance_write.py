"""Writing a batch's file provenance and notes (see :mod:`parsl.monitoring.db.provenance`)."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect

from parsl.monitoring.db import tables
from parsl.monitoring.db.provenance import ENVIRONMENT, FILE, INPUT, MISC, OUTPUT, ProvenanceRows
from parsl.monitoring.db.upsert import Prepared, insert_ignoring_duplicates, upsert_file


class ProvenanceStatements:
    """The prepared statements for one database; :meth:`write` runs those a batch needs."""

    def __init__(self, dialect: Dialect) -> None:
        d = dialect.name
        self.written = Prepared(upsert_file(d), dialect, FILE.columns, ordered=False)
        self.read = Prepared(
            insert_ignoring_duplicates(d, tables.file), dialect, FILE.columns, ordered=True
        )
        self.inputs = Prepared(
            insert_ignoring_duplicates(d, tables.input_file), dialect, INPUT.columns, ordered=True
        )
        self.outputs = Prepared(
            insert_ignoring_duplicates(d, tables.output_file), dialect, OUTPUT.columns, ordered=True
        )
        self.environments = Prepared(
            insert_ignoring_duplicates(d, tables.environment),
            dialect,
            ENVIRONMENT.columns,
            ordered=True,
        )
        self.notes = Prepared(tables.misc_info.insert(), dialect, MISC.columns, ordered=True)

    def write(self, conn: Connection, rows: ProvenanceRows) -> None:
        for stmt, table_rows in (
            (self.environments, rows.environments),
            (self.written, list(rows.written.values())),
            (self.read, list(rows.read.values())),
            (self.inputs, rows.inputs),
            (self.outputs, rows.outputs),
            (self.notes, rows.notes),
        ):
            if table_rows:
                stmt.run(conn, table_rows)
