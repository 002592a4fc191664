"""The collection types as expressions see them: arrays (and byte[]), List<T>, read-only
collection views, Dictionary<K,V>, KeyValuePair, HashSet<T> and Tuple. Their Python classes and
the Linq operators that every enumerable shares are linq.py's."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet import strings
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, check_items, declare
from aiohttp_apim.dotnet.linq import (
    IENUMERABLE,
    CollectionView,
    KeyValuePair,
    M,
    NetHashSet,
    NetList,
    NetTuple,
    contains,
    delegate,
    items_of,
    materialize,
    new_dictionary,
    truth,
)
from aiohttp_apim.dotnet.primitives import Byte, compare, obj_equals, set_out, to_string
from aiohttp_apim.errors import ExpressionError

__all__ = ["ARRAY", "BYTES", "DICTIONARY", "HASHSET", "LIST", "TUPLE", "VIEW", "list_get"]

_MISSING = object()


# ---------------------------------------------------------------- arrays


def _index(args: Sequence[object]) -> int:
    if len(args) != 1:
        raise ExpressionError("ArgumentException", "Wrong number of indices inside []; expected 1")
    return strings._int_arg(args[0], "index")


def _array_get(arr: list[object], args: Sequence[object]) -> object:
    i = _index(args)
    if i < 0 or i >= len(arr):
        raise ExpressionError(
            "IndexOutOfRangeException", "Index was outside the bounds of the array."
        )
    return arr[i]


def _array_set(arr: list[object], args: Sequence[object], value: object) -> None:
    i = _index(args)
    if i < 0 or i >= len(arr):
        raise ExpressionError(
            "IndexOutOfRangeException", "Index was outside the bounds of the array."
        )
    arr[i] = value


ARRAY = declare(
    "Array", "System.Array", (list,), aliases=("Object[]", "System.Object[]"), bases=(IENUMERABLE,)
)
ARRAY.members["Length"] = len
ARRAY.members["LongLength"] = lambda a: dotnet.Int64(len(a))
ARRAY.members["Rank"] = lambda a: 1
ARRAY.indexer = _array_get
ARRAY.set_indexer = _array_set
ARRAY.iterate = lambda a: a
ARRAY.methods["Clone"] = lambda a, x, t: list(a)
ARRAY.methods["ToString"] = lambda a, x, t: (
    "System.Object[]" if not a or not all(type(i) is str for i in a) else "System.String[]"
)


def _bytes_get(b: bytes, args: Sequence[object]) -> Byte:
    i = _index(args)
    if i < 0 or i >= len(b):
        raise ExpressionError(
            "IndexOutOfRangeException", "Index was outside the bounds of the array."
        )
    return Byte(b[i])


BYTES = declare("Byte[]", "System.Byte[]", (bytes, bytearray), bases=(IENUMERABLE,))
BYTES.members["Length"] = len
BYTES.indexer = _bytes_get
BYTES.iterate = lambda b: [Byte(x) for x in b]
BYTES.methods["ToString"] = lambda b, x, t: "System.Byte[]"
BYTES.methods["Clone"] = lambda b, x, t: bytes(b)


def _bytes_set(b: object, args: Sequence[object], value: object) -> None:
    if not isinstance(b, bytearray):
        raise ExpressionError(
            "NotSupportedException", "This byte[] is read-only in policy expressions"
        )
    i = _index(args)
    if i < 0 or i >= len(b):
        raise ExpressionError(
            "IndexOutOfRangeException", "Index was outside the bounds of the array."
        )
    b[i] = dotnet.to_integral(Byte, value)


BYTES.set_indexer = _bytes_set


# ---------------------------------------------------------------- List<T>


def list_get(lst: list[object], args: Sequence[object]) -> object:
    i = _index(args)
    if i < 0 or i >= len(lst):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index was out of range. Must be non-negative and less "
            "than the size of the collection. (Parameter 'index')",
        )
    return lst[i]


def _list_set(lst: list[object], args: Sequence[object], value: object) -> None:
    i = _index(args)
    if i < 0 or i >= len(lst):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index was out of range. Must be non-negative and less "
            "than the size of the collection. (Parameter 'index')",
        )
    lst[i] = value


def _list_add(lst: NetList, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("List", "Add", a, 1)
    check_items(len(lst) + 1)
    lst.append(a[0])


def _list_add_range(lst: NetList, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("List", "AddRange", a, 1)
    if a[0] is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'collection')"
        )
    items = materialize(a[0])
    check_items(len(lst) + len(items))
    lst.extend(items)


def _list_remove(lst: NetList, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("List", "Remove", a, 1)
    for i, x in enumerate(lst):
        if obj_equals(x, a[0]):
            del lst[i]
            return True
    return False


def _list_index_of(lst: list[object], a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("List", "IndexOf", a, 1)
    for i, x in enumerate(lst):
        if obj_equals(x, a[0]):
            return i
    return -1


def _list_insert(lst: NetList, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("List", "Insert", a, 2)
    i = strings._int_arg(a[0], "index")
    if i < 0 or i > len(lst):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index must be within the bounds of the List. (Parameter 'index')",
        )
    check_items(len(lst) + 1)
    lst.insert(i, a[1])


def _list_remove_at(lst: NetList, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("List", "RemoveAt", a, 1)
    list_get(lst, a)
    del lst[strings._int_arg(a[0], "index")]


def _list_sort(lst: NetList, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("List", "Sort", a, 0, 1)
    if a:
        fn = delegate(a[0], "Sort")
        lst.sort(key=functools.cmp_to_key(lambda x, y: strings._int_arg(fn(x, y), "comparison")))
    else:
        lst.sort(key=functools.cmp_to_key(compare))


def _list_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> NetList:
    arity("List", ".ctor", a, 0, 1)
    if a and type(a[0]) is not int:
        if a[0] is None:
            raise ExpressionError(
                "ArgumentNullException", "Value cannot be null. (Parameter 'collection')"
            )
        return NetList(materialize(a[0]))
    return NetList()


LIST = declare(
    "List",
    "System.Collections.Generic.List`1",
    (NetList,),
    aliases=("List`1", "IList", "IList`1", "System.Collections.Generic.List"),
    bases=(IENUMERABLE,),
    generic=("T",),
)
LIST.construct = _list_ctor
LIST.members["Count"] = len
LIST.indexer = list_get
LIST.set_indexer = _list_set
LIST.iterate = lambda lst: list(lst)  # snapshot: .NET throws on modification during foreach
LIST.methods.update(
    {
        "Add": _list_add,
        "AddRange": _list_add_range,
        "Remove": _list_remove,
        "RemoveAt": _list_remove_at,
        "Insert": _list_insert,
        "IndexOf": _list_index_of,
        "Contains": lambda lst, a, t: (
            arity("List", "Contains", a, 1),
            _list_index_of(lst, a, t) >= 0,
        )[1],
        "Clear": lambda lst, a, t: lst.clear(),
        "ToArray": lambda lst, a, t: list(lst),
        "Sort": _list_sort,
        "Reverse": lambda lst, a, t: lst.reverse(),
        "Exists": lambda lst, a, t: any(truth(delegate(a[0], "Exists")(x)) for x in lst),
        "Find": lambda lst, a, t: next((x for x in lst if truth(delegate(a[0], "Find")(x))), None),
        "FindIndex": lambda lst, a, t: next(
            (i for i, x in enumerate(lst) if truth(delegate(a[0], "FindIndex")(x))), -1
        ),
        "FindAll": lambda lst, a, t: NetList(x for x in lst if truth(delegate(a[0], "FindAll")(x))),
        "ForEach": lambda lst, a, t: [delegate(a[0], "ForEach")(x) for x in list(lst)] and None,
        "ConvertAll": lambda lst, a, t: NetList(delegate(a[0], "ConvertAll")(x) for x in lst),
        "ToString": lambda lst, a, t: "System.Collections.Generic.List`1[System.Object]",
    }
)
ARRAY.methods["Contains"] = lambda arr, a, t: contains(arr, a, t)

VIEW = declare(
    "Collection",
    "System.Collections.ObjectModel.ReadOnlyCollection`1",
    (CollectionView,),
    bases=(IENUMERABLE,),
    generic=("T",),
)
VIEW.members["Count"] = len
VIEW.iterate = lambda v: v
VIEW.methods["Contains"] = lambda v, a, t: contains(v, a, t)


# ---------------------------------------------------------------- Dictionary<K,V>


def _key_arg(args: Sequence[object]) -> object:
    if len(args) != 1:
        raise ExpressionError("ArgumentException", "Wrong number of indices inside []; expected 1")
    k = args[0]
    if k is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'key')")
    return k


def _dict_get(d: dict[object, object], args: Sequence[object]) -> object:
    k = _key_arg(args)
    try:
        return d[k]
    except KeyError:
        raise ExpressionError(
            "KeyNotFoundException",
            f"The given key '{to_string(k)}' was not present in the dictionary.",
        ) from None
    except TypeError:
        raise ExpressionError(
            "KeyNotFoundException",
            f"The given key '{to_string(k)}' was not present in the dictionary.",
        ) from None


def _dict_set(d: dict[object, object], args: Sequence[object], value: object) -> None:
    k = _key_arg(args)
    if k not in d:
        check_items(len(d) + 1)
    d[k] = value


def _dict_add(d: dict[object, object], a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Dictionary", "Add", a, 2)
    k = _key_arg(a[:1])
    if k in d:
        raise ExpressionError(
            "ArgumentException",
            f"An item with the same key has already been added. Key: {to_string(k)}",
        )
    check_items(len(d) + 1)
    d[k] = a[1]


def _dict_try_add(d: dict[object, object], a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    _dict_add(d, a, t)
    return True


def _dict_try_get(d: dict[object, object], a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Dictionary", "TryGetValue", a, 2)
    k = _key_arg(a[:1])
    if k in d:
        set_out(a, 1, d[k])
        return True
    set_out(a, 1, None)
    return False


def _dict_get_or_default(
    d: dict[object, object], a: Sequence[object], t: Sequence[TypeRef]
) -> object:
    arity("Dictionary", "GetValueOrDefault", a, 1, 2)
    k = _key_arg(a[:1])
    return d[k] if k in d else (a[1] if len(a) == 2 else None)


def _dict_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> dict[object, object]:
    """new Dictionary(), (capacity), (comparer), (dictionary), and those with a comparer: a
    case-insensitive StringComparer makes keys compare ignoring case."""
    arity("Dictionary", ".ctor", a, 0, 1, 2)
    comparer = next((x for x in a if isinstance(x, dotnet.StringComparer)), None)
    source = next((x for x in a if isinstance(x, dict)), None)
    items: list[tuple[object, object]] = list(source.items()) if source is not None else []
    result = new_dictionary(comparer)
    for k, v in items:
        if k in result:
            raise ExpressionError(
                "ArgumentException",
                f"An item with the same key has already been added. Key: {to_string(k)}",
            )
        result[k] = v
    return result


DICTIONARY = declare(
    "Dictionary",
    "System.Collections.Generic.Dictionary`2",
    (dict,),
    aliases=(
        "Dictionary`2",
        "IDictionary",
        "IDictionary`2",
        "System.Collections.Generic.Dictionary",
    ),
    bases=(IENUMERABLE,),
    generic=("TKey", "TValue"),
)
DICTIONARY.construct = _dict_ctor
DICTIONARY.members["Count"] = len
DICTIONARY.members["Keys"] = lambda d: CollectionView(d.keys())
DICTIONARY.members["Values"] = lambda d: CollectionView(d.values())
DICTIONARY.indexer = _dict_get
DICTIONARY.set_indexer = _dict_set
DICTIONARY.iterate = lambda d: [KeyValuePair(k, v) for k, v in d.items()]
DICTIONARY.methods.update(
    {
        "Add": _dict_add,
        "ContainsKey": lambda d, a, t: (arity("Dictionary", "ContainsKey", a, 1), _key_arg(a) in d)[
            1
        ],
        "ContainsValue": lambda d, a, t: any(obj_equals(v, a[0]) for v in d.values()),
        "TryGetValue": _dict_try_get,
        "GetValueOrDefault": _dict_get_or_default,
        "Remove": lambda d, a, t: d.pop(_key_arg(a[:1]), _MISSING) is not _MISSING,
        "Clear": lambda d, a, t: d.clear(),
        "TryAdd": lambda d, a, t: _key_arg(a[:1]) not in d and _dict_try_add(d, a, t),
        "ToString": lambda d, a, t: (
            "System.Collections.Generic.Dictionary`2[System.Object,System.Object]"
        ),
    }
)

KVP = declare(
    "KeyValuePair",
    "System.Collections.Generic.KeyValuePair`2",
    (KeyValuePair,),
    aliases=("KeyValuePair`2",),
    bases=(dotnet.VALUE_TYPE,),
    value_type=True,
    generic=("TKey", "TValue"),
)
KVP.members["Key"] = lambda p: p.key
KVP.members["Value"] = lambda p: p.value
KVP.methods["ToString"] = lambda p, a, t: f"[{to_string(p.key)}, {to_string(p.value)}]"
KVP.construct = lambda a, t: (arity("KeyValuePair", ".ctor", a, 2), KeyValuePair(a[0], a[1]))[1]


# ---------------------------------------------------------------- HashSet<T>


def _hs_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> NetHashSet:
    cmp = next((x for x in a if isinstance(x, dotnet.StringComparer)), None)
    hs = NetHashSet(cmp)
    src = next((x for x in a if not isinstance(x, dotnet.StringComparer)), None)
    if src is not None:
        for x in items_of(src):
            hs.add(x)
    return hs


def _hs_bulk(op: str) -> M:
    def impl(hs: NetHashSet, a: Sequence[object], t: Sequence[TypeRef]) -> None:
        arity("HashSet", op, a, 1)
        other = materialize(a[0])
        if op == "UnionWith":
            for x in other:
                hs.add(x)
        elif op == "ExceptWith":
            for x in other:
                hs.remove(x)
        else:
            keep = NetHashSet(hs.comparer)
            for x in other:
                keep.add(x)
            for x in hs.values():
                if not keep.contains(x):
                    hs.remove(x)

    return impl


HASHSET = declare(
    "HashSet",
    "System.Collections.Generic.HashSet`1",
    (NetHashSet,),
    aliases=("HashSet`1", "ISet", "ISet`1"),
    bases=(IENUMERABLE,),
    generic=("T",),
)
HASHSET.construct = _hs_ctor
HASHSET.members["Count"] = lambda hs: len(hs._items)
HASHSET.iterate = lambda hs: hs.values()
HASHSET.methods.update(
    {
        "Add": lambda hs, a, t: (arity("HashSet", "Add", a, 1), hs.add(a[0]))[1],
        "Contains": lambda hs, a, t: (arity("HashSet", "Contains", a, 1), hs.contains(a[0]))[1],
        "Remove": lambda hs, a, t: (arity("HashSet", "Remove", a, 1), hs.remove(a[0]))[1],
        "Clear": lambda hs, a, t: hs._items.clear(),
        "UnionWith": _hs_bulk("UnionWith"),
        "ExceptWith": _hs_bulk("ExceptWith"),
        "IntersectWith": _hs_bulk("IntersectWith"),
    }
)


# ---------------------------------------------------------------- Tuple

TUPLE = declare("Tuple", "System.Tuple", (NetTuple,), aliases=("ValueTuple",))


def _item(i: int, tp: NetTuple) -> object:
    if len(tp.items) < i:
        raise ExpressionError(
            "MissingMemberException", f"'Tuple' does not contain a definition for 'Item{i}'"
        )
    return tp.items[i - 1]


for _i in range(1, 8):
    TUPLE.members[f"Item{_i}"] = functools.partial(_item, _i)
TUPLE.methods["ToString"] = lambda tp, a, t: "(" + ", ".join(to_string(x) for x in tp.items) + ")"
TUPLE.static_methods["Create"] = lambda a, t: NetTuple(tuple(a))
TUPLE.construct = lambda a, t: NetTuple(tuple(a))


def _tuple_equals(x: object, y: object) -> bool:
    return (
        isinstance(x, NetTuple)
        and isinstance(y, NetTuple)
        and len(x.items) == len(y.items)
        and all(obj_equals(p, q) for p, q in zip(x.items, y.items, strict=True))
    )


ARRAY.sign(
    "int Length { get; }",
    "long LongLength { get; }",
    "int Rank { get; }",
    "T this[int index] { get; set; }",
    "object Clone()",
    "string ToString()",
)
BYTES.sign(
    "int Length { get; }",
    "byte this[int index] { get; set; }",
    "object Clone()",
    "string ToString()",
)
LIST.sign(
    "new()",
    "new(int capacity)",
    "new(IEnumerable<T> collection)",
    "int Count { get; }",
    "T this[int index] { get; set; }",
    "void Add(T item)",
    "void AddRange(IEnumerable<T> collection)",
    "void Clear()",
    "bool Contains(T item)",
    "List<TOutput> ConvertAll<TOutput>(Converter<T, TOutput> converter)",
    "bool Exists(Predicate<T> match)",
    "T Find(Predicate<T> match)",
    "List<T> FindAll(Predicate<T> match)",
    "int FindIndex(Predicate<T> match)",
    "void ForEach(Action<T> action)",
    "int IndexOf(T item)",
    "void Insert(int index, T item)",
    "bool Remove(T item)",
    "void RemoveAt(int index)",
    "void Reverse()",
    "void Sort()",
    "void Sort(Comparison<T> comparison)",
    "T[] ToArray()",
    "string ToString()",
)
VIEW.sign("int Count { get; }", "bool Contains(T item)")
DICTIONARY.sign(
    "new()",
    "new(int capacity)",
    "new(IEqualityComparer<TKey> comparer)",
    "new(int capacity, IEqualityComparer<TKey> comparer)",
    "new(IDictionary<TKey, TValue> dictionary)",
    "new(IDictionary<TKey, TValue> dictionary, IEqualityComparer<TKey> comparer)",
    "int Count { get; }",
    "ICollection<TKey> Keys { get; }",
    "ICollection<TValue> Values { get; }",
    "TValue this[TKey key] { get; set; }",
    "void Add(TKey key, TValue value)",
    "bool TryAdd(TKey key, TValue value)",
    "void Clear()",
    "bool ContainsKey(TKey key)",
    "bool ContainsValue(TValue value)",
    "TValue GetValueOrDefault(TKey key)",
    "TValue GetValueOrDefault(TKey key, TValue defaultValue)",
    "bool Remove(TKey key)",
    "bool TryGetValue(TKey key, out TValue value)",
    "string ToString()",
)
KVP.sign("new(TKey key, TValue value)", "TKey Key { get; }", "TValue Value { get; }")
HASHSET.sign(
    "new()",
    "new(IEqualityComparer<T> comparer)",
    "new(IEnumerable<T> collection)",
    "new(IEnumerable<T> collection, IEqualityComparer<T> comparer)",
    "int Count { get; }",
    "bool Add(T item)",
    "void Clear()",
    "bool Contains(T item)",
    "bool Remove(T item)",
    "void UnionWith(IEnumerable<T> other)",
    "void IntersectWith(IEnumerable<T> other)",
    "void ExceptWith(IEnumerable<T> other)",
)
TUPLE.sign(
    *(f"T{i} Item{i} {{ get; }}" for i in range(1, 8)),
    "static Tuple<T1, T2> Create<T1, T2>(T1 item1, T2 item2)",
    "static Tuple<T1, T2, T3> Create<T1, T2, T3>(T1 item1, T2 item2, T3 item3)",
    "new(T1 item1, T2 item2)",
    "new(T1 item1, T2 item2, T3 item3)",
    "string ToString()",
)

TYPES: tuple[TypeRef, ...] = (ARRAY, BYTES, LIST, VIEW, DICTIONARY, KVP, HASHSET, TUPLE)


def register(registry: Registry) -> None:
    """Tuples compare by value."""
    dotnet.EQUALITY_HOOKS[NetTuple] = _tuple_equals
    registry.add(*TYPES)
