"""``TaskVineExecutor``: Parsl tasks as TaskVine tasks or as calls to a TaskVine library."""

from __future__ import annotations

import os
import shlex
import socket
import sys
from collections.abc import Callable
from typing import Any

from parsl.errors import bad_value
from parsl.executors.cctools.executor import CctoolsExecutor
from parsl.executors.cctools.processes import LocalProcess, require_program
from parsl.executors.cctools.resources import TaskResources, parse_resource_specification
from parsl.executors.taskvine._ndcctools import load_taskvine
from parsl.executors.taskvine.factory_config import TaskVineFactoryConfig
from parsl.executors.taskvine.manager import TaskVineSettings, make_backend
from parsl.executors.taskvine.manager_config import TaskVineManagerConfig
from parsl.monitoring.radios.base import RadioConfig
from parsl.monitoring.radios.filesystem import FilesystemRadio
from parsl.providers import LocalProvider
from parsl.providers.base import ExecutionProvider

__all__ = ["TaskVineExecutor"]

LAUNCH_METHODS = ("factory", "provider", "manual")
EXEC_MODES = ("regular", "serverless")


class TaskVineExecutor(CctoolsExecutor):
    """Runs each task on TaskVine workers (Parsl's ``TaskVineExecutor`` parameters).

    ``worker_launch_method``: ``"factory"`` (the default: a ``vine_factory``
    configured by ``factory_config`` keeps workers running), ``"provider"``
    (blocks from ``provider``, default ``LocalProvider(init_blocks=1)``, each
    running one ``vine_worker``) or ``"manual"`` (start workers yourself:
    :attr:`worker_command`). ``function_exec_mode``: ``"regular"`` runs each
    task as its own process; ``"serverless"`` runs tasks as calls to a
    library process kept alive on each worker (imports paid once). A task
    chooses for itself with ``parsl_resource_specification={"exec_mode": ...}``.
    """

    def __init__(
        self,
        label: str = "TaskVineExecutor",
        worker_launch_method: str = "factory",
        function_exec_mode: str = "regular",
        manager_config: TaskVineManagerConfig | None = None,
        factory_config: TaskVineFactoryConfig | None = None,
        provider: ExecutionProvider | None = None,
        storage_access: list[Any] | None = None,
        remote_monitoring_radio: RadioConfig | None = None,
    ) -> None:
        if worker_launch_method not in LAUNCH_METHODS:
            raise bad_value(
                "worker_launch_method", worker_launch_method, " or ".join(map(repr, LAUNCH_METHODS))
            )
        if function_exec_mode not in EXEC_MODES:
            raise bad_value(
                "function_exec_mode", function_exec_mode, " or ".join(map(repr, EXEC_MODES))
            )
        manager_config = manager_config if manager_config is not None else TaskVineManagerConfig()
        factory_config = factory_config if factory_config is not None else TaskVineFactoryConfig()
        if not isinstance(manager_config, TaskVineManagerConfig):
            raise bad_value("manager_config", manager_config, "a TaskVineManagerConfig")
        if not isinstance(factory_config, TaskVineFactoryConfig):
            raise bad_value("factory_config", factory_config, "a TaskVineFactoryConfig")
        if worker_launch_method == "provider" and provider is None:
            provider = LocalProvider(init_blocks=1)
        super().__init__(
            label=label,
            provider=provider if worker_launch_method == "provider" else None,
            shared_fs=manager_config.shared_fs,
            working_dir=None,
            storage_access=storage_access,
        )
        self.worker_launch_method = worker_launch_method
        self.function_exec_mode = function_exec_mode
        self.manager_config = manager_config
        self.factory_config = factory_config
        self.address = (
            manager_config.address if manager_config.address is not None else socket.gethostname()
        )
        self.remote_monitoring_radio = (
            remote_monitoring_radio if remote_monitoring_radio is not None else FilesystemRadio()
        )
        self.factory: LocalProcess | None = None

    def _manager_target(self) -> tuple[Callable[[Any], Any], Any]:
        load_taskvine()  # fail here, in the caller's process, with the install hint
        c = self.manager_config
        settings = TaskVineSettings(
            port=c.port,
            project_name=c.project_name,
            project_password_file=c.project_password_file,
            env_vars=dict(c.env_vars or {}),
            init_command=c.init_command,
            max_retries=c.max_retries,
            autolabel=c.autolabel,
            autolabel_algorithm=c.autolabel_algorithm,
            autolabel_window=c.autolabel_window,
            enable_peer_transfers=c.enable_peer_transfers,
            log_dir=c.vine_log_dir or os.path.join(self.run_directory, "vine-run-info"),
            tune_parameters=dict(c.tune_parameters or {}),
            library_config=dict(c.library_config or {}),
            serverless=self.function_exec_mode == "serverless",
            wait_for_workers=c.wait_for_workers,
        )
        return make_backend, settings

    def _task_resources(self, func: Callable[..., Any], spec: dict[str, Any]) -> TaskResources:
        mode = spec.get("exec_mode", self.function_exec_mode)
        if mode not in EXEC_MODES:
            from parsl.executors.errors import InvalidResourceSpecification

            raise InvalidResourceSpecification(
                ["exec_mode"], f"exec_mode={mode!r}: expected 'regular' or 'serverless'"
            )
        if mode == "serverless" and self.function_exec_mode != "serverless":
            from parsl.executors.errors import InvalidResourceSpecification

            raise InvalidResourceSpecification(
                ["exec_mode"],
                "serverless tasks need TaskVineExecutor(function_exec_mode='serverless')",
            )
        return parse_resource_specification(
            spec,
            executor=self.label,
            function_name=getattr(func, "__name__", "function"),
            autocategory=self.manager_config.autocategory,
            extra_keys=("exec_mode",),
        )

    def _serverless(self, spec: dict[str, Any]) -> bool:
        return bool(spec.get("exec_mode", self.function_exec_mode) == "serverless")

    def validate_resource_specification(self, spec: dict[str, Any]) -> None:
        self._task_resources(lambda: None, spec)

    @property
    def worker_command(self) -> str:
        """The command that starts one worker for this manager (blocks run it; by hand, run it yourself)."""
        c = self.manager_config
        where = (
            f"-M {shlex.quote(c.project_name)}"
            if c.project_name
            else f"{shlex.quote(self.address)} {self.manager_port or c.port}"
        )
        password = (
            f" --password {shlex.quote(c.project_password_file)}" if c.project_password_file else ""
        )
        options = (
            f" {self.factory_config.worker_options}" if self.factory_config.worker_options else ""
        )
        return (
            f"PATH={shlex.quote(os.path.dirname(sys.executable))}:$PATH "
            f"{self.factory_config.worker_executable} --parent-death{password}{options} {where}"
        )

    def _get_launch_command(self, block_id: str) -> str:
        return self.worker_command

    def _start_workers(self) -> None:
        if self.worker_launch_method != "factory":
            return
        f = self.factory_config
        scratch = f.scratch_dir or os.path.join(self.run_directory, "factory")
        os.makedirs(scratch, exist_ok=True)
        argv = f.command(
            self.address,
            int(self.manager_port or 0),
            scratch,
            self.manager_config.project_password_file,
        )
        argv[0] = require_program("vine_factory")
        idx = argv.index("--worker-binary") + 1
        argv[idx] = require_program(argv[idx])
        self.factory = LocalProcess(
            argv, log_path=os.path.join(self.run_directory, "factory.log"), cwd=scratch
        )
        self._local_processes.append(self.factory)
