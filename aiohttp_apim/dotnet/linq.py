"""System.Linq, and the Python classes of the collections it produces and consumes (List,
HashSet, KeyValuePair, Tuple, read-only views); the collection types' members are declared in
dotnet_collections.py.

Representation: arrays are Python ``list`` (``bytes`` for byte[]), List<T> is `NetList` (a list
subclass, so arrays and lists keep their different members and exceptions), Dictionary<K,V> is
``dict``. Linq operators are lazy like .NET's: they return a re-enumerable `Seq` that runs the
lambdas (plain Python callables from the compiler) when enumerated; materialising operators
(ToArray, ToList, ...) are bounded by clr.MAX_ITEMS.

Element types are not declared at run time; ``FirstOrDefault``/``LastOrDefault``/
``SingleOrDefault`` find default(T) from the type argument when one is written, else from the
elements of the collection the sequence filters (``origin``): ``new[] {1, 2}.Where(x => x > 5)
.FirstOrDefault()`` is 0 as in .NET. A sequence with no element anywhere, or one projected by
Select, gives null.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.arith import add_checked
from aiohttp_apim.dotnet.budget import metered
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, check_items, declare, enumerate_raw
from aiohttp_apim.dotnet.primitives import compare, obj_equals, to_string
from aiohttp_apim.dotnet.signatures import Param
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "CollectionView",
    "Grouping",
    "KeyValuePair",
    "NetHashSet",
    "NetList",
    "NetTuple",
    "Seq",
    "contains",
    "delegate",
    "enumerate_raw",
    "items_of",
    "materialize",
    "truth",
]


class NetList(list[object]):
    """System.Collections.Generic.List<T>."""

    __slots__ = ()


class CollectionView(list[object]):
    """A read-only snapshot collection (Dictionary.Keys/Values, MatchCollection-like views)."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class KeyValuePair:
    key: object
    value: object


@dataclass(frozen=True, slots=True)
class NetTuple:
    items: tuple[object, ...]


class NetHashSet:
    """System.Collections.Generic.HashSet<T> (insertion ordered, optional StringComparer)."""

    __slots__ = ("_items", "comparer")

    def __init__(self, comparer: dotnet.StringComparer | None = None) -> None:
        self._items: dict[object, object] = {}
        self.comparer = comparer

    def _key(self, v: object) -> object:
        return self.comparer.key(v) if self.comparer is not None else _hash_key(v)

    def add(self, v: object) -> bool:
        k = self._key(v)
        if k in self._items:
            return False
        check_items(len(self._items) + 1)
        self._items[k] = v
        return True

    def contains(self, v: object) -> bool:
        return self._key(v) in self._items

    def remove(self, v: object) -> bool:
        return self._items.pop(self._key(v), _MISSING) is not _MISSING

    def values(self) -> list[object]:
        return list(self._items.values())


_MISSING = object()


def _hash_key(v: object) -> object:
    """Dictionary-style key for EqualityComparer.Default (types kept apart: 1 != 1L != true)."""
    if type(v) in (int, bool, float, str):
        return (type(v), v)
    try:
        hash(v)
    except TypeError:
        return ("id", id(v))
    return (type(v), v)


class ComparerDict(dict[object, object]):
    """A Dictionary<string, TValue> made with a case-insensitive StringComparer: keys compare by
    the comparer, and each keeps the spelling it was first added with (as .NET's does)."""

    __slots__ = ("_spelling", "comparer")

    def __init__(
        self, comparer: dotnet.StringComparer, items: Iterable[tuple[object, object]] = ()
    ):
        super().__init__()
        self.comparer = comparer
        self._spelling: dict[object, object] = {}
        for k, v in items:
            self[k] = v

    def _original(self, key: object) -> object:
        return self._spelling[self.comparer.key(key)]

    def __getitem__(self, key: object) -> object:
        return super().__getitem__(self._original(key))

    def __setitem__(self, key: object, value: object) -> None:
        folded = self.comparer.key(key)
        original = self._spelling.setdefault(folded, key)
        super().__setitem__(original, value)

    def __contains__(self, key: object) -> bool:
        try:
            return self.comparer.key(key) in self._spelling
        except TypeError:
            return False

    def __delitem__(self, key: object) -> None:
        super().__delitem__(self._spelling.pop(self.comparer.key(key)))

    def get(self, key: object, default: object = None) -> object:
        try:
            return self[key]
        except KeyError:
            return default

    def pop(self, key: object, default: object = _MISSING) -> object:
        if key in self:
            value = self[key]
            del self[key]
            return value
        if default is _MISSING:
            raise KeyError(key)
        return default

    def clear(self) -> None:
        super().clear()
        self._spelling.clear()


