"""``TaskVineFactoryConfig``: the ``vine_factory`` that keeps workers running (Parsl's fields and defaults)."""

from __future__ import annotations

from dataclasses import dataclass

from parsl.errors import bad_value

__all__ = ["TaskVineFactoryConfig"]


@dataclass
class TaskVineFactoryConfig:
    """Settings of the worker factory (``worker_launch_method="factory"``).

    ``min_workers`` / ``max_workers`` / ``workers_per_cycle`` bound the pool;
    ``cores``, ``gpus``, ``memory``, ``disk`` size each worker; ``batch_type``
    is where workers run (``local`` on this machine, or ``condor``, ``slurm``,
    ... with ``batch_options``/``condor_requirements``);
    ``worker_options`` and ``worker_executable`` shape the worker command;
    ``factory_timeout`` ends the factory after that long without a manager,
    ``worker_timeout`` ends idle workers; ``scratch_dir`` is the factory's
    working directory (default: under the executor's run directory).
    """

    factory_timeout: int = 300
    scratch_dir: str | None = None
    min_workers: int = 1
    max_workers: int = 1
    workers_per_cycle: int = 1
    worker_options: str | None = None
    worker_executable: str = "vine_worker"
    worker_timeout: int = 300
    cores: int | None = None
    gpus: int | None = None
    memory: int | None = None
    disk: int | None = None
    python_env: str | None = None
    batch_type: str = "local"
    condor_requirements: str | None = None
    batch_options: str | None = None

    def __post_init__(self) -> None:
        for name in (
            "factory_timeout",
            "min_workers",
            "max_workers",
            "workers_per_cycle",
            "worker_timeout",
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or value < (0 if name == "min_workers" else 1)
            ):
                raise bad_value(f"TaskVineFactoryConfig.{name}", value, "a positive integer")
        if self.min_workers > self.max_workers:
            raise bad_value(
                "TaskVineFactoryConfig.min_workers",
                self.min_workers,
                f"at most max_workers={self.max_workers}",
            )
        for name in ("cores", "gpus", "memory", "disk"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 0
            ):
                raise bad_value(f"TaskVineFactoryConfig.{name}", value, "None or an integer >= 0")
        if self.python_env is not None:
            raise bad_value(
                "TaskVineFactoryConfig.python_env",
                self.python_env,
                "None (poncho is not supported)",
            )

    def command(
        self, host: str, port: int, scratch_dir: str, password_file: str | None = None
    ) -> list[str]:
        """The ``vine_factory`` command line for a manager at ``host:port``."""
        argv = [
            "vine_factory",
            "-T",
            self.batch_type,
            "--scratch-dir",
            scratch_dir,
            "--parent-death",
            "--min-workers",
            str(self.min_workers),
            "--max-workers",
            str(self.max_workers),
            "--workers-per-cycle",
            str(self.workers_per_cycle),
            "--factory-timeout",
            str(self.factory_timeout),
            "--timeout",
            str(self.worker_timeout),
            "--factory-period",
            "1",
            "--worker-binary",
            self.worker_executable,
        ]
        for name in ("cores", "gpus", "memory", "disk"):
            value = getattr(self, name)
            if value is not None:
                argv.append(f"--{name}={value}")
        if self.worker_options:
            argv.append(f"--extra-options={self.worker_options}")
        if self.batch_options:
            argv.append(f"--batch-options={self.batch_options}")
        if self.condor_requirements:
            argv.append(f"--condor-requirements={self.condor_requirements}")
        if password_file:
            argv.append(f"--password={password_file}")
        argv += [host, str(port)]
        return argv
