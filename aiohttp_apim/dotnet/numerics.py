"""System.Math and the numeric part of System.Convert (ToInt32, ToDouble, ToBoolean, ToString,
ToChar...; encoding.py adds the base-64/hex members, dates.py ToDateTime). ``Math.Round``
rounds half to even unless a MidpointRounding says otherwise, as .NET does."""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, TypeVar, cast

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import numfmt
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.dotnet.primitives import (
    INT_BITS,
    NUMERIC_SET,
    Byte,
    Char,
    Int16,
    Int64,
    MidpointRounding,
    SByte,
    Single,
    UInt16,
    UInt32,
    UInt64,
    checked_int,
    convert_to,
    enum_number,
    int_range,
    is_integral,
    is_numeric,
    parse_bool,
    promote,
    to_decimal,
    to_double,
    to_integral,
    to_string,
    with_article,
    wrap_int,
)
from aiohttp_apim.errors import ExpressionError

__all__ = ["CONVERT", "CONVERT_HOOKS", "MATH", "add_convert_hook", "round_half"]


def _num(v: object, name: str = "value") -> int | float | Decimal:
    if is_numeric(v):
        return v
    if type(v) is Char:
        return ord(v)
    raise ExpressionError(
        "ArgumentException",
        f"Argument '{name}': cannot convert from '{clr.net_name(v)}' to a number",
    )


def _math_abs(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Math", "Abs", a, 1)
    v = _num(a[0])
    cls = type(v) if type(a[0]) is not Char else int
    if cls in INT_BITS:
        lo, _ = int_range(cls)
        if v == lo and lo < 0:
            raise ExpressionError(
                "OverflowException",
                "Negating the minimum value of a twos complement number is invalid.",
            )
        return v if v >= 0 else (-v if cls is int else cls(-v))
    if type(v) is Single:
        return Single(abs(v))  # float's abs is a double
    return abs(v)


def _math_minmax(name: str, pick_max: bool) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Math", name, a, 2)
        x, y = _num(a[0], "val1"), _num(a[1], "val2")
        cls = promote(a[0], a[1])
        x, y = convert_to(cls, x), convert_to(cls, y)
        if isinstance(x, float) and (math.isnan(x) or math.isnan(y)):
            return convert_to(cls, math.nan)
        return (x if x >= y else y) if pick_max else (x if x <= y else y)

    return impl


def round_half(x: float, mode: int) -> float:
    if not math.isfinite(x):
        return x
    if mode == MidpointRounding.ToEven:
        return float(round(x))
    if mode == MidpointRounding.AwayFromZero:
        frac, whole = math.modf(x)
        if abs(frac) >= 0.5:
            whole += math.copysign(1.0, frac)
        return whole
    if mode == MidpointRounding.ToZero:
        return float(math.trunc(x))
    if mode == MidpointRounding.ToNegativeInfinity:
        return float(math.floor(x))
    if mode == MidpointRounding.ToPositiveInfinity:
        return float(math.ceil(x))
    raise ExpressionError(
        "ArgumentException",
        f"The value '{mode}' is not valid for this usage of the type "
        "MidpointRounding. (Parameter 'mode')",
    )


_DEC_MODES = {
    0: decimal.ROUND_HALF_EVEN,
    1: decimal.ROUND_HALF_UP,
    2: decimal.ROUND_DOWN,
    3: decimal.ROUND_FLOOR,
    4: decimal.ROUND_CEILING,
}


def _math_round(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Math", "Round", a, 1, 2, 3)
    v = a[0]
    digits = 0
    mode = 0
    if len(a) >= 2:
        if isinstance(a[1], MidpointRounding):
            mode = int(a[1])
        else:
            digits = int(_num(a[1], "digits"))
    if len(a) == 3:
        mode = enum_number(a[2], MidpointRounding, "mode")
    if isinstance(v, Decimal):
        if not 0 <= digits <= 28:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Decimal can only round to between 0 and 28 digits "
                "of precision. (Parameter 'decimals')",
            )
        return v.quantize(
            Decimal(1).scaleb(-digits),
            rounding=_DEC_MODES.get(mode, decimal.ROUND_HALF_EVEN),
            context=numfmt._EXACT,
        )
    x = to_double(_num(v))
    if not 0 <= digits <= 15:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Rounding digits must be between 0 and 15, inclusive. (Parameter 'digits')",
        )
    if digits == 0:
        return round_half(x, mode)
    if abs(x) < 1e16:
        p = 10.0**digits
        return round_half(x * p, mode) / p
    return x


