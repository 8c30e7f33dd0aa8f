"""id_for_memo and task_hash: stable, collision-free identities for app calls."""

from __future__ import annotations

import collections
import datetime
import decimal
import enum
import fractions
import functools
import importlib.util
import os
import pathlib
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from parsl.data_provider.files import File
from parsl.dataflow.memo_hash import UnmemoizableArgument, id_for_memo, task_hash
from parsl.dataflow.taskrecord import TaskRecord
from parsl.errors import ParslError


def make_task(
    func: Callable[..., Any],
    *args: Any,
    ignore_for_cache: tuple[str, ...] = (),
    kind: str = "python",
    task_id: int = 1,
    **kwargs: Any,
) -> TaskRecord:
    return TaskRecord(
        id=task_id,
        func=func,
        func_name=getattr(func, "__name__", "callable"),
        args=args,
        kwargs=kwargs,
        executor="threads",
        kind=kind,
        memoize=True,
        ignore_for_cache=ignore_for_cache,
        resource_specification={},
        time_invoked=time.time(),
    )


def add(x: int, y: int = 0) -> int:
    return x + y


def collect(x: int, *rest: int, **options: Any) -> int:
    return x


class Color(enum.IntEnum):
    RED = 1


Point = collections.namedtuple("Point", "x y")

DISTINCT_VALUES: list[Any] = [
    None,
    ...,
    False,
    True,
    0,
    1,
    -1,
    2**100,
    -(2**100),
    0.0,
    -0.0,
    1.0,
    float("inf"),
    complex(1, 2),
    "",
    "1",
    "ab",
    b"",
    b"1",
    b"ab",
    [],
    (),
    {},
    set(),
    frozenset(),
    [1],
    (1,),
    {1},
    frozenset({1}),
    {1: None},
    {"1": None},
    [[]],
    [[], []],
    [[[]]],
    ["a", "b"],
    ["ab"],
    ["a", ["b"]],
    range(3),
    File("x.txt"),
    pathlib.PurePosixPath("x.txt"),
    decimal.Decimal("1.10"),
    fractions.Fraction(1, 3),
    datetime.date(2024, 1, 2),
    datetime.datetime(2024, 1, 2, 3, 4, 5),
    datetime.timedelta(days=1),
    uuid.UUID(int=7),
    Color.RED,
    Point(1, 2),
]


def test_distinct_values_have_distinct_ids_inside_a_container() -> None:
    ids = [id_for_memo([v]) for v in DISTINCT_VALUES]
    clashes = [
        (DISTINCT_VALUES[i], DISTINCT_VALUES[j])
        for i in range(len(ids))
        for j in range(i + 1, len(ids))
        if ids[i] == ids[j]
    ]
    assert clashes == []


@pytest.mark.parametrize("value", DISTINCT_VALUES, ids=repr)
def test_ids_are_bytes_and_repeatable(value: Any) -> None:
    first = id_for_memo(value)
    assert isinstance(first, bytes)
    assert id_for_memo(value) == first


def test_dicts_and_sets_ignore_order() -> None:
    assert id_for_memo({"a": 1, "b": [2], 3: "c"}) == id_for_memo({3: "c", "b": [2], "a": 1})
    assert id_for_memo({"x", "y", "z"}) == id_for_memo({"z", "y", "x"})
    assert id_for_memo(frozenset({3, 2, 1})) == id_for_memo(frozenset({1, 2, 3}))
    assert id_for_memo({"a": 1}) != id_for_memo({"a": 2})


def test_huge_ints_beyond_the_str_digit_limit() -> None:
    big = 10**5000
    assert id_for_memo(big) != id_for_memo(big + 1)


def test_files_are_identified_by_url_only() -> None:
    staged = File("http://example.org/data.csv")
    staged.local_path = "/tmp/somewhere/data.csv"
    assert id_for_memo(staged) == id_for_memo(File("http://example.org/data.csv"))
    assert id_for_memo(File("a.txt")) != id_for_memo(File("b.txt"))
    assert id_for_memo(File("a.txt")) != id_for_memo("a.txt")


