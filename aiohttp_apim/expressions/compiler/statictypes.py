"""Static types of expressions, as the type checker (typecheck.py) sees them.

A static type is a registered .NET type (`TypeRef`) with its generic arguments
(``List<string>``: List with ``(string,)``); ``None`` is the dynamic type: ``object`` and anything
the checker cannot tell, on which everything is allowed (what C# reports on ``object`` the
runtime reports when the expression runs). Types come from the library's declared signatures
(`Signature.returns`, parameter types), read here with the generic parameters of the receiver and
of the method bound.

The implicit conversions between the built-in types (C#'s numeric widening, ``string``, ``bool``,
``char``) are decided here too; anything else is left to the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias

from aiohttp_apim.dotnet.core import LIBRARY
from aiohttp_apim.dotnet.signatures import split_top_level
from aiohttp_apim.expressions import runtime

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = [
    "DELEGATES",
    "Bindings",
    "SType",
    "StaticType",
    "builtin",
    "convertible",
    "display",
    "element_bindings",
    "from_text",
    "is_numeric",
    "promote",
]


@dataclass(frozen=True, slots=True)
class SType:
    """A static type: ``ref`` with generic arguments (each possibly dynamic)."""

    ref: TypeRef
    args: tuple[StaticType, ...] = ()
    nullable: bool = False
    """``int?``: a nullable value type (members are those of the value type, as the runtime
    reads them)."""
    null: bool = False
    """The type of the ``null`` literal (converts to every reference and nullable type)."""
    integer_constant: bool = False
    """An integral constant (``5``): converts to every integral type, as a constant that fits
    does in C#."""


StaticType: TypeAlias = SType | None
"""A static type, or None: dynamic."""

Bindings: TypeAlias = dict[str, StaticType]
"""Generic parameter name -> its type (``T`` -> string)."""

DELEGATES: Final = frozenset(["Func", "Action", "Predicate", "Comparison", "Converter"])

_KEYWORDS: Final = {
    "System.String": "string",
    "System.Boolean": "bool",
    "System.Char": "char",
    "System.SByte": "sbyte",
    "System.Byte": "byte",
    "System.Int16": "short",
    "System.UInt16": "ushort",
    "System.Int32": "int",
    "System.UInt32": "uint",
    "System.Int64": "long",
    "System.UInt64": "ulong",
    "System.Single": "float",
    "System.Double": "double",
    "System.Decimal": "decimal",
    "System.Object": "object",
}
_INTEGRAL: Final = ("sbyte", "byte", "short", "ushort", "int", "uint", "long", "ulong", "char")
_WIDENS: Final = {
    # C#'s implicit numeric conversions (the target types of each source type)
    "sbyte": {"short", "int", "long", "float", "double", "decimal"},
    "byte": {"short", "ushort", "int", "uint", "long", "ulong", "float", "double", "decimal"},
    "short": {"int", "long", "float", "double", "decimal"},
    "ushort": {"int", "uint", "long", "ulong", "float", "double", "decimal"},
    "int": {"long", "float", "double", "decimal"},
    "uint": {"long", "ulong", "float", "double", "decimal"},
    "long": {"float", "double", "decimal"},
    "ulong": {"float", "double", "decimal"},
    "char": {"ushort", "int", "uint", "long", "ulong", "float", "double", "decimal"},
    "float": {"double"},
    "double": set(),
    "decimal": set(),
}


def keyword(t: StaticType) -> str | None:
    """The C# keyword of a built-in type (``string``, ``int``...), else None."""
    if t is None or t.nullable or t.null:
        return None
    return _KEYWORDS.get(t.ref.full_name)


def builtin(name: str) -> SType:
    """The static type of a built-in type keyword (``"string"``)."""
    ref = runtime.resolve_type(name)
    assert ref is not None, name
    return SType(ref)


def is_numeric(t: StaticType) -> bool:
    word = keyword(t)
    return word is not None and word in _WIDENS


def display(t: StaticType) -> str:
    """A type as C# messages name it: ``string``, ``int?``, ``List<string>``, ``IRequest``."""
    if t is None:
        return "object"
    if t.null:
        return "<null>"
    base = _KEYWORDS.get(t.ref.full_name)
    if t.ref.full_name == "System.Byte[]":
        base = "byte[]"
    if base is None:
        element = t.ref.element
        if element is not None:
            return display(SType(element)) + "[]"
        base = t.ref.name.split("`")[0].split("<")[0]
        if t.args:
            base += "<" + ", ".join(display(a) for a in t.args) + ">"
    return base + ("?" if t.nullable else "")


