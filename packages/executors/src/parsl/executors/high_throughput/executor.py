"""HighThroughputExecutor: pilot-job execution through an interchange and per-node worker pools."""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from parsl.argument_checks import check_int, check_positive
from parsl.data_provider.staging import Staging
from parsl.dataflow.lean_future import lean_future
from parsl.errors import bad_value
from parsl.executors.base import NO_SPEC, ParslExecutor, TaskCount, submitted_spec
from parsl.executors.errors import BadStateException
from parsl.executors.high_throughput import options, parsl_launch, worker_launch
from parsl.executors.high_throughput.block_monitor import BlockMonitor
from parsl.executors.high_throughput.blocks import BlockPool
from parsl.executors.high_throughput.call_packing import CallPacker
from parsl.executors.high_throughput.client import InterchangeClient
from parsl.executors.high_throughput.interchange_settings import InterchangeSettings
from parsl.executors.high_throughput.manager_selector import check_selector, selector_setting
from parsl.executors.high_throughput.parsl_surface import (
    ParslSurfaceMixin,
    register_as_block_provider_executor,
)
from parsl.executors.high_throughput.protocol import Task
from parsl.executors.high_throughput.scaling import BlockScalingMixin
from parsl.jobs.states import JobState, JobStatus
from parsl.logconfigs.base import save_log_config
from parsl.monitoring.radios.base import RadioConfig
from parsl.providers.base import ExecutionProvider
from parsl.providers.local.local import LocalProvider
from parsl.typecheck import typechecked

logger = logging.getLogger(__name__)

DEFAULT_LAUNCH_CMD = options.DEFAULT_LAUNCH_CMD
"""Parsl's name for the default worker command template; configurations prefix it (``numactl``...)."""
DEFAULT_INTERCHANGE_LAUNCH_CMD = ["interchange.py"]
"""Parsl's default ``interchange_launch_cmd``: the ``interchange.py`` console script runs ours."""