def test_unsupported_type_names_the_type_even_when_nested() -> None:
    class Opaque:
        pass

    with pytest.raises(UnmemoizableArgument, match="Opaque") as info:
        id_for_memo({"k": [Opaque()]})
    assert isinstance(info.value, ParslError)
    assert isinstance(info.value, TypeError)


def test_registered_types_cannot_collide_with_builtins() -> None:
    class Tagged:
        def __init__(self, name: str) -> None:
            self.name = name

    @id_for_memo.register(Tagged)
    def _tagged(obj: Tagged) -> bytes:
        return id_for_memo(obj.name)  # the same bytes as the plain string

    assert id_for_memo([Tagged("a")]) == id_for_memo([Tagged("a")])
    assert id_for_memo([Tagged("a")]) != id_for_memo([Tagged("b")])
    assert id_for_memo([Tagged("a")]) != id_for_memo(["a"])


def test_registered_function_returning_a_plain_value_is_keyed_by_it() -> None:
    """Handlers written for Parsl may return a str (Parsl's tests register one for File)."""

    class ByName:
        def __init__(self, name: str) -> None:
            self.name = name

    class ByParts:
        def __init__(self, *parts: object) -> None:
            self.parts = parts

    id_for_memo.register(ByName)(lambda obj: obj.name)
    id_for_memo.register(ByParts)(lambda obj: list(obj.parts))
    assert id_for_memo([ByName("a")]) == id_for_memo([ByName("a")])
    assert id_for_memo([ByName("a")]) != id_for_memo([ByName("b")])
    assert id_for_memo([ByParts(1, "x")]) == id_for_memo([ByParts(1, "x")])
    assert id_for_memo([ByParts(1, "x")]) != id_for_memo([ByParts(1, "y")])
    # A str result never keys the same as the plain argument.
    assert id_for_memo([ByName("a")]) != id_for_memo(["a"])


def test_registered_function_returning_an_unknown_value_fails_clearly() -> None:
    class Wrong:
        pass

    id_for_memo.register(Wrong)(lambda obj: object())
    with pytest.raises(UnmemoizableArgument, match="returned object: expected bytes"):
        id_for_memo([Wrong()])


def test_file_handler_returning_its_url_memoizes_tasks(tmp_path: pathlib.Path) -> None:
    """A Parsl-style ``id_for_memo.register(File)`` returning ``file.url`` keys apps that take Files."""
    original = id_for_memo.dispatch(File)
    id_for_memo.register(File)(lambda file, output_ref=False: file.url)
    try:
        a = task_hash(make_task(_takes_file, File(str(tmp_path / "a"))))
        assert a == task_hash(make_task(_takes_file, File(str(tmp_path / "a"))))
        assert a != task_hash(make_task(_takes_file, File(str(tmp_path / "b"))))
    finally:
        id_for_memo.register(File)(original)


def _takes_file(f: File) -> None:
    return None


def _load_module(path: pathlib.Path, name: str, source: str) -> ModuleType:
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_edited_function_gets_a_new_id(tmp_path: pathlib.Path) -> None:
    v1 = _load_module(tmp_path / "v1.py", "appmod", "def f(x):\n    return x + 1\n")
    v2 = _load_module(tmp_path / "v2.py", "appmod", "def f(x):\n    return x + 2\n")
    same = _load_module(tmp_path / "v3.py", "appmod", "def f(x):\n    return x + 1\n")
    assert v1.f.__qualname__ == v2.f.__qualname__
    assert id_for_memo(v1.f) != id_for_memo(v2.f)
    assert id_for_memo(v1.f) == id_for_memo(same.f)
    assert task_hash(make_task(v1.f, 1)) != task_hash(make_task(v2.f, 1))


