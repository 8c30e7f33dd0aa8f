"""The Work Queue side of the manager process (runs inside the process the executor starts)."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from typing import Any

from parsl.executors.cctools.manager_loop import (
    Completion,
    FailureKind,
    ManagerBackend,
    classify_result,
    describe_limits,
    measured,
    result_names,
    workers_disconnected,
    workers_that_ran,
)
from parsl.executors.cctools.taskfiles import TaskPackage
from parsl.executors.workqueue._ndcctools import load_work_queue
from parsl.executors.workqueue.coprocess import COPROCESS_NAME, FUNCTION_NAME

__all__ = ["MAX_REQUEUES", "WorkQueueBackend", "WorkQueueSettings", "make_backend"]

logger = logging.getLogger(__name__)

MAX_REQUEUES = 3
"""How often a task that workers gave back unstarted is submitted again (see ``_requeue_if_forsaken``)."""


@dataclass(frozen=True)
class WorkQueueSettings:
    """What the manager process needs from the executor's configuration (picklable)."""

    port: int
    project_name: str | None
    project_password_file: str | None
    env: dict[str, str]
    autolabel: bool
    autolabel_window: int
    max_retries: int
    init_command: str
    full_debug: bool
    log_dir: str
    use_cache: bool
    monitoring: bool = False
    coprocess: bool = False


