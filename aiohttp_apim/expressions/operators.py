"""C# operators over sandbox values: ``binary``, ``unary``, ``to_bool`` (re-exported by runtime),
and their checked forms (``checked_binary``, ``checked_unary``, ``checked_cast``).

Numbers compute as the .NET library's ``arith.arithmetic`` says: C#'s unchecked context, where
integral results wrap. In a checked context (``checked(...)``, ``checked { }``, and constant
expressions, which C# always evaluates checked unless they are in an explicit ``unchecked``), an
integral ``+ - *``, a negation or an explicit numeric conversion whose result does not fit its
type raises OverflowException instead. ``+`` with
a string operand concatenates with .NET ToString (null → ""). Lifted (nullable) operators: an
arithmetic operand that is null gives null, a comparison with null gives false. Two null
operands of ``+`` give "" (string concatenation is the common case in policy expressions).
User-defined operators (DateTime + TimeSpan, XNamespace + string) are what the library's types
declare in ``TypeRef.operators``; `install` takes them in when the library is loaded.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.arith import (
    add_checked,
    arithmetic,
    is_numeric_or_char,
    operator_error,
)
from aiohttp_apim.dotnet.budget import FREE_CHARS
from aiohttp_apim.dotnet.conversions import cast
from aiohttp_apim.dotnet.core import Registry, TypeRef, check_length
from aiohttp_apim.dotnet.primitives import (
    INT_BITS,
    Char,
    Single,
    convert_to,
    op_equals,
    promote,
    to_integral,
    to_string,
    wrap_int,
)
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "ARITH_HOOKS",
    "UNARY_HOOKS",
    "add_checked",
    "binary",
    "checked_binary",
    "checked_cast",
    "checked_unary",
    "install",
    "numeric_conversion",
    "switch_matches",
    "to_bool",
    "unary",
]

_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1

ARITH_HOOKS: dict[tuple[str, type, type], Callable[[Any, Any], object]] = {}
"""(op, type(a), type(b)) → implementation, for DateTime/TimeSpan and friends."""

UNARY_HOOKS: dict[tuple[str, type], Callable[[Any], object]] = {}


def install(registry: Registry) -> None:
    """Take in the user-defined operators the registry's types declare."""
    for t in registry.types:
        for key, impl in t.operators.items():
            if len(key) == 3:
                ARITH_HOOKS[key] = impl
            else:
                UNARY_HOOKS[key] = impl


def _concat(a: object, b: object) -> str:
    r = to_string(a) + to_string(b)
    if len(r) >= FREE_CHARS:  # long: checked against the limit and charged to the budget
        check_length(r)
    return r


def _arith(op: str, a: object, b: object) -> object:
    if a is None or b is None:
        if (a is None or is_numeric_or_char(a)) and (b is None or is_numeric_or_char(b)):
            return None  # lifted nullable arithmetic
        hook = ARITH_HOOKS.get((op, type(a), type(b)))
        if hook is None and (a is None) != (b is None):
            return None
    ta, tb = type(a), type(b)
    hook = ARITH_HOOKS.get((op, ta, tb))
    if hook is not None:
        return hook(a, b)
    return arithmetic(op, a, b)


