"""The monitoring database's tables: Parsl's names, columns and types, plus a few of our own.

Queries and notebooks written for Parsl's ``monitoring.db`` read these
tables unchanged: every table, column name and column type Parsl has is
here. Columns Parsl does not have are marked "ours" below; readers that
do not know them ignore them.

Times are SQLAlchemy ``DateTime`` (naive, local time, as Parsl stores them);
on SQLite that is ISO text, on PostgreSQL ``timestamp without time zone``.

The schema's version is kept in the ``parsl_schema`` table (ours); a
database of another version is refused with a clear error.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
)

SCHEMA_VERSION = 3
"""Bumped whenever a table or column changes incompatibly (1 was the REAL-timestamp schema;
3 added file provenance: ``task.task_environment`` and the tables below ``resource``)."""

metadata = MetaData()

workflow = Table(
    "workflow",
    metadata,
    Column("run_id", Text, nullable=False, primary_key=True),
    Column("workflow_name", Text, nullable=True),
    Column("workflow_version", Text, nullable=True),
    Column("time_began", DateTime, nullable=False),
    Column("time_completed", DateTime, nullable=True),
    Column("host", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("rundir", Text, nullable=False),
    Column("tasks_failed_count", Integer, nullable=False),
    Column("tasks_completed_count", Integer, nullable=False),
)

status = Table(
    "status",
    metadata,
    Column("task_id", Integer, nullable=False),
    Column("task_status_name", Text, nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("try_id", Integer, nullable=False),
    # Parsl's key columns, ordered so that the key also finds a run's (and a task's) rows in
    # time order; stored as the key's B-tree itself on SQLite (WITHOUT ROWID).
    PrimaryKeyConstraint("run_id", "task_id", "timestamp", "task_status_name"),
    sqlite_with_rowid=False,
)

task = Table(
    "task",
    metadata,
    Column("task_id", Integer, nullable=False),
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("task_depends", Text, nullable=True),
    Column("task_func_name", Text, nullable=False),
    Column("task_memoize", Text, nullable=False),
    Column("task_hashsum", Text, nullable=True),
    Column("task_inputs", Text, nullable=True),
    Column("task_outputs", Text, nullable=True),
    Column("task_stdin", Text, nullable=True),
    Column("task_stdout", Text, nullable=True),
    Column("task_stderr", Text, nullable=True),
    Column("task_time_invoked", DateTime, nullable=True),
    Column("task_time_returned", DateTime, nullable=True),
    Column("task_fail_count", Integer, nullable=False),
    Column("task_fail_cost", Float, nullable=False),
    # the environment_id of the executor that ran it (file provenance only)
    Column("task_environment", Text, nullable=True),
    # ours: the latest state, its executor and the final failure, so lists need no join
    Column("task_status_name", Text, nullable=True),
    Column("task_executor", Text, nullable=True),
    Column("task_fail_reason", Text, nullable=True),
    PrimaryKeyConstraint("run_id", "task_id"),
)

try_ = Table(
    "try",
    metadata,
    Column("try_id", Integer, nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("run_id", Text, nullable=False),
    Column("block_id", Text, nullable=True),
    Column("hostname", Text, nullable=True),
    Column("task_executor", Text, nullable=False),
    Column("task_try_time_launched", DateTime, nullable=True),
    Column("task_try_time_running", DateTime, nullable=True),
    Column("task_try_time_returned", DateTime, nullable=True),
    Column("task_fail_history", Text, nullable=True),
    Column("task_joins", Text, nullable=True),
    # ours: why this try failed ("Type: message"), None if it did not
    Column("task_try_fail_reason", Text, nullable=True),
    PrimaryKeyConstraint("run_id", "task_id", "try_id"),
)

node = Table(
    "node",
    metadata,
    Column("id", Integer, nullable=False, primary_key=True, autoincrement=True),
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("hostname", Text, nullable=False),
    Column("uid", Text, nullable=False),
    Column("block_id", Text, nullable=False),
    Column("cpu_count", Integer, nullable=False),
    Column("total_memory", Float, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("worker_count", Integer, nullable=False),
    Column("python_v", Text, nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("last_heartbeat", DateTime, nullable=False),
)

block = Table(
    "block",
    metadata,
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("executor_label", Text, nullable=False),
    Column("block_id", Text, nullable=False),
    Column("job_id", Text, nullable=True),
    Column("timestamp", DateTime, nullable=False),
    Column("status", Text, nullable=False),
    PrimaryKeyConstraint("run_id", "block_id", "executor_label", "timestamp", "status"),
)

resource = Table(
    "resource",
    metadata,
    Column("try_id", Integer, nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("run_id", Text, ForeignKey("workflow.run_id"), nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("resource_monitoring_interval", Float, nullable=True),
    Column("psutil_process_pid", Integer, nullable=True),
    Column("psutil_process_memory_percent", Float, nullable=True),
    Column("psutil_process_children_count", Float, nullable=True),
    Column("psutil_process_time_user", Float, nullable=True),
    Column("psutil_process_time_system", Float, nullable=True),
    Column("psutil_process_memory_virtual", Float, nullable=True),
    Column("psutil_process_memory_resident", Float, nullable=True),
    Column("psutil_process_disk_read", Float, nullable=True),
    Column("psutil_process_disk_write", Float, nullable=True),
    Column("psutil_process_status", Text, nullable=True),
    Column("psutil_cpu_num", Text, nullable=True),
    Column("psutil_process_num_ctx_switches_voluntary", Float, nullable=True),
    Column("psutil_process_num_ctx_switches_involuntary", Float, nullable=True),
    # ours: CPU percent since the previous sample, thread count, where it ran
    Column("psutil_process_cpu_percent", Float, nullable=True),
    Column("psutil_process_num_threads", Integer, nullable=True),
    Column("hostname", Text, nullable=True),
    PrimaryKeyConstraint("run_id", "task_id", "try_id", "timestamp"),
    sqlite_with_rowid=False,
)

# File provenance (``MonitoringHub(capture_file_provenance=True)``), Parsl's tables. Parsl's
# own code names them both ways (``file`` in its web views, ``files`` in its tests): the
# plural names are views over these (see PROVENANCE_VIEWS).

file = Table(
    "file",
    metadata,
    Column("file_name", Text, nullable=False),
    Column("file_id", Text, nullable=False, primary_key=True),
    Column("run_id", Text, nullable=False),
    # The task and try that wrote it; NULL for a file no task of the run wrote (an input).
    # (Parsl declares these NOT NULL and has no row for such a file.)
    Column("task_id", Integer, nullable=True),
    Column("try_id", Integer, nullable=True),
    Column("timestamp", DateTime, nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("md5sum", Text, nullable=True),
)

environment = Table(
    "environment",
    metadata,
    Column("environment_id", Text, nullable=False, primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("address", Text, nullable=True),
    Column("provider", Text, nullable=True),
    Column("launcher", Text, nullable=True),
    Column("worker_init", Text, nullable=True),
)

input_file = Table(
    "input_file",
    metadata,
    Column("file_id", Text, nullable=False),
    Column("run_id", Text, nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("try_id", Integer, nullable=False),
    # (Parsl keys this by file_id alone, which allows one reader per file; a file read by
    # several tasks or tries has a row for each here.)
    PrimaryKeyConstraint("file_id", "run_id", "task_id", "try_id"),
)

output_file = Table(
    "output_file",
    metadata,
    Column("file_id", Text, nullable=False),
    Column("run_id", Text, nullable=False),
    Column("task_id", Integer, nullable=False),
    Column("try_id", Integer, nullable=False),
    PrimaryKeyConstraint("file_id", "run_id", "task_id", "try_id"),
)

misc_info = Table(
    "misc_info",
    metadata,
    # ours: a key of its own (Parsl keys by run_id and timestamp, so two messages logged
    # within one clock tick would collide)
    Column("id", Integer, nullable=False, primary_key=True, autoincrement=True),
    Column("run_id", Text, nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("info", Text, nullable=False),
)

PROVENANCE_VIEWS = {"files": "file", "input_files": "input_file", "output_files": "output_file"}
"""View name -> the table it shows, created with the tables (the names Parsl's tests query)."""

parsl_schema = Table(
    "parsl_schema",
    metadata,
    Column("version", Integer, nullable=False, primary_key=True),
)

# Indexes the web views and query helpers rely on (aggregate in SQL, page through tasks).
# The primary keys lead with run_id: status by (run, task, time), task by (run, task),
# try by (run, task, try) and resource by (run, task, try, time) need no index of their own.
Index("task_by_run_status", task.c.run_id, task.c.task_status_name)
Index("task_hashsum_idx", task.c.task_hashsum)
Index("try_by_run_time", try_.c.run_id, try_.c.task_try_time_launched)
Index("node_by_run", node.c.run_id, node.c.timestamp)
Index("block_by_run", block.c.run_id, block.c.timestamp)
Index("input_file_by_task", input_file.c.run_id, input_file.c.task_id)
Index("output_file_by_task", output_file.c.run_id, output_file.c.task_id)
Index("file_by_run", file.c.run_id)
Index("file_by_name", file.c.file_name)
Index("misc_info_by_run", misc_info.c.run_id, misc_info.c.timestamp)

TABLES = {t.name: t for t in metadata.sorted_tables}
"""Every table by name."""
