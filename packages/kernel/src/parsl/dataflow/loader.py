"""The process-wide current DataFlowKernel behind ``parsl.load()``, ``parsl.dfk()`` and ``parsl.clear()``."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from parsl.errors import ConfigurationError, NoDataFlowKernelError

if TYPE_CHECKING:  # dflow imports this module at its end (its public path): no cycle at import
    from parsl.config import Config
    from parsl.dataflow.dflow import DataFlowKernel


class DataFlowKernelLoader:
    """The process-wide current DataFlowKernel behind ``parsl.load()``/``parsl.dfk()``."""

    _dfk: DataFlowKernel | None = None
    _lock = threading.Lock()

    @classmethod
    def load(cls, config: Config | None = None) -> DataFlowKernel:
        with cls._lock:
            if cls._dfk is not None:
                raise ConfigurationError(
                    "a Config has already been loaded; call parsl.clear() (or dfk.cleanup()) first"
                )
            from parsl.dataflow.dflow import DataFlowKernel

            cls._dfk = DataFlowKernel(config)
            return cls._dfk

    @classmethod
    def dfk(cls) -> DataFlowKernel:
        dfk = cls._dfk
        if dfk is None:
            raise NoDataFlowKernelError("Must first load config")  # Parsl's words
        return dfk

    @classmethod
    def clear(cls) -> None:
        """Clean up and forget the current DataFlowKernel, if any."""
        dfk = cls._dfk
        if dfk is not None:
            dfk.cleanup()
        cls._dfk = None

    @classmethod
    def wait_for_current_tasks(cls) -> None:
        cls.dfk().wait_for_current_tasks()

    @classmethod
    def _forget(cls, dfk: DataFlowKernel) -> None:
        if cls._dfk is dfk:
            cls._dfk = None
