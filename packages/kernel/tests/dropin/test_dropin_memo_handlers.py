"""Parsl's names for id_for_memo's handlers: ``id_for_memo_pickle`` to register a type of one's own,
and ``id_for_memo_list``/``_tuple``/``_dict``/``_function``, the handlers it dispatches to."""

from __future__ import annotations

import dataclasses

import pytest

import parsl
from parsl import python_app
from parsl.config import Config
from parsl.dataflow.memo_hash import UnmemoizableArgument
from parsl.dataflow.memoization import (
    id_for_memo,
    id_for_memo_dict,
    id_for_memo_function,
    id_for_memo_list,
    id_for_memo_pickle,
    id_for_memo_tuple,
)
from parsl.executors import ThreadPoolExecutor


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Unregistered:
    pass


def _double(p: Point) -> int:
    return 2 * (p.x + p.y)


def test_a_type_registered_with_id_for_memo_pickle_memoizes(run_dir: str) -> None:
    with pytest.raises(UnmemoizableArgument):
        id_for_memo(Unregistered())
    id_for_memo.register(Point, id_for_memo_pickle)
    assert id_for_memo(Point(1, 2)) == id_for_memo(Point(1, 2))
    assert id_for_memo(Point(1, 2)) != id_for_memo(Point(2, 1))
    double = python_app(_double, cache=True)
    config = Config(executors=[ThreadPoolExecutor(label="t")], app_cache=True, run_dir=run_dir)
    with parsl.load(config):
        assert double(Point(1, 2)).result(10) == 6
        again, other = double(Point(1, 2)), double(Point(3, 4))  # after the first has finished
        assert (again.result(10), other.result(10)) == (6, 14)
        assert again.task_status() == "memo_done"
        assert other.task_status() == "exec_done"


def test_parsls_handler_names_are_the_handlers_id_for_memo_uses() -> None:
    assert id_for_memo.dispatch(list) is id_for_memo_list
    assert id_for_memo.dispatch(tuple) is id_for_memo_tuple
    assert id_for_memo.dispatch(dict) is id_for_memo_dict
    assert id_for_memo.dispatch(type(_double)) is id_for_memo_function
    assert id_for_memo_list([1, "a"]) == id_for_memo([1, "a"])
    assert id_for_memo_dict({"b": 1, "a": 2}) == id_for_memo({"a": 2, "b": 1})
    assert id_for_memo_tuple((1,)) != id_for_memo_list([1])
    assert isinstance(id_for_memo_pickle(Point(1, 2), output_ref=True), bytes)
