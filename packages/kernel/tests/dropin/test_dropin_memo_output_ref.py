"""``id_for_memo(obj, output_ref=False)`` as in Parsl: handlers that take ``output_ref`` get True for
the values of ``outputs=``, containers pass it on, and handlers written without it still work."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memo_hash import id_for_memo
from parsl.dataflow.memoization import make_hash
from parsl.dataflow.taskrecord import TaskRecord
from parsl.executors import ThreadPoolExecutor


class ContentFile:
    """A path whose content is part of its identity as an input, but not as an output."""

    def __init__(self, path: Path) -> None:
        self.path = path


class Bundle:
    """A container of other values: its handler calls id_for_memo on its items, Parsl-style."""

    def __init__(self, *items: Any) -> None:
        self.items = list(items)


class Legacy:
    """A type whose handler was written without output_ref."""

    def __init__(self, key: str) -> None:
        self.key = key


seen_output_ref: list[bool] = []


@id_for_memo.register(ContentFile)
def _content_file(obj: ContentFile, output_ref: bool = False) -> bytes:
    seen_output_ref.append(output_ref)
    if output_ref:
        return str(obj.path).encode()
    return str(obj.path).encode() + b"|" + obj.path.read_bytes()


@id_for_memo.register(Bundle)
def _bundle(obj: Bundle, output_ref: bool = False) -> bytes:
    return id_for_memo(obj.items, output_ref=output_ref)


@id_for_memo.register(Legacy)
def _legacy(obj: Legacy) -> bytes:
    return obj.key.encode()


def produce(inputs: Any = (), outputs: Any = ()) -> None:
    return None


def task_for(**kwargs: Any) -> TaskRecord:
    return TaskRecord(
        id=1,
        func=produce,
        func_name="produce",
        args=(),
        kwargs=kwargs,
        executor="t",
        kind="python",
        memoize=True,
        ignore_for_cache=(),
        resource_specification={},
        time_invoked=time.time(),
    )


def test_outputs_are_identified_as_output_references(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    inp = tmp_path / "in.txt"
    inp.write_text("one")
    out.write_text("before")
    seen_output_ref.clear()
    first = make_hash(task_for(inputs=[ContentFile(inp)], outputs=[Bundle(ContentFile(out))]))
    # Through the list and the Bundle's own recursive call, the output was an output reference.
    assert seen_output_ref == [False, True]
    out.write_text("after: an output's content does not change the key")
    assert (
        make_hash(task_for(inputs=[ContentFile(inp)], outputs=[Bundle(ContentFile(out))])) == first
    )
    inp.write_text("two")  # an input's content does
    assert (
        make_hash(task_for(inputs=[ContentFile(inp)], outputs=[Bundle(ContentFile(out))])) != first
    )


def test_a_handler_without_output_ref_still_works_inside_outputs() -> None:
    one = make_hash(task_for(outputs=[Legacy("a")]))
    assert one == make_hash(task_for(outputs=[Legacy("a")]))
    assert one != make_hash(task_for(outputs=[Legacy("b")]))
    assert id_for_memo(Legacy("a")) == b"a"
    with pytest.raises(TypeError):  # asked directly for what it does not take, as in Parsl
        id_for_memo(Legacy("a"), output_ref=True)


def test_builtin_values_take_output_ref_and_keep_their_encoding() -> None:
    for value in (None, 1, 2.5, "s", b"b", [1, (2, {"k": {3}})], frozenset({1})):
        assert id_for_memo(value, output_ref=True) == id_for_memo(value)


@python_app(cache=True)
def write(inputs: Any = (), outputs: Any = ()) -> str:
    target = outputs[0].path
    target.write_text(f"written at {time.monotonic()}")
    return target.read_text()


def test_a_cached_app_is_reused_after_its_output_changed(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text("input")
    target = tmp_path / "target.txt"
    parsl.load(Config(executors=[ThreadPoolExecutor(label="t")], run_dir=str(tmp_path / "runinfo")))
    try:
        first = write(inputs=[ContentFile(source)], outputs=[ContentFile(target)]).result(10)
        # The output file now has content it did not have at the first call: same key.
        again = write(inputs=[ContentFile(source)], outputs=[ContentFile(target)])
        assert again.result(10) == first and again.task_status() == "memo_done"
        source.write_text("changed input")
        third = write(inputs=[ContentFile(source)], outputs=[ContentFile(target)])
        assert third.result(10) != first and third.task_status() == "exec_done"
    finally:
        parsl.clear()
