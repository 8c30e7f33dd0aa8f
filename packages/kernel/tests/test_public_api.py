"""The import paths Parsl users type must keep working (the public surface, pinned)."""

from __future__ import annotations

import importlib

import pytest

import parsl

PUBLIC = [
    ("parsl", "python_app"),
    ("parsl", "bash_app"),
    ("parsl", "join_app"),
    ("parsl", "File"),
    ("parsl", "Config"),
    ("parsl", "load"),
    ("parsl", "dfk"),
    ("parsl", "clear"),
    ("parsl", "wait_for_current_tasks"),
    ("parsl", "AUTO_LOGNAME"),
    ("parsl", "set_stream_logger"),
    ("parsl", "set_file_logger"),
    ("parsl", "__version__"),
    ("parsl.config", "Config"),
    ("parsl.app.app", "python_app"),
    ("parsl.app.app", "bash_app"),
    ("parsl.app.app", "join_app"),
    ("parsl.app.errors", "BashExitFailure"),
    ("parsl.app.errors", "AppTimeout"),
    ("parsl.app.errors", "MissingOutputs"),
    ("parsl.app.errors", "AppException"),
    ("parsl.app.futures", "DataFuture"),
    ("parsl.dataflow.futures", "AppFuture"),
    ("parsl.dataflow.dflow", "DataFlowKernel"),
    ("parsl.dataflow.dflow", "DataFlowKernelLoader"),
    ("parsl.dataflow.errors", "DependencyError"),
    ("parsl.dataflow.errors", "JoinError"),
    ("parsl.dataflow.states", "States"),
    ("parsl.dataflow.dependency_resolvers", "DEEP_DEPENDENCY_RESOLVER"),
    ("parsl.dataflow.dependency_resolvers", "SHALLOW_DEPENDENCY_RESOLVER"),
    ("parsl.data_provider.files", "File"),
    ("parsl.executors", "ThreadPoolExecutor"),
    ("parsl.executors.threads", "ThreadPoolExecutor"),
    ("parsl.executors.base", "ParslExecutor"),
    ("parsl.providers", "LocalProvider"),
    ("parsl.providers.base", "ExecutionProvider"),
    ("parsl.launchers", "SimpleLauncher"),
    ("parsl.launchers", "SingleNodeLauncher"),
    ("parsl.launchers.errors", "BadLauncher"),
    ("parsl.launchers.launchers", "SimpleLauncher"),
    ("parsl.launchers.launchers", "SingleNodeLauncher"),
    ("parsl.jobs.states", "JobState"),
    ("parsl.addresses", "address_by_interface"),
    ("parsl.addresses", "address_by_hostname"),
    ("parsl.serialize", "serialize"),
    ("parsl.serialize", "deserialize"),
    ("parsl.utils", "get_all_checkpoints"),
    ("parsl.utils", "get_last_checkpoint"),
    ("parsl.errors", "ParslError"),
    ("parsl.errors", "ConfigurationError"),
]


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_public_name_importable(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


def test_parsl_all_is_exactly_the_top_level_surface() -> None:
    assert sorted(parsl.__all__) == sorted(
        [
            "AUTO_LOGNAME",
            "Config",
            "DataFlowKernel",
            "DataFlowKernelLoader",
            "File",
            "HighThroughputExecutor",
            "MonitoringHub",
            "ParslError",
            "ThreadPoolExecutor",
            "WorkQueueExecutor",
            "__version__",
            "bash_app",
            "clear",
            "dfk",
            "join_app",
            "load",
            "python_app",
            "set_file_logger",
            "set_stream_logger",
            "wait_for_current_tasks",
        ]
    )
    for name in parsl.__all__:
        # Names from other distributions are looked up on use (tests/dropin/test_dropin_lookup.py).
        assert name in parsl._FROM_PLUGINS or hasattr(parsl, name)


def test_namespace_is_extendable() -> None:
    # pkgutil-style namespace: several distributions contribute to parsl.*
    import parsl.executors as ex

    assert len(parsl.__path__) >= 1
    assert hasattr(ex, "__path__")
    with pytest.raises(
        ImportError, match=r"'NoSuchExecutor' is not provided by any installed package"
    ):
        from parsl.executors import NoSuchExecutor  # noqa: F401
    with pytest.raises(AttributeError):
        ex._private  # noqa: B018


def test_every_exception_descends_from_parsl_error() -> None:
    import parsl.app.errors as ae
    import parsl.dataflow.errors as de
    import parsl.executors.errors as ee
    import parsl.providers.errors as pe
    import parsl.serialize.errors as se

    for mod in (ae, de, ee, pe, se):
        for obj in vars(mod).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, Exception)
                and obj.__module__ == mod.__name__
            ):
                assert issubclass(obj, parsl.ParslError), obj
                assert obj.__doc__, obj
