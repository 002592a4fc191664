"""System.Array's static methods: Copy, Find/FindAll/FindIndex/FindLast/FindLastIndex, Exists,
TrueForAll, ConvertAll, ForEach, Resize, IndexOf/LastIndexOf, Reverse, Sort (with a comparer
or a comparison), BinarySearch, Clear, Fill and Empty, with .NET's argument checks and messages.

Arrays are Python lists (``byte[]`` a bytearray when writable); a predicate is the compiled
lambda. Loops over the elements draw from the expression budget."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import NoReturn

from aiohttp_apim.dotnet import core, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import current, metered
from aiohttp_apim.dotnet.collections import ARRAY
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, check_items
from aiohttp_apim.dotnet.linq import CollectionView, delegate, truth
from aiohttp_apim.dotnet.primitives import OutRef, compare, obj_equals
from aiohttp_apim.errors import ExpressionError

__all__ = ["STATICS"]

Array = list[object] | bytearray | bytes


def _null(param: str) -> NoReturn:
    raise ExpressionError("ArgumentNullException", f"Value cannot be null. (Parameter '{param}')")


def _array(v: object, param: str = "array") -> Array:
    if v is None:
        _null(param)
    if isinstance(v, list | bytearray | bytes):
        return v
    raise ExpressionError("ArgumentException", f"Argument '{param}': expected an array")


def _writable(v: object, param: str = "array") -> list[object] | bytearray:
    arr = _array(v, param)
    if isinstance(arr, bytes):
        raise ExpressionError(
            "NotSupportedException", "This byte[] is read-only in policy expressions"
        )
    return arr


def _int(v: object, param: str) -> int:
    return strings._int_arg(v, param)


def _range(arr: Array, start: int, count: int) -> None:
    if start < 0 or count < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Non-negative number required. (Parameter 'startIndex')"
            if start < 0
            else "Non-negative number required. (Parameter 'count')",
        )
    if start + count > len(arr):
        raise ExpressionError(
            "ArgumentException",
            "Offset and length were out of bounds for the array or count is greater than the "
            "number of elements from index to the end of the source collection.",
        )


def _items(arr: Array) -> list[object]:
    if isinstance(arr, bytes | bytearray):
        return [dotnet.Byte(b) for b in arr]
    return arr


def _copy(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    """Copy(source, destination, length) / Copy(source, sourceIndex, destination,
    destinationIndex, length)."""
    arity("Array", "Copy", a, 3, 5)
    if len(a) == 3:
        src, src_i, dst, dst_i, n = a[0], 0, a[1], 0, _int(a[2], "length")
    else:
        src, src_i, dst, dst_i, n = (
            a[0],
            _int(a[1], "sourceIndex"),
            a[2],
            _int(a[3], "destinationIndex"),
            _int(a[4], "length"),
        )
    source = _array(src, "sourceArray")
    target = _writable(dst, "destinationArray")
    if n < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'length')"
        )
    if src_i < 0 or dst_i < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index was out of range. Must be non-negative and less than the size of the "
            "collection.",
        )
    if src_i + n > len(source) or dst_i + n > len(target):
        raise ExpressionError(
            "ArgumentException",
            "Source array was not long enough. Check the source index, length, and the array's "
            "lower bounds. (Parameter 'sourceArray')"
            if src_i + n > len(source)
            else "Destination array was not long enough. Check the destination index, length, "
            "and the array's lower bounds. (Parameter 'destinationArray')",
        )
    chunk = source[src_i : src_i + n]
    if isinstance(target, bytearray):
        target[dst_i : dst_i + n] = bytes(dotnet.to_integral(dotnet.Byte, x) for x in chunk)
    else:
        target[dst_i : dst_i + n] = list(
            _items(chunk) if isinstance(chunk, bytes | bytearray) else chunk
        )


def _predicate(v: object, name: str) -> Callable[[object], bool]:
    if v is None:
        _null("match")
    fn = delegate(v, name)
    return lambda x: truth(fn(x))


def _find(last: bool, index: bool) -> Callable[[Sequence[object], Sequence[TypeRef]], object]:
    name = ("FindLast" if last else "Find") + ("Index" if index else "")

    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Array", name, a, 2, 3, 4) if index else arity("Array", name, a, 2)
        arr = _items(_array(a[0]))
        match = _predicate(a[-1], name)
        start, count = 0, len(arr)
        if index and len(a) >= 3:
            start = _int(a[1], "startIndex")
            if len(a) == 4:
                count = _int(a[2], "count")
            elif last:
                count = start + 1
            else:
                count = len(arr) - start
            if last:
                first = start - count + 1
                _range(arr, max(first, 0) if count else 0, count if first >= 0 else count + first)
                positions = range(start, first - 1, -1)
            else:
                _range(arr, start, count)
                positions = range(start, start + count)
        else:
            positions = range(len(arr) - 1, -1, -1) if last else range(len(arr))
        for i in metered(positions):
            if match(arr[i]):
                return i if index else arr[i]
        if index:
            return -1
        return _element_default(arr)

    return impl


def _element_default(arr: Sequence[object]) -> object:
    """default(T) for an array's elements, known from any element (null when there is none)."""
    sample = next((x for x in arr if x is not None), None)
    if sample is None:
        return None
    kind = core.type_of(sample)
    return kind.default if kind is not None and kind.value_type else None


