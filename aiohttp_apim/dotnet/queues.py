"""Queue<T> and Stack<T>: first in first out, last in first out. A stack enumerates (and
ToArray lists) from the top, as .NET's does."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.core import Method, TypeRef, arity, check_items, declare
from aiohttp_apim.dotnet.linq import IENUMERABLE, contains, materialize
from aiohttp_apim.errors import ExpressionError

__all__ = ["NetQueue", "NetStack"]


class NetQueue(collections.deque[object]):
    """System.Collections.Generic.Queue<T>; ``empty`` is default(T), what TryDequeue gives
    when there is nothing."""

    __slots__ = ("empty",)

    def __init__(self, items: list[object], empty: object = None) -> None:
        super().__init__(items)
        self.empty = empty


class NetStack(list[object]):
    """System.Collections.Generic.Stack<T>: the top is the end of the list."""

    __slots__ = ("empty",)

    def __init__(self, items: list[object], empty: object = None) -> None:
        super().__init__(items)
        self.empty = empty


def _default(t: Sequence[TypeRef]) -> object:
    return t[0].default if t and t[0].value_type else None


def _source(a: Sequence[object], name: str) -> list[object]:
    arity(name, ".ctor", a, 0, 1)
    if not a:
        return []
    if type(a[0]) is int:  # the capacity
        if a[0] < 0:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Non-negative number required. (Parameter 'capacity')",
            )
        return []
    if a[0] is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'collection')"
        )
    items = materialize(a[0])
    check_items(len(items))
    return items


def _front(kind: str, take: bool) -> Method:
    """Dequeue/Peek of a queue, Pop/Peek of a stack: the next item, taken or not."""
    name = ("Dequeue" if kind == "Queue" else "Pop") if take else "Peek"

    def impl(c: NetQueue | NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity(kind, name, a, 0)
        if not c:
            raise ExpressionError("InvalidOperationException", f"{kind} empty.")
        if isinstance(c, NetQueue):
            return c.popleft() if take else c[0]
        return c.pop() if take else c[-1]

    return impl


def _try(take: bool, stack: bool) -> Method:
    def impl(c: NetQueue | NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("Stack" if stack else "Queue", "Try", a, 1)
        if not c:
            dotnet.set_out(a, len(a) - 1, c.empty)
            return False
        if stack:
            assert isinstance(c, NetStack)
            dotnet.set_out(a, len(a) - 1, c.pop() if take else c[-1])
        else:
            assert isinstance(c, NetQueue)
            dotnet.set_out(a, len(a) - 1, c.popleft() if take else c[0])
        return True

    return impl


def _enqueue(q: NetQueue, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Queue", "Enqueue", a, 1)
    check_items(len(q) + 1)
    q.append(a[0])


def _push(s: NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Stack", "Push", a, 1)
    check_items(len(s) + 1)
    s.append(a[0])


def _ensure_capacity(c: NetQueue | NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("Queue", "EnsureCapacity", a, 1)
    wanted = strings._int_arg(a[0], "capacity")
    if wanted < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'capacity')"
        )
    return max(wanted, len(c))


def _declare(kind: str, cls: type, add: str, take: str) -> TypeRef:
    """Queue<T> or Stack<T>: the same members but for the names of adding and taking, and
    the order of enumeration (a stack from the top)."""
    stack = kind == "Stack"
    t = declare(
        kind,
        f"System.Collections.Generic.{kind}`1",
        (cls,),
        aliases=(f"{kind}`1", f"System.Collections.Generic.{kind}"),
        bases=(IENUMERABLE,),
        generic=("T",),
    )
    t.construct = lambda a, ta: cls(_source(a, kind), _default(ta))
    t.members["Count"] = len
    # a snapshot: .NET throws on modification during foreach
    t.iterate = (lambda c: c[::-1]) if stack else (lambda c: list(c))
    t.methods.update(
        {
            add: _push if stack else _enqueue,
            take: _front(kind, take=True),
            "Peek": _front(kind, take=False),
            f"Try{take}": _try(True, stack),
            "TryPeek": _try(False, stack),
            "Contains": lambda c, a, ta: contains(c, a, ta),
            "Clear": lambda c, a, ta: c.clear(),
            "ToArray": (lambda c, a, ta: c[::-1]) if stack else (lambda c, a, ta: list(c)),
            "TrimExcess": lambda c, a, ta: None,
            "EnsureCapacity": _ensure_capacity,
            "ToString": lambda c, a, ta: f"System.Collections.Generic.{kind}`1[System.Object]",
        }
    )
    t.sign(
        "new()",
        "new(int capacity)",
        "new(IEnumerable<T> collection)",
        "int Count { get; }",
        f"void {add}(T item)",
        f"T {take}()",
        "T Peek()",
        f"bool Try{take}(out T result)",
        "bool TryPeek(out T result)",
        "bool Contains(T item)",
        "void Clear()",
        "T[] ToArray()",
        "void TrimExcess()",
        "int EnsureCapacity(int capacity)",
        "string ToString()",
    )
    return t


QUEUE = _declare("Queue", NetQueue, "Enqueue", "Dequeue")
STACK = _declare("Stack", NetStack, "Push", "Pop")

TYPES: tuple[TypeRef, ...] = (QUEUE, STACK)