class WorkQueueBackend(ManagerBackend):
    """One ``WorkQueue`` manager."""

    def __init__(self, settings: WorkQueueSettings) -> None:
        wq = load_work_queue()
        self.wq = wq
        self.settings = settings
        logs = settings.log_dir
        os.makedirs(logs, exist_ok=True)
        self._transactions = os.path.join(logs, "wq_transactions.log")
        self.q = wq.WorkQueue(
            port=settings.port,
            name=settings.project_name,
            debug_log=os.path.join(logs, "wq_debug.log") if settings.full_debug else None,
            transactions_log=self._transactions,
        )
        self.port = int(self.q.port)
        if settings.project_password_file:
            self.q.specify_password_file(settings.project_password_file)
        if settings.monitoring or settings.autolabel:
            self.q.enable_monitoring()
        if settings.autolabel:
            self.q.tune("category-steady-n-tasks", settings.autolabel_window)
        self._names = result_names(wq, "WORK_QUEUE_RESULT_")
        self._running: dict[int, TaskPackage] = {}
        self._requeued: dict[int, int] = {}
        self._categories: set[str] = set()

    @property
    def idle(self) -> bool:
        return not self._running

    def _category(self, name: str) -> None:
        if name in self._categories:
            return
        self._categories.add(name)
        if self.settings.autolabel:
            self.q.specify_category_mode(name, self.wq.WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT)

    def submit(self, package: TaskPackage) -> None:
        s = self.settings
        if package.serverless:
            # The coprocess reads the sandbox names of the task's files, and its environment.
            t = self.wq.RemoteTask(FUNCTION_NAME, COPROCESS_NAME)
            t.specify_fn_args(list(package.sandbox_names), dict(s.env))
        else:
            t = self.wq.Task(package.shell_command(s.init_command))
            for name, value in s.env.items():
                t.specify_environment_variable(name, value)
        for local, remote in package.inputs:
            t.specify_input_file(local, remote, cache=s.use_cache)
        for local, remote in package.outputs:
            t.specify_output_file(local, remote, cache=False)
        r = package.resources
        self._category(r.category)
        t.specify_category(r.category)
        if r.cores is not None:
            t.specify_cores(r.cores)
        if r.memory is not None:
            t.specify_memory(r.memory)
        if r.disk is not None:
            t.specify_disk(r.disk)
        if r.gpus is not None:
            t.specify_gpus(r.gpus)
        if r.running_time_min is not None:
            t.specify_running_time_min(int(r.running_time_min))
        if r.priority is not None:
            t.specify_priority(r.priority)
        if s.max_retries:
            t.specify_max_retries(s.max_retries)
        t.specify_tag(str(package.task_id))
        wq_id = self.q.submit(t)
        self._running[int(wq_id)] = package

    def wait(self, timeout: int) -> list[Completion]:
        # One task per call: Work Queue's wait(0) is a wait(1) that returns early only when a
        # task finishes, so asking again after the last one would hold the loop for a second.
        # Tasks already retrieved come back at once on the next call.
        t = self.q.wait(max(1, timeout))
        if t is None:
            return []
        package = self._running.pop(int(t.id), None)
        if package is None:
            return [self._completion(t, int(t.tag or -1))]
        if self._requeue_if_forsaken(t, package):
            return []
        self._requeued.pop(package.task_id, None)  # its count is needed only while it runs
        return [self._completion(t, package.task_id)]

    def _requeue_if_forsaken(self, t: Any, package: TaskPackage) -> bool:
        """Submit ``t``'s task again if workers gave it up without being lost; True if so.

        A task that names no resources gets a whole worker, sized by the worker's last report;
        a worker whose free disk has since shrunk by a megabyte gives the task back unstarted
        (forsaken), and Work Queue counts that as a try. Such a task is submitted again, up
        to MAX_REQUEUES times; one lost with its worker is not.
        """
        if self._names.get(int(t.result)) not in ("MAX_RETRIES", "FORSAKEN"):
            return False
        ran_on = workers_that_ran(self._transactions, int(t.id))
        if not ran_on or set(ran_on) & workers_disconnected(self._transactions):
            return False
        count = self._requeued.get(package.task_id, 0)
        if count >= MAX_REQUEUES:
            return False
        self._requeued[package.task_id] = count + 1
        logger.warning(
            "task %d was given back unstarted by %s (resources changed since the worker's last "
            "report); submitting it again",
            package.task_id,
            ", ".join(ran_on),
        )
        self.submit(package)
        return True

    def _completion(self, t: Any, task_id: int) -> Completion:
        name = self._names.get(int(t.result), str(t.result))
        kind = classify_result(name)
        worker = t.hostname or None
        reason = name.lower().replace("_", " ")
        exit_code = int(t.return_status) if t.return_status is not None else None
        call_failed = None
        if self.settings.coprocess and kind in (FailureKind.SUCCESS, FailureKind.OUTPUT_MISSING):
            call_failed = _coprocess_failure(t.output)  # a crashed call leaves no result file
        if call_failed is not None:
            kind, reason = FailureKind.FAILED, call_failed
        elif kind == FailureKind.SUCCESS and exit_code not in (0, None):
            kind = FailureKind.FAILED
            reason = f"the task's command exited with code {exit_code}: {(t.output or '')[-2000:]}"
        elif kind == FailureKind.RESOURCE_EXHAUSTED:
            over = describe_limits(t.limits_exceeded)
            reason = f"resource exhaustion: the task went over its {over or 'allocation'}"
        elif kind == FailureKind.WORKER_LOST:
            ran_on = workers_that_ran(self._transactions, int(t.id))
            worker = worker or (ran_on[-1] if ran_on else None)
            reason = (
                f"{reason}: the task was lost with its worker on every try ({', '.join(ran_on)})"
            )
        elif kind != FailureKind.SUCCESS and t.output:
            reason = f"{reason}: {t.output[-2000:]}"
        return Completion(
            task_id=task_id,
            kind=kind,
            reason=reason,
            worker=worker,
            exit_code=exit_code,
            resources=measured(t.resources_measured),
        )

    def close(self) -> None:
        self._running.clear()
        self._requeued.clear()
        del self.q


def _coprocess_failure(output: str | None) -> str | None:
    """Why a coprocess call failed, from its answer (None: it ran to the end); see .coprocess."""
    try:
        answer = json.loads(output or "")
        code = int(answer["Result"])
    except (ValueError, TypeError, KeyError):
        return (
            "the worker's coprocess did not answer the call (is parsl-wq-coprocess on the "
            f"worker's PATH?): {(output or 'no output')[-2000:]}"
        )
    if code == 0:
        return None
    return (
        f"the task's process in the coprocess exited with code {code}: {answer.get('Output', '')}"
    )


def make_backend(settings: WorkQueueSettings) -> WorkQueueBackend:
    """The manager process's backend factory (a module-level function: it is pickled by name)."""
    return WorkQueueBackend(settings)
