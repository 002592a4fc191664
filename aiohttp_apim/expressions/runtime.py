"""The dispatch layer: the only way compiled policy expressions touch values (the sandbox).

Every member access, call, index, cast and operator of a compiled expression goes through a
function here. Dispatch uses the explicit per-type tables of `clr` (never ``getattr`` with a
name from an expression): ``TABLES[type(obj)]`` then ``table.members[name]`` — two dict lookups
on the hot path, a cached MRO walk the first time a class is seen.

Conventions for the compiler:

* lambdas are plain Python callables with positional parameters (``Where((x, i) => ..)`` is
  detected from the callable's ``__code__.co_argcount``);
* ``out x`` / ``out var x`` arguments are `OutRef` instances; the method sets ``.value``;
* type arguments (``GetValueOrDefault<int>``, ``As<JObject>``) are TypeRefs from `resolve_type`;
* literals: ``int`` for Int32, ``dotnet.Int64`` for long (and Int32-overflowing) literals,
  ``dotnet.UInt32``/``UInt64`` for ``u``/``ul`` suffixes, ``float`` for double, ``dotnet.Single``
  for ``f``, ``decimal.Decimal`` for ``m``, ``dotnet.Char`` for char literals (or
  ``cast(resolve_type("char"), "x")``).

Every failure raises `aiohttp_apim.errors.ExpressionError` whose ``exception_type`` is the .NET
exception's short name; stray Python exceptions from a method are converted, never leaked.

For the compiler's per-call-site inline caches, ``member_impl``/``indexer_impl``/``method_impl``
return the implementation the dispatchers would run for a receiver's exact class (or None:
null, missing member), and ``convert_exception`` is the conversion the dispatchers apply; the
compiler guards each cached implementation on ``type(receiver)``. ``exception_object``,
``exception_info`` and ``exception_is`` give ``catch``/``throw`` their .NET exception values
(dotnet/exceptions.py); ``concat_head`` is ToString for the left operand of ``x + "..."``.

What C# constructs need when they run: ``checked_binary``/``checked_unary``/``checked_cast`` (a
checked context), ``switch_matches`` (``case`` constants), ``deconstruct`` (``var (a, b) = ..``),
`MethodGroup`/`StaticMethodGroup`/``member_or_group`` (method groups as delegates); and when
compiling: ``type_object`` (``typeof``), ``anonymous_type`` (``new { a = 1 }``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import jwt, library
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.anonymous import anonymous_type
from aiohttp_apim.dotnet.conversions import cast
from aiohttp_apim.dotnet.core import (
    CLOCK,
    LIBRARY,
    MAX_STRING_LENGTH,
    TABLES,
    TypeRef,
    table_of,
    type_of,
)
from aiohttp_apim.dotnet.exceptions import convert_exception, exception_info, exception_object
from aiohttp_apim.dotnet.exceptions import is_subclass as exception_is
from aiohttp_apim.dotnet.linq import KeyValuePair, NetTuple
from aiohttp_apim.dotnet.primitives import OutRef, to_string
from aiohttp_apim.dotnet.reflection import type_object
from aiohttp_apim.dotnet.xml import concat_head
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import context, operators
from aiohttp_apim.expressions.operators import (
    binary,
    checked_binary,
    checked_cast,
    checked_unary,
    numeric_conversion,
    switch_matches,
    to_bool,
    unary,
)


def _load() -> None:
    """Load the .NET library, then what the language and APIM's model add to it: the library's
    user-defined operators for the language's operators, the ``context`` model's types (declared
    in ``context.py``), and the APIM dictionary of string values that ``Jwt.Claims`` is."""
    library.load(LIBRARY)
    model = vars(context).values()
    LIBRARY.add(*(v for v in model if isinstance(v, TypeRef)))
    LIBRARY.add(*(t for cls, t in dotnet.ENUM_TYPES.items() if cls.__module__ == context.__name__))
    operators.install(LIBRARY)
    jwt.use_claims_dictionary(
        lambda claims: context.StringValuesDictionary(claims, case_insensitive=False)
    )


_load()

__all__ = [
    "CLOCK",
    "MAX_STRING_LENGTH",
    "MethodGroup",
    "OutRef",
    "StaticMethodGroup",
    "TypeRef",
    "anonymous_type",
    "binary",
    "call_method",
    "call_static",
    "cast",
    "checked_binary",
    "checked_cast",
    "checked_unary",
    "concat_head",
    "construct",
    "convert_exception",
    "deconstruct",
    "default_of",
    "exception_info",
    "exception_is",
    "exception_object",
    "get_member",
    "get_static",
    "index",
    "indexer_impl",
    "is_instance",
    "iterate",
    "member_impl",
    "member_or_group",
    "method_impl",
    "new_array",
    "numeric_conversion",
    "resolve_type",
    "set_index",
    "set_member",
    "switch_matches",
    "to_bool",
    "to_string",
    "type_object",
    "type_of",
    "unary",
]

_NRE = "Object reference not set to an instance of an object."


# ---------------------------------------------------------------- types

_RESOLVED: dict[str, TypeRef | None] = {}


def resolve_type(name: str) -> TypeRef | None:
    """The TypeRef for a C# type name: keywords (``int``), short (``Regex``) or full names
    (``System.Text.RegularExpressions.Regex``), ``T[]`` arrays, ``T?`` nullables; generic
    arguments in the name are ignored (``List<string>`` → List; pass type args separately)."""
    if name in _RESOLVED:
        return _RESOLVED[name]
    t = _resolve(name.strip())
    _RESOLVED[name] = t
    return t


def _resolve(name: str) -> TypeRef | None:
    if name.startswith("global::"):
        name = name[len("global::") :]
    if name.endswith("?"):
        inner = _resolve(name[:-1])
        return None if inner is None else _nullable(inner)
    if name.endswith("[]"):
        inner = _resolve(name[:-2])
        return None if inner is None else _array_of(inner)
    if "<" in name and name.endswith(">"):
        base = name[: name.index("<")]
        n_args = name.count(",") + 1
        if base in ("Nullable", "System.Nullable"):
            inner = _resolve(name[name.index("<") + 1 : -1])
            return None if inner is None else _nullable(inner)
        return clr.lookup(f"{base}`{n_args}") or _resolve(base)
    t = clr.lookup(name)
    if t is None and "." in name:
        # ``System.Collections.Generic.List`` (generic, registered as List`1), an interface
        # named through another namespace: the short name, if it lives in that namespace
        namespace, short = name.rsplit(".", 1)
        t = clr.lookup(short)
        if t is not None and namespace not in _namespaces_of(t):
            t = None
    return t


_NAMESPACE_ALIASES = {
    # interfaces and views modelled by one type whose .NET namespace differs
    "System.Collections": ("System.Collections.Generic", "System.Linq"),
    "System.Collections.ObjectModel": ("System.Collections.Generic",),
    "System.Linq": ("System.Collections.Generic",),
}


def _namespaces_of(t: TypeRef) -> tuple[str, ...]:
    """The namespaces a type may be written with: its own, and aliases of it."""
    full = t.full_name.split("`", 1)[0].split("[", 1)[0].split("+", 1)[0]
    own = full.rsplit(".", 1)[0] if "." in full else ""
    return (own, *_NAMESPACE_ALIASES.get(own, ()))


_DERIVED: dict[tuple[str, int], TypeRef] = {}


def _array_of(element: TypeRef) -> TypeRef:
    key = ("[]", id(element))
    t = _DERIVED.get(key)
    if t is None:
        if element.name == "Byte":
            t = clr.lookup("Byte[]")
            assert t is not None
        else:
            array = clr.lookup("Array")
            assert array is not None
            t = TypeRef(f"{element.name}[]", f"{element.full_name}[]", (list,), bases=(array,))
            t.element = element
            t.check = lambda v: type(v) is list
        _DERIVED[key] = t
    return t


def _nullable(inner: TypeRef) -> TypeRef:
    if not inner.value_type:
        return inner
    key = ("?", id(inner))
    t = _DERIVED.get(key)
    if t is None:
        t = TypeRef(
            f"Nullable<{inner.name}>", f"System.Nullable`1[{inner.full_name}]", inner.py_types
        )
        t.nullable_of = inner
        t.check = inner.is_instance
        _DERIVED[key] = t
    return t


# ---------------------------------------------------------------- members


_MEMBERS: dict[type, dict[str, clr.Getter]] = {}
_METHODS: dict[type, dict[str, clr.Method]] = {}
"""Per exact class: the flattened member/method dicts (filled by the slow path)."""


def _table(obj: object) -> clr.Table:
    """Slow path: find, flatten and cache the tables of obj's class (None → NullReference)."""
    table = table_of(obj)
    _MEMBERS[obj.__class__] = table.members
    _METHODS[obj.__class__] = table.methods
    return table