def _add(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        r = a + b
        if _I32_MIN <= r <= _I32_MAX:
            return r
        return wrap_int(int, r)
    tb = type(b)
    if type(a) is str:
        if type(b) is str:
            s = a + b
            if len(s) >= FREE_CHARS:
                check_length(s)
            return s
        return _concat(a, b)
    if tb is str:
        hook = ARITH_HOOKS.get(("+", type(a), tb))  # XNamespace + string is an XName
        return _concat(a, b) if hook is None else hook(a, b)
    if a is None and b is None:
        return ""
    return _arith("+", a, b)


def _sub(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        r = a - b
        return r if _I32_MIN <= r <= _I32_MAX else wrap_int(int, r)
    return _arith("-", a, b)


def _mul(a: object, b: object) -> object:
    if type(a) is int and type(b) is int:
        r = a * b
        return r if _I32_MIN <= r <= _I32_MAX else wrap_int(int, r)
    return _arith("*", a, b)


def _div(a: object, b: object) -> object:
    return _arith("/", a, b)


def _mod(a: object, b: object) -> object:
    return _arith("%", a, b)


def _compare_op(op: str) -> Callable[[object, object], object]:
    def impl(a: object, b: object) -> object:
        # x, y: the operands as Python numbers that compare as .NET's do (sandbox values are
        # dynamically typed: each branch has tested what it relies on)
        x: Any
        y: Any
        ta, tb = type(a), type(b)
        if ta is int and tb is int:
            x, y = a, b
        elif a is None or b is None:
            return False
        elif is_numeric_or_char(a) and is_numeric_or_char(b):
            x = ord(a) if isinstance(a, Char) else a
            y = ord(b) if isinstance(b, Char) else b
            if (isinstance(x, Decimal) and isinstance(y, float)) or (
                isinstance(y, Decimal) and isinstance(x, float)
            ):
                operator_error(op, a, b)
        elif ta is tb and (ta in dotnet.COMPARE_HOOKS or isinstance(a, enum.Enum)):
            c = dotnet.compare(a, b)
            x, y = c, 0
        else:
            operator_error(op, a, b)
        if op == "<":
            return x < y
        if op == "<=":
            return x <= y
        if op == ">":
            return x > y
        return x >= y

    return impl


def _eq(a: object, b: object) -> bool:
    if type(a) is str and type(b) is str:
        return a == b
    return op_equals(a, b)


def _ne(a: object, b: object) -> bool:
    return not _eq(a, b)


def _bitwise(op: str) -> Callable[[object, object], object]:
    def impl(a: object, b: object) -> object:
        ta, tb = type(a), type(b)
        if ta is bool and tb is bool:
            if op == "&":
                return a and b
            if op == "|":
                return a or b
            return a != b
        enum_cls = (
            type(a) if isinstance(a, enum.Enum) else type(b) if isinstance(b, enum.Enum) else None
        )
        if enum_cls is not None:
            # .NET enums are IntEnum/IntFlag classes; the other operand may be the constant 0
            if not (isinstance(a, int) and isinstance(b, int)) or (
                (ta is not tb) and not (a == 0 or b == 0)
            ):
                operator_error(op, a, b)
            x, y = int(a), int(b)
            r = x & y if op == "&" else (x | y if op == "|" else x ^ y)
            return enum_cls(r)
        if a is None or b is None:
            if (a is None or is_numeric_or_char(a) or ta is bool) and (
                b is None or is_numeric_or_char(b) or tb is bool
            ):
                return None
            operator_error(op, a, b)
        if not (is_numeric_or_char(a) and is_numeric_or_char(b)):
            operator_error(op, a, b)
        cls = promote(a, b)
        if cls not in INT_BITS:
            operator_error(op, a, b)
        x, y = convert_to(cls, a), convert_to(cls, b)
        r = x & y if op == "&" else (x | y if op == "|" else x ^ y)
        return wrap_int(cls, r)

    return impl


def _shift(op: str) -> Callable[[object, object], object]:
    def impl(a: object, b: object) -> object:
        if a is None or b is None:
            return None
        if not (is_numeric_or_char(a) and is_numeric_or_char(b)):
            operator_error(op, a, b)
        cls = type(a) if type(a) in (Int64 := dotnet.Int64, dotnet.UInt64, dotnet.UInt32) else int
        del Int64
        if type(a) not in INT_BITS and type(a) is not Char:
            operator_error(op, a, b)
        count = dotnet.to_integral(int, b)
        bits = INT_BITS[cls]
        count &= bits - 1
        x = int(convert_to(cls, a))
        if op == "<<":
            return wrap_int(cls, x << count)
        if op == ">>>":
            return wrap_int(cls, (x & ((1 << bits) - 1)) >> count)
        return wrap_int(cls, x >> count)

    return impl


_BINARY: dict[str, Callable[[object, object], object]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "%": _mod,
    "==": _eq,
    "!=": _ne,
    "<": _compare_op("<"),
    "<=": _compare_op("<="),
    ">": _compare_op(">"),
    ">=": _compare_op(">="),
    "&": _bitwise("&"),
    "|": _bitwise("|"),
    "^": _bitwise("^"),
    "<<": _shift("<<"),
    ">>": _shift(">>"),
    ">>>": _shift(">>>"),
}


def binary(op: str, a: object, b: object) -> object:
    """C# binary operator ``a op b`` (``&&``, ``||`` and ``??`` are the compiler's)."""
    fn = _BINARY.get(op)
    if fn is None:
        raise ExpressionError("InvalidOperationException", f"Unknown binary operator '{op}'")
    return fn(a, b)


def unary(op: str, a: object) -> object:
    """C# unary operator: ``-``, ``+``, ``!``, ``~``."""
    ta = type(a)
    if op == "!":
        if ta is bool:
            return not a
        if a is None:
            return None
        _unary_error(op, a)
    if a is None:
        return None
    hook = UNARY_HOOKS.get((op, ta))
    if hook is not None:
        return hook(a)
    if op == "~" and isinstance(a, enum.IntEnum | enum.IntFlag):  # .NET enums are both
        return type(a)(~int(a))
    if not is_numeric_or_char(a):
        _unary_error(op, a)
    cls: type = ta
    if ta is Char or ta in (dotnet.Byte, dotnet.SByte, dotnet.Int16, dotnet.UInt16):
        cls = int
    if op == "-" and ta is dotnet.UInt32:
        cls = dotnet.Int64
    if op == "-" and ta is dotnet.UInt64:
        _unary_error(op, a)
    x = convert_to(cls, a)
    if op == "+":
        return x
    if op == "-":
        if cls in INT_BITS:
            return wrap_int(cls, -x)
        if cls is Decimal:
            return -x
        return Single(-x) if cls is Single else -x
    if op == "~":
        if cls not in INT_BITS:
            _unary_error(op, a)
        return wrap_int(cls, ~x)
    raise ExpressionError("InvalidOperationException", f"Unknown unary operator '{op}'")


def _unary_error(op: str, a: object) -> NoReturn:
    raise ExpressionError(
        "InvalidOperationException",
        f"Operator '{op}' cannot be applied to operand of type '{clr.net_name(a)}'",
    )


def to_bool(value: object) -> bool:
    """A condition (if, ?:, &&, ||, !): must be a bool, as C# requires."""
    if value is True:
        return True
    if value is False:
        return False
    if value is None:
        raise ExpressionError("InvalidOperationException", "Nullable object must have a value.")
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(value, full=True)}' "
        "to type 'System.Boolean'.",
    )


