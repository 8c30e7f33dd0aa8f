"""The TaskVine side of the manager process (runs inside the process the executor starts)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from parsl.executors.cctools.manager_loop import (
    Completion,
    FailureKind,
    ManagerBackend,
    classify_result,
    describe_limits,
    measured,
    workers_that_ran,
)
from parsl.executors.cctools.taskfiles import TaskPackage
from parsl.executors.taskvine._ndcctools import load_taskvine
from parsl.executors.taskvine.library import FUNCTION_NAME

__all__ = ["LIBRARY_NAME", "TaskVineBackend", "TaskVineSettings", "make_backend"]

LIBRARY_NAME = "parsl-library"


@dataclass(frozen=True)
class TaskVineSettings:
    """What the manager process needs from the executor's configuration (picklable)."""

    port: int
    project_name: str | None
    project_password_file: str | None
    env_vars: dict[str, str]
    init_command: str
    max_retries: int
    autolabel: bool
    autolabel_algorithm: str
    autolabel_window: int | None
    enable_peer_transfers: bool
    log_dir: str
    tune_parameters: dict[str, Any] = field(default_factory=dict)
    library_config: dict[str, Any] = field(default_factory=dict)
    serverless: bool = False
    python: str = "python3"
    wait_for_workers: int | None = None


class TaskVineBackend(ManagerBackend):
    """One TaskVine ``Manager``."""

    def __init__(self, settings: TaskVineSettings) -> None:
        vine = load_taskvine()
        self.vine = vine
        self.settings = settings
        os.makedirs(settings.log_dir, exist_ok=True)
        self.m = vine.Manager(
            port=settings.port, name=settings.project_name, run_info_path=settings.log_dir
        )
        self.port = int(self.m.port)
        if settings.project_password_file:
            self.m.set_password_file(settings.project_password_file)
        if settings.autolabel:
            self.m.enable_monitoring()
            if settings.autolabel_window is not None:
                self.m.tune("category-steady-n-tasks", settings.autolabel_window)
        if not settings.enable_peer_transfers:
            self.m.disable_peer_transfers()
        if settings.wait_for_workers:
            self.m.tune("wait-for-workers", settings.wait_for_workers)
        for name, value in settings.tune_parameters.items():
            self.m.tune(name, value)
        self._running: dict[int, tuple[int, Any]] = {}
        self._categories: set[str] = set()
        if settings.serverless:
            self._install_library()

    def _install_library(self) -> None:
        s = self.settings
        lib = self.vine.LibraryTask(
            f"{s.python} -m parsl.executors.taskvine.library {LIBRARY_NAME}", LIBRARY_NAME
        )
        lib.set_function_exec_mode_from_string("fork")
        config = s.library_config
        lib.set_function_slots(int(config.get("num_slots", 1)))
        for key, setter in (
            ("cores", lib.set_cores),
            ("memory", lib.set_memory),
            ("disk", lib.set_disk),
        ):
            if config.get(key) is not None:
                setter(int(config[key]))
        if "cores" not in config:
            lib.set_cores(int(config.get("num_slots", 1)))
        for name, value in s.env_vars.items():
            lib.set_env_var(name, value)
        self.m.install_library(lib)

    @property
    def idle(self) -> bool:
        return not self._running

    def _category(self, name: str) -> None:
        if name in self._categories:
            return
        self._categories.add(name)
        if self.settings.autolabel:
            mode = (
                self.vine.cvine.VINE_ALLOCATION_MODE_GREEDY_BUCKETING
                if self.settings.autolabel_algorithm == "bucketing"
                else self.vine.cvine.VINE_ALLOCATION_MODE_MAX_THROUGHPUT
            )
            self.m.set_category_mode(name, mode)

    def submit(self, package: TaskPackage) -> None:
        s = self.settings
        if package.serverless:
            t = self.vine.Task(FUNCTION_NAME)
            t.set_library_required(LIBRARY_NAME)
        else:
            t = self.vine.Task(package.shell_command(s.init_command))
        for name, value in s.env_vars.items():
            t.set_env_var(name, value)
        files = []
        for local, remote in package.inputs:
            f = self.m.declare_file(local, cache=False, peer_transfer=s.enable_peer_transfers)
            t.add_input(f, remote)
            files.append(f)
        for local, remote in package.outputs:
            f = self.m.declare_file(local, cache=False)
            t.add_output(f, remote)
            files.append(f)
        r = package.resources
        self._category(r.category)
        t.set_category(r.category)
        if r.cores is not None:
            t.set_cores(r.cores)
        if r.memory is not None:
            t.set_memory(r.memory)
        if r.disk is not None:
            t.set_disk(r.disk)
        if r.gpus is not None:
            t.set_gpus(r.gpus)
        if r.running_time_min is not None:
            t.set_time_min(int(r.running_time_min))
        if r.priority is not None:
            t.set_priority(r.priority)
        if s.max_retries:
            t.set_retries(s.max_retries)
        t.set_tag(str(package.task_id))
        vine_id = self.m.submit(t)
        self._running[int(vine_id)] = (package.task_id, (t, files))

    def wait(self, timeout: int) -> list[Completion]:
        # TaskVine's wait(0) returns before polling at all: one second is its shortest real wait,
        # and it returns as soon as a task is done, one task per call.
        t = self.m.wait(max(1, timeout))
        return [] if t is None else [self._completion(t)]

    def _completion(self, t: Any) -> Completion:
        task_id, (_, files) = self._running.pop(int(t.id), (int(t.tag or -1), (None, [])))
        for f in files:
            self.m.undeclare_file(f)
        name = (
            str(t.result).upper().replace(" ", "_")
        )  # "resource exhaustion" -> RESOURCE_EXHAUSTION
        kind = classify_result(name)
        worker = t.addrport or t.hostname or None
        reason = name.lower().replace("_", " ")
        exit_code = t.exit_code
        if kind == FailureKind.SUCCESS and exit_code not in (0, None):
            kind = FailureKind.FAILED
            reason = f"the task exited with code {exit_code}: {(t.std_output or '')[-2000:]}"
        elif kind == FailureKind.RESOURCE_EXHAUSTED:
            over = describe_limits(t.limits_exceeded)
            reason = (
                f"resource exhaustion: the task went over its {over or 'allocation'} ({reason})"
            )
        elif kind == FailureKind.WORKER_LOST:
            log = os.path.join(self.m.logging_directory, "transactions")
            ran_on = workers_that_ran(log, int(t.id))
            worker = worker or (ran_on[-1] if ran_on else None)
            reason = (
                f"{reason}: the task was lost with its worker on every try ({', '.join(ran_on)})"
            )
        elif kind != FailureKind.SUCCESS and t.std_output:
            reason = f"{reason}: {t.std_output[-2000:]}"
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
        del self.m


def make_backend(settings: TaskVineSettings) -> TaskVineBackend:
    """The manager process's backend factory (a module-level function: it is pickled by name)."""
    return TaskVineBackend(settings)