def new_dictionary(
    comparer: object, items: Iterable[tuple[object, object]] = ()
) -> dict[object, object]:
    """A Dictionary with ``comparer`` (a StringComparer, or None: the default comparer)."""
    if isinstance(comparer, dotnet.StringComparer) and comparer.ignore_case:
        return ComparerDict(comparer, items)
    return dict(items)


class Seq:
    """A lazy IEnumerable<T> produced by Linq (re-enumerable: the factory runs per enumeration).
    ``origin``: the source whose elements it passes on unchanged (Where, Skip...), or None."""

    __slots__ = ("factory", "name", "origin")

    def __init__(
        self,
        factory: Callable[[], Iterable[object]],
        name: str = "Enumerable",
        origin: object = None,
    ) -> None:
        self.factory = factory
        self.name = name
        self.origin = origin

    def __iter__(self) -> Iterator[object]:
        return iter(self.factory())


SortKey = tuple[Callable[[object], object], bool, "dotnet.StringComparer | None"]
"""One key of an ordering: the key selector, descending, and the comparer (None: default)."""


class OrderedSeq(Seq):
    __slots__ = ("keys", "source")

    def __init__(self, source: object, keys: list[SortKey]) -> None:
        self.source = source
        self.keys = keys
        super().__init__(self._sorted, "OrderedEnumerable")

    def _sorted(self) -> Iterable[object]:
        items = materialize(self.source)

        def cmp(x: object, y: object) -> int:
            for key, desc, comparer in self.keys:
                kx, ky = key(x), key(y)
                c = comparer.compare(kx, ky) if comparer is not None else compare(kx, ky)
                if c:
                    return -c if desc else c
            return 0

        return sorted(items, key=functools.cmp_to_key(cmp))


class Grouping(Seq):
    __slots__ = ("elements", "key")

    def __init__(self, key: object, elements: list[object]) -> None:
        self.key = key
        self.elements = elements
        super().__init__(lambda: self.elements, "Grouping")


def items_of(v: object) -> Iterable[object]:
    """Enumerate any .NET enumerable value, one step of the expression budget per item (every
    LINQ operator enumerates its source through here)."""
    return metered(enumerate_raw(v))


def materialize(v: object) -> list[object]:
    out: list[object] = []
    for item in items_of(v):
        out.append(item)
        if len(out) > clr.MAX_ITEMS:
            check_items(len(out))
    return out


def truth(v: object) -> bool:
    if type(v) is bool:
        return v
    raise ExpressionError(
        "InvalidCastException",
        f"Cannot implicitly convert type '{clr.net_name(v)}' to 'bool'",
    )


def delegate(v: object, name: str) -> Callable[..., object]:
    if not callable(v) or isinstance(v, type):
        raise ExpressionError(
            "ArgumentException", f"Argument of '{name}' must be a lambda expression"
        )
    return v


def _takes_index(fn: Callable[..., object]) -> bool:
    code = getattr(fn, "__code__", None)
    return code is not None and code.co_argcount == 2


def _no_elements() -> NoReturn:
    raise ExpressionError("InvalidOperationException", "Sequence contains no elements")


def _no_match() -> NoReturn:
    raise ExpressionError("InvalidOperationException", "Sequence contains no matching element")


# ---------------------------------------------------------------- Linq operators

M = Callable[[Any, Sequence[object], Sequence[TypeRef]], object]