def convertible(source: StaticType, target: StaticType) -> bool:
    """Whether C# converts ``source`` to ``target`` implicitly -- decided only between the
    built-in types (``string``, ``bool``, ``char``, the numbers) and ``null``; anything else is
    taken to convert (the runtime decides)."""
    if source is None or target is None:
        return True
    if source.null:
        # null converts to every reference type and nullable; not to a value type
        word = keyword(target)
        return word is None or word in ("string", "object")
    to = keyword(SType(target.ref))
    word = keyword(SType(source.ref))
    if to is None or word is None or to == "object" or word == "object":
        return True
    if source.nullable and not target.nullable:
        return False  # int? -> int needs a cast
    if word == to:
        return True
    if source.integer_constant and to in _INTEGRAL and to != "char" and word != "char":
        return True  # a constant that fits (a constant that does not is refused by folding)
    return to in _WIDENS.get(word, set())


_RANK: Final = ("int", "uint", "long", "ulong", "float", "double", "decimal")


def promote(left: StaticType, right: StaticType) -> StaticType:
    """The type of ``left op right`` for an arithmetic operator on numbers (C#'s binary numeric
    promotion), or None when it is not plainly two numbers."""
    a, b = keyword(left), keyword(right)
    if a is None or b is None or a not in _WIDENS or b not in _WIDENS:
        return None
    a = a if a in _RANK else "int"
    b = b if b in _RANK else "int"
    if "decimal" in (a, b) and ({a, b} & {"float", "double"}):
        return None  # an error in C#; left to the runtime's message
    if "ulong" in (a, b) and ({a, b} & {"int", "long"}):
        return None  # ambiguous in C#
    if {a, b} == {"uint", "int"}:
        return builtin("long")
    result = max(a, b, key=_RANK.index)
    const = bool(left and left.integer_constant and right and right.integer_constant)
    return SType(builtin(result).ref, integer_constant=const and result in _INTEGRAL)


def element_bindings(t: StaticType) -> Bindings:
    """What LINQ's ``T`` (the element type) and the type's own generic parameters are bound to
    for a receiver of type ``t``."""
    if t is None:
        return {}
    ref = t.ref
    bindings: Bindings = {}
    for name, arg in zip(ref.generic, t.args, strict=False):
        bindings[name] = arg
    if ref.element is not None:
        bindings["T"] = SType(ref.element)
    elif ref.full_name == "System.String":
        bindings["T"] = builtin("char")
    elif ref.full_name == "System.Byte[]":
        bindings["T"] = builtin("byte")
    elif "T" not in bindings and len(t.args) == 2 and ref.generic[:1] == ("TKey",):
        pair = runtime.resolve_type("KeyValuePair`2")
        if ref.generic[1] == "TElement":  # a lookup: enumerates its groupings
            pair = runtime.resolve_type("IGrouping")
        bindings["T"] = None if pair is None else SType(pair, t.args)
    return bindings


def from_text(text: str, bindings: Bindings) -> StaticType:
    """A type as a signature writes it (``IEnumerable<T>``, ``string[]``, ``int?``) with generic
    parameters bound; None (dynamic) for what the library does not declare (an unbound
    parameter, ``object``, a delegate, a type it does not model)."""
    text = text.strip()
    if text in bindings:
        return bindings[text]
    if text.endswith("?"):
        inner = from_text(text[:-1], bindings)
        if inner is None or not inner.ref.value_type:
            return inner
        return SType(inner.ref, inner.args, nullable=True)
    if text.endswith("[]"):
        inner = from_text(text[:-2], bindings)
        if inner is None:
            return _named("Array")
        return SType(runtime.resolve_type(f"{inner.ref.full_name}[]") or inner.ref)
    verbatim = LIBRARY.lookup(text)  # a type registered under its generic name
    if verbatim is not None:
        return _plain(verbatim)
    if "<" in text and text.endswith(">"):
        base = text[: text.index("<")].strip()
        if base.rsplit(".", 1)[-1] in DELEGATES:
            return None
        args = tuple(from_text(a, bindings) for a in split_top_level(text[len(base) + 1 : -1]))
        if base in ("Nullable", "System.Nullable") and len(args) == 1:
            inner = args[0]
            return None if inner is None else SType(inner.ref, inner.args, nullable=True)
        ref = LIBRARY.lookup(f"{base}`{len(args)}") or runtime.resolve_type(base)
        return None if ref is None else SType(ref, args)
    if text.rsplit(".", 1)[-1] in DELEGATES:
        return None
    ref = runtime.resolve_type(text)
    return None if ref is None else _plain(ref)


def _plain(ref: TypeRef) -> StaticType:
    if ref.full_name == "System.Object":
        return None
    if ref.nullable_of is not None:
        return SType(ref.nullable_of, nullable=True)
    return SType(ref)


def _named(name: str) -> StaticType:
    ref = runtime.resolve_type(name)
    return None if ref is None else SType(ref)
