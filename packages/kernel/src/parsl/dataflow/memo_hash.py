"""Stable identities for app arguments, and the task hash built from them.

:func:`id_for_memo` turns a value into bytes that are the same in every
process and every Python run for equal values: no ``hash()``, no ``id()``,
no pickling of built-in types. Users teach it their own types with
``id_for_memo.register``::

    @id_for_memo.register(MyRecord)
    def _(rec: MyRecord) -> bytes:
        return rec.key.encode()

Every encoding is a tag plus a length-prefixed payload, so that values of
different types, or differently nested containers, never encode alike.
Inside a container (and in the task hash) a value whose type is not one of
the built-ins below also carries its type's qualified name, so a user
encoding cannot collide with a built-in one, nor a subclass (a namedtuple,
an IntEnum) with its base.
"""

from __future__ import annotations

import datetime
import decimal
import fractions
import functools
import hashlib
import inspect
import pathlib
import pickle
import threading
import types
import uuid
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from parsl.data_provider.files import File
from parsl.dataflow.errors import DataFlowException
from parsl.dataflow.taskrecord import TaskRecord

__all__ = [
    "HASH_VERSION",
    "UnmemoizableArgument",
    "id_for_memo",
    "id_for_memo_pickle",
    "task_hash",
]

HASH_VERSION = b"parsl-memo-v1"
"""Mixed into every task hash; bump it when an encoding changes so old checkpoints miss."""


class UnmemoizableArgument(DataFlowException, ValueError, TypeError):
    """An argument of a cached app has a type that id_for_memo cannot identify.

    A ValueError, as Parsl raises for a value with no memoization key (and a
    TypeError, as earlier releases of ours raised).
    """


def _frame(tag: bytes, payload: bytes) -> bytes:
    return tag + str(len(payload)).encode() + b":" + payload


def _type_name(tp: type) -> str:
    return f"{tp.__module__}.{tp.__qualname__}"


@functools.singledispatch
def id_for_memo(obj: object, output_ref: bool = False) -> bytes:
    """Stable bytes identifying ``obj`` for memoization; extend with ``id_for_memo.register``.

    ``output_ref`` is True for the values of an app's ``outputs=`` argument
    (names of files still to be written), as in Parsl: a handler may then
    leave out what only an input has, such as a file's content. Handlers
    may take ``output_ref`` or not; containers pass it on to their items.
    """
    raise UnmemoizableArgument(
        f"cannot compute a memoization key for a value of type {_type_name(type(obj))}: "
        "pass a supported type (None, bool, int, float, str, bytes, list, tuple, dict, set, "
        "File, ...), list the argument in ignore_for_cache, or teach Parsl the type with "
        "parsl.dataflow.memo_hash.id_for_memo.register"
    )


_BUILTIN_TYPES: frozenset[type] = frozenset(
    {
        type(None),
        bool,
        int,
        float,
        complex,
        str,
        bytes,
        bytearray,
        list,
        tuple,
        dict,
        set,
        frozenset,
        range,
        type(Ellipsis),
    }
)


@functools.lru_cache(maxsize=256)
def _takes_output_ref(handler: Callable[..., bytes]) -> bool:
    try:
        params = inspect.signature(handler).parameters
    except (TypeError, ValueError):
        return False
    return "output_ref" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _identify(obj: object, output_ref: bool) -> object:
    """What the registered handler returns: bytes, or another value from a Parsl-style handler."""
    if not output_ref:
        return id_for_memo(obj)
    handler = id_for_memo.dispatch(type(obj))
    if _takes_output_ref(handler):
        return handler(obj, output_ref=True)
    return handler(obj)  # a handler written without output_ref (ours before it existed)


def _element(obj: object, output_ref: bool = False) -> bytes:
    """Encode a value as a self-delimiting element, with its type name where not built-in."""
    returned = _identify(obj, output_ref)
    body = returned if isinstance(returned, bytes) else _returned(obj, returned)
    tp = type(obj)
    if tp not in _BUILTIN_TYPES:
        body = _frame(b"U", _type_name(tp).encode()) + body
    return _frame(b"", body)


def _returned(obj: object, body: object) -> bytes:
    """The key of a registered handler's non-bytes result (Parsl hashes whatever it returns).

    Handlers written for Parsl may return a str (Parsl's own test suite
    registers one for File returning its URL) or another plain value; such a
    value is keyed as an argument of that value would be, tagged so that it
    never equals a handler's bytes.
    """
    if type(body) not in _BUILTIN_TYPES:
        raise UnmemoizableArgument(
            f"id_for_memo for {_type_name(type(obj))} returned {type(body).__name__}: "
            "expected bytes (or a str, number, or list/tuple/dict of them)"
        )
    return _frame(b"R", _element(body))


def _sequence(tag: bytes, items: Iterable[object], output_ref: bool = False) -> bytes:
    return _frame(tag, b"".join(_element(x, output_ref) for x in items))


def _unordered(tag: bytes, items: Iterable[object], output_ref: bool = False) -> bytes:
    return _frame(tag, b"".join(sorted(_element(x, output_ref) for x in items)))