def test_app_objects_are_identified_by_the_function_they_wrap(tmp_path: pathlib.Path) -> None:
    from parsl.app.app import bash_app, python_app

    v1 = _load_module(tmp_path / "a1.py", "appmod", "def f(x):\n    return x + 1\n")
    v2 = _load_module(tmp_path / "a2.py", "appmod", "def f(x):\n    return x + 2\n")
    app1, app2 = python_app(v1.f, cache=True), python_app(v2.f, cache=True)
    assert task_hash(make_task(app1, 1)) != task_hash(make_task(app2, 1))
    assert task_hash(make_task(app1, 1)) == task_hash(make_task(python_app(v1.f), 1))
    assert task_hash(make_task(app1, 1)) != task_hash(make_task(bash_app(v1.f), 1, kind="bash"))


def test_function_without_source_falls_back_to_bytecode() -> None:
    def compile_f(body: str) -> Callable[..., Any]:
        namespace: dict[str, Any] = {}
        exec(compile(f"def f(x):\n    return {body}\n", "<generated>", "exec"), namespace)
        return namespace["f"]  # type: ignore[no-any-return]

    assert id_for_memo(compile_f("x * 2")) == id_for_memo(compile_f("x * 2"))
    assert id_for_memo(compile_f("x * 2")) != id_for_memo(compile_f("x * 3"))
    assert id_for_memo(compile_f("x * 2")) != id_for_memo(compile_f("'x * 2'"))


def test_closures_differ_by_captured_values() -> None:
    def make(n: int) -> Callable[[int], int]:
        def scaled(x: int) -> int:
            return x * n

        return scaled

    assert id_for_memo(make(2)) == id_for_memo(make(2))
    assert id_for_memo(make(2)) != id_for_memo(make(3))


def test_closure_over_unhashable_or_recursive_values_still_has_an_id() -> None:
    lock_like = object()

    def uses_object() -> object:
        return lock_like

    def recursive(n: int) -> int:
        return 0 if n == 0 else recursive(n - 1)

    assert id_for_memo(uses_object) == id_for_memo(uses_object)
    assert id_for_memo(recursive) == id_for_memo(recursive)


def test_decorated_function_is_identified_by_the_wrapped_source() -> None:
    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*a: Any) -> Any:
            return f(*a)

        return wrapper

    def one() -> int:
        return 1

    def two() -> int:
        return 2

    assert id_for_memo(deco(one)) != id_for_memo(deco(two))


def test_partials_methods_and_builtins() -> None:
    assert id_for_memo(functools.partial(add, 1)) != id_for_memo(functools.partial(add, 2))
    assert id_for_memo(functools.partial(add, 1)) == id_for_memo(functools.partial(add, 1))
    assert id_for_memo(len) != id_for_memo(abs)
    assert id_for_memo((1).bit_length) != id_for_memo((2).bit_length)
    assert id_for_memo(File("a").cleancopy) != id_for_memo(File("b").cleancopy)
    assert id_for_memo(File("a").cleancopy) == id_for_memo(File("a").cleancopy)


def test_same_call_same_hash_and_different_args_differ() -> None:
    h = task_hash(make_task(add, 1, 2))
    assert len(h) == 64
    assert task_hash(make_task(add, 1, 2, task_id=99)) == h
    assert task_hash(make_task(add, 1, y=2)) == h  # bound to names
    assert task_hash(make_task(add, 2, 1)) != h
    assert task_hash(make_task(add, 1, 2, kind="bash")) != h
    assert task_hash(make_task(collect, 1, 2)) != task_hash(make_task(collect, 1, 3))


def test_ignore_for_cache_drops_keyword_and_positional_arguments() -> None:
    base = task_hash(make_task(add, 1, y=2, ignore_for_cache=("y",)))
    assert task_hash(make_task(add, 1, y=3, ignore_for_cache=("y",))) == base
    assert task_hash(make_task(add, 1, 5, ignore_for_cache=("y",))) == base
    assert task_hash(make_task(add, 2, y=2, ignore_for_cache=("y",))) != base
    assert task_hash(make_task(add, 1, ignore_for_cache=("nonexistent",))) == task_hash(
        make_task(add, 1)
    )


