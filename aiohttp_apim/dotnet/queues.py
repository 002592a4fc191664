"""Queue<T> and Stack<T>: first in first out, last in first out. A stack enumerates (and
ToArray lists) from the top, as .NET's does."""

from __future__ import annotations

import collections
from collections.abc import Sequence

from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.core import TypeRef, arity, check_items, declare
from aiohttp_apim.dotnet.linq import IENUMERABLE, contains, materialize
from aiohttp_apim.dotnet.primitives import OutRef
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


def _out(args: Sequence[object], value: object) -> None:
    ref = args[-1] if args else None
    if not isinstance(ref, OutRef):
        raise ExpressionError("ArgumentException", "Argument must be passed with the 'out' keyword")
    ref.value = value


def _empty(kind: str) -> ExpressionError:
    return ExpressionError("InvalidOperationException", f"{kind} empty.")


def _dequeue(q: NetQueue, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Queue", "Dequeue", a, 0)
    if not q:
        raise _empty("Queue")
    return q.popleft()


def _queue_peek(q: NetQueue, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Queue", "Peek", a, 0)
    if not q:
        raise _empty("Queue")
    return q[0]


def _try(take: bool, stack: bool) -> object:
    def impl(c: NetQueue | NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("Stack" if stack else "Queue", "Try", a, 1)
        if not c:
            _out(a, c.empty)
            return False
        if stack:
            assert isinstance(c, NetStack)
            _out(a, c.pop() if take else c[-1])
        else:
            assert isinstance(c, NetQueue)
            _out(a, c.popleft() if take else c[0])
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


def _pop(s: NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Stack", "Pop", a, 0)
    if not s:
        raise _empty("Stack")
    return s.pop()


def _stack_peek(s: NetStack, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Stack", "Peek", a, 0)
    if not s:
        raise _empty("Stack")
    return s[-1]


def _ensure_capacity(c: object, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("Queue", "EnsureCapacity", a, 1)
    wanted = strings._int_arg(a[0], "capacity")
    if wanted < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'capacity')"
        )
    return max(wanted, len(c))  # type: ignore[arg-type]


QUEUE = declare(
    "Queue",
    "System.Collections.Generic.Queue`1",
    (NetQueue,),
    aliases=("Queue`1", "System.Collections.Generic.Queue"),
    bases=(IENUMERABLE,),
)
QUEUE.construct = lambda a, t: NetQueue(_source(a, "Queue"), _default(t))
QUEUE.members["Count"] = len
QUEUE.iterate = lambda q: list(q)  # snapshot: .NET throws on modification during foreach
QUEUE.methods.update(
    {
        "Enqueue": _enqueue,
        "Dequeue": _dequeue,
        "Peek": _queue_peek,
        "TryDequeue": _try(True, False),  # type: ignore[dict-item]
        "TryPeek": _try(False, False),  # type: ignore[dict-item]
        "Contains": lambda q, a, t: contains(q, a, t),
        "Clear": lambda q, a, t: q.clear(),
        "ToArray": lambda q, a, t: list(q),
        "TrimExcess": lambda q, a, t: None,
        "EnsureCapacity": _ensure_capacity,
        "ToString": lambda q, a, t: "System.Collections.Generic.Queue`1[System.Object]",
    }
)
QUEUE.sign(
    "new()",
    "new(int capacity)",
    "new(IEnumerable<T> collection)",
    "int Count { get; }",
    "void Enqueue(T item)",
    "T Dequeue()",
    "T Peek()",
    "bool TryDequeue(out T result)",
    "bool TryPeek(out T result)",
    "bool Contains(T item)",
    "void Clear()",
    "T[] ToArray()",
    "void TrimExcess()",
    "int EnsureCapacity(int capacity)",
    "string ToString()",
)

STACK = declare(
    "Stack",
    "System.Collections.Generic.Stack`1",
    (NetStack,),
    aliases=("Stack`1", "System.Collections.Generic.Stack"),
    bases=(IENUMERABLE,),
)
STACK.construct = lambda a, t: NetStack(_source(a, "Stack"), _default(t))
STACK.members["Count"] = len
STACK.iterate = lambda s: s[::-1]  # from the top
STACK.methods.update(
    {
        "Push": _push,
        "Pop": _pop,
        "Peek": _stack_peek,
        "TryPop": _try(True, True),  # type: ignore[dict-item]
        "TryPeek": _try(False, True),  # type: ignore[dict-item]
        "Contains": lambda s, a, t: contains(s, a, t),
        "Clear": lambda s, a, t: s.clear(),
        "ToArray": lambda s, a, t: s[::-1],
        "TrimExcess": lambda s, a, t: None,
        "EnsureCapacity": _ensure_capacity,
        "ToString": lambda s, a, t: "System.Collections.Generic.Stack`1[System.Object]",
    }
)
STACK.sign(
    "new()",
    "new(int capacity)",
    "new(IEnumerable<T> collection)",
    "int Count { get; }",
    "void Push(T item)",
    "T Pop()",
    "T Peek()",
    "bool TryPop(out T result)",
    "bool TryPeek(out T result)",
    "bool Contains(T item)",
    "void Clear()",
    "T[] ToArray()",
    "void TrimExcess()",
    "int EnsureCapacity(int capacity)",
    "string ToString()",
)

TYPES: tuple[TypeRef, ...] = (QUEUE, STACK)
