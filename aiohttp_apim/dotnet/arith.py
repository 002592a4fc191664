""".NET numeric arithmetic: what ``+ - * / %`` compute on numbers (C# unchecked context), and
the checked addition of ``Enumerable.Sum``. The language's operators (``expressions/operators.py``)
add strings, nulls and user-defined operators around it.

Binary numeric promotion (int+long → long, int+double → double, char+int → int), Int32/Int64/...
arithmetic wraps, integer division truncates toward zero and ``%`` takes the dividend's sign,
integer division by zero → DivideByZeroException, double division by zero → ±Infinity/NaN,
decimal overflow → OverflowException.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from decimal import DivisionByZero as _DecDivZero
from typing import NoReturn

from aiohttp_apim.dotnet import core, primitives
from aiohttp_apim.dotnet.numfmt import _DECIMAL_CTX, DECIMAL_MAX
from aiohttp_apim.dotnet.primitives import (
    INT_BITS,
    INT_SIGNED,
    Char,
    NetEnum,
    NetFlags,
    Single,
    convert_to,
    is_integral,
    promote,
    wrap_int,
)
from aiohttp_apim.errors import ExpressionError

__all__ = ["add_checked", "arithmetic", "is_numeric_or_char", "operator_error"]


def is_numeric_or_char(v: object) -> bool:
    t = type(v)
    return t in primitives.NUMERIC_SET or t is Char


def operator_error(op: str, a: object, b: object) -> NoReturn:
    raise ExpressionError(
        "InvalidOperationException",
        f"Operator '{op}' cannot be applied to operands of type "
        f"'{core.net_name(a) if a is not None else 'null'}' and "
        f"'{core.net_name(b) if b is not None else 'null'}'",
    )


def _div_zero() -> NoReturn:
    raise ExpressionError("DivideByZeroException", "Attempted to divide by zero.")


def _overflow() -> NoReturn:
    raise ExpressionError("OverflowException", "Arithmetic operation resulted in an overflow.")


def _decimal_result(d: Decimal) -> Decimal:
    if not d.is_finite() or abs(d) > DECIMAL_MAX:
        raise ExpressionError(
            "OverflowException", "Value was either too large or too small for a Decimal."
        )
    return d


def _float_div(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def _float_mod(x: float, y: float) -> float:
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    if math.isinf(y):
        return x
    return math.fmod(x, y)


def arithmetic(op: str, a: object, b: object) -> object:
    """``a op b`` for numeric (and enum +/- int) operands, as C# computes it unchecked:
    binary numeric promotion, wrapping integers, decimal overflow, IEEE division."""
    if not (is_numeric_or_char(a) and is_numeric_or_char(b)):
        if isinstance(a, (NetEnum, NetFlags)) and (op in "+-") and type(b) is int:
            return type(a)(int(a) + (b if op == "+" else -b))
        operator_error(op, a, b)
    cls = promote(a, b)
    x, y = convert_to(cls, a), convert_to(cls, b)
    if cls in INT_BITS:
        if op == "+":
            r = x + y
        elif op == "-":
            r = x - y
        elif op == "*":
            r = x * y
        elif op in ("/", "%"):
            if y == 0:
                _div_zero()
            if INT_SIGNED[cls] and y == -1 and x == -(1 << (INT_BITS[cls] - 1)):
                _overflow()
            q = abs(x) // abs(y)
            if (x < 0) != (y < 0):
                q = -q
            r = q if op == "/" else x - y * q
        else:
            operator_error(op, a, b)
        return wrap_int(cls, r)
    if cls is Decimal:
        try:
            if op == "+":
                d = _DECIMAL_CTX.add(x, y)
            elif op == "-":
                d = _DECIMAL_CTX.subtract(x, y)
            elif op == "*":
                d = _DECIMAL_CTX.multiply(x, y)
            elif op == "/":
                if y == 0:
                    _div_zero()
                d = _DECIMAL_CTX.divide(x, y)
            elif op == "%":
                if y == 0:
                    _div_zero()
                d = _DECIMAL_CTX.remainder(x, y)
            else:
                operator_error(op, a, b)
        except (InvalidOperation, _DecDivZero):
            _overflow()
        return _decimal_result(d)
    if op == "+":
        f = x + y
    elif op == "-":
        f = x - y
    elif op == "*":
        f = x * y
    elif op == "/":
        f = _float_div(x, y)
    elif op == "%":
        f = _float_mod(x, y)
    else:
        operator_error(op, a, b)
    return Single(primitives.to_single(f)) if cls is Single else f


def _widened(v: object) -> int:
    """An operand of an integral sum: an integral number, or a char (C# widens it to int)."""
    if isinstance(v, Char):
        return ord(v)
    if isinstance(v, int):
        return v
    raise TypeError(f"not an integral operand: {v!r}")


def add_checked(a: object, b: object) -> object:
    """``checked(a + b)`` for Enumerable.Sum (integral overflow → OverflowException)."""
    r = arithmetic("+", a, b)
    if is_integral(r):  # so both operands were integral numbers or chars
        exact = _widened(a) + _widened(b)
        if exact != int(r):
            _overflow()
    return r