def _unary_float(name: str, fn: Callable[[float], float]) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Math", name, a, 1)
        try:
            return fn(to_double(_num(a[0], "d")))
        except (ValueError, OverflowError):
            return math.nan

    return impl


def _floor_ceiling(name: str, fn: Callable[[Any], Any]) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Math", name, a, 1)
        v = _num(a[0], "d")
        if isinstance(v, Decimal):
            return Decimal(fn(v))
        x = to_double(v)
        return x if not math.isfinite(x) else float(fn(x))

    return impl


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        return math.inf if x > 0 or y % 2 == 0 else -math.inf
    except ValueError:
        if x == 0 and y < 0:
            return math.inf
        return math.nan


def _log(a: Sequence[object], t: Sequence[TypeRef]) -> float:
    arity("Math", "Log", a, 1, 2)
    x = to_double(_num(a[0]))
    base = math.e if len(a) == 1 else to_double(_num(a[1]))
    try:
        if x == 0:
            return -math.inf
        return math.log(x, base)
    except (ValueError, ZeroDivisionError):
        return math.nan


def _sign(a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("Math", "Sign", a, 1)
    v = _num(a[0])
    if isinstance(v, float) and math.isnan(v):
        raise ExpressionError(
            "ArithmeticException", "Function does not accept floating point Not-a-Number values."
        )
    return 0 if v == 0 else (1 if v > 0 else -1)


def _clamp(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Math", "Clamp", a, 3)
    v, lo, hi = _num(a[0]), _num(a[1]), _num(a[2])
    if lo > hi:
        raise ExpressionError(
            "ArgumentException", f"'{to_string(lo)}' cannot be greater than {to_string(hi)}."
        )
    return lo if v < lo else (hi if v > hi else v)


def _binary_float(name: str, fn: Callable[[float, float], float]) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Math", name, a, 2)
        x, y = to_double(_num(a[0])), to_double(_num(a[1]))
        try:
            return fn(x, y)
        except (ValueError, OverflowError, ZeroDivisionError):
            return math.nan

    return impl


def _cbrt(x: float) -> float:
    """The real cube root, polished by one Newton step (some C libraries' cbrt is an ulp off;
    .NET's gives exact cubes exactly)."""
    if x == 0 or not math.isfinite(x):
        return x
    cbrt = getattr(math, "cbrt", None)
    r = float(cbrt(x)) if cbrt is not None else math.copysign(abs(x) ** (1 / 3), x)
    return r - (r * r * r - x) / (3 * r * r)


def _ilogb(x: float) -> int:
    """Math.ILogB: the unbiased binary exponent (int.MinValue for 0, int.MaxValue for NaN and
    infinities)."""
    if x == 0:
        return -(2**31)
    if not math.isfinite(x):
        return 2**31 - 1
    return math.frexp(x)[1] - 1


def _scaleb(a: Sequence[object], t: Sequence[TypeRef]) -> float:
    arity("Math", "ScaleB", a, 2)
    x, n = to_double(_num(a[0], "x")), int(_num(a[1], "n"))
    try:
        return math.ldexp(x, max(-2200, min(2200, n)))
    except OverflowError:
        return math.copysign(math.inf, x)


def _fused_multiply_add(a: Sequence[object], t: Sequence[TypeRef]) -> float:
    """x * y + z rounded once (exact rational arithmetic, then one rounding to double)."""
    arity("Math", "FusedMultiplyAdd", a, 3)
    x, y, z = (to_double(_num(v)) for v in a)
    if not all(math.isfinite(v) for v in (x, y, z)):
        return x * y + z
    exact = Fraction(x) * Fraction(y) + Fraction(z)
    try:
        result = float(exact)
    except OverflowError:
        return math.copysign(math.inf, exact)
    return result if result != 0 or exact != 0 else (x * y + z)


def _ieee_remainder(x: float, y: float) -> float:
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return math.nan
    if math.isinf(y):
        return x
    return math.remainder(x, y)


def _magnitude(name: str, larger: bool) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> float:
        arity("Math", name, a, 2)
        x, y = to_double(_num(a[0])), to_double(_num(a[1]))
        if math.isnan(x) or math.isnan(y):
            return math.nan
        ax, ay = abs(x), abs(y)
        if ax == ay:
            return (x if x >= y else y) if larger else (x if x <= y else y)
        return (x if ax > ay else y) if larger else (x if ax < ay else y)

    return impl


def _big_mul(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    """BigMul(int, int) -> long; BigMul(ulong/long, ulong/long, out low) -> the high 64 bits."""
    arity("Math", "BigMul", a, 2, 3)
    x, y = _num(a[0], "a"), _num(a[1], "b")
    if type(x) not in INT_BITS or type(y) not in INT_BITS:
        raise ExpressionError("ArgumentException", "Math.BigMul multiplies integers")
    product = int(x) * int(y)
    if len(a) == 2:
        return Int64(product)
    out = a[2]
    if not isinstance(out, dotnet.OutRef):
        raise ExpressionError("ArgumentException", "Argument must be passed with the 'out' keyword")
    unsigned = type(x) is UInt64 or type(y) is UInt64
    low = product & (2**64 - 1)
    high = product >> 64
    if unsigned:
        out.value = UInt64(low)
        return UInt64(high & (2**64 - 1))
    out.value = Int64(low - 2**64 if low >= 2**63 else low)
    return Int64(high)


def _div_rem(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    """DivRem(a, b, out remainder): C#'s truncating division."""
    arity("Math", "DivRem", a, 3)
    x, y = _num(a[0], "a"), _num(a[1], "b")
    if type(x) not in INT_BITS or type(y) not in INT_BITS:
        raise ExpressionError("ArgumentException", "Math.DivRem divides integers")
    if y == 0:
        raise ExpressionError("DivideByZeroException", "Attempted to divide by zero.")
    q = abs(int(x)) // abs(int(y))
    if (x < 0) != (y < 0):
        q = -q
    r = int(x) - q * int(y)
    out = a[2]
    if not isinstance(out, dotnet.OutRef):
        raise ExpressionError("ArgumentException", "Argument must be passed with the 'out' keyword")
    cls = promote(a[0], a[1])
    out.value = convert_to(cls, r)
    return convert_to(cls, q)


MATH = declare("Math", "System.Math", ())
MATH.statics["PI"] = lambda: math.pi
MATH.statics["E"] = lambda: math.e
MATH.statics["Tau"] = lambda: math.tau
MATH.static_methods.update(
    {
        "Abs": _math_abs,
        "Max": _math_minmax("Max", True),
        "Min": _math_minmax("Min", False),
        "Round": _math_round,
        "Floor": _floor_ceiling("Floor", math.floor),
        "Ceiling": _floor_ceiling("Ceiling", math.ceil),
        "Truncate": _floor_ceiling("Truncate", math.trunc),
        "Pow": lambda a, t: (
            arity("Math", "Pow", a, 2),
            _pow(to_double(_num(a[0])), to_double(_num(a[1]))),
        )[1],
        "Sqrt": _unary_float("Sqrt", math.sqrt),
        "Exp": _unary_float("Exp", math.exp),
        "Log10": _unary_float("Log10", lambda x: -math.inf if x == 0 else math.log10(x)),
        "Log2": _unary_float("Log2", lambda x: -math.inf if x == 0 else math.log2(x)),
        "Log": _log,
        "Sin": _unary_float("Sin", math.sin),
        "Cos": _unary_float("Cos", math.cos),
        "Tan": _unary_float("Tan", math.tan),
        "Atan": _unary_float("Atan", math.atan),
        "Sign": _sign,
        "Clamp": _clamp,
        "Asin": _unary_float("Asin", math.asin),
        "Acos": _unary_float("Acos", math.acos),
        "Atan2": _binary_float("Atan2", math.atan2),
        "Sinh": _unary_float("Sinh", math.sinh),
        "Cosh": _unary_float("Cosh", math.cosh),
        "Tanh": _unary_float("Tanh", math.tanh),
        "Asinh": _unary_float("Asinh", math.asinh),
        "Acosh": _unary_float("Acosh", math.acosh),
        "Atanh": _unary_float(
            "Atanh", lambda x: math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x)
        ),
        "Cbrt": _unary_float("Cbrt", _cbrt),
        "ILogB": lambda a, t: (arity("Math", "ILogB", a, 1), _ilogb(to_double(_num(a[0]))))[1],
        "ScaleB": _scaleb,
        "BitIncrement": _unary_float("BitIncrement", lambda x: math.nextafter(x, math.inf)),
        "BitDecrement": _unary_float("BitDecrement", lambda x: math.nextafter(x, -math.inf)),
        "CopySign": _binary_float("CopySign", math.copysign),
        "FusedMultiplyAdd": _fused_multiply_add,
        "IEEERemainder": _binary_float("IEEERemainder", _ieee_remainder),
        "MaxMagnitude": _magnitude("MaxMagnitude", True),
        "MinMagnitude": _magnitude("MinMagnitude", False),
        "BigMul": _big_mul,
        "DivRem": _div_rem,
        "ReciprocalEstimate": _unary_float(
            "ReciprocalEstimate", lambda x: 1 / x if x else math.copysign(math.inf, x)
        ),
    }
)


# ---------------------------------------------------------------- Convert (numeric part)


def _convert_integral(cls: type, name: str) -> clr.StaticMethod:
    lo, hi = int_range(cls)

    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Convert", f"To{name}", a, 1, 2)
        v = a[0]
        if len(a) == 2 and type(a[1]) is int:
            base = a[1]
            if base not in (2, 8, 10, 16):
                raise ExpressionError("ArgumentException", "Invalid Base. (Parameter 'fromBase')")
            if v is None:
                return convert_to(cls, 0)
            text = str(v).strip()
            if base == 16 and text[:2].lower() == "0x":
                text = text[2:]
            try:
                iv = int(text, base)
            except ValueError:
                raise ExpressionError(
                    "FormatException", "Could not find any recognizable digits."
                ) from None
            if base != 10 and iv >= 0:
                bits = INT_BITS[cls]
                if iv >> bits:
                    raise ExpressionError(
                        "OverflowException",
                        f"Value was either too large or too small for {with_article(name)}.",
                    )
                return wrap_int(cls, iv)
            return checked_int(cls, iv)
        if v is None:
            return convert_to(cls, 0)
        if isinstance(v, str) and type(v) is not Char:
            return convert_to(cls, numfmt.parse_integer(v, lo, hi, name))
        if isinstance(v, bool):
            return convert_to(cls, int(v))
        if isinstance(v, float):
            if not math.isfinite(v):
                raise ExpressionError(
                    "OverflowException",
                    f"Value was either too large or too small for {with_article(name)}.",
                )
            return checked_int(cls, round(v))
        if isinstance(v, Decimal):
            return checked_int(cls, int(v.quantize(Decimal(1), rounding=decimal.ROUND_HALF_EVEN)))
        if isinstance(v, int) or type(v) is Char:
            return to_integral(cls, v, checked=True)
        hook = CONVERT_HOOKS.get(type(v))
        if hook is not None:
            return convert_to(cls, hook(v, cls))
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{clr.net_name(v, full=True)}' "
            "to type 'System.IConvertible'.",
        )

    return impl


CONVERT_HOOKS: dict[type, Callable[[object, type], object]] = {}
"""IConvertible-like conversions of our reference types (JValue) to a primitive class, by exact
class: add one with `add_convert_hook`."""

_V = TypeVar("_V")


def add_convert_hook(cls: type[_V], hook: Callable[[_V, type], object]) -> None:
    """Convert.ToX of a value of exactly ``cls``: ``hook(value, target class)`` returns what
    converts to the target (a primitive value)."""
    # the Convert methods look a hook up by ``type(value)``: it only ever gets values of its key
    CONVERT_HOOKS[cls] = cast("Callable[[object, type], object]", hook)


def _convert_float(cls: type) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("Convert", "ToDouble", a, 1, 2)
        v = a[0]
        if v is None:
            return convert_to(cls, 0)
        if isinstance(v, str) and type(v) is not Char:
            return (
                numfmt.parse_decimal(v)
                if cls is Decimal
                else convert_to(cls, numfmt.parse_double(v))
            )
        if isinstance(v, bool):
            return convert_to(cls, int(v))
        if type(v) is Char:
            raise ExpressionError("InvalidCastException", "Invalid cast from 'Char' to 'Double'.")
        if type(v) in NUMERIC_SET:
            return convert_to(cls, v)
        hook = CONVERT_HOOKS.get(type(v))
        if hook is not None:
            return convert_to(cls, hook(v, cls))
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{clr.net_name(v, full=True)}' "
            "to type 'System.IConvertible'.",
        )

    return impl


def _convert_bool(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Convert", "ToBoolean", a, 1, 2)
    v = a[0]
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and type(v) is not Char:
        return parse_bool(v)
    if type(v) in NUMERIC_SET:
        return bool(v != 0)
    hook = CONVERT_HOOKS.get(type(v))
    if hook is not None:
        return bool(hook(v, bool))
    raise ExpressionError(
        "InvalidCastException", f"Invalid cast from '{clr.net_name(v)}' to 'Boolean'."
    )


def _convert_to_string(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Convert", "ToString", a, 1, 2)
    v = a[0]
    if len(a) == 2 and type(a[1]) is int and is_integral(v):
        base = a[1]
        iv = int(v)
        if base not in (2, 8, 10, 16):
            raise ExpressionError("ArgumentException", "Invalid Base. (Parameter 'toBase')")
        if base == 10:
            return str(iv)
        if iv < 0:
            iv &= (1 << INT_BITS[type(v)]) - 1
        return format(iv, {2: "b", 8: "o", 16: "x"}[base])
    if len(a) == 2 and isinstance(a[1], str) and is_numeric(v):
        return numfmt.format_number(v, a[1])
    return to_string(v)


def _convert_char(a: Sequence[object], t: Sequence[TypeRef]) -> Char:
    arity("Convert", "ToChar", a, 1, 2)
    v = a[0]
    if isinstance(v, str):
        if len(v) != 1:
            raise ExpressionError("FormatException", "String must be exactly one character long.")
        return Char(v)
    return Char(chr(to_integral(UInt16, v, checked=True)))


CONVERT = declare("Convert", "System.Convert", ())
CONVERT.static_methods.update(
    {
        "ToInt32": _convert_integral(int, "Int32"),
        "ToInt64": _convert_integral(Int64, "Int64"),
        "ToInt16": _convert_integral(Int16, "Int16"),
        "ToUInt16": _convert_integral(UInt16, "UInt16"),
        "ToUInt32": _convert_integral(UInt32, "UInt32"),
        "ToUInt64": _convert_integral(UInt64, "UInt64"),
        "ToByte": _convert_integral(Byte, "Byte"),
        "ToSByte": _convert_integral(SByte, "SByte"),
        "ToDouble": _convert_float(float),
        "ToSingle": _convert_float(Single),
        "ToDecimal": _convert_float(Decimal),
        "ToBoolean": _convert_bool,
        "ToString": _convert_to_string,
        "ToChar": _convert_char,
    }
)


_NUMBERS = ("int", "long", "double", "decimal", "float", "short", "sbyte", "byte", "uint", "ulong")
MATH.sign(
    "const double PI",
    "const double E",
    *(f"static {n} Abs({n} value)" for n in _NUMBERS),
    *(f"static {n} Max({n} val1, {n} val2)" for n in _NUMBERS),
    *(f"static {n} Min({n} val1, {n} val2)" for n in _NUMBERS),
    *(f"static {n} Clamp({n} value, {n} min, {n} max)" for n in _NUMBERS),
    *(f"static int Sign({n} value)" for n in ("int", "long", "double", "decimal", "float")),
    *(
        f"static double {name}(double d)"
        for name in ("Atan", "Cos", "Exp", "Log10", "Log2", "Sin", "Sqrt", "Tan")
    ),
    "const double Tau",
    *(
        f"static double {name}(double d)"
        for name in (
            "Asin",
            "Acos",
            "Sinh",
            "Cosh",
            "Tanh",
            "Asinh",
            "Acosh",
            "Atanh",
            "Cbrt",
            "BitIncrement",
            "BitDecrement",
            "ReciprocalEstimate",
        )
    ),
    "static double Atan2(double y, double x)",
    "static int ILogB(double x)",
    "static double ScaleB(double x, int n)",
    "static double CopySign(double x, double y)",
    "static double FusedMultiplyAdd(double x, double y, double z)",
    "static double IEEERemainder(double x, double y)",
    "static double MaxMagnitude(double x, double y)",
    "static double MinMagnitude(double x, double y)",
    "static long BigMul(int a, int b)",
    "static ulong BigMul(ulong a, ulong b, out ulong low)",
    "static long BigMul(long a, long b, out long low)",
    "static int DivRem(int a, int b, out int result)",
    "static long DivRem(long a, long b, out long result)",
    "static double Log(double d)",
    "static double Log(double a, double newBase)",
    "static double Pow(double x, double y)",
    *(
        f"static {n} {name}({n} d)"
        for n in ("double", "decimal")
        for name in ("Ceiling", "Floor", "Truncate")
    ),
    *(
        line
        for n in ("double", "decimal")
        for line in (
            f"static {n} Round({n} d)",
            f"static {n} Round({n} d, int decimals)",
            f"static {n} Round({n} d, MidpointRounding mode)",
            f"static {n} Round({n} d, int decimals, MidpointRounding mode)",
        )
    ),
)
_CONVERTIBLE = ("object", "string", "bool", "char", "double", "decimal", "int", "long")
CONVERT.sign(
    *(
        line
        for name, result in (
            ("ToBoolean", "bool"),
            ("ToByte", "byte"),
            ("ToChar", "char"),
            ("ToDecimal", "decimal"),
            ("ToDouble", "double"),
            ("ToInt16", "short"),
            ("ToInt32", "int"),
            ("ToInt64", "long"),
            ("ToSByte", "sbyte"),
            ("ToSingle", "float"),
            ("ToUInt16", "ushort"),
            ("ToUInt32", "uint"),
            ("ToUInt64", "ulong"),
        )
        for line in (
            f"static {result} {name}(object value)",
            f"static {result} {name}(object value, IFormatProvider provider)",
        )
    ),
    "static int ToInt32(string value, int fromBase)",
    "static long ToInt64(string value, int fromBase)",
    "static string ToString(object value)",
    "static string ToString(object value, IFormatProvider provider)",
    "static string ToString(int value, int toBase)",
    "static string ToString(long value, int toBase)",
)

TYPES: tuple[TypeRef, ...] = (MATH, CONVERT)


def _decimal_round(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    """decimal.Round(d[, decimals][, mode]): half to even unless a MidpointRounding says."""
    arity("Decimal", "Round", a, 1, 2, 3)
    if not isinstance(a[0], Decimal):
        raise ExpressionError("ArgumentException", "Argument 'd': cannot convert to 'decimal'")
    return _math_round(a, t)


def _decimal_unary(name: str, fn: Callable[[Decimal], Decimal]) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> Decimal:
        arity("Decimal", name, a, 1)
        v = a[0]
        if not isinstance(v, Decimal):
            v = to_decimal(_num(v, "d"))
        return fn(v)

    return impl


def register(registry: Registry) -> None:
    """decimal's own statics (Round, Floor, Ceiling, Truncate, Negate) join Decimal."""
    dotnet.DECIMAL.static_methods.update(
        {
            "Round": _decimal_round,
            "Floor": _decimal_unary("Floor", lambda d: Decimal(math.floor(d))),
            "Ceiling": _decimal_unary("Ceiling", lambda d: Decimal(math.ceil(d))),
            "Truncate": _decimal_unary("Truncate", lambda d: Decimal(math.trunc(d))),
            "Negate": _decimal_unary("Negate", lambda d: -d),
        }
    )
    dotnet.DECIMAL.sign(
        "static decimal Round(decimal d)",
        "static decimal Round(decimal d, int decimals)",
        "static decimal Round(decimal d, MidpointRounding mode)",
        "static decimal Round(decimal d, int decimals, MidpointRounding mode)",
        "static decimal Floor(decimal d)",
        "static decimal Ceiling(decimal d)",
        "static decimal Truncate(decimal d)",
        "static decimal Negate(decimal d)",
    )
    registry.add(*TYPES)
