"""MPIExecutor: a HighThroughputExecutor in MPI mode, with only the options that matter there."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from parsl.argument_checks import check_int
from parsl.data_provider.staging import Staging
from parsl.executors.high_throughput.executor import HighThroughputExecutor
from parsl.monitoring.radios.base import RadioConfig
from parsl.providers.base import ExecutionProvider
from parsl.typecheck import typechecked


class MPIExecutor(HighThroughputExecutor):
    """Runs MPI applications: each block's nodes are shared out among its running tasks.

    Every task gives ``parsl_resource_specification`` with ``num_ranks``
    and/or ``ranks_per_node`` (and optionally ``num_nodes``,
    ``launcher_options``); a bash app starts its program with
    ``$PARSL_MPI_PREFIX``. ``max_workers_per_block`` is how many MPI tasks
    run at once in a block; ``mpi_launcher`` is ``mpiexec``, ``srun`` or
    ``aprun``. The block's nodes come from ``PARSL_MPI_NODELIST``,
    ``SLURM_NODELIST``, ``PBS_NODEFILE`` or, outside a batch job, this host.

    The provider's launcher must start one manager per block
    (``SimpleLauncher``, ``SingleNodeLauncher`` or ``WrappedLauncher``);
    another is refused with :class:`~parsl.executors.high_throughput.errors.MPILauncherError`.

    Args:
        label, provider, launch_cmd, interchange_launch_cmd, address,
        loopback_address, worker_port, worker_port_range, interchange_port_range,
        storage_access, working_dir, worker_debug, prefetch_capacity,
        heartbeat_threshold, heartbeat_period, drain_period, poll_period,
        address_probe_timeout, worker_logdir_root, block_error_handler, encrypted,
        remote_monitoring_radio, interchange_start_timeout, shutdown_timeout:
            as for :class:`~parsl.executors.HighThroughputExecutor`.
        max_workers_per_block: MPI tasks running at once in a block (default 1).
        mpi_launcher: ``"mpiexec"`` (default), ``"srun"`` or ``"aprun"``: the
            program in each task's ``$PARSL_MPI_PREFIX``.
    """

    @typechecked
    def __init__(
        self,
        label: str = "MPIExecutor",
        provider: ExecutionProvider | None = None,
        launch_cmd: str | None = None,
        interchange_launch_cmd: Sequence[str] | None = None,
        address: str | None = None,
        loopback_address: str = "127.0.0.1",
        worker_port: int | None = None,
        worker_port_range: tuple[int, int] = (54000, 55000),
        interchange_port_range: tuple[int, int] = (55000, 56000),
        storage_access: Sequence[Staging] | None = None,
        working_dir: str | None = None,
        worker_debug: bool = False,
        max_workers_per_block: int = 1,
        prefetch_capacity: int = 0,
        heartbeat_threshold: float = 120,
        heartbeat_period: float = 30,
        drain_period: float | None = None,
        poll_period: int = 10,
        address_probe_timeout: int | None = None,
        worker_logdir_root: str | None = None,
        mpi_launcher: str = "mpiexec",
        block_error_handler: bool | Callable[..., Any] = True,
        encrypted: bool | None = None,
        remote_monitoring_radio: RadioConfig | None = None,
        interchange_start_timeout: float = 30.0,
        shutdown_timeout: float = 10.0,
    ) -> None:
        workers = check_int("max_workers_per_block", max_workers_per_block, 1)
        super().__init__(
            label=label,
            provider=provider,
            launch_cmd=launch_cmd,
            interchange_launch_cmd=interchange_launch_cmd,
            address=address,
            loopback_address=loopback_address,
            worker_port=worker_port,
            worker_port_range=worker_port_range,
            interchange_port_range=interchange_port_range,
            storage_access=storage_access,
            working_dir=working_dir,
            worker_debug=worker_debug,
            max_workers_per_node=workers,
            prefetch_capacity=prefetch_capacity,
            heartbeat_threshold=heartbeat_threshold,
            heartbeat_period=heartbeat_period,
            drain_period=drain_period,
            poll_period=poll_period,
            address_probe_timeout=address_probe_timeout,
            worker_logdir_root=worker_logdir_root,
            block_error_handler=block_error_handler,
            encrypted=encrypted,
            remote_monitoring_radio=remote_monitoring_radio,
            interchange_start_timeout=interchange_start_timeout,
            shutdown_timeout=shutdown_timeout,
            enable_mpi_mode=True,
            mpi_launcher=mpi_launcher,
        )
        self.max_workers_per_block = workers

    def __repr__(self) -> str:
        return (
            f"MPIExecutor(label={self.label!r}, provider={self.provider!r}, "
            f"max_workers_per_block={self.max_workers_per_block}, "
            f"mpi_launcher={self.mpi_launcher!r})"
        )