@id_for_memo.register(type(None))
def _none(obj: None, output_ref: bool = False) -> bytes:
    return b"N0:"


@id_for_memo.register(type(Ellipsis))
def _ellipsis(obj: object, output_ref: bool = False) -> bytes:
    return b"E0:"


@id_for_memo.register(bool)
def _bool(obj: bool, output_ref: bool = False) -> bytes:
    return _frame(b"B", b"1" if obj else b"0")


@id_for_memo.register(int)
def _int(obj: int, output_ref: bool = False) -> bytes:
    return _frame(b"I", int(obj).to_bytes((obj.bit_length() + 8) // 8, "big", signed=True))


@id_for_memo.register(float)
def _float(obj: float, output_ref: bool = False) -> bytes:
    return _frame(b"F", float(obj).hex().encode())


@id_for_memo.register(complex)
def _complex(obj: complex, output_ref: bool = False) -> bytes:
    return _frame(b"C", obj.real.hex().encode() + b"," + obj.imag.hex().encode())


@id_for_memo.register(str)
def _str(obj: str, output_ref: bool = False) -> bytes:
    return _frame(b"S", obj.encode("utf-8", "surrogatepass"))


@id_for_memo.register(bytes)
@id_for_memo.register(bytearray)
@id_for_memo.register(memoryview)
def _bytes(obj: bytes | bytearray | memoryview, output_ref: bool = False) -> bytes:
    return _frame(b"Y", bytes(obj))


@id_for_memo.register(list)
def _list(denormalized_list: list[Any], output_ref: bool = False) -> bytes:  # Parsl's names
    return _sequence(b"L", denormalized_list, output_ref)


@id_for_memo.register(tuple)
def _tuple(denormalized_tuple: tuple[Any, ...], output_ref: bool = False) -> bytes:
    return _sequence(b"T", denormalized_tuple, output_ref)


@id_for_memo.register(range)
def _range(obj: range, output_ref: bool = False) -> bytes:
    return _sequence(b"R", (obj.start, obj.stop, obj.step))


@id_for_memo.register(dict)
def _dict(denormalized_dict: dict[Any, Any], output_ref: bool = False) -> bytes:
    return _encoded_dict({k: _element(v, output_ref) for k, v in denormalized_dict.items()})


def _encoded_dict(encoded: dict[Any, bytes]) -> bytes:
    """A dict's encoding from its values' encoded elements (keys sorted by their own)."""
    pairs = sorted((_element(k), v) for k, v in encoded.items())
    return _frame(b"D", b"".join(k + v for k, v in pairs))


@id_for_memo.register(set)
def _set(obj: set[Any], output_ref: bool = False) -> bytes:
    return _unordered(b"Z", obj, output_ref)


@id_for_memo.register(frozenset)
def _frozenset(obj: frozenset[Any], output_ref: bool = False) -> bytes:
    return _unordered(b"z", obj, output_ref)


def id_for_memo_pickle(obj: object, output_ref: bool = False) -> bytes:
    """Identify ``obj`` by its pickle (Parsl's name): a handler to register for a type of one's own.

    ``id_for_memo.register(MyType, id_for_memo_pickle)`` suits a type whose
    pickle is the same for equal values (no sets, no identity-dependent state).
    """
    return pickle.dumps(obj, protocol=4)


@id_for_memo.register(File)
def _file(obj: File, output_ref: bool = False) -> bytes:
    return _frame(b"P", obj.url.encode("utf-8", "surrogatepass"))


@id_for_memo.register(pathlib.PurePath)
def _path(obj: pathlib.PurePath, output_ref: bool = False) -> bytes:
    return _frame(b"p", str(obj).encode("utf-8", "surrogatepass"))


@id_for_memo.register(decimal.Decimal)
@id_for_memo.register(fractions.Fraction)
def _exact_number(obj: decimal.Decimal | fractions.Fraction, output_ref: bool = False) -> bytes:
    return _frame(b"Q", str(obj).encode())


@id_for_memo.register(datetime.date)
@id_for_memo.register(datetime.time)
def _datetime(obj: datetime.date | datetime.time, output_ref: bool = False) -> bytes:
    return _frame(b"d", obj.isoformat().encode())


@id_for_memo.register(datetime.timedelta)
def _timedelta(obj: datetime.timedelta, output_ref: bool = False) -> bytes:
    return _sequence(b"t", (obj.days, obj.seconds, obj.microseconds))


@id_for_memo.register(uuid.UUID)
def _uuid(obj: uuid.UUID, output_ref: bool = False) -> bytes:
    return _frame(b"u", obj.bytes)


# ----- functions: identified by name and body, so an edited function misses the cache


@id_for_memo.register(types.CodeType)
def _code(obj: types.CodeType, output_ref: bool = False) -> bytes:
    parts = (obj.co_qualname, obj.co_code, obj.co_names, obj.co_varnames, obj.co_consts)
    return _sequence(b"K", parts)


def _cell_identity(cell: types.CellType) -> bytes:
    try:
        value = cell.cell_contents
    except ValueError:  # an empty cell
        return b"<empty>"
    if callable(value):  # by name only: a recursive closure would never end
        return _frame(b"n", _qualified_name(value).encode())
    try:
        return _element(value)
    except (UnmemoizableArgument, RecursionError):
        return _frame(b"n", _type_name(type(value)).encode())


def _qualified_name(func: object) -> str:
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or repr(func)
    return f"{module}.{name}"


_bodies: weakref.WeakKeyDictionary[Callable[..., Any], bytes] = weakref.WeakKeyDictionary()
_bodies_lock = threading.Lock()


def _body_identity(func: Callable[..., Any]) -> bytes:
    """The function's source, or its bytecode where no source file exists; cached per function."""
    with _bodies_lock:
        known = _bodies.get(func)
    if known is not None:
        return known
    try:
        body = _frame(b"s", inspect.getsource(func).encode("utf-8", "surrogatepass"))
    except (OSError, TypeError):  # no source file (exec, REPL): fall back to the bytecode
        code = getattr(func, "__code__", None)
        body = _code(code) if isinstance(code, types.CodeType) else b""
    with _bodies_lock:
        _bodies[func] = body
    return body


@id_for_memo.register(types.FunctionType)
def _function(f: types.FunctionType, output_ref: bool = False) -> bytes:
    func = inspect.unwrap(f)
    cells = getattr(func, "__closure__", None)
    closure = b"".join(_cell_identity(c) for c in cells or ())
    return _frame(
        b"f",
        _str(_qualified_name(func)) + _frame(b"", _body_identity(func)) + _frame(b"c", closure),
    )


@id_for_memo.register(types.BuiltinFunctionType)
def _builtin_function(obj: types.BuiltinFunctionType, output_ref: bool = False) -> bytes:
    owner = obj.__self__  # a module for plain built-ins, the object for built-in methods
    bound = b"" if owner is None or isinstance(owner, types.ModuleType) else _element(owner)
    return _frame(b"b", _str(_qualified_name(obj)) + bound)


@id_for_memo.register(types.MethodType)
def _method(obj: types.MethodType, output_ref: bool = False) -> bytes:
    return _frame(b"m", _element(obj.__func__) + _element(obj.__self__))


@id_for_memo.register(functools.partial)
def _partial(obj: functools.partial[Any], output_ref: bool = False) -> bytes:
    return _frame(b"x", _element(obj.func) + _element(obj.args) + _element(obj.keywords))


# ----- the task hash


def _call_identity(task: TaskRecord) -> bytes:
    """The task's arguments without those named in ``ignore_for_cache``.

    Where the call binds to the function's signature, arguments are named,
    so ``f(1, 2)`` and ``f(1, y=2)`` share a key and ``ignore_for_cache``
    also drops an argument passed by position. Otherwise the positional
    arguments and the remaining keyword arguments are used as given.
    """
    ignore = set(task.ignore_for_cache)
    func = inspect.unwrap(task.func)
    try:
        signature = inspect.signature(func)
        bound = signature.bind(*task.args, **task.kwargs)
    except (TypeError, ValueError):
        kwargs = {k: v for k, v in task.kwargs.items() if k not in ignore}
        return _frame(b"r", _element(tuple(task.args)) + _keywords_element(kwargs))
    named: dict[str, bytes] = {}
    for name, value in bound.arguments.items():
        if name in ignore:
            continue
        if signature.parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
            rest = {k: v for k, v in value.items() if k not in ignore}
            named[name] = _keywords_element(rest)
        else:
            named[name] = _element(value, output_ref=name == OUTPUTS)
    return _frame(b"a", _frame(b"", _encoded_dict(named)))


OUTPUTS = "outputs"
"""The argument whose values are identified with ``output_ref=True``."""


def _keywords_element(kwargs: dict[str, Any]) -> bytes:
    """``_element(kwargs)``, except that the value of ``outputs`` is an output reference."""
    encoded = {k: _element(v, output_ref=k == OUTPUTS) for k, v in kwargs.items()}
    return _frame(b"", _encoded_dict(encoded))


def _function_identity(func: Callable[..., Any]) -> bytes:
    func = inspect.unwrap(func)  # an app object wraps the user's function
    try:
        return _element(func)
    except UnmemoizableArgument:  # a callable object: its class's name and source stand in
        return _frame(b"o", _str(_type_name(type(func))) + _body_identity(type(func)))


def task_hash(task: TaskRecord) -> str:
    """The sha256 hex digest identifying a task's function and arguments."""
    digest = hashlib.sha256(HASH_VERSION)
    try:
        digest.update(_function_identity(task.func))
        digest.update(_element((task.func_name, task.kind)))
        digest.update(_call_identity(task))
    except RecursionError:
        raise UnmemoizableArgument(
            f"the arguments of task {task.id} ({task.func_name}) nest too deeply or contain "
            "themselves; list the argument in ignore_for_cache"
        ) from None
    except UnmemoizableArgument as e:
        raise UnmemoizableArgument(f"task {task.id} ({task.func_name}): {e}") from None
    return digest.hexdigest()
