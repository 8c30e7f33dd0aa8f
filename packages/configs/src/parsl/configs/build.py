"""Turning an entry plus the user's parameters into a :class:`parsl.config.Config`."""

from __future__ import annotations

import importlib
import logging
import re
from typing import Any

from parsl.config import Config
from parsl.configs.schema import PLACEHOLDER, Entry, Parameter
from parsl.errors import ConfigurationError, PluginNotFound
from parsl.executors.base import ParslExecutor
from parsl.launchers.base import Launcher
from parsl.providers.base import ExecutionProvider

logger = logging.getLogger(__name__)

#: Parameters every batch entry accepts without declaring them (block shape and limits).
COMMON_BATCH_PARAMETERS = {
    "walltime": Parameter(
        meaning="each block's time limit, HH:MM:SS", target="provider.walltime", required=False
    ),
    "nodes_per_block": Parameter(
        meaning="nodes in each block", target="provider.nodes_per_block", type="int", required=False
    ),
    "init_blocks": Parameter(
        meaning="blocks started at load", target="provider.init_blocks", type="int", required=False
    ),
    "min_blocks": Parameter(
        meaning="fewest blocks kept", target="provider.min_blocks", type="int", required=False
    ),
    "max_blocks": Parameter(
        meaning="most blocks at once", target="provider.max_blocks", type="int", required=False
    ),
}


def parameters_of(entry: Entry) -> dict[str, Parameter]:
    """The entry's own parameters plus, for batch schedulers, the common block-shape ones."""
    common = COMMON_BATCH_PARAMETERS if entry.scheduler in ("slurm", "pbspro") else {}
    return {**common, **entry.parameters}


def _describe(name: str, param: Parameter) -> str:
    text = f"{name!r} ({param.meaning}"
    if param.choices:
        text += f"; one of {', '.join(map(str, param.choices))}"
    if param.example is not None:
        text += f"; e.g. {param.example}"
    return text + ")"


def check_parameters(entry: Entry, params: dict[str, Any]) -> dict[str, Any]:
    """Validate the user's values against the entry; return every value to apply (defaults included)."""
    declared = parameters_of(entry)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise ConfigurationError(
            f"{entry.name}: unknown parameter(s) {', '.join(unknown)}; this entry takes: "
            + "; ".join(_describe(n, p) for n, p in declared.items()),
            field=unknown[0],
            value=params[unknown[0]],
        )
    missing = [n for n, p in declared.items() if p.required and n not in params]
    if missing:
        raise ConfigurationError(
            f"{entry.name} needs parameter(s): "
            + "; ".join(_describe(n, declared[n]) for n in missing)
            + f". Pass them as load_config({entry.name!r}, {missing[0]}=...)",
            field=missing[0],
        )
    values: dict[str, Any] = {}
    for name, param in declared.items():
        if name not in params:
            if param.default is not None:
                values[name] = param.default
            continue
        value = params[name]
        expected = int if param.type == "int" else str
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ConfigurationError(
                f"{entry.name}: parameter {_describe(name, param)} must be {param.type}, "
                f"not {type(value).__name__} {value!r}",
                field=name,
                value=value,
            )
        if param.choices and value not in param.choices:
            raise ConfigurationError(
                f"{entry.name}: parameter {name}={value!r} is not one the site accepts: "
                f"expected one of {', '.join(map(str, param.choices))} ({param.meaning})",
                field=name,
                value=value,
            )
        if param.pattern and not re.fullmatch(param.pattern, str(value)):
            hint = f", e.g. {param.example}" if param.example is not None else ""
            raise ConfigurationError(
                f"{entry.name}: parameter {name}={value!r} does not look like what the site "
                f"expects: {param.meaning} (pattern {param.pattern}{hint})",
                field=name,
                value=value,
            )
        values[name] = value
    return values


def fill_template(text: str, values: dict[str, Any]) -> str:
    """Replace each ``{{name}}`` in ``text`` with its value."""
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def _plugin_class(group: str, type_name: str, entry: Entry) -> Any:
    module = importlib.import_module(f"parsl.{group}")
    try:
        return getattr(module, type_name)
    except (AttributeError, PluginNotFound) as e:
        raise ConfigurationError(
            f"{entry.name}: {group} class {type_name!r} is not installed "
            f"(no 'parsl.{group}' entry point of that name): {e}"
        ) from e


def resolved_options(entry: Entry, params: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The constructor options of provider, launcher and executor after applying ``params``."""
    values = check_parameters(entry, params)
    options: dict[str, dict[str, Any]] = {
        "provider": dict(entry.provider.options),
        "launcher": dict(entry.launcher.options) if entry.launcher else {},
        "executor": dict(entry.executor.options),
    }
    declared = parameters_of(entry)
    for name, value in values.items():
        target = declared[name].target
        if target != "template":
            part, _, option = target.partition(".")
            options[part][option] = value
    if "scheduler_options" in options["provider"]:
        options["provider"]["scheduler_options"] = fill_template(
            str(options["provider"]["scheduler_options"]), values
        )
    if entry.worker_init:
        options["provider"]["worker_init"] = fill_template(entry.worker_init, values)
    return options


def _address(entry: Entry) -> str | None:
    if entry.network_interface is None:
        return None
    from parsl.addresses import address_by_hostname, address_by_interface

    try:
        return address_by_interface(entry.network_interface)
    except Exception as e:  # this host lacks the interface (not the site's login node)
        logger.warning(
            "%s: interface %s not found on this host (%s); using this host's name instead",
            entry.name,
            entry.network_interface,
            e,
        )
        return address_by_hostname()


def build_executor(entry: Entry, params: dict[str, Any], *, resolve_address: bool = True) -> Any:
    """The entry's executor (with its provider and launcher) for ``params``."""
    if entry.unavailable:
        raise ConfigurationError(f"{entry.name} cannot be loaded here: {entry.unavailable}")
    options = resolved_options(entry, params)
    try:
        launcher: Launcher | None = None
        if entry.launcher is not None:
            cls = _plugin_class("launchers", entry.launcher.type, entry)
            launcher = cls(**options["launcher"])
        provider_cls = _plugin_class("providers", entry.provider.type, entry)
        provider: ExecutionProvider = provider_cls(launcher=launcher, **options["provider"])
        executor_cls = _plugin_class("executors", entry.executor.type, entry)
        executor_options = dict(options["executor"])
        executor_options.setdefault("label", entry.name.replace("-", "_"))
        if resolve_address and "address" not in executor_options:
            executor_options["address"] = _address(entry)
        executor: ParslExecutor = executor_cls(provider=provider, **executor_options)
    except ConfigurationError as e:
        raise ConfigurationError(f"{entry.name}: {e}", field=e.field, value=e.value) from e
    except TypeError as e:
        raise ConfigurationError(f"{entry.name}: an option of the entry is wrong: {e}") from e
    return executor


def build_config(
    entry: Entry, params: dict[str, Any], *, resolve_address: bool = True, **config_options: Any
) -> Config:
    """A Config with the entry's one executor; ``config_options`` go to Config as they are."""
    executor = build_executor(entry, params, resolve_address=resolve_address)
    return Config(executors=[executor], **config_options)
