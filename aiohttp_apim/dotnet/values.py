"""The Python classes of .NET primitive values that Python has no class of its own for, and
the integer arithmetic rules (widths, wrapping, overflow) every numeric module shares.

``str`` is System.String, ``bool`` Boolean, ``int`` Int32, ``float`` Double, ``decimal.Decimal``
Decimal; the other integral types, Single and Char are the subclasses here, so that a value keeps
its .NET type (``Int64(5)`` is a long, ``Char("a")`` a char). .NET enums are `NetEnum` /
`NetFlags` subclasses.
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import TypeGuard

from aiohttp_apim.errors import ExpressionError

__all__ = [
    "INT_BITS",
    "INT_NAMES",
    "INT_SIGNED",
    "NUMERIC_SET",
    "NUMERIC_TYPES",
    "Byte",
    "Char",
    "Int16",
    "Int64",
    "NetEnum",
    "NetFlags",
    "OutRef",
    "SByte",
    "Single",
    "UInt16",
    "UInt32",
    "UInt64",
    "checked_int",
    "int_range",
    "is_integral",
    "is_numeric",
    "with_article",
    "wrap_int",
]


class Int64(int):
    __slots__ = ()


class UInt64(int):
    __slots__ = ()


class UInt32(int):
    __slots__ = ()


class Int16(int):
    __slots__ = ()


class UInt16(int):
    __slots__ = ()


class Byte(int):
    __slots__ = ()


class SByte(int):
    __slots__ = ()


class Single(float):
    __slots__ = ()


class Char(str):
    """A UTF-16 code unit (one Python code point; astral characters stay one 'char')."""

    __slots__ = ()


class OutRef:
    """An ``out`` argument: the called method sets ``value``."""

    __slots__ = ("value",)

    def __init__(self, value: object = None) -> None:
        self.value = value


# (bits, signed) per integral Python class; Int32 is plain int
INT_BITS: dict[type, int] = {
    int: 32,
    Int64: 64,
    UInt64: 64,
    UInt32: 32,
    Int16: 16,
    UInt16: 16,
    Byte: 8,
    SByte: 8,
}
INT_SIGNED: dict[type, bool] = {
    int: True,
    Int64: True,
    UInt64: False,
    UInt32: False,
    Int16: True,
    UInt16: False,
    Byte: False,
    SByte: True,
}
INT_NAMES: dict[type, str] = {
    int: "Int32",
    Int64: "Int64",
    UInt64: "UInt64",
    UInt32: "UInt32",
    Int16: "Int16",
    UInt16: "UInt16",
    Byte: "Byte",
    SByte: "SByte",
}


def is_integral(v: object) -> TypeGuard[int]:
    """A .NET integral value: ``int`` (Int32) or one of the sized classes above. bool and enums
    are ``int`` to Python but not to C#, so they are not integral here."""
    return type(v) in INT_BITS


def int_range(cls: type) -> tuple[int, int]:
    bits = INT_BITS[cls]
    if INT_SIGNED[cls]:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return 0, (1 << bits) - 1


def wrap_int(cls: type, v: int) -> int:
    """Unchecked conversion of an integer to the integral type ``cls`` (two's complement)."""
    bits = INT_BITS[cls]
    mask = (1 << bits) - 1
    v &= mask
    if INT_SIGNED[cls] and v >> (bits - 1):
        v -= 1 << bits
    return v if cls is int else cls(v)


def checked_int(cls: type, v: int) -> int:
    lo, hi = int_range(cls)
    if v < lo or v > hi:
        raise ExpressionError(
            "OverflowException",
            f"Value was either too large or too small for {with_article(INT_NAMES[cls])}.",
        )
    return v if cls is int else cls(v)


def with_article(name: str) -> str:
    """ "an Int32", "a Byte": a type name with its article, for messages."""
    return ("an " if name[0] in "AEIOU" else "a ") + name


NUMERIC_TYPES: tuple[type, ...] = (
    int,
    Int64,
    UInt64,
    UInt32,
    Int16,
    UInt16,
    Byte,
    SByte,
    float,
    Single,
    Decimal,
)


def is_numeric(v: object) -> TypeGuard[int | float | Decimal]:
    """A .NET numeric value (bool and enums excluded; Char excluded)."""
    return type(v) in NUMERIC_SET


NUMERIC_SET = frozenset(NUMERIC_TYPES)


# ---------------------------------------------------------------- enums


class NetEnum(enum.IntEnum):
    """Base of .NET enums visible to expressions; ToString gives the member name."""


class NetFlags(enum.IntFlag):
    """Base of .NET [Flags] enums; ToString gives "A, B" like .NET."""
