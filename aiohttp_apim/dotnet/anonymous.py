"""Anonymous types: what ``new { a = 1, b }`` makes.

As in C#, each shape -- the property names, in order -- is a type of its own, made once (when
the expression that writes it is compiled, see `anonymous_type`): read-only properties of those
names, ``ToString()`` as ``{ a = 1, b = 2 }``, and ``Equals``/``GetHashCode`` by value, property
by property (so ``Distinct``, ``GroupBy`` and ``Contains`` compare them by value). An anonymous
object is a dictionary of its properties underneath, which is how JSON sees it:
``JsonConvert.SerializeObject(new { typ = "JWT" })`` is ``{"typ":"JWT"}``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Sequence
from typing import Final

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.errors import ExpressionError

__all__ = ["ANONYMOUS", "TYPES", "AnonymousObject", "anonymous_type", "register"]


class AnonymousObject(dict[str, object]):
    """An instance of an anonymous type (its class is the shape's, see `anonymous_type`)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, AnonymousObject)
            and all(dotnet.obj_equals(v, other[k]) for k, v in self.items())
        )

    def __ne__(self, other: object) -> bool:
        return not self == other

    # dict declares itself unhashable; an anonymous object is read-only and hashes by value,
    # consistently with __eq__ (GroupBy and Distinct key on it)
    def __hash__(self) -> int:  # type: ignore[override]  # typeshed: dict.__hash__ is None
        return hash(tuple(_hashable(v) for v in self.values()))


def _hashable(v: object) -> object:
    try:
        hash(v)
    except TypeError:
        return id(v)
    return (type(v), v)


def _to_string(o: AnonymousObject, args: Sequence[object]) -> str:
    arity("AnonymousType", "ToString", args, 0)
    if not o:
        return "{ }"
    return "{ " + ", ".join(f"{k} = {dotnet.to_string(v)}" for k, v in o.items()) + " }"


def _equals(o: AnonymousObject, args: Sequence[object]) -> bool:
    arity("AnonymousType", "Equals", args, 1)
    return o == args[0]


def _hash_code(o: AnonymousObject, args: Sequence[object]) -> int:
    arity("AnonymousType", "GetHashCode", args, 0)
    return dotnet.wrap_int(int, hash(o))


ANONYMOUS = declare("<>f__AnonymousType", "<>f__AnonymousType", (AnonymousObject,))
ANONYMOUS.methods.update(
    {
        "ToString": lambda o, a, t: _to_string(o, a),
        "Equals": lambda o, a, t: _equals(o, a),
        "GetHashCode": lambda o, a, t: _hash_code(o, a),
    }
)
ANONYMOUS.sign("string ToString()", "bool Equals(object obj)", "int GetHashCode()")

TYPES: Final[tuple[TypeRef, ...]] = (ANONYMOUS,)

_SHAPES: dict[tuple[str, ...], TypeRef] = {}
_LOCK: Final = threading.Lock()
_registries: list[Registry] = []


def _property(name: str, o: AnonymousObject) -> object:
    return o[name]


def _construct(
    cls: type[AnonymousObject], names: tuple[str, ...], args: Sequence[object]
) -> AnonymousObject:
    if len(args) != len(names):  # pragma: no cover - the compiler passes one value per name
        raise ExpressionError("MissingMethodException", "wrong number of property values")
    return cls(zip(names, args, strict=True))


def anonymous_type(names: Iterable[str]) -> TypeRef:
    """The anonymous type of this shape (made and registered on first use): ``construct`` it
    with one value per name, in order."""
    key = tuple(names)
    found = _SHAPES.get(key)
    if found is not None:
        return found
    with _LOCK:
        found = _SHAPES.get(key)
        if found is None:
            found = _SHAPES[key] = _declare_shape(key)
    return found


def _declare_shape(names: tuple[str, ...]) -> TypeRef:
    number = len(_SHAPES)
    cls = type(f"AnonymousType{number}", (AnonymousObject,), {"__slots__": ()})
    t = declare(
        f"<>f__AnonymousType{number}`{len(names)}",
        f"<>f__AnonymousType{number}`{len(names)}",
        (cls,),
        bases=(ANONYMOUS,),
    )
    for name in names:
        t.members[name] = functools.partial(_property, name)
        t.sign(f"object {name} {{ get; }}")
    t.construct = lambda args, type_args: _construct(cls, names, args)
    for registry in _registries:
        # by class only: an anonymous type has no name an expression could write
        registry.by_py[cls] = t
    return t


def register(registry: Registry) -> None:
    """The anonymous types' common base (each shape joins the registry as it is made)."""
    registry.add(*TYPES)
    _registries.append(registry)
    for t in _SHAPES.values():
        for cls in t.py_types:
            registry.by_py[cls] = t