def get_member(obj: object, name: str) -> object:
    """``obj.Name`` (property or field)."""
    try:
        getter = _MEMBERS[obj.__class__][name]
    except KeyError:
        if obj is None:
            return _null_member(name)
        table = _table(obj)
        found = table.members.get(name)
        if found is None:
            _missing(table.type.name, name)
        getter = found
    try:
        return getter(obj)
    except Exception as e:  # converted to the .NET exception it stands for
        raise convert_exception(e) from None


def _null_member(name: str) -> object:
    # Nullable<T> with no value: HasValue is false, Value throws (C# semantics)
    if name == "HasValue":
        return False
    if name == "Value":
        raise ExpressionError("InvalidOperationException", "Nullable object must have a value.")
    raise ExpressionError("NullReferenceException", _NRE)


def _missing(type_name: str, name: str) -> NoReturn:
    raise ExpressionError(
        "MissingMemberException", f"'{type_name}' does not contain a definition for '{name}'"
    )


# ---- implementation lookups for the compiler's per-call-site inline caches
# Each returns the implementation that get_member/index/call_method would run for a receiver of
# exactly ``type(obj)`` -- the tables are per exact class, so the result is valid for every
# receiver of that class -- or None when the ordinary dispatcher must handle the receiver (null,
# a missing member, a class invisible to expressions): the caller then takes that path, with its
# exact semantics and errors. An implementation called directly may raise any Python exception;
# the caller converts it with `convert_exception`.