def test_ignore_for_cache_reaches_into_var_keyword() -> None:
    def run(**kw: Any) -> None:
        pass

    a = make_task(run, stdout="a.out", n=1, ignore_for_cache=("stdout",))
    b = make_task(run, stdout="b.out", n=1, ignore_for_cache=("stdout",))
    c = make_task(run, stdout="a.out", n=1)
    d = make_task(run, stdout="b.out", n=1)
    assert task_hash(a) == task_hash(b)
    assert task_hash(c) != task_hash(d)


def test_inputs_and_outputs_are_part_of_the_key() -> None:
    def app(inputs: list[File] = [], outputs: list[File] = []) -> None:  # noqa: B006
        pass

    assert task_hash(make_task(app, inputs=[File("a")])) != task_hash(
        make_task(app, inputs=[File("b")])
    )
    assert task_hash(make_task(app, outputs=[File("a")])) != task_hash(
        make_task(app, outputs=[File("b")])
    )


def test_calls_that_do_not_bind_hash_their_raw_arguments() -> None:
    def bash_like(x: int) -> str:
        return ""

    a = make_task(bash_like, 1, stdout="x", ignore_for_cache=("stdout",))
    b = make_task(bash_like, 1, stdout="y", ignore_for_cache=("stdout",))
    c = make_task(bash_like, 1, stdout="y")
    assert task_hash(a) == task_hash(b)
    assert task_hash(a) != task_hash(c)
    assert task_hash(make_task(len, [1, 2])) != task_hash(make_task(len, [1]))


def test_callable_object_as_function() -> None:
    class Doubler:
        def __call__(self, x: int) -> int:
            return 2 * x

    assert task_hash(make_task(Doubler(), 1)) == task_hash(make_task(Doubler(), 1))
    assert task_hash(make_task(Doubler(), 1)) != task_hash(make_task(Doubler(), 2))


def test_unhashable_argument_names_task_and_type() -> None:
    with pytest.raises(UnmemoizableArgument, match=r"task 7 \(add\).*object"):
        task_hash(make_task(add, object(), task_id=7))


def test_self_referential_argument_is_a_clear_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(UnmemoizableArgument, match="contain themselves"):
        task_hash(make_task(add, loop))


CHILD_SCRIPT = """
import sys, time
sys.path.insert(0, sys.argv[1])
from apps_for_hash import add, VALUE
from parsl.dataflow.memo_hash import id_for_memo, task_hash
from parsl.dataflow.taskrecord import TaskRecord
task = TaskRecord(id=5, func=add, func_name="add", args=(VALUE,), kwargs={"y": 3},
                  executor="x", kind="python", memoize=True, ignore_for_cache=[],
                  resource_specification={}, time_invoked=time.time())
print(id_for_memo(VALUE).hex())
print(task_hash(task))
"""

APPS_SOURCE = """
from parsl.data_provider.files import File
VALUE = {"names": {"alpha", "beta", "gamma", "delta"}, "k": frozenset({"x", "y"}),
         "f": [File("in.txt"), 1.5, None, True, b"raw"], ("t", 1): {"z": 1, "a": 2}}
def add(x, y=0):
    return len(x) + y
"""


@pytest.mark.timeout(60)
def test_hash_is_stable_across_processes_and_hash_seeds(tmp_path: pathlib.Path) -> None:
    (tmp_path / "apps_for_hash.py").write_text(APPS_SOURCE)
    outputs = []
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run(
            [sys.executable, "-c", CHILD_SCRIPT, str(tmp_path)],
            capture_output=True,
            text=True,
            env=env,
            timeout=50,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout.split())
    assert outputs[0] == outputs[1] == outputs[2]

    sys.path.insert(0, str(tmp_path))
    try:
        import apps_for_hash  # type: ignore[import-not-found]

        here = make_task(apps_for_hash.add, apps_for_hash.VALUE, y=3)
        assert [id_for_memo(apps_for_hash.VALUE).hex(), task_hash(here)] == outputs[0]
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("apps_for_hash", None)
