"""``TaskVineManagerConfig``: how the TaskVine manager runs (Parsl's fields and defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parsl.errors import bad_value
from parsl.executors.taskvine._ndcctools import DEFAULT_PORT

__all__ = ["TaskVineManagerConfig"]

_UNSUPPORTED = ("env_pack", "extra_pkgs")


@dataclass
class TaskVineManagerConfig:
    """Settings of the TaskVine manager.

    ``port`` (0: any free port), ``address`` (what workers connect to; default
    this host's name), ``project_name`` / ``project_password_file``,
    ``env_vars`` (set for every task), ``init_command`` (run before each
    task), ``max_retries`` (TaskVine's own retries of a failed task),
    ``library_config`` (function-call mode: ``num_slots``, ``cores``,
    ``memory``, ``disk`` of the library), ``shared_fs`` (False: the manager
    moves every file), ``autolabel`` / ``autolabel_algorithm`` /
    ``autolabel_window`` / ``autocategory``, ``enable_peer_transfers``,
    ``wait_for_workers`` (hold tasks until that many workers are connected;
    None: no wait), ``vine_log_dir`` and ``tune_parameters`` (passed to
    ``Manager.tune``). ``env_pack``, ``app_pack`` and ``extra_pkgs`` need
    poncho, which this package does not support.
    """

    port: int = DEFAULT_PORT
    address: str | None = None
    project_name: str | None = None
    project_password_file: str | None = None
    env_vars: dict[str, str] | None = None
    init_command: str = ""
    env_pack: str | None = None
    app_pack: bool = False
    extra_pkgs: list[str] | None = None
    max_retries: int = 1
    library_config: dict[str, Any] | None = None
    shared_fs: bool = False
    autolabel: bool = False
    autolabel_algorithm: str = "max-xput"
    autolabel_window: int | None = None
    autocategory: bool = True
    enable_peer_transfers: bool = True
    wait_for_workers: int | None = None
    vine_log_dir: str | None = None
    tune_parameters: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 <= self.port <= 65535
        ):
            raise bad_value("TaskVineManagerConfig.port", self.port, "a TCP port 0-65535 (0: any)")
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, int)
            or self.max_retries < 0
        ):
            raise bad_value(
                "TaskVineManagerConfig.max_retries", self.max_retries, "an integer >= 0"
            )
        wait = self.wait_for_workers
        if wait is not None and (isinstance(wait, bool) or not isinstance(wait, int) or wait < 0):
            raise bad_value(
                "TaskVineManagerConfig.wait_for_workers", wait, "None or a number of workers >= 0"
            )
        if self.autolabel_algorithm not in ("max-xput", "bucketing"):
            raise bad_value(
                "TaskVineManagerConfig.autolabel_algorithm",
                self.autolabel_algorithm,
                "'max-xput' or 'bucketing'",
            )
        if self.env_vars is not None and not (
            isinstance(self.env_vars, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in self.env_vars.items())
        ):
            raise bad_value("TaskVineManagerConfig.env_vars", self.env_vars, "a dict of str to str")
        if self.library_config is not None:
            if not isinstance(self.library_config, dict):
                raise bad_value(
                    "TaskVineManagerConfig.library_config", self.library_config, "a dict"
                )
            unknown = set(self.library_config) - {"num_slots", "cores", "memory", "disk"}
            if unknown:
                raise bad_value(
                    "TaskVineManagerConfig.library_config",
                    self.library_config,
                    "keys among num_slots, cores, memory, disk",
                )
        for name in _UNSUPPORTED:
            if getattr(self, name):
                raise bad_value(
                    f"TaskVineManagerConfig.{name}",
                    getattr(self, name),
                    "None (poncho is not supported)",
                )
        if self.app_pack:
            raise bad_value(
                "TaskVineManagerConfig.app_pack", self.app_pack, "False (poncho is not supported)"
            )