def _find_all(a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    arity("Array", "FindAll", a, 2)
    arr = _items(_array(a[0]))
    match = _predicate(a[1], "FindAll")
    return [x for x in metered(arr) if match(x)]


def _exists(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Array", "Exists", a, 2)
    match = _predicate(a[1], "Exists")
    return any(match(x) for x in metered(_items(_array(a[0]))))


def _true_for_all(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Array", "TrueForAll", a, 2)
    match = _predicate(a[1], "TrueForAll")
    return all(match(x) for x in metered(_items(_array(a[0]))))


def _convert_all(a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    arity("Array", "ConvertAll", a, 2)
    if a[1] is None:
        _null("converter")
    fn = delegate(a[1], "ConvertAll")
    return [fn(x) for x in metered(_items(_array(a[0])))]


def _for_each(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Array", "ForEach", a, 2)
    if a[1] is None:
        _null("action")
    fn = delegate(a[1], "ForEach")
    for x in metered(list(_items(_array(a[0])))):
        fn(x)


def _resize(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    """Resize(ref array, newSize): a new array of that size, the old elements copied."""
    arity("Array", "Resize", a, 2)
    ref = a[0]
    if not isinstance(ref, OutRef):
        raise ExpressionError("ArgumentException", "Argument must be passed with the 'ref' keyword")
    size = _int(a[1], "newSize")
    if size < 0:
        raise ExpressionError(
            "ArgumentOutOfRangeException", "Non-negative number required. (Parameter 'newSize')"
        )
    check_items(size)
    old = ref.value
    if old is None:
        ref.value = [None] * size
        return
    arr = _array(old)
    if isinstance(arr, bytes | bytearray):
        ref.value = bytearray(arr[:size]) + bytearray(max(0, size - len(arr)))
        return
    fill = _element_default(arr)
    ref.value = list(arr[:size]) + [fill] * max(0, size - len(arr))


def _index_of(last: bool) -> Callable[[Sequence[object], Sequence[TypeRef]], int]:
    name = "LastIndexOf" if last else "IndexOf"

    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> int:
        arity("Array", name, a, 2, 3, 4)
        arr = _items(_array(a[0]))
        value = a[1]
        if last:
            start = _int(a[2], "startIndex") if len(a) >= 3 else len(arr) - 1
            count = _int(a[3], "count") if len(a) == 4 else start + 1
            if not arr:
                return -1
            first = start - count + 1
            if start >= len(arr) or first < 0 or count < 0:
                raise ExpressionError(
                    "ArgumentOutOfRangeException",
                    "Index was out of range. Must be non-negative and less than the size of "
                    "the collection. (Parameter 'startIndex')",
                )
            positions = range(start, first - 1, -1)
        else:
            start = _int(a[2], "startIndex") if len(a) >= 3 else 0
            count = _int(a[3], "count") if len(a) == 4 else len(arr) - start
            if start > len(arr) or start < 0:
                raise ExpressionError(
                    "ArgumentOutOfRangeException",
                    "Index was out of range. Must be non-negative and less than the size of "
                    "the collection. (Parameter 'startIndex')",
                )
            _range(arr, start, count)
            positions = range(start, start + count)
        for i in metered(positions):
            if obj_equals(arr[i], value):
                return i
        return -1

    return impl


def _reverse(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Array", "Reverse", a, 1, 3)
    arr = _writable(a[0])
    start, count = (_int(a[1], "index"), _int(a[2], "length")) if len(a) == 3 else (0, len(arr))
    _range(arr, start, count)
    if isinstance(arr, bytearray):
        arr[start : start + count] = bytes(arr[start : start + count][::-1])
    else:
        arr[start : start + count] = arr[start : start + count][::-1]


def _sort(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    """Sort(array), Sort(array, comparer), Sort(array, comparison), Sort(array, index, length),
    Sort(keys, items)."""
    arity("Array", "Sort", a, 1, 2, 3)
    arr = _writable(a[0])
    how: Callable[[object, object], int] = compare
    start, count = 0, len(arr)
    items: list[object] | None = None
    if len(a) == 3:
        start, count = _int(a[1], "index"), _int(a[2], "length")
        _range(arr, start, count)
    elif len(a) == 2:
        other = a[1]
        if isinstance(other, dotnet.StringComparer):
            how = other.compare
        elif isinstance(other, list):
            items = other
            if len(items) < len(arr):
                raise ExpressionError(
                    "ArgumentException",
                    "Items array is shorter than the keys array.",
                )
        elif other is not None:
            fn = delegate(other, "Sort")

            def how(x: object, y: object) -> int:
                return strings._int_arg(fn(x, y), "comparison")

    check_items(count)
    current().take(max(1, count))  # a sort takes at least a step per element
    key = functools.cmp_to_key(how)
    if items is not None:
        order = sorted(range(count), key=lambda i: key(arr[i]))
        values = [items[i] for i in order]
        if isinstance(arr, bytearray):
            arr[:count] = bytes([arr[i] for i in order])
        else:
            arr[:count] = [arr[i] for i in order]
        items[:count] = values
        return
    if isinstance(arr, bytearray):
        arr[start : start + count] = bytes(
            sorted([dotnet.Byte(b) for b in arr[start : start + count]], key=key)
        )
    else:
        arr[start : start + count] = sorted(arr[start : start + count], key=key)


def _binary_search(a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("Array", "BinarySearch", a, 2, 3)
    arr = _items(_array(a[0]))
    value = a[1]
    how: Callable[[object, object], int] = compare
    if len(a) == 3 and isinstance(a[2], dotnet.StringComparer):
        how = a[2].compare
    lo, hi = 0, len(arr) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        c = how(arr[mid], value)
        if c == 0:
            return mid
        if c < 0:
            lo = mid + 1
        else:
            hi = mid - 1
    return ~lo


def _clear(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Array", "Clear", a, 1, 3)
    arr = _writable(a[0])
    start, count = (_int(a[1], "index"), _int(a[2], "length")) if len(a) == 3 else (0, len(arr))
    _range(arr, start, count)
    if isinstance(arr, bytearray):
        arr[start : start + count] = bytes(count)
        return
    fill = _element_default(arr)
    arr[start : start + count] = [fill] * count


def _fill(a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("Array", "Fill", a, 2, 4)
    arr = _writable(a[0])
    start, count = (_int(a[2], "startIndex"), _int(a[3], "count")) if len(a) == 4 else (0, len(arr))
    _range(arr, start, count)
    if isinstance(arr, bytearray):
        arr[start : start + count] = bytes([dotnet.to_integral(dotnet.Byte, a[1])]) * count
        return
    arr[start : start + count] = [a[1]] * count


def _as_read_only(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Array", "AsReadOnly", a, 1)
    return CollectionView(list(_items(_array(a[0]))))


STATICS = {
    "Copy": _copy,
    "Find": _find(False, False),
    "FindLast": _find(True, False),
    "FindIndex": _find(False, True),
    "FindLastIndex": _find(True, True),
    "FindAll": _find_all,
    "Exists": _exists,
    "TrueForAll": _true_for_all,
    "ConvertAll": _convert_all,
    "ForEach": _for_each,
    "Resize": _resize,
    "IndexOf": _index_of(False),
    "LastIndexOf": _index_of(True),
    "Reverse": _reverse,
    "Sort": _sort,
    "BinarySearch": _binary_search,
    "Clear": _clear,
    "Fill": _fill,
    "AsReadOnly": _as_read_only,
    "Empty": lambda a, t: (arity("Array", "Empty", a, 0), [])[1],
}
SIGNATURES = (
    "static void Copy(Array sourceArray, Array destinationArray, int length)",
    "static void Copy(Array sourceArray, int sourceIndex, Array destinationArray, "
    "int destinationIndex, int length)",
    "static T Find<T>(T[] array, Predicate<T> match)",
    "static T FindLast<T>(T[] array, Predicate<T> match)",
    "static T[] FindAll<T>(T[] array, Predicate<T> match)",
    "static int FindIndex<T>(T[] array, Predicate<T> match)",
    "static int FindIndex<T>(T[] array, int startIndex, Predicate<T> match)",
    "static int FindIndex<T>(T[] array, int startIndex, int count, Predicate<T> match)",
    "static int FindLastIndex<T>(T[] array, Predicate<T> match)",
    "static int FindLastIndex<T>(T[] array, int startIndex, Predicate<T> match)",
    "static int FindLastIndex<T>(T[] array, int startIndex, int count, Predicate<T> match)",
    "static bool Exists<T>(T[] array, Predicate<T> match)",
    "static bool TrueForAll<T>(T[] array, Predicate<T> match)",
    "static TOutput[] ConvertAll<TInput, TOutput>(TInput[] array, "
    "Converter<TInput, TOutput> converter)",
    "static void ForEach<T>(T[] array, Action<T> action)",
    "static void Resize<T>(ref T[] array, int newSize)",
    "static int IndexOf<T>(T[] array, T value)",
    "static int IndexOf<T>(T[] array, T value, int startIndex)",
    "static int IndexOf<T>(T[] array, T value, int startIndex, int count)",
    "static int LastIndexOf<T>(T[] array, T value)",
    "static int LastIndexOf<T>(T[] array, T value, int startIndex)",
    "static int LastIndexOf<T>(T[] array, T value, int startIndex, int count)",
    "static void Reverse(Array array)",
    "static void Reverse(Array array, int index, int length)",
    "static void Sort(Array array)",
    "static void Sort<T>(T[] array, IComparer<T> comparer)",
    "static void Sort<T>(T[] array, Comparison<T> comparison)",
    "static void Sort(Array array, int index, int length)",
    "static void Sort(Array keys, Array items)",
    "static int BinarySearch(Array array, object value)",
    "static int BinarySearch<T>(T[] array, T value, IComparer<T> comparer)",
    "static void Clear(Array array)",
    "static void Clear(Array array, int index, int length)",
    "static void Fill<T>(T[] array, T value)",
    "static void Fill<T>(T[] array, T value, int startIndex, int count)",
    "static ReadOnlyCollection<T> AsReadOnly<T>(T[] array)",
    "static T[] Empty<T>()",
)


def register(registry: Registry) -> None:
    """Array's statics join the Array type (collections.py declares its instance members)."""
    ARRAY.static_methods.update(STATICS)
    ARRAY.sign(*SIGNATURES)
