"""Compile-time constants: integer literal typing and folding of constant operations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, TypeAlias

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.scopes import err, resolve_required

__all__ = [
    "SCALARS",
    "Constant",
    "Scalar",
    "constant",
    "fold",
    "fold_to_string",
    "integer",
    "runtime_cast",
]

Scalar: TypeAlias = bool | int | float | Decimal | str | None
"""Values that fold (the library's Int64, Single, Char... are subclasses of these)."""
SCALARS: Final = (type(None), bool, int, float, Decimal, str)


@dataclass(frozen=True, slots=True)
class Constant:
    """A value known at compile time (``Constant(None)`` is the constant null: a value that is
    not known at compile time has no Constant at all)."""

    value: Scalar


def constant(value: object) -> Constant | None:
    """``value`` as a Constant, if it is a scalar (other values are not folded)."""
    if isinstance(value, SCALARS):
        return Constant(value)
    return None


def runtime_cast(type_name: str, value: object, where: n.Node) -> object:
    ref = resolve_required(type_name, where)
    try:
        return runtime.cast(ref, value)
    except ExpressionError as exc:
        raise err(f"invalid {type_name} constant: {exc.message}", where) from None


def integer(value: int, suffix: str, where: n.Node, *, negated: bool = False) -> object:
    """The .NET type of an integer literal: int, uint, long, ulong (C# spec §6.4.5.3)."""
    candidates = {
        "": ("int", "uint", "long", "ulong"),
        "u": ("uint", "ulong"),
        "l": ("long", "ulong"),
        "ul": ("ulong",),
    }[suffix]
    if negated:
        # -(literal) with the literal typed first, except the two minimum values
        if value == -(2**31) and suffix == "":
            return value
        if value == -(2**63) and suffix in ("", "l"):
            return runtime_cast("long", value, where)
        positive = integer(-value, suffix, where)
        if suffix in ("u", "ul") or (suffix == "" and -value > 2**63 - 1):
            raise err("operator '-' cannot be applied to an unsigned constant of this size", where)
        return runtime.unary("-", positive)
    ranges = {
        "int": (-(2**31), 2**31 - 1),
        "uint": (0, 2**32 - 1),
        "long": (-(2**63), 2**63 - 1),
        "ulong": (0, 2**64 - 1),
    }
    for name in candidates:
        low, high = ranges[name]
        if low <= value <= high:
            return value if name == "int" else runtime_cast(name, value, where)
    raise err("integral constant is too large", where)


def fold(thunk: Callable[[], object]) -> Constant | None:
    """The value ``thunk`` computes at compile time, or None when it fails (the expression then
    computes, and fails, at run time) or makes something that is not a scalar."""
    try:
        value = thunk()
    except Exception:
        return None
    return constant(value)


def fold_to_string(value: object) -> str | None:
    try:
        return runtime.to_string(value)
    except Exception:
        return None