def _table_or_none(obj: object) -> clr.Table | None:
    if obj is None:
        return None
    table = TABLES.get(obj.__class__)
    if table is not None:
        return table
    try:
        return _table(obj)
    except ExpressionError:  # not visible to expressions: the dispatcher raises the error
        return None


def member_impl(obj: object, name: str) -> clr.Getter | None:
    """The getter ``get_member(obj, name)`` runs for receivers of ``type(obj)``, or None."""
    table = _table_or_none(obj)
    return None if table is None else table.members.get(name)


def indexer_impl(obj: object) -> clr.Indexer | None:
    """The indexer ``index(obj, ...)`` runs for receivers of ``type(obj)``, or None."""
    table = _table_or_none(obj)
    return None if table is None else table.indexer


def method_impl(obj: object, name: str) -> clr.Method | None:
    """The method ``call_method(obj, name, ...)`` runs for receivers of ``type(obj)``, or None."""
    table = _table_or_none(obj)
    return None if table is None else table.methods.get(name)


def set_member(obj: object, name: str, value: object) -> None:
    """``obj.Name = value``."""
    table = TABLES.get(obj.__class__) or table_of(obj)
    setter = table.setters.get(name)
    if setter is None:
        if name in table.members:
            raise ExpressionError(
                "InvalidOperationException",
                f"Property or indexer '{table.type.name}.{name}' cannot be assigned to "
                "-- it is read only",
            )
        _missing(table.type.name, name)
    try:
        setter(obj, value)
    except Exception as e:
        raise convert_exception(e) from None


def call_method(
    obj: object, name: str, args: Sequence[object], type_args: Sequence[TypeRef] = ()
) -> object:
    """``obj.Name<T..>(args)``, including extension methods (Linq, AsJwt, GetValueOrDefault)."""
    try:
        method = _METHODS[obj.__class__][name]
    except KeyError:
        if obj is None:
            if name == "GetValueOrDefault" and not args:
                return None
            extension = clr.NULL_RECEIVER_METHODS.get(name)
            if extension is None:
                raise ExpressionError("NullReferenceException", _NRE) from None
            method = extension
        else:
            table = _table(obj)
            found = table.methods.get(name)
            if found is None:
                _missing(table.type.name, name)
            method = found
    try:
        return method(obj, args, type_args)
    except Exception as e:
        raise convert_exception(e) from None


class MethodGroup:
    """A method group converted to a delegate: ``allowed.Contains`` passed where a function is
    wanted. The receiver is the one at the conversion, as in C#; calling it calls the method
    with the arguments given (so the overload is the one their number chooses)."""

    __slots__ = ("name", "receiver")

    def __init__(self, receiver: object, name: str) -> None:
        self.receiver = receiver
        self.name = name

    def __call__(self, *args: object) -> object:
        return call_method(self.receiver, self.name, args)


class StaticMethodGroup:
    """A static method group as a delegate: ``int.Parse``, ``string.IsNullOrEmpty``."""

    __slots__ = ("name", "type")

    def __init__(self, t: TypeRef, name: str) -> None:
        self.type = t
        self.name = name

    def __call__(self, *args: object) -> object:
        return call_static(self.type, self.name, args)


def member_or_group(obj: object, name: str) -> object:
    """``obj.Name`` where a delegate may be wanted: the property's value, or the method group
    as a delegate when ``Name`` is a method."""
    if obj is None:  # a Nullable's HasValue/Value, or a NullReferenceException
        return get_member(obj, name)
    table = TABLES.get(obj.__class__) or table_of(obj)
    if name not in table.members and name in table.methods:
        return MethodGroup(obj, name)
    return get_member(obj, name)