class HighThroughputExecutor(ParslSurfaceMixin, BlockScalingMixin, ParslExecutor):
    """Runs tasks on worker pools in blocks obtained from a provider, through an interchange.

    The executor (in the user's process) starts an interchange process and
    talks to it over the interchange's stdin and stdout pipes
    (``loopback_address`` and ``interchange_port_range`` are accepted for
    Parsl's configurations, and unused). Each block from
    ``provider`` runs one worker pool per node (``parsl-worker-pool``),
    which connects to the interchange at ``address``:``worker_port`` and runs
    up to ``max_workers_per_node`` worker processes. ``init_blocks`` blocks
    are submitted by :meth:`start`; :meth:`scale_out` / :meth:`scale_in`
    add and remove blocks. Task priority: ``parsl_resource_specification=
    {"priority": n}``, a lower number runs first.

    Security: every socket binds only to the address given (the defaults are
    loopback). ``encrypted=None`` (the default) turns CurveZMQ on exactly when
    ``address`` is not a loopback address; the keys are created under
    ``{run_dir}/{label}/certificates`` (mode 0700), which managers must be
    able to read.

    MPI mode (``enable_mpi_mode=True``): each task must give
    ``parsl_resource_specification`` with ``num_ranks`` / ``ranks_per_node``
    (and optionally ``num_nodes``, ``launcher_options``); one manager per
    block (use a launcher that starts one copy, e.g. SimpleLauncher) runs up
    to ``max_workers_per_node`` tasks at once, each on ``num_nodes`` nodes of
    the block given to it alone, with ``PARSL_MPI_PREFIX`` (``mpi_launcher``:
    mpiexec, srun or aprun) in its environment. See :class:`MPIExecutor`.

    ``launch_cmd`` may also be a template copied from a Parsl configuration
    (``process_worker_pool.py {debug} ... --block_id={{block_id}}``): it is
    filled as Parsl does and runs our worker pool through the
    ``process_worker_pool.py`` console script (see :mod:`.parsl_launch`).
    ``address_probe_timeout``: seconds a worker pool given several addresses
    spends finding one it can reach (None: its default, 30).

    Extra arguments beyond Parsl's: ``interchange_start_timeout`` (seconds
    :meth:`start` waits for the interchange), ``shutdown_timeout`` (seconds
    :meth:`shutdown` waits for it to exit before killing it, unless given its
    own ``timeout``) and
    ``max_outstanding_tasks`` (backpressure: with that many tasks submitted
    and unfinished, :meth:`submit` waits for one to finish, except when
    called from the executor's own result thread, e.g. by a dependent task;
    None: no limit).
    """

    @typechecked
    def __init__(
        self,
        label: str = "HighThroughputExecutor",
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
        cores_per_worker: float = 1.0,
        mem_per_worker: float | None = None,
        max_workers_per_node: int | float | None = None,
        cpu_affinity: str = "none",
        available_accelerators: int | Sequence[str] = (),
        prefetch_capacity: int = 0,
        heartbeat_threshold: float = 120,
        heartbeat_period: float = 30,
        drain_period: float | None = None,
        poll_period: int = 10,
        address_probe_timeout: int | None = None,
        worker_logdir_root: str | None = None,
        manager_selector: Any = None,
        block_error_handler: bool | Callable[..., Any] = True,
        encrypted: bool | None = None,
        remote_monitoring_radio: RadioConfig | None = None,
        interchange_start_timeout: float = 30.0,
        shutdown_timeout: float = 10.0,
        max_outstanding_tasks: int | None = 100_000,
        enable_mpi_mode: bool = False,
        mpi_launcher: str = "mpiexec",
    ) -> None:
        if not isinstance(label, str) or not label.strip():
            raise bad_value("label", label, "a non-empty string")
        if provider is None:
            from parsl.providers import LocalProvider

            provider = LocalProvider()
        if not isinstance(provider, ExecutionProvider):
            raise bad_value("provider", provider, "an ExecutionProvider such as LocalProvider()")
        self.label = label
        self._blocks = BlockPool(label, provider, owner=self)  # provider, blocks, their failures
        self.launch_cmd = options.check_launch_cmd(launch_cmd)
        self.interchange_launch_cmd = options.check_command_list(interchange_launch_cmd)
        self.address = options.check_address("address", address or "127.0.0.1")
        self.loopback_address = options.check_address("loopback_address", loopback_address, True)
        self.worker_port = options.check_port("worker_port", worker_port)
        self.worker_port_range = options.check_port_range("worker_port_range", worker_port_range)
        self.interchange_port_range = options.check_port_range(
            "interchange_port_range", interchange_port_range
        )
        if storage_access is not None and not all(isinstance(s, Staging) for s in storage_access):
            raise bad_value("storage_access", storage_access, "a list of Staging providers")
        self.storage_access = list(storage_access) if storage_access is not None else None
        self.working_dir = options.check_optional_path("working_dir", working_dir)
        self.worker_debug = options.check_type("worker_debug", worker_debug, bool, "True or False")
        self.cores_per_worker = check_positive("cores_per_worker", cores_per_worker)
        self.mem_per_worker = options.check_optional_positive(
            "mem_per_worker", mem_per_worker, allow_zero=True
        )
        self.max_workers_per_node = options.check_max_workers(max_workers_per_node)
        self.cpu_affinity = options.check_cpu_affinity(cpu_affinity)
        self.available_accelerators = options.check_accelerators(available_accelerators)
        self.prefetch_capacity = check_int("prefetch_capacity", prefetch_capacity, 0)
        self.heartbeat_period = check_positive("heartbeat_period", heartbeat_period)
        self.heartbeat_threshold = options.check_heartbeat_threshold(
            heartbeat_threshold, self.heartbeat_period
        )
        self.drain_period = options.check_optional_positive("drain_period", drain_period)
        self.poll_period = check_int("poll_period", poll_period, 1)
        self.address_probe_timeout = (
            None
            if address_probe_timeout is None
            else check_int("address_probe_timeout", address_probe_timeout, 1)
        )
        self.worker_logdir_root = options.check_optional_path(
            "worker_logdir_root", worker_logdir_root
        )
        self.manager_selector = check_selector(manager_selector)
        if not isinstance(block_error_handler, bool) and not callable(block_error_handler):
            raise bad_value("block_error_handler", block_error_handler, "True, False or a callable")
        self.block_error_handler = block_error_handler
        if encrypted is not None and not isinstance(encrypted, bool):
            raise bad_value("encrypted", encrypted, "None (automatic), True or False")
        self.encrypted = not options.is_loopback(self.address) if encrypted is None else encrypted
        self.remote_monitoring_radio = options.check_radio(remote_monitoring_radio)
        self.interchange_start_timeout = check_positive(
            "interchange_start_timeout", interchange_start_timeout
        )
        self.shutdown_timeout = check_positive("shutdown_timeout", shutdown_timeout)
        self.max_outstanding_tasks = (
            None
            if max_outstanding_tasks is None
            else check_int("max_outstanding_tasks", max_outstanding_tasks, 1)
        )
        self.enable_mpi_mode = options.check_type(
            "enable_mpi_mode", enable_mpi_mode, bool, "True or False"
        )
        self.mpi_launcher = options.check_mpi_launcher(mpi_launcher)
        if self.enable_mpi_mode:
            options.check_mpi_block_launcher(self.provider)
        mpi_field = "{enable_mpi_mode}" if parsl_launch.is_parsl_style(self.launch_cmd) else "{mpi}"
        if self.enable_mpi_mode and mpi_field not in self.launch_cmd:
            raise bad_value(
                "launch_cmd",
                launch_cmd,
                f"a template containing {mpi_field} when enable_mpi_mode=True",
            )
        self.cert_dir: str | None = None
        self.logdir: str | None = None
        self.log_config_path: str | None = None
        """Where ``start`` pickled the run's LogConfig for the processes it starts (if one)."""
        self._task_ids = itertools.count(1)  # 1, 2, ...: Parsl's executor task ids
        self._packer = CallPacker()
        self._client: InterchangeClient | None = None
        self._not_started_bad_state = threading.Event()  # never set: no client, no bad state
        self._monitor: BlockMonitor | None = None
        self._closed = False
        self._init_parsl_surface()

    # ------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the interchange, then submit ``provider.init_blocks`` blocks at once."""
        if self._client is not None:
            return
        if self._closed:
            raise BadStateException(self.label, "executor has been shut down")
        self.logdir = os.path.abspath(os.path.join(self.run_dir, self.label))
        os.makedirs(self.logdir, exist_ok=True)
        if self.provider.script_dir is None:
            self.provider.script_dir = os.path.join(os.path.abspath(self.run_dir), "submit_scripts")
        if self.encrypted:
            from parsl.executors.high_throughput import curve  # zmq.auth: only with encryption

            self.cert_dir = curve.create_certificates(os.path.join(self.logdir, "certificates"))
        if self.log_config is not None:  # for the interchange, managers and workers, as in Parsl
            self.log_config_path = save_log_config(
                self.log_config, os.path.join(self.logdir, "log_config")
            )
        settings = InterchangeSettings(
            worker_address=self.address,
            worker_port=self.worker_port,
            worker_port_range=self.worker_port_range,
            heartbeat_period=self.heartbeat_period,
            heartbeat_threshold=self.heartbeat_threshold,
            poll_period_ms=self.poll_period,
            logdir=self.logdir,
            debug=self.worker_debug,
            parent_pid=os.getpid(),
            cert_dir=self.cert_dir,
            prefer_newest_block=self.manager_selector.prefer_newest_block,
            manager_selector=selector_setting(self.manager_selector),
            monitoring_run_id=self.run_id if self.monitoring_messages is not None else None,
            log_config_path=self.log_config_path,
        )
        client = InterchangeClient(
            self.label,
            settings,
            self.interchange_launch_cmd,
            self.interchange_start_timeout,
            self.max_outstanding_tasks,
        )
        self.start_monitoring_receiver()
        client.monitoring_sink = self.monitoring_messages
        try:
            client.start()
        except BaseException:
            self.stop_monitoring_receiver()
            raise
        self._client = client
        self._blocks.open(client, self._launch_command, self.monitoring_messages, self.run_id)
        try:
            if self.provider.init_blocks:
                self.scale_out(self.provider.init_blocks)
        except BaseException:
            self.shutdown()
            raise
        self._monitor = BlockMonitor(self._blocks, self.handle_errors)
        self._monitor.start()
        logger.info(
            "htex %s started: interchange worker port %s on %s",
            self.label,
            client.worker_port,
            self.address,
        )

    def shutdown(self, timeout: float | None = None) -> None:
        """Stop the interchange, cancel every block, fail what is left: bounded, idempotent.

        ``timeout`` (Parsl's argument): seconds to wait for the interchange to
        exit before killing it, instead of ``shutdown_timeout``.
        """
        bound = self.shutdown_timeout if timeout is None else check_positive("timeout", timeout)
        if self._closed:
            return
        self._closed = True
        # The blocks this shutdown ends, taken before the interchange stops (their workers
        # then exit by themselves): each shows as SCALED_IN, as Parsl's cleanup records them.
        live = [b for b, s in self.status().items() if not s.terminal]
        self._blocks.close()
        if self._monitor is not None:
            self._monitor.stop()
        if self._client is not None:
            self._client.close(bound)
        if live:
            try:
                self._blocks.cancel(
                    live,
                    JobStatus(JobState.SCALED_IN, message="executor shut down"),
                    all_ended=True,
                )
            except Exception:
                logger.exception("htex %s: cancelling blocks %s failed", self.label, live)
        self._blocks.report_final_states()
        self.stop_monitoring_receiver()
        logger.info("htex %s shut down", self.label)

    # ---------------------------------------------------------------- tasks

    def validate_resource_specification(self, spec: dict[str, Any]) -> None:
        """``priority`` (a finite number; lower runs first); in MPI mode also the MPI keys.

        ``num_nodes`` is bounded here by a batch provider's ``nodes_per_block``.
        A LocalProvider's block runs where the workflow does, perhaps inside a
        batch job of many nodes (``PBS_NODEFILE``, ``SLURM_NODELIST``, ...): its
        manager checks ``num_nodes`` against the nodes it finds, as Parsl's does.
        """
        nodes = None
        if self.enable_mpi_mode and not isinstance(self.provider, LocalProvider):
            nodes = self.provider.nodes_per_block
        options.check_resource_specification(self.label, spec, nodes, mpi=self.enable_mpi_mode)

    def submit(
        self,
        func: Callable[..., Any],
        resource_specification: dict[str, Any] = NO_SPEC,
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[Any]:
        """Send ``func(*args, **kwargs)`` to a worker; the future completes with its result."""
        resource_specification = submitted_spec(resource_specification, kwargs)
        return self._submit_packed(self._packer.pack(func, args, kwargs), resource_specification)

    def _submit_packed(
        self, payload: bytes, resource_specification: dict[str, Any], tag: bool = False
    ) -> Future[Any]:
        """Queue one packed task; ``tag``: give its future Parsl's ``parsl_executor_task_id``."""
        client = self._client
        if client is None:
            raise BadStateException(self.label, "executor has not been started")
        if client.exception is not None or self._closed:
            raise client.fresh_exception()
        priority = None
        spec: dict[str, Any] = {}
        if resource_specification or self.enable_mpi_mode:
            self.validate_resource_specification(resource_specification)
            priority = resource_specification.get("priority")
            spec = {k: v for k, v in resource_specification.items() if k != "priority"}
        task_id = next(self._task_ids)
        frame = Task(
            task_id=task_id, priority=priority, resource_spec=spec, payload=payload
        ).encode()
        fut = lean_future()  # ~1.3 KB less per task in flight than a plain Future
        if tag:
            fut.parsl_executor_task_id = task_id  # type: ignore[attr-defined]
        client.submit(task_id, fut, frame)
        return fut

    @property
    def bound_worker_port(self) -> int | None:
        """The port the interchange listens on for managers (None before start)."""
        return self._client.worker_port if self._client is not None else None

    @property
    def interchange_pid(self) -> int | None:
        """The interchange process's pid (None before start)."""
        if self._client is None or self._client.process is None:
            return None
        return self._client.process.pid

    @property
    def outstanding(self) -> int:
        """Tasks submitted and not yet finished (also callable: ``outstanding()``, see :class:`TaskCount`)."""
        return TaskCount(self._client.outstanding if self._client is not None else 0)

    @property
    def bad_state_is_set(self) -> bool:
        return self._client is not None and self._client.exception is not None

    @property
    def executor_exception(self) -> BaseException | None:
        return self._client.exception if self._client is not None else None

    @property
    def _executor_bad_state(self) -> threading.Event:
        """Parsl's flag, read by code written for Parsl: set once the executor is in a bad state."""
        if self._client is None:
            return self._not_started_bad_state
        return self._client.bad_state

    # -------------------------------------------- what blocks run (worker_launch.py)

    @property
    def workers_per_node(self) -> int:
        """Workers a node like this one runs (the strategy's slots per node)."""
        return worker_launch.workers_per_node(self)

    @property
    def effective_drain_period(self) -> float | None:
        """Seconds after start when a manager stops taking tasks (see :mod:`.worker_launch`)."""
        return worker_launch.effective_drain_period(self)

    def _launch_command(self, block_id: str) -> str:
        assert self._client is not None
        return worker_launch.launch_command(self, block_id, self._client.worker_port)

    def _worker_logdir(self) -> str:
        return worker_launch.worker_logdir(self)

    def __repr__(self) -> str:
        return (
            f"HighThroughputExecutor(label={self.label!r}, provider={self.provider!r}, "
            f"address={self.address!r}, max_workers_per_node={self.max_workers_per_node})"
        )


register_as_block_provider_executor(HighThroughputExecutor)
