"""LINQ's joins and lookups: ``Join``, ``GroupJoin``, ``ToLookup`` and the ILookup they make,
each with an optional key comparer (a StringComparer).

As in .NET: ``Join`` pairs each outer element with each inner one of an equal key, in outer then
inner order, and never matches a null key; ``GroupJoin`` gives every outer element the (maybe
empty) sequence of its matches; a lookup's indexer gives an empty sequence for a missing key."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, check_items, declare
from aiohttp_apim.dotnet.linq import (
    IENUMERABLE,
    Grouping,
    Seq,
    _hash_key,
    delegate,
    items_of,
)
from aiohttp_apim.errors import ExpressionError

__all__ = ["Lookup"]


class Lookup:
    """ILookup<TKey, TElement>: groupings by key, in the order keys first appeared."""

    __slots__ = ("groups", "key")

    def __init__(self, key: Callable[[object], object]) -> None:
        self.key = key
        self.groups: dict[object, Grouping] = {}

    def add(self, k: object, element: object) -> None:
        hk = self.key(k)
        group = self.groups.get(hk)
        if group is None:
            check_items(len(self.groups) + 1)
            group = self.groups[hk] = Grouping(k, [])
        group.elements.append(element)

    def find(self, k: object) -> Grouping | None:
        try:
            return self.groups.get(self.key(k))
        except TypeError:
            return None


def _key_function(comparer: object) -> Callable[[object], object]:
    if isinstance(comparer, dotnet.StringComparer):
        return comparer.key
    return _hash_key


def _split_comparer(a: Sequence[object], plain: int) -> tuple[Sequence[object], object]:
    if len(a) > plain and (a[-1] is None or isinstance(a[-1], dotnet.StringComparer)):
        return a[:-1], a[-1]
    return a, None


def _build(
    src: object,
    kf: Callable[..., object],
    ef: Callable[..., object] | None,
    comparer: object,
    *,
    skip_null: bool,
) -> Lookup:
    lookup = Lookup(_key_function(comparer))
    for x in items_of(src):
        k = kf(x)
        if k is None and skip_null:
            continue
        lookup.add(k, ef(x) if ef is not None else x)
    return lookup


def _to_lookup(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Lookup:
    arity("IEnumerable", "ToLookup", a, 1, 2, 3)
    a, comparer = _split_comparer(a, 1)
    kf = delegate(a[0], "ToLookup")
    ef = delegate(a[1], "ToLookup") if len(a) == 2 else None
    return _build(src, kf, ef, comparer, skip_null=False)


def _join(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Join", a, 4, 5)
    a, comparer = _split_comparer(a, 4)
    inner = a[0]
    outer_key = delegate(a[1], "Join")
    inner_key = delegate(a[2], "Join")
    result = delegate(a[3], "Join")

    def gen() -> Iterator[object]:
        lookup = _build(inner, inner_key, None, comparer, skip_null=True)
        for o in items_of(src):
            k = outer_key(o)
            group = None if k is None else lookup.find(k)
            if group is not None:
                for i in group.elements:
                    yield result(o, i)

    return Seq(gen, "JoinIterator")


def _group_join(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "GroupJoin", a, 4, 5)
    a, comparer = _split_comparer(a, 4)
    inner = a[0]
    outer_key = delegate(a[1], "GroupJoin")
    inner_key = delegate(a[2], "GroupJoin")
    result = delegate(a[3], "GroupJoin")

    def gen() -> Iterator[object]:
        lookup = _build(inner, inner_key, None, comparer, skip_null=True)
        for o in items_of(src):
            k = outer_key(o)
            group = None if k is None else lookup.find(k)
            matches: list[object] = list(group.elements) if group is not None else []
            yield result(o, Seq(matches.__iter__, "Grouping"))

    return Seq(gen, "GroupJoinIterator")


def _lookup_index(lookup: Lookup, args: Sequence[object]) -> object:
    if len(args) != 1:
        raise ExpressionError("ArgumentException", "Wrong number of indices inside []; expected 1")
    group = lookup.find(args[0])
    return group if group is not None else Seq(lambda: iter(()), "Grouping")


LOOKUP = declare(
    "Lookup",
    "System.Linq.Lookup`2",
    (Lookup,),
    aliases=("ILookup", "ILookup`2", "Lookup`2", "System.Linq.ILookup`2"),
    bases=(IENUMERABLE,),
    generic=("TKey", "TElement"),
)
LOOKUP.members["Count"] = lambda lookup: len(lookup.groups)
LOOKUP.indexer = _lookup_index
LOOKUP.iterate = lambda lookup: list(lookup.groups.values())
LOOKUP.methods["Contains"] = lambda lookup, a, t: (
    arity("ILookup", "Contains", a, 1),
    lookup.find(a[0]) is not None,
)[1]
LOOKUP.sign(
    "int Count { get; }",
    "IEnumerable<TElement> this[TKey key] { get; }",
    "bool Contains(TKey key)",
)

METHODS = {"ToLookup": _to_lookup, "Join": _join, "GroupJoin": _group_join}
_EQ = "IEqualityComparer<TKey> comparer"
SIGNATURES = (
    "extension ILookup<TKey, T> ToLookup<TKey>(Func<T, TKey> keySelector)",
    f"extension ILookup<TKey, T> ToLookup<TKey>(Func<T, TKey> keySelector, {_EQ})",
    "extension ILookup<TKey, TElement> ToLookup<TKey, TElement>(Func<T, TKey> keySelector, "
    "Func<T, TElement> elementSelector)",
    "extension ILookup<TKey, TElement> ToLookup<TKey, TElement>(Func<T, TKey> keySelector, "
    f"Func<T, TElement> elementSelector, {_EQ})",
    "extension IEnumerable<TResult> Join<TInner, TKey, TResult>(IEnumerable<TInner> inner, "
    "Func<T, TKey> outerKeySelector, Func<TInner, TKey> innerKeySelector, "
    "Func<T, TInner, TResult> resultSelector)",
    "extension IEnumerable<TResult> Join<TInner, TKey, TResult>(IEnumerable<TInner> inner, "
    "Func<T, TKey> outerKeySelector, Func<TInner, TKey> innerKeySelector, "
    f"Func<T, TInner, TResult> resultSelector, {_EQ})",
    "extension IEnumerable<TResult> GroupJoin<TInner, TKey, TResult>(IEnumerable<TInner> inner, "
    "Func<T, TKey> outerKeySelector, Func<TInner, TKey> innerKeySelector, "
    "Func<T, IEnumerable<TInner>, TResult> resultSelector)",
    "extension IEnumerable<TResult> GroupJoin<TInner, TKey, TResult>(IEnumerable<TInner> inner, "
    "Func<T, TKey> outerKeySelector, Func<TInner, TKey> innerKeySelector, "
    f"Func<T, IEnumerable<TInner>, TResult> resultSelector, {_EQ})",
)

TYPES: tuple[TypeRef, ...] = (LOOKUP,)


def register(registry: Registry) -> None:
    """Join, GroupJoin and ToLookup join the LINQ operators of every IEnumerable."""
    IENUMERABLE.methods.update(METHODS)
    IENUMERABLE.sign(*SIGNATURES)
    registry.add(*TYPES)
