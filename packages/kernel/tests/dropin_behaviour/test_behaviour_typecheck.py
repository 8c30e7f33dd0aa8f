"""Public constructors check their annotated argument types with typeguard, as Parsl's do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from typeguard import TypeCheckError

from parsl.config import Config
from parsl.errors import ConfigurationError
from parsl.executors import ThreadPoolExecutor
from parsl.launchers import SimpleLauncher, SingleNodeLauncher
from parsl.providers import LocalProvider
from parsl.typecheck import ArgumentTypeError, typechecked

WRONG: list[tuple[str, Callable[[], Any], str]] = [
    ("Config.exit_mode", lambda: Config(exit_mode="wrong"), "exit_mode"),
    ("Config.retries", lambda: Config(retries="3"), "retries"),  # type: ignore[arg-type]
    ("Config.executors", lambda: Config(executors=[object()]), "executors"),  # type: ignore[list-item]
    ("Config.checkpoint_mode", lambda: Config(checkpoint_mode="often"), "checkpoint_mode"),  # type: ignore[arg-type]
    ("ThreadPoolExecutor.max_threads", lambda: ThreadPoolExecutor(max_threads="4"), "max_threads"),  # type: ignore[arg-type]
    ("ThreadPoolExecutor.label", lambda: ThreadPoolExecutor(label=5), "label"),  # type: ignore[arg-type]
    ("LocalProvider.init_blocks", lambda: LocalProvider(init_blocks=1.5), "init_blocks"),  # type: ignore[arg-type]
    ("LocalProvider.launcher", lambda: LocalProvider(launcher="srun"), "launcher"),  # type: ignore[arg-type]
    ("SimpleLauncher.debug", lambda: SimpleLauncher(debug="yes"), "debug"),  # type: ignore[arg-type]
    ("SingleNodeLauncher.fail_on_any", lambda: SingleNodeLauncher(fail_on_any=1), "fail_on_any"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("name", "make", "field"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_type_raises_typeguard_error_naming_the_field(
    name: str, make: Callable[[], Any], field: str
) -> None:
    with pytest.raises(TypeCheckError) as e:
        make()
    # Code written for Parsl compares the class's name (typeguard 4's, or TypeError for 2.x).
    assert e.type.__name__ == "TypeCheckError"
    assert isinstance(e.value, ConfigurationError)  # our own check, naming the field, still applies
    assert e.value.field is not None and field in e.value.field
    assert field in str(e.value)


def test_right_types_construct() -> None:
    cfg = Config(
        executors=[ThreadPoolExecutor(label="a", max_threads=3)],
        exit_mode="wait",
        retries=1,
        retry_handler=lambda exc, record: 1.0,
        checkpoint_mode="task_exit",
    )
    assert cfg.exit_mode == "wait"
    assert LocalProvider(launcher=SimpleLauncher(), init_blocks=0).init_blocks == 0


def test_value_checks_still_name_the_fix() -> None:
    # right type, wrong value: our own check (not typeguard) answers
    with pytest.raises(ConfigurationError, match=r"retries=-1 is not valid: expected an int >= 0"):
        Config(retries=-1)


def test_helper_on_a_plugin_class() -> None:
    class MyLauncher(SimpleLauncher):
        @typechecked
        def __init__(self, width: int, debug: bool = True) -> None:
            super().__init__(debug=debug)
            self.width = width

    assert MyLauncher(3).width == 3
    with pytest.raises(ArgumentTypeError, match="width") as e:
        MyLauncher("3")  # type: ignore[arg-type]
    assert e.value.field == "width"
    assert e.value.value == "3"
    assert isinstance(e.value, TypeError)
