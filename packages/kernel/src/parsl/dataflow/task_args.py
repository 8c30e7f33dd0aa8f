"""A task's arguments: checking the call options, gathering and unwrapping dependencies."""

from __future__ import annotations

import os
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from parsl.dataflow.dependency_resolvers import DependencyResolver
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import bad_value

if TYPE_CHECKING:
    from parsl.config import Config

_NO_SPEC: dict[str, Any] = {}  # shared, never mutated


def resource_spec(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The call's ``parsl_resource_specification`` (checked), after checking ``walltime``."""
    spec = kwargs.get("parsl_resource_specification") or _NO_SPEC
    if not isinstance(spec, dict):
        raise bad_value("parsl_resource_specification", spec, "a dict")
    walltime = kwargs.get("walltime")
    if walltime is not None and (
        isinstance(walltime, bool) or not isinstance(walltime, int | float) or walltime <= 0
    ):
        raise bad_value("walltime", walltime, "seconds > 0 or None")
    return spec


def gather(resolver: DependencyResolver, task: TaskRecord) -> list[Future[Any]]:
    """The futures among the task's arguments (and the elements of ``inputs=``)."""
    find = resolver.traverse_to_gather
    deps = [f for a in task.args for f in find(a)]
    for k, v in task.kwargs.items():
        if k == "inputs" and isinstance(v, list | tuple):
            deps.extend(f for e in v for f in find(e))
        else:
            deps.extend(find(v))
    return deps


def unwrap(resolver: DependencyResolver, task: TaskRecord) -> None:
    """Replace the futures among the task's arguments by their results."""
    get = resolver.traverse_to_unwrap
    task.args = tuple(get(a) for a in task.args)
    task.kwargs = {
        k: [get(e) for e in v] if k == "inputs" and isinstance(v, list | tuple) else get(v)
        for k, v in task.kwargs.items()
    }


def std_path(task: TaskRecord, kw: str, value: Any, config: Config, run_dir: str) -> Any:
    """The ``stdout=``/``stderr=`` value to use: ``AUTO_LOGNAME`` becomes a per-task path."""
    from parsl.app.app import AUTO_LOGNAME

    if value is not AUTO_LOGNAME:
        return value
    # A per-task log path must not make identical calls look different to the memoizer.
    if kw not in task.ignore_for_cache:
        task.ignore_for_cache = (*task.ignore_for_cache, kw)
    if config.std_autopath is not None:
        return config.std_autopath(task, kw)
    folder = os.path.join(run_dir, "task_logs", f"{task.id // 10000:04d}")
    label = task.kwargs.get("label")
    suffix = "" if label is None else f"_{label}"  # an app's label= names its logs, as in Parsl
    return os.path.join(folder, f"task_{task.id:04d}_{task.func_name}{suffix}.{kw}")
