"""The stand-in task record the lifecycle tests feed to the pure core (no DataFlowKernel)."""

from __future__ import annotations

from dataclasses import dataclass, field

from parsl.dataflow.states import States


@dataclass
class Rec:
    """The fields of a task record the lifecycle uses."""

    id: int = 7
    func_name: str = "f"
    kind: str = "python"
    memoize: bool = False
    status: States = States.unsched
    try_id: int = 0
    fail_count: int = 0
    fail_cost: float = 0.0
    fail_history: list[BaseException] = field(default_factory=list)
    from_memo: bool = False