# ------------------------------------------------------------------------------ checked context

_OVERFLOW = "Arithmetic operation resulted in an overflow."


def _overflow() -> NoReturn:
    raise ExpressionError("OverflowException", _OVERFLOW)


def checked_binary(op: str, a: object, b: object) -> object:
    """``a op b`` in a checked context: as `binary`, except that an integral ``+ - *`` whose
    exact result does not fit the result's type raises OverflowException."""
    if type(a) is int and type(b) is int and op in _CHECKED_OPS:
        exact = a + b if op == "+" else a - b if op == "-" else a * b
        if _I32_MIN <= exact <= _I32_MAX:
            return exact
        _overflow()
    r = binary(op, a, b)
    cls = type(r)
    if op in _CHECKED_OPS and cls in INT_BITS and not isinstance(r, enum.Enum):
        x, y = int(convert_to(cls, a)), int(convert_to(cls, b))
        exact = x + y if op == "+" else x - y if op == "-" else x * y
        if exact != r:
            _overflow()
    return r


_CHECKED_OPS = frozenset(["+", "-", "*"])


def checked_unary(op: str, a: object) -> object:
    """``op a`` in a checked context: ``-int.MinValue`` (and the like) raises OverflowException."""
    r = unary(op, a)
    if op == "-" and type(r) in INT_BITS and a is not None and -int(convert_to(type(r), a)) != r:
        _overflow()
    return r


def numeric_conversion(t: TypeRef, value: object, *, checked: bool) -> object:
    """The explicit numeric conversion of a number or char to the integral or char type ``t``
    (``NotImplemented`` for any other pair): wrapping, or with ``checked`` raising
    OverflowException when the value does not fit, as C# converts in either context."""
    target = t.nullable_of or t
    cls = target.py_types[0] if len(target.py_types) == 1 else None
    if cls is None or not is_numeric_or_char(value):
        return NotImplemented
    if cls is Char:
        return Char(chr(to_integral(dotnet.UInt16, value, checked=checked)))
    if cls in INT_BITS:
        return to_integral(cls, value, checked=checked)
    return NotImplemented


def checked_cast(t: TypeRef, value: object) -> object:
    """``(T)value`` in a checked context: a number that does not fit an integral or char ``T``
    raises OverflowException; everything else converts as `cast` does."""
    numeric_conversion(t, value, checked=True)  # raises OverflowException when it does not fit
    return cast(t, value)


def switch_matches(value: object, constant: object) -> bool:
    """``case constant:`` against a switch's value: as C# compares them once the constant is
    converted to the switch's type (numbers and chars by value, strings ordinally, enums by
    member); a string matches only a string. (``case null:`` is the compiler's ``is None``.)"""
    if type(constant) is str or type(value) is str:
        return type(value) is str and type(constant) is str and value == constant
    return op_equals(value, constant)