def get_static(t: TypeRef, name: str) -> object:
    """``Type.Name`` (static property, field or enum member)."""
    getter = t.statics.get(name)
    if getter is None:
        _missing(t.name, name)
    try:
        return getter()
    except Exception as e:
        raise convert_exception(e) from None


def call_static(
    t: TypeRef, name: str, args: Sequence[object], type_args: Sequence[TypeRef] = ()
) -> object:
    """``Type.Name<T..>(args)``."""
    method = t.static_methods.get(name)
    if method is None:
        _missing(t.name, name)
    try:
        return method(args, type_args)
    except Exception as e:
        raise convert_exception(e) from None


def construct(t: TypeRef, args: Sequence[object], type_args: Sequence[TypeRef] = ()) -> object:
    """``new T<..>(args)``."""
    ctor = t.construct
    if ctor is None:
        if t.value_type and not args:
            return t.default
        raise ExpressionError(
            "MissingMethodException",
            f"Cannot create an instance of '{t.name}' in a policy expression",
        )
    try:
        return ctor(args, type_args)
    except Exception as e:
        raise convert_exception(e) from None


def new_array(t: TypeRef | None, items: Sequence[object]) -> object:
    """``new[] {..}`` (t is None) or ``new T[] {..}`` (t is the element type or the array type)."""
    clr.check_items(len(items))
    if t is None:
        return list(items)
    element = t.element or t
    if element.name == "Byte":  # writable, as a .NET array is (rng.GetBytes(buffer) fills it)
        return bytearray(dotnet.to_integral(dotnet.Byte, cast(element, x)) for x in items)
    if element.value_type and element.convert is not None:
        return [None if x is None and element.nullable_of else cast(element, x) for x in items]
    for x in items:
        if x is not None and not element.is_instance(x) and element.name != "Object":
            cast(element, x)  # raises InvalidCast with the .NET message
    return list(items)


_INDEXERS: dict[type, clr.Indexer] = {}


def index(obj: object, args: Sequence[object]) -> object:
    """``obj[args]``."""
    try:
        indexer = _INDEXERS[obj.__class__]
    except KeyError:
        table = TABLES.get(obj.__class__) or table_of(obj)
        if table.indexer is None:
            raise ExpressionError(
                "InvalidOperationException",
                f"Cannot apply indexing with [] to an expression of type '{table.type.name}'",
            ) from None
        indexer = _INDEXERS[obj.__class__] = table.indexer
    try:
        return indexer(obj, args)
    except Exception as e:
        raise convert_exception(e) from None


def set_index(obj: object, args: Sequence[object], value: object) -> None:
    """``obj[args] = value``."""
    table = TABLES.get(obj.__class__) or table_of(obj)
    setter = table.set_indexer
    if setter is None:
        raise ExpressionError(
            "InvalidOperationException",
            f"Property or indexer '{table.type.name}.this[]' cannot be "
            "assigned to -- it is read only",
        )
    try:
        setter(obj, args, value)
    except Exception as e:
        raise convert_exception(e) from None


# ---------------------------------------------------------------- conversions


def is_instance(t: TypeRef, value: object) -> bool:
    """``value is T`` (false for null)."""
    return t.is_instance(value)


def default_of(t: TypeRef) -> object:
    """``default(T)``."""
    if t.nullable_of is not None or not t.value_type:
        return None
    return t.default


def deconstruct(value: object, count: int) -> tuple[object, ...]:
    """The ``count`` items a deconstruction takes from ``value``: a tuple's items, a
    KeyValuePair's key and value, or what its ``Deconstruct(out ..., out ...)`` gives."""
    if value is None:
        raise ExpressionError("NullReferenceException", _NRE)
    if isinstance(value, NetTuple):
        if len(value.items) != count:
            raise ExpressionError(
                "InvalidCastException",
                f"Cannot deconstruct a tuple of {len(value.items)} elements into {count} variables",
            )
        return value.items
    if isinstance(value, KeyValuePair) and count == 2:
        return value.key, value.value
    outs = [OutRef(None) for _ in range(count)]
    call_method(value, "Deconstruct", outs)
    return tuple(out.value for out in outs)


def iterate(value: object) -> Iterable[object]:
    """What ``foreach`` enumerates."""
    if value is None:
        raise ExpressionError("NullReferenceException", _NRE)
    try:
        return clr.enumerate_raw(value)
    except Exception as e:
        raise convert_exception(e) from None
