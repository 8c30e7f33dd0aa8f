"""``WorkQueueExecutor``: Parsl tasks as Work Queue tasks, run by ``work_queue_worker`` processes."""

from __future__ import annotations

import os
import shlex
import socket
import sys
from collections.abc import Callable
from typing import Any

from parsl.errors import bad_value
from parsl.executors.cctools.executor import CctoolsExecutor
from parsl.executors.cctools.resources import TaskResources, parse_resource_specification
from parsl.executors.errors import UnsupportedFeatureError
from parsl.executors.workqueue._ndcctools import DEFAULT_PORT, load_work_queue
from parsl.executors.workqueue.coprocess import COPROCESS_SCRIPT
from parsl.executors.workqueue.manager import WorkQueueSettings, make_backend
from parsl.monitoring.radios.base import RadioConfig
from parsl.monitoring.radios.filesystem import FilesystemRadio
from parsl.providers import LocalProvider
from parsl.providers.base import ExecutionProvider

__all__ = ["WorkQueueExecutor"]

_DEFAULT = object()


class WorkQueueExecutor(CctoolsExecutor):
    """Runs each task as a Work Queue task (Parsl's ``WorkQueueExecutor`` parameters).

    Workers connect to the manager at ``address:port``: started in blocks by
    ``provider`` (default ``LocalProvider()``) with ``worker_executable`` and
    ``worker_options``, or by hand when ``provider=None``
    (``work_queue_worker ADDRESS PORT``; :attr:`worker_command` shows it).
    With ``shared_fs=False`` (the default) the manager copies each task's
    call, its ``File`` inputs and outputs and its result between this
    machine and the worker's sandbox. ``autolabel`` lets the manager size
    each category's allocation from what its tasks used (``autolabel_window``
    tasks first run with a whole worker). ``max_retries``: how often Work
    Queue itself retries a failed task (Parsl's own ``retries`` come on top).
    ``coprocess=True`` runs every task as a call to a long-lived
    ``parsl-wq-coprocess`` on the worker (Work Queue's coprocess mode; see
    :mod:`parsl.executors.workqueue.coprocess`): no Python start per task,
    and workers are started with ``--coprocess parsl-wq-coprocess``.
    ``source``, ``pack`` and ``extra_pkgs`` need cctools parts this package
    does not support and are refused.
    """

    def __init__(
        self,
        label: str = "WorkQueueExecutor",
        provider: ExecutionProvider | Any | None = _DEFAULT,
        working_dir: str | None = None,
        project_name: str | None = None,
        project_password_file: str | None = None,
        address: str | None = None,
        port: int = DEFAULT_PORT,
        env: dict[str, str] | None = None,
        shared_fs: bool = False,
        storage_access: list[Any] | None = None,
        use_cache: bool = False,
        source: bool = False,
        pack: bool = False,
        extra_pkgs: list[str] | None = None,
        autolabel: bool = False,
        autolabel_window: int = 1,
        autocategory: bool = True,
        max_retries: int = 1,
        init_command: str = "",
        worker_options: str = "",
        full_debug: bool = True,
        worker_executable: str = "work_queue_worker",
        function_dir: str | None = None,
        coprocess: bool = False,
        scaling_cores_per_worker: int = 1,
        remote_monitoring_radio: RadioConfig | None = None,
    ) -> None:
        if provider is _DEFAULT:
            provider = LocalProvider()
        super().__init__(
            label=label,
            provider=provider,
            shared_fs=shared_fs,
            working_dir=working_dir if working_dir is not None else function_dir,
            storage_access=storage_access,
        )
        for name, flag in (("source", source), ("pack", pack)):
            if flag:
                raise UnsupportedFeatureError(f"WorkQueueExecutor({name}=True)", label)
        if extra_pkgs:
            raise UnsupportedFeatureError("WorkQueueExecutor(extra_pkgs=...)", label)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise bad_value("port", port, "a TCP port number 0-65535 (0: any free port)")
        if env is not None and not (
            isinstance(env, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in env.items())
        ):
            raise bad_value("env", env, "a dict of str to str")
        for name, value in (
            ("max_retries", max_retries),
            ("autolabel_window", autolabel_window),
            ("scaling_cores_per_worker", scaling_cores_per_worker),
        ):
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value < (0 if name == "max_retries" else 1)
            ):
                raise bad_value(
                    name, value, "a whole number" + (" >= 0" if name == "max_retries" else " >= 1")
                )
        if coprocess and init_command:
            raise bad_value(
                "init_command",
                init_command,
                "empty with coprocess=True (a coprocess task is a call, not a command to prefix)",
            )
        if project_password_file is not None and not os.path.isfile(project_password_file):
            raise bad_value("project_password_file", project_password_file, "an existing file")
        for name, text in (
            ("init_command", init_command),
            ("worker_options", worker_options),
            ("worker_executable", worker_executable),
        ):
            if not isinstance(text, str):
                raise bad_value(name, text, "a string")
        self.project_name = project_name
        self.project_password_file = project_password_file
        self.address = address if address is not None else socket.gethostname()
        self.port = port
        self.env = dict(env or {})
        self.use_cache = use_cache
        self.autolabel = autolabel
        self.autolabel_window = autolabel_window
        self.autocategory = autocategory
        self.max_retries = max_retries
        self.init_command = init_command
        self.worker_options = worker_options
        self.full_debug = full_debug
        self.worker_executable = worker_executable
        self.scaling_cores_per_worker = scaling_cores_per_worker
        self.coprocess = bool(coprocess)
        self.remote_monitoring_radio = (
            remote_monitoring_radio if remote_monitoring_radio is not None else FilesystemRadio()
        )

    @property
    def workers_per_node(self) -> int | float:
        return self.scaling_cores_per_worker

    def _manager_target(self) -> tuple[Callable[[Any], Any], Any]:
        load_work_queue()  # fail here, in the caller's process, with the install hint
        settings = WorkQueueSettings(
            port=self.port,
            project_name=self.project_name,
            project_password_file=self.project_password_file,
            env=self.env,
            autolabel=self.autolabel,
            autolabel_window=self.autolabel_window,
            max_retries=self.max_retries,
            init_command=self.init_command,
            full_debug=self.full_debug,
            log_dir=os.path.join(self.run_directory, "wq_logs"),
            use_cache=self.use_cache,
            coprocess=self.coprocess,
        )
        return make_backend, settings

    def _task_resources(self, func: Callable[..., Any], spec: dict[str, Any]) -> TaskResources:
        return parse_resource_specification(
            spec,
            executor=self.label,
            function_name=getattr(func, "__name__", "function"),
            autocategory=self.autocategory,
            require_all_or_none=not self.autolabel,
        )

    def _serverless(self, spec: dict[str, Any]) -> bool:
        return self.coprocess

    def validate_resource_specification(self, spec: dict[str, Any]) -> None:
        self._task_resources(lambda: None, spec)

    @property
    def worker_command(self) -> str:
        """The command that starts one worker for this manager (blocks run it; by hand, run it yourself)."""
        where = (
            f"-M {shlex.quote(self.project_name)}"
            if self.project_name
            else f"{shlex.quote(self.address)} {self.manager_port or self.port}"
        )
        password = (
            f" --password {shlex.quote(self.project_password_file)}"
            if self.project_password_file
            else ""
        )
        options = f" --coprocess {COPROCESS_SCRIPT}" if self.coprocess else ""
        options += f" {self.worker_options}" if self.worker_options else ""
        return (
            f"PATH={shlex.quote(os.path.dirname(sys.executable))}:$PATH "
            f"{self.worker_executable} --parent-death{password}{options} {where}"
        )

    def _get_launch_command(self, block_id: str) -> str:
        return self.worker_command

    def _start_workers(self) -> None:
        """Blocks come from the provider (the DataFlowKernel's poller starts them)."""