def _where(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Where", a, 1)
    fn = delegate(a[0], "Where")
    if _takes_index(fn):
        return Seq(
            lambda: (x for i, x in enumerate(items_of(src)) if truth(fn(x, i))),
            "WhereIterator",
            src,
        )
    return Seq(lambda: (x for x in items_of(src) if truth(fn(x))), "WhereIterator", src)


def _select(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Select", a, 1)
    fn = delegate(a[0], "Select")
    if _takes_index(fn):
        return Seq(lambda: (fn(x, i) for i, x in enumerate(items_of(src))), "SelectIterator")
    return Seq(lambda: (fn(x) for x in items_of(src)), "SelectIterator")


def _select_many(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "SelectMany", a, 1, 2)
    fn = delegate(a[0], "SelectMany")
    res = delegate(a[1], "SelectMany") if len(a) == 2 else None

    def gen() -> Iterator[object]:
        for x in items_of(src):
            for y in items_of(fn(x)):
                yield res(x, y) if res is not None else y

    return Seq(gen, "SelectManyIterator")


def _pred_iter(src: object, a: Sequence[object], name: str) -> Iterable[object]:
    arity("IEnumerable", name, a, 0, 1)
    if not a:
        return items_of(src)
    fn = delegate(a[0], name)
    return (x for x in items_of(src) if truth(fn(x)))


def _any(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    return any(True for _ in _pred_iter(src, a, "Any"))


def _all(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IEnumerable", "All", a, 1)
    fn = delegate(a[0], "All")
    return all(truth(fn(x)) for x in items_of(src))


def _count(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    n = sum(1 for _ in _pred_iter(src, a, "Count"))
    if n > 2**31 - 1:
        raise ExpressionError("OverflowException", "Arithmetic operation resulted in an overflow.")
    return n


def element_default(src: object, t: Sequence[TypeRef]) -> object:
    """default(T) of a sequence's elements: the type argument's, else the type of an element of
    the collection it filters (None when neither is known, or T is a reference type)."""
    if t:
        return t[0].default if t[0].value_type else None
    for _ in range(64):  # a chain of filters, not a loop
        if isinstance(src, OrderedSeq):
            src = src.source
        elif isinstance(src, Seq):
            if src.origin is None:
                return None
            src = src.origin
        else:
            break
    if isinstance(src, Seq) or src is None or isinstance(src, str):
        return None
    try:
        sample = next(iter(enumerate_raw(src)), None)
    except ExpressionError:
        return None
    kind = clr.type_of(sample) if sample is not None else None
    return kind.default if kind is not None and kind.value_type else None


def _first(or_default: bool) -> M:
    name = "FirstOrDefault" if or_default else "First"

    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        default: object = _MISSING
        if a and not callable(a[-1]):
            default, a = a[-1], a[:-1]
        for x in _pred_iter(src, a, name):
            return x
        if or_default:
            return element_default(src, t) if default is _MISSING else default
        _no_match() if a else _no_elements()
        return None

    return impl


def _last(or_default: bool) -> M:
    name = "LastOrDefault" if or_default else "Last"

    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        default: object = _MISSING
        if a and not callable(a[-1]):
            default, a = a[-1], a[:-1]
        found, last = False, None
        for x in _pred_iter(src, a, name):
            found, last = True, x
        if found:
            return last
        if or_default:
            return element_default(src, t) if default is _MISSING else default
        _no_match() if a else _no_elements()
        return None

    return impl


def _single(or_default: bool) -> M:
    name = "SingleOrDefault" if or_default else "Single"

    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        default: object = _MISSING
        if or_default and a and not callable(a[-1]):
            default, a = a[-1], a[:-1]
        found, value = False, None
        for x in _pred_iter(src, a, name):
            if found:
                raise ExpressionError(
                    "InvalidOperationException",
                    "Sequence contains more than one matching element"
                    if a
                    else "Sequence contains more than one element",
                )
            found, value = True, x
        if found:
            return value
        if or_default:
            return element_default(src, t) if default is _MISSING else default
        _no_match() if a else _no_elements()
        return None

    return impl


def _element_at(or_default: bool) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("IEnumerable", "ElementAt", a, 1)
        i = strings._int_arg(a[0], "index")
        if i >= 0:
            for k, x in enumerate(items_of(src)):
                if k == i:
                    return x
        if or_default:
            return element_default(src, t)
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index was out of range. Must be non-negative and less "
            "than the size of the collection. (Parameter 'index')",
        )

    return impl


def contains(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IEnumerable", "Contains", a, 1, 2)
    if len(a) == 2 and isinstance(a[1], dotnet.StringComparer):
        cmp = a[1]
        k = cmp.key(a[0])
        return any(cmp.key(x) == k for x in items_of(src))
    return any(obj_equals(x, a[0]) for x in items_of(src))


def _to_array(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    arity("IEnumerable", "ToArray", a, 0)
    return materialize(src)


def _to_list(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> NetList:
    arity("IEnumerable", "ToList", a, 0)
    return NetList(materialize(src))


def _to_dictionary(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> dict[object, object]:
    arity("IEnumerable", "ToDictionary", a, 1, 2, 3)
    comparer = a[-1] if len(a) > 1 and isinstance(a[-1], dotnet.StringComparer) else None
    if comparer is not None:
        a = a[:-1]
    kf = delegate(a[0], "ToDictionary")
    vf = delegate(a[1], "ToDictionary") if len(a) == 2 else None
    out = new_dictionary(comparer)
    for x in items_of(src):
        k = kf(x)
        if k is None:
            raise ExpressionError(
                "ArgumentNullException", "Value cannot be null. (Parameter 'key')"
            )
        if k in out:
            raise ExpressionError(
                "ArgumentException",
                f"An item with the same key has already been added. Key: {to_string(k)}",
            )
        out[k] = vf(x) if vf is not None else x
        check_items(len(out))
    return out


def _to_hash_set(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> NetHashSet:
    arity("IEnumerable", "ToHashSet", a, 0, 1)
    hs = NetHashSet(a[0] if a and isinstance(a[0], dotnet.StringComparer) else None)
    for x in items_of(src):
        hs.add(x)
    return hs


def _comparer(a: Sequence[object], name: str) -> dotnet.StringComparer | None:
    """The IComparer argument of an ordering (OrderBy(key, comparer)): a StringComparer."""
    if len(a) < 2 or a[1] is None:
        return None
    if isinstance(a[1], dotnet.StringComparer):
        return a[1]
    raise ExpressionError(
        "ArgumentException", f"Argument 'comparer' of '{name}': expected an IComparer"
    )


def _order_by(desc: bool) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> OrderedSeq:
        arity("IEnumerable", "OrderBy", a, 1, 2)
        return OrderedSeq(src, [(delegate(a[0], "OrderBy"), desc, _comparer(a, "OrderBy"))])

    return impl


def _then_by(desc: bool) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> OrderedSeq:
        arity("IOrderedEnumerable", "ThenBy", a, 1, 2)
        if not isinstance(src, OrderedSeq):
            raise ExpressionError(
                "MissingMemberException", "'IEnumerable' does not contain a definition for 'ThenBy'"
            )
        key = (delegate(a[0], "ThenBy"), desc, _comparer(a, "ThenBy"))
        return OrderedSeq(src.source, [*src.keys, key])

    return impl


def _skip(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Skip", a, 1)
    n = strings._int_arg(a[0], "count")
    return Seq(lambda: (x for i, x in enumerate(items_of(src)) if i >= n), "SkipIterator", src)


def _take(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Take", a, 1)
    n = strings._int_arg(a[0], "count")

    def gen() -> Iterator[object]:
        if n <= 0:
            return
        for i, x in enumerate(items_of(src)):
            yield x
            if i + 1 >= n:
                return

    return Seq(gen, "TakeIterator", src)


def _skip_while(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "SkipWhile", a, 1)
    fn = delegate(a[0], "SkipWhile")

    def gen() -> Iterator[object]:
        skipping = True
        for x in items_of(src):
            if skipping and truth(fn(x)):
                continue
            skipping = False
            yield x

    return Seq(gen, "SkipWhileIterator", src)


def _take_while(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "TakeWhile", a, 1)
    fn = delegate(a[0], "TakeWhile")

    def gen() -> Iterator[object]:
        for x in items_of(src):
            if not truth(fn(x)):
                return
            yield x

    return Seq(gen, "TakeWhileIterator", src)


def _distinct_iter(items: Iterable[object], comparer: object = None) -> Iterator[object]:
    seen = NetHashSet(comparer if isinstance(comparer, dotnet.StringComparer) else None)
    for x in items:
        if seen.add(x):
            yield x


def _distinct(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Distinct", a, 0, 1)
    cmp = a[0] if a else None
    return Seq(lambda: _distinct_iter(items_of(src), cmp), "DistinctIterator", src)


def _reverse(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Reverse", a, 0)
    return Seq(lambda: reversed(materialize(src)), "ReverseIterator", src)


def _selected(src: object, a: Sequence[object], name: str) -> list[object]:
    arity("IEnumerable", name, a, 0, 1)
    if a:
        fn = delegate(a[0], name)
        return [fn(x) for x in items_of(src)]
    return materialize(src)


def _sum(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    values = [v for v in _selected(src, a, "Sum") if v is not None]
    if not values:
        return 0
    total: object = values[0]
    for v in values[1:]:
        total = add_checked(total, v)
    return total


def _min_max(name: str, want: int) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        values = _selected(src, a, name)
        non_null = [v for v in values if v is not None]
        if not non_null:
            if values or (not values and _all_reference(values)):
                return None if values else _empty_min_max()
            return _empty_min_max()
        best = non_null[0]
        for v in non_null[1:]:
            if isinstance(v, float) and math.isnan(v):
                if want < 0:
                    return v
                continue
            if compare(v, best) == want:
                best = v
        return best

    return impl


def _all_reference(values: list[object]) -> bool:
    return False


def _empty_min_max() -> NoReturn:
    _no_elements()


def _average(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    values = [v for v in _selected(src, a, "Average") if v is not None]
    if not values:
        _no_elements()
    decimals = [v for v in values if isinstance(v, Decimal)]
    if len(decimals) == len(values):
        return sum(decimals, Decimal(0)) / len(decimals)
    return math.fsum(dotnet.to_double(v) for v in values) / len(values)


def _aggregate(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("IEnumerable", "Aggregate", a, 1, 2, 3)
    it = iter(items_of(src))
    if len(a) == 1:
        fn = delegate(a[0], "Aggregate")
        try:
            acc = next(it)
        except StopIteration:
            _no_elements()
    else:
        acc = a[0]
        fn = delegate(a[1], "Aggregate")
    for x in it:
        acc = fn(acc, x)
    if len(a) == 3:
        return delegate(a[2], "Aggregate")(acc)
    return acc


def _sequence_equal(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IEnumerable", "SequenceEqual", a, 1)
    x, y = materialize(src), materialize(a[0])
    return len(x) == len(y) and all(obj_equals(p, q) for p, q in zip(x, y, strict=True))


def _concat(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Concat", a, 1)
    other = a[0]
    if other is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'second')")

    def gen() -> Iterator[object]:
        yield from items_of(src)
        yield from items_of(other)

    return Seq(gen, "ConcatIterator")


def _union(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Union", a, 1, 2)
    other, cmp = a[0], (a[1] if len(a) == 2 else None)

    def gen() -> Iterator[object]:
        yield from _distinct_iter([*items_of(src), *items_of(other)], cmp)

    return Seq(gen, "UnionIterator")


def _set_op(keep: bool) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
        arity("IEnumerable", "Intersect" if keep else "Except", a, 1, 2)
        other, cmp = a[0], (a[1] if len(a) == 2 else None)

        def gen() -> Iterator[object]:
            hs = NetHashSet(cmp if isinstance(cmp, dotnet.StringComparer) else None)
            for x in items_of(other):
                hs.add(x)
            for x in _distinct_iter(items_of(src), cmp):
                if hs.contains(x) == keep:
                    yield x

        return Seq(gen, "IntersectIterator" if keep else "ExceptIterator")

    return impl


def _group_by(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "GroupBy", a, 1, 2, 3)
    comparer = a[-1] if len(a) > 1 and isinstance(a[-1], dotnet.StringComparer) else None
    if comparer is not None:
        a = a[:-1]
    kf = delegate(a[0], "GroupBy")
    ef = delegate(a[1], "GroupBy") if len(a) == 2 else None
    hash_key = comparer.key if comparer is not None else _hash_key

    def gen() -> Iterator[object]:
        groups: dict[object, Grouping] = {}
        for x in items_of(src):
            k = kf(x)
            hk = hash_key(k)
            g = groups.get(hk)
            if g is None:
                g = groups[hk] = Grouping(k, [])
            g.elements.append(ef(x) if ef is not None else x)
        return iter(list(groups.values()))

    return Seq(gen, "GroupedEnumerable")


def _zip(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "Zip", a, 1, 2)
    other = a[0]
    fn = delegate(a[1], "Zip") if len(a) == 2 else None
    return Seq(
        lambda: (
            fn(x, y) if fn else NetTuple((x, y))
            for x, y in zip(items_of(src), items_of(other), strict=False)
        ),
        "ZipIterator",
    )


def _default_if_empty(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("IEnumerable", "DefaultIfEmpty", a, 0, 1)
    dflt = a[0] if a else None

    def gen() -> Iterator[object]:
        empty = True
        for x in items_of(src):
            empty = False
            yield x
        if empty:
            yield dflt

    return Seq(gen, "DefaultIfEmptyIterator")


def _cast(of_type: bool) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
        arity("IEnumerable", "OfType" if of_type else "Cast", a, 0)
        target = t[0] if t else None

        def gen() -> Iterator[object]:
            for x in items_of(src):
                if (
                    target is None
                    or target.name == "Object"
                    or target.is_instance(x)
                    or (target.nullable_of and x is None)
                ):
                    yield x
                elif not of_type:
                    if x is None and not target.value_type:
                        yield x
                        continue
                    raise ExpressionError(
                        "InvalidCastException",
                        f"Unable to cast object of type "
                        f"'{clr.net_name(x, full=True)}' to type '{target.full_name}'.",
                    )

        return Seq(gen, "OfTypeIterator" if of_type else "CastIterator")

    return impl


def _append(prepend: bool) -> M:
    def impl(src: object, a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
        arity("IEnumerable", "Prepend" if prepend else "Append", a, 1)
        item = a[0]

        def gen() -> Iterator[object]:
            if prepend:
                yield item
            yield from items_of(src)
            if not prepend:
                yield item

        return Seq(gen, "AppendPrependIterator")

    return impl


LINQ: dict[str, M] = {
    "Where": _where,
    "Select": _select,
    "SelectMany": _select_many,
    "Any": _any,
    "All": _all,
    "Count": _count,
    "LongCount": lambda s, a, t: dotnet.Int64(_count(s, a, t)),
    "First": _first(False),
    "FirstOrDefault": _first(True),
    "Last": _last(False),
    "LastOrDefault": _last(True),
    "Single": _single(False),
    "SingleOrDefault": _single(True),
    "ElementAt": _element_at(False),
    "ElementAtOrDefault": _element_at(True),
    "Contains": contains,
    "ToArray": _to_array,
    "ToList": _to_list,
    "ToDictionary": _to_dictionary,
    "ToHashSet": _to_hash_set,
    "OrderBy": _order_by(False),
    "OrderByDescending": _order_by(True),
    "ThenBy": _then_by(False),
    "ThenByDescending": _then_by(True),
    "Skip": _skip,
    "Take": _take,
    "SkipWhile": _skip_while,
    "TakeWhile": _take_while,
    "Distinct": _distinct,
    "Reverse": _reverse,
    "Sum": _sum,
    "Min": _min_max("Min", -1),
    "Max": _min_max("Max", 1),
    "Average": _average,
    "Aggregate": _aggregate,
    "SequenceEqual": _sequence_equal,
    "Concat": _concat,
    "Union": _union,
    "Intersect": _set_op(True),
    "Except": _set_op(False),
    "GroupBy": _group_by,
    "Zip": _zip,
    "DefaultIfEmpty": _default_if_empty,
    "Cast": _cast(False),
    "OfType": _cast(True),
    "Append": _append(False),
    "Prepend": _append(True),
}

IENUMERABLE = declare(
    "IEnumerable",
    "System.Collections.IEnumerable",
    (),
    aliases=(
        "IEnumerable`1",
        "System.Collections.Generic.IEnumerable`1",
        "ICollection",
        "IReadOnlyCollection",
        "IReadOnlyList",
    ),
    owns=False,
    generic=("T",),
)
IENUMERABLE.methods.update(LINQ)
LINQ_SIGNATURES: tuple[str, ...] = (
    "IEnumerable<T> Where(Func<T, bool> predicate)",
    "IEnumerable<T> Where(Func<T, int, bool> predicate)",
    "IEnumerable<TResult> Select<TResult>(Func<T, TResult> selector)",
    "IEnumerable<TResult> Select<TResult>(Func<T, int, TResult> selector)",
    "IEnumerable<TResult> SelectMany<TResult>(Func<T, IEnumerable<TResult>> selector)",
    "IEnumerable<TResult> SelectMany<TCollection, TResult>("
    "Func<T, IEnumerable<TCollection>> collectionSelector, "
    "Func<T, TCollection, TResult> resultSelector)",
    "bool Any()",
    "bool Any(Func<T, bool> predicate)",
    "bool All(Func<T, bool> predicate)",
    "int Count()",
    "int Count(Func<T, bool> predicate)",
    "long LongCount()",
    "long LongCount(Func<T, bool> predicate)",
    *(
        line
        for name in ("First", "Last", "Single")
        for line in (
            f"T {name}()",
            f"T {name}(Func<T, bool> predicate)",
            f"T {name}OrDefault()",
            f"T {name}OrDefault(Func<T, bool> predicate)",
            f"T {name}OrDefault(T defaultValue)",
            f"T {name}OrDefault(Func<T, bool> predicate, T defaultValue)",
        )
    ),
    "T ElementAt(int index)",
    "T ElementAtOrDefault(int index)",
    "bool Contains(T value)",
    "bool Contains(T value, IEqualityComparer<T> comparer)",
    "T[] ToArray()",
    "List<T> ToList()",
    "Dictionary<TKey, T> ToDictionary<TKey>(Func<T, TKey> keySelector)",
    "Dictionary<TKey, TElement> ToDictionary<TKey, TElement>("
    "Func<T, TKey> keySelector, Func<T, TElement> elementSelector)",
    "Dictionary<TKey, T> ToDictionary<TKey>(Func<T, TKey> keySelector, "
    "IEqualityComparer<TKey> comparer)",
    "Dictionary<TKey, TElement> ToDictionary<TKey, TElement>(Func<T, TKey> keySelector, "
    "Func<T, TElement> elementSelector, IEqualityComparer<TKey> comparer)",
    "HashSet<T> ToHashSet()",
    "HashSet<T> ToHashSet(IEqualityComparer<T> comparer)",
    *(
        f"IOrderedEnumerable<T> {name}<TKey>(Func<T, TKey> keySelector{comparer})"
        for name in ("OrderBy", "OrderByDescending", "ThenBy", "ThenByDescending")
        for comparer in ("", ", IComparer<TKey> comparer")
    ),
    "IEnumerable<T> Skip(int count)",
    "IEnumerable<T> Take(int count)",
    "IEnumerable<T> SkipWhile(Func<T, bool> predicate)",
    "IEnumerable<T> TakeWhile(Func<T, bool> predicate)",
    "IEnumerable<T> Distinct()",
    "IEnumerable<T> Distinct(IEqualityComparer<T> comparer)",
    "IEnumerable<T> Reverse()",
    "T Sum()",
    "TResult Sum<TResult>(Func<T, TResult> selector)",
    "T Min()",
    "TResult Min<TResult>(Func<T, TResult> selector)",
    "T Max()",
    "TResult Max<TResult>(Func<T, TResult> selector)",
    "double Average()",
    "double Average(Func<T, double> selector)",
    "T Aggregate(Func<T, T, T> func)",
    "TAccumulate Aggregate<TAccumulate>(TAccumulate seed, Func<TAccumulate, T, TAccumulate> func)",
    "TResult Aggregate<TAccumulate, TResult>(TAccumulate seed, "
    "Func<TAccumulate, T, TAccumulate> func, Func<TAccumulate, TResult> resultSelector)",
    "bool SequenceEqual(IEnumerable<T> second)",
    "IEnumerable<T> Concat(IEnumerable<T> second)",
    "IEnumerable<T> Union(IEnumerable<T> second)",
    "IEnumerable<T> Union(IEnumerable<T> second, IEqualityComparer<T> comparer)",
    "IEnumerable<T> Intersect(IEnumerable<T> second)",
    "IEnumerable<T> Intersect(IEnumerable<T> second, IEqualityComparer<T> comparer)",
    "IEnumerable<T> Except(IEnumerable<T> second)",
    "IEnumerable<T> Except(IEnumerable<T> second, IEqualityComparer<T> comparer)",
    "IEnumerable<IGrouping<TKey, T>> GroupBy<TKey>(Func<T, TKey> keySelector)",
    "IEnumerable<IGrouping<TKey, TElement>> GroupBy<TKey, TElement>("
    "Func<T, TKey> keySelector, Func<T, TElement> elementSelector)",
    "IEnumerable<IGrouping<TKey, T>> GroupBy<TKey>(Func<T, TKey> keySelector, "
    "IEqualityComparer<TKey> comparer)",
    "IEnumerable<IGrouping<TKey, TElement>> GroupBy<TKey, TElement>(Func<T, TKey> keySelector, "
    "Func<T, TElement> elementSelector, IEqualityComparer<TKey> comparer)",
    "IEnumerable<ValueTuple<T, TSecond>> Zip<TSecond>(IEnumerable<TSecond> second)",
    "IEnumerable<TResult> Zip<TSecond, TResult>("
    "IEnumerable<TSecond> second, Func<T, TSecond, TResult> resultSelector)",
    "IEnumerable<T> DefaultIfEmpty()",
    "IEnumerable<T> DefaultIfEmpty(T defaultValue)",
    "IEnumerable<TResult> Cast<TResult>()",
    "IEnumerable<TResult> OfType<TResult>()",
    "IEnumerable<T> Append(T element)",
    "IEnumerable<T> Prepend(T element)",
)
"""The LINQ operators as extension methods of IEnumerable<T> (T: the element type)."""
IENUMERABLE.sign(*(f"extension {line}" for line in LINQ_SIGNATURES))
IENUMERABLE.check = lambda v: (t := clr.type_of(v)) is not None and t.table().iterate is not None


def _enumerable_static(name: str, impl: M) -> clr.StaticMethod:
    def static(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        if not a:
            arity("Enumerable", name, a, 1)
        if a[0] is None:
            raise ExpressionError(
                "ArgumentNullException", "Value cannot be null. (Parameter 'source')"
            )
        return impl(a[0], a[1:], t)

    return static


def _range(a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("Enumerable", "Range", a, 2)
    start, count = strings._int_arg(a[0], "start"), strings._int_arg(a[1], "count")
    if count < 0 or start + count - 1 > 2**31 - 1:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Specified argument was out of the range of valid values. (Parameter 'count')",
        )
    # Lazily generated, but never more than MAX_ITEMS items: a terminal operator such as
    # Count() over Range(0, int.MaxValue) would otherwise loop two billion times per request.
    return Seq(lambda: clr.iter_checked(range(start, start + count)), "RangeIterator")


def _repeat(a: Sequence[object], t: Sequence[TypeRef]) -> Seq:
    arity("Enumerable", "Repeat", a, 2)
    item, count = a[0], strings._int_arg(a[1], "count")
    if count < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Specified argument was out of the range of valid values. (Parameter 'count')",
        )
    return Seq(lambda: clr.iter_checked(item for _ in range(count)), "RepeatIterator")


ENUMERABLE = declare("Enumerable", "System.Linq.Enumerable", (), owns=False)
ENUMERABLE.static_methods.update({n: _enumerable_static(n, m) for n, m in LINQ.items()})
ENUMERABLE.static_methods["Range"] = _range
ENUMERABLE.static_methods["Repeat"] = _repeat
ENUMERABLE.static_methods["Empty"] = lambda a, t: Seq(lambda: (), "EmptyPartition")
ENUMERABLE.sign(
    *(
        # the static forms of the extension methods: the source comes first
        str(
            replace(
                sig,
                static=True,
                extension=False,
                generic=("T", *sig.generic),
                params=(Param("IEnumerable<T>", "source"), *sig.params),
            )
        )
        for sigs in IENUMERABLE.signatures.values()
        for sig in sigs
    ),
    "static IEnumerable<int> Range(int start, int count)",
    "static IEnumerable<T> Repeat<T>(T element, int count)",
    "static IEnumerable<T> Empty<T>()",
)

SEQ = declare(
    "Enumerable`1",
    "System.Linq.Enumerable+Iterator`1",
    (Seq,),
    bases=(IENUMERABLE,),
    generic=("T",),
)
SEQ.iterate = lambda s: s
SEQ.methods["ToString"] = lambda s, a, t: f"System.Linq.Enumerable+{s.name}`1[System.Object]"
SEQ.sign("string ToString()")
GROUPING = declare(
    "IGrouping", "System.Linq.IGrouping`2", (Grouping,), bases=(SEQ,), generic=("TKey", "T")
)
GROUPING.members["Key"] = lambda g: g.key
GROUPING.sign("TKey Key { get; }")

TYPES: tuple[TypeRef, ...] = (IENUMERABLE, ENUMERABLE, SEQ, GROUPING)


def register(registry: Registry) -> None:
    """Strings are enumerable (of Char), so every LINQ operator applies to them."""
    strings.STRING.bases = (*strings.STRING.bases, IENUMERABLE)
    registry.add(*TYPES)
