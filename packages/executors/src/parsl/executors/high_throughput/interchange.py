"""The interchange: a process between the executor and the managers, driving TaskDispatch.

It talks to the executor, its parent, over its stdin and stdout pipes
(frames, :mod:`~parsl.executors.high_throughput.frame_pipe`: no socket
anyone else could connect to, and no ZeroMQ I/O thread on either side), and
listens on the worker address for managers: plain TCP frames
(:mod:`.tcp_links`), or CurveZMQ (:mod:`.zmq_links`) when encrypted. Tasks
from the executor are queued in
:class:`~parsl.executors.high_throughput.dispatch.TaskDispatch` and
forwarded, as the frames that arrived, to the managers it picks; results go
back the same way. Run as ``python -m parsl.executors.high_throughput.interchange``:
the settings arrive as one JSON line on stdin, one JSON line on stdout
reports the bound worker port, and frames follow both ways. It exits on a
SHUTDOWN from the executor, at once when the executor's pipe closes, or
within a second when its parent process (the executor) is gone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import time
from collections import defaultdict
from typing import Any

from parsl.executors.high_throughput.dispatch import TaskDispatch
from parsl.executors.high_throughput.errors import ProtocolError, ProtocolVersionMismatch
from parsl.executors.high_throughput.frame_pipe import FrameReader, FrameWriter
from parsl.executors.high_throughput.instructions import (
    DrainedManager,
    FailTask,
    Instruction,
    ManagerRemoved,
    ReclaimTasks,
    RejectManager,
    SendTask,
)
from parsl.executors.high_throughput.interchange_commands import run_command
from parsl.executors.high_throughput.interchange_process import read_settings_line
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings
from parsl.executors.high_throughput.manager_selector import load_selector
from parsl.executors.high_throughput.monitoring_reports import ManagerInfo, node_info_frame
from parsl.executors.high_throughput.protocol import (
    MONITORING_HEAD,
    Accepted,
    Command,
    Drain,
    Heartbeat,
    ManagerRefused,
    Reclaim,
    Reclaimed,
    Register,
    Rejected,
    Reply,
    Result,
    Shutdown,
    Task,
    TaskFailed,
    TaskLost,
    check_compatible,
    decode,
)
from parsl.executors.high_throughput.tcp_links import TcpLinks
from parsl.executors.high_throughput.zmq_links import ZmqLinks
from parsl.logconfigs.base import initialize_from_file

logger = logging.getLogger("parsl.executors.high_throughput.interchange")

PARENT_CHECK_PERIOD_S = 0.5


class Interchange:
    """The interchange's event loop: sockets in, TaskDispatch events, frames out."""

    def __init__(
        self, settings: InterchangeSettings, client_in: int, client_out: int, initial: bytes = b""
    ) -> None:
        """``client_in``/``client_out``: the pipes from and to the executor (``initial``: bytes
        already read from ``client_in``)."""
        self.settings = settings
        self.client_in = FrameReader(client_in, initial)
        self.client_out = FrameWriter(client_out)
        where = (
            settings.worker_address,
            settings.worker_port,
            settings.worker_port_range,
            "interchange port for managers",
        )
        self.links: TcpLinks | ZmqLinks = (
            TcpLinks(*where) if settings.cert_dir is None else ZmqLinks(*where, settings.cert_dir)
        )
        self.worker_port = self.links.port
        selector = None
        if settings.manager_selector is not None:
            selector = load_selector(settings.manager_selector)
        self.dispatch = TaskDispatch(
            settings.heartbeat_threshold, settings.prefer_newest_block, selector
        )
        self.payloads: dict[int, bytes] = {}
        self.managers: dict[str, ManagerInfo] = {}
        self.blocks_seen: set[str] = set()
        self.to_client: list[bytes] = []
        self.to_managers: defaultdict[str, list[bytes]] = defaultdict(list)
        self.stopping: str | None = None

    # ------------------------------------------------------------------ loop

    def run(self) -> None:
        """Serve until told to stop or the parent is gone; then tell every manager to stop."""
        links, polling = self.links, self.links.polling
        poller = polling.new_poller()
        client_in, client_out = self.client_in.fd, self.client_out.fd
        poller.register(client_in, polling.IN)
        links.attach(poller)
        waiting_to_write = False
        period = self.settings.heartbeat_period
        next_tick = next_heartbeat = next_parent_check = time.monotonic()
        timeout_ms = max(1, min(self.settings.poll_period_ms, 1000))
        while self.stopping is None:
            for item, events in poller.poll(timeout_ms):
                if item == client_in:
                    self._from_client(self.client_in.read_frames())
                    if self.client_in.eof:
                        self.stopping = "the executor closed its pipe"
                elif links.owns(item):
                    for parts in links.handle(item, events):
                        self._from_manager(parts)
            if links.closed:
                self._connections_closed()
            now = time.monotonic()
            if now >= next_tick:
                self._execute(self.dispatch.tick(now))
                links.tick(now)
                next_tick = now + min(0.2, self.settings.heartbeat_threshold / 4)
            if now >= next_heartbeat:
                for manager_id in self.managers:
                    self.to_managers[manager_id].append(Heartbeat(manager_id=manager_id).encode())
                next_heartbeat = now + period
            if now >= next_parent_check:
                if os.getppid() != self.settings.parent_pid:
                    self.stopping = "the executor's process is gone"
                next_parent_check = now + PARENT_CHECK_PERIOD_S
            self._flush()
            if self.client_out.pending != waiting_to_write:  # the executor is slow to read
                waiting_to_write = self.client_out.pending
                if waiting_to_write:
                    poller.register(client_out, polling.OUT)
                else:
                    poller.unregister(client_out)
            if self.client_out.broken:
                self.stopping = "the executor closed its pipe"
        logger.info("interchange stopping: %s", self.stopping)
        goodbye = Shutdown(reason=self.stopping).encode()
        for manager_id in self.managers:
            self.to_managers[manager_id].append(goodbye)
            self._node_info(manager_id, active=False)
        self._flush()

    def close(self) -> None:
        """Give the last messages a moment to leave, then close the managers' links and the pipes."""
        self.client_out.flush_within(0.5)
        self.links.flush_within(0.5)
        self.links.close()
        for fd in (self.client_in.fd, self.client_out.fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _flush(self) -> None:
        if self.to_client:
            self.client_out.send_many(self.to_client)
            self.to_client = []
        elif self.client_out.pending:
            self.client_out.flush()
        if self.to_managers:
            batches, self.to_managers = self.to_managers, defaultdict(list)
            for manager_id, frames in batches.items():
                if not self.links.send(manager_id, frames):
                    logger.info("manager %s unreachable", manager_id)
                    self._lost(manager_id)
            if self.links.closed:
                self._connections_closed()

    def _connections_closed(self) -> None:
        closed, self.links.closed = self.links.closed, []
        for manager_id in closed:
            logger.info("manager %s closed its connection", manager_id)
            self._lost(manager_id)

    def _lost(self, manager_id: str) -> None:
        info = self.managers.get(manager_id)
        if info is None:
            return
        # Tasks in unsent frames are still assigned to it; the loss fails them.
        where = f"block {info.block_id!r} on {info.hostname}"
        reason = f"its connection closed ({where})"
        self._execute(self.dispatch.manager_lost(manager_id, reason))

    # ------------------------------------------------------------ executor side

    def _from_client(self, frames: list[bytes]) -> None:
        debug = logger.isEnabledFor(logging.DEBUG)  # worker_debug=True: Parsl's per-task line
        for frame in frames:
            try:
                msg = decode(frame)
            except ProtocolError as e:
                logger.error("bad frame from the executor: %s", e)
                continue
            if isinstance(msg, Task):
                self.payloads[msg.task_id] = frame
                if debug:
                    logger.debug("Put task %s onto pending_task_queue", msg.task_id)
                self._execute(
                    self.dispatch.task_submitted(msg.task_id, msg.priority, msg.resource_spec)
                )
            elif isinstance(msg, Command):
                self._command(msg)
            elif isinstance(msg, Shutdown):
                self.stopping = f"the executor asked: {msg.reason}"
            else:
                logger.error("unexpected %s from the executor", msg.kind)

    def _command(self, cmd: Command) -> None:
        result: dict[str, Any] = {}
        error = None
        try:
            result, instructions = run_command(cmd, self.dispatch, self.managers, self.blocks_seen)
            self._execute(instructions)
        except Exception as e:
            error = f"{type(e).__name__}: {e}"
        # After what the command changed (the failed tasks of cancelled blocks).
        self.to_client.append(Reply(request_id=cmd.request_id, result=result, error=error).encode())

    # ------------------------------------------------------------- manager side

    def _from_manager(self, parts: list[bytes]) -> None:
        manager_id = parts[0].decode(errors="replace")
        now = time.monotonic()
        known = manager_id in self.managers
        if known:
            self.dispatch.heartbeat(manager_id, now)
        for frame in parts[1:]:
            if known and frame.startswith(MONITORING_HEAD):  # passed on without decoding
                self.to_client.append(frame)
                continue
            try:
                msg = decode(frame)
            except ProtocolVersionMismatch as e:
                self._refuse(
                    manager_id,
                    "?",
                    {"protocol version": [str(e.remote_version), str(e.local_version)]},
                    str(e),
                )
                return
            except ProtocolError as e:
                logger.error("bad frame from manager %s: %s", manager_id, e)
                continue
            if isinstance(msg, Result):
                if self.dispatch.manager_of(msg.task_id) == manager_id:
                    self.to_client.append(frame)
                    self._execute(self.dispatch.result_received(manager_id, msg.task_id))
            elif isinstance(msg, Task) and known:  # given back, before the RECLAIMED listing it
                if self.dispatch.manager_of(msg.task_id) == manager_id:
                    self.payloads[msg.task_id] = frame
            elif isinstance(msg, Reclaimed) and known:
                self._execute(self.dispatch.tasks_returned(manager_id, msg.task_ids))
            elif isinstance(msg, Register):
                self._register(manager_id, msg, now)
                known = manager_id in self.managers
            elif not known:
                self._execute(
                    [RejectManager(manager_id, f"{msg.kind} from an unregistered manager")]
                )
                return
            elif isinstance(msg, TaskLost):
                self._execute(self.dispatch.worker_lost(manager_id, msg.task_id, msg.reason))
            elif isinstance(msg, Drain):
                self._execute(self.dispatch.drain_manager(manager_id))
            elif isinstance(msg, Heartbeat):
                self._node_info(manager_id, active=True, heartbeat=True)
            else:
                logger.error("unexpected %s from manager %s", msg.kind, manager_id)

    def _register(self, manager_id: str, reg: Register, now: float) -> None:
        if reg.manager_id != manager_id:
            self._execute([RejectManager(manager_id, "registration names another manager id")])
            return
        mismatch = check_compatible(reg)
        if mismatch is not None:
            table = {component: [remote, local] for component, remote, local in mismatch.mismatches}
            self._refuse(manager_id, reg.hostname, table, str(mismatch))
            return
        out = self.dispatch.manager_registered(
            manager_id,
            reg.worker_count,
            reg.prefetch_capacity,
            reg.block_id,
            now=now,
            lookahead=reg.lookahead,
            hostname=reg.hostname,
        )
        if not any(isinstance(i, RejectManager) for i in out):
            self.managers[manager_id] = ManagerInfo(
                reg.hostname,
                reg.block_id,
                reg.worker_count,
                reg.python_version,
                time.time(),
                reg.cpu_count,
                reg.total_memory,
                {str(k): str(v) for k, v in reg.packages.items()},
            )
            self._node_info(manager_id, active=True)
            if reg.block_id is not None:
                self.blocks_seen.add(reg.block_id)
            self.to_managers[manager_id].append(Accepted(manager_id=manager_id).encode())
            logger.info(
                "manager %s registered: block %s on %s, %d workers",
                manager_id,
                reg.block_id,
                reg.hostname,
                reg.worker_count,
            )
        self._execute(out)

    def _node_info(self, manager_id: str, *, active: bool, heartbeat: bool = False) -> None:
        """With monitoring on, queue a NODE_INFO message about a registered manager for the executor."""
        run_id = self.settings.monitoring_run_id
        info = self.managers.get(manager_id)
        if run_id is not None and info is not None:
            frame = node_info_frame(run_id, manager_id, info, active=active, heartbeat=heartbeat)
            self.to_client.append(frame)

    def _refuse(self, manager_id: str, hostname: str, table: dict[str, Any], text: str) -> None:
        logger.error("refusing manager %s: %s", manager_id, text)
        self.to_managers[manager_id].append(Rejected(manager_id=manager_id, reason=text).encode())
        notice = ManagerRefused(manager_id=manager_id, hostname=hostname, mismatches=table)
        self.to_client.append(notice.encode())

    # ------------------------------------------------------------ instructions

    def _execute(self, instructions: list[Instruction]) -> None:
        for ins in instructions:
            if isinstance(ins, SendTask):
                self.to_managers[ins.manager_id].append(self.payloads.pop(ins.task_id))
            elif isinstance(ins, FailTask):
                self.payloads.pop(ins.task_id, None)
                failed = TaskFailed(
                    task_id=ins.task_id,
                    error=type(ins.reason).__name__,
                    manager_id=ins.reason.manager_id,
                    reason=ins.reason.reason,
                    hostname=ins.reason.hostname,
                )
                self.to_client.append(failed.encode())
            elif isinstance(ins, ManagerRemoved):
                logger.warning("manager %s removed: %s", ins.manager_id, ins.reason)
                self._node_info(ins.manager_id, active=False)
                self.managers.pop(ins.manager_id, None)
                self.to_managers[ins.manager_id].append(
                    Rejected(manager_id=ins.manager_id, reason=ins.reason).encode()
                )
            elif isinstance(ins, DrainedManager):
                self._node_info(ins.manager_id, active=False)
                self.managers.pop(ins.manager_id, None)
                self.to_managers[ins.manager_id].append(Shutdown(reason="drained").encode())
            elif isinstance(ins, ReclaimTasks):
                self.to_managers[ins.manager_id].append(Reclaim(count=ins.count).encode())
            elif isinstance(ins, RejectManager):
                logger.warning("rejecting manager %s: %s", ins.manager_id, ins.reason)
                self.to_managers[ins.manager_id].append(
                    Rejected(manager_id=ins.manager_id, reason=ins.reason).encode()
                )


def _setup_logging(settings: InterchangeSettings) -> None:
    os.makedirs(settings.logdir, exist_ok=True)
    if settings.log_config_path is not None:
        initialize_from_file(
            settings.log_config_path, log_dir=settings.logdir, log_name="interchange"
        )
        return
    handler = logging.FileHandler(os.path.join(settings.logdir, "interchange.log"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("parsl")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if settings.debug else logging.INFO)


def main() -> int:
    """Entry point: settings on stdin, one JSON 'ready' line on stdout, then frames both ways."""
    line, initial = read_settings_line(0)
    settings = InterchangeSettings.from_json(line.decode())
    _setup_logging(settings)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # The pipes move to descriptors of their own; 0 and 1 become /dev/null, so that nothing
    # written to stdout by accident can break a frame.
    client_in, client_out = os.dup(0), os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.close(devnull)
    try:
        interchange = Interchange(settings, client_in, client_out, initial)
    except Exception as e:
        logger.exception("interchange failed to start")
        sys.stdout.write(json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n")
        sys.stdout.flush()
        return 1
    try:
        ready = {"worker_port": interchange.worker_port}
        sys.stdout.write(json.dumps(ready) + "\n")
        sys.stdout.flush()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
        interchange.run()
    finally:
        interchange.close()
        logger.info("interchange exited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
