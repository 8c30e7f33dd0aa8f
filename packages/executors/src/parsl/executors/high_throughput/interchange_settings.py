"""What the executor tells a new interchange process (one JSON line on its stdin)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class InterchangeSettings:
    """What the executor tells a new interchange (one JSON line on its stdin, before any frame)."""

    worker_address: str
    worker_port: int | None
    worker_port_range: tuple[int, int]
    heartbeat_period: float
    heartbeat_threshold: float
    poll_period_ms: int
    logdir: str
    debug: bool
    parent_pid: int
    cert_dir: str | None
    prefer_newest_block: bool = False
    manager_selector: str | None = None
    """A selector of the user's own, as ``manager_selector.dump_selector`` wrote it."""
    monitoring_run_id: str | None = None
    """The run's id when monitoring is on: the interchange then reports NODE_INFO."""
    log_config_path: str | None = None
    """The run's pickled ``Config(initialize_logging=LogConfig)``: set up as ``interchange``."""

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> InterchangeSettings:
        data = json.loads(text)
        data["worker_port_range"] = tuple(data["worker_port_range"])
        return cls(**data)
