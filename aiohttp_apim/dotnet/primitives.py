"""Primitive .NET values: numbers, Boolean, Char, enums, Guid, Math, Convert (numeric), CultureInfo.

Runtime representation (one Python type per .NET type, everywhere): ``str`` is System.String, ``bool`` Boolean, ``int`` Int32,
``float`` Double, ``decimal.Decimal`` Decimal; the other integral types, Single and Char are the
subclasses declared here so a value keeps its .NET type (``Int64(5)`` is a long, ``Char("a")`` a
char). Also here: ``to_string`` (.NET ToString), value equality and ordering shared by operators,
Equals, Contains, OrderBy, Min/Max, and the explicit numeric conversions used by casts and
Convert (System.Math and System.Convert themselves: numerics.py).
"""

from __future__ import annotations

import decimal
import enum
import functools
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar, cast

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import numfmt
from aiohttp_apim.dotnet.core import TypeRef, arity, declare, throw
from aiohttp_apim.dotnet.values import (
    INT_BITS,
    INT_NAMES,
    INT_SIGNED,
    NUMERIC_SET,
    NUMERIC_TYPES,
    Byte,
    Char,
    Int16,
    Int64,
    NetEnum,
    NetFlags,
    OutRef,
    SByte,
    Single,
    UInt16,
    UInt32,
    UInt64,
    checked_int,
    int_range,
    is_integral,
    is_numeric,
    with_article,
    wrap_int,
)
from aiohttp_apim.errors import ExpressionError


def _same(value: object) -> object:
    """A static getter returning a fixed value (functools.partial(_same, v))."""
    return value


__all__ = [  # the value classes and integer rules of values.py too: numeric code imports them here
    "INT_BITS",
    "INT_NAMES",
    "INT_SIGNED",
    "NUMERIC_SET",
    "NUMERIC_TYPES",
    "Byte",
    "Char",
    "Guid",
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
    "add_compare_hook",
    "checked_int",
    "compare",
    "enum_number",
    "int_range",
    "is_integral",
    "is_numeric",
    "number_key",
    "obj_equals",
    "op_equals",
    "to_string",
    "with_article",
    "wrap_int",
]


def enum_to_string(e: enum.Enum) -> str:
    if isinstance(e, enum.IntFlag):
        cls = type(e)
        value = int(e)
        exact = [m for m in cls if int(m) == value]
        if exact:
            return str(exact[0].name)
        names = [m.name for m in cls if int(m) and int(m) & value == int(m)]
        covered = 0
        for m in cls:
            if int(m) and int(m) & value == int(m):
                covered |= int(m)
        if covered != value or not names:
            return str(value)
        return ", ".join(str(n) for n in names)
    return str(e.name)


ENUM_TYPES: dict[type[enum.Enum], TypeRef] = {}
"""The type `declare_enum` declared for each enum class (to register, as any declared type)."""


def declare_enum(name: str, full_name: str, cls: type[NetEnum | NetFlags]) -> TypeRef:
    # default(T) is the member valued 0 (enums without one, such as CipherMode, take their first)
    zero = cls._value2member_map_.get(0) or next(iter(cls.__members__.values()))
    t = declare(name, full_name, (cls,), bases=(ENUM,), value_type=True, default=zero)
    ENUM_TYPES[cls] = t
    for member_name, member in cls.__members__.items():  # aliases too (HexNumber, Float...)
        t.statics[member_name] = functools.partial(_same, member)
        if not member_name.endswith("_"):  # None_: Python's spelling of the member None
            t.sign(f"const {name} {member_name}")
    t.convert = lambda v: _to_enum(cls, v)
    return t


def enum_number(v: object, cls: type[NetEnum | NetFlags], param: str) -> int:
    """The number of an argument of enum type ``cls``: a value of ``cls``, or an integral number
    (what a cast ``(T)n`` stands for)."""
    if isinstance(v, cls) or is_integral(v):
        return int(v)
    raise ExpressionError(
        "ArgumentException",
        f"Argument '{param}': cannot convert from '{clr.net_name(v)}' to '{cls.__name__}'",
    )


def _to_enum(cls: type[NetEnum | NetFlags], v: object) -> object:
    if isinstance(v, cls):
        return v
    if is_integral(v) or isinstance(v, (NetEnum, NetFlags)):
        iv = int(v)
        try:
            return cls(iv)
        except ValueError:
            if issubclass(cls, enum.IntFlag):
                return cls(iv)
            return cls._missing_(iv) or throw(
                "InvalidCastException", f"{iv} is not a value of {cls.__name__}"
            )
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(v, full=True)}' to type '{cls.__name__}'.",
    )


class StringComparison(NetEnum):
    CurrentCulture = 0
    CurrentCultureIgnoreCase = 1
    InvariantCulture = 2
    InvariantCultureIgnoreCase = 3
    Ordinal = 4
    OrdinalIgnoreCase = 5


class StringSplitOptions(NetFlags):
    None_ = 0
    RemoveEmptyEntries = 1
    TrimEntries = 2


class MidpointRounding(NetEnum):
    ToEven = 0
    AwayFromZero = 1
    ToZero = 2
    ToNegativeInfinity = 3
    ToPositiveInfinity = 4


class NumberStyles(NetFlags):
    None_ = 0
    AllowLeadingWhite = 1
    AllowTrailingWhite = 2
    AllowLeadingSign = 4
    Integer = 7
    AllowTrailingSign = 8
    AllowParentheses = 16
    AllowDecimalPoint = 32
    AllowThousands = 64
    Number = 111
    AllowExponent = 128
    Float = 167
    AllowCurrencySymbol = 256
    Currency = 383
    Any = 511
    AllowHexSpecifier = 512
    HexNumber = 515


# ---------------------------------------------------------------- equality, ordering, ToString


def to_string(value: object) -> str:
    """.NET ``ToString()`` of any value (null → "" as string concatenation does)."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    cls = type(value)
    if cls is bool:
        return "True" if value else "False"
    if cls is int:
        return int.__repr__(value)
    if type(value) is float:
        return numfmt.double_to_string(value)
    table = clr.TABLES.get(cls) or clr.table_of(value)
    method = table.methods.get("ToString")
    if method is None:
        return table.type.full_name
    result = method(value, (), ())
    return result if isinstance(result, str) else ""


_NUMBERS = (int, float, Decimal)  # one global to load: equality and ordering are hot


def number_key(v: object) -> int | float | Decimal:
    """The number a numeric, bool or char operand compares as (callers pass no other)."""
    if isinstance(v, _NUMBERS):
        return v
    if isinstance(v, Char):
        return ord(v)
    raise TypeError(f"not a number: {v!r}")


def op_equals(a: object, b: object) -> bool:
    """C# ``==``: numeric promotion, ordinal strings, value types by value, else reference."""
    if a is b:
        return not (type(a) is float and math.isnan(a))
    if a is None or b is None:
        return False
    ta, tb = type(a), type(b)
    if ta is tb and (ta is str or ta is bool or ta is Char):
        return a == b
    na = ta in NUMERIC_SET or ta is Char
    nb = tb in NUMERIC_SET or tb is Char
    if na and nb:
        return bool(number_key(a) == number_key(b))
    hook = EQUALITY_HOOKS.get(ta) or EQUALITY_HOOKS.get(tb)
    if hook is not None:
        return hook(a, b)
    if na or nb:
        return False
    if ta is tb:
        t = clr.type_of(a)
        if t is not None and t.value_type:
            return a == b
    hook = EQUALITY_HOOKS.get(ta) or EQUALITY_HOOKS.get(tb)
    if hook is not None:
        return hook(a, b)
    return False


def obj_equals(a: object, b: object) -> bool:
    """``object.Equals`` / EqualityComparer.Default: value types equal only to the same type."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    ta, tb = type(a), type(b)
    if ta is tb:
        if ta is float or ta is Single:
            return a == b or (a != a and b != b)  # NaN, the one float unequal to itself
        t = clr.type_of(a)
        if t is not None and (t.value_type or ta is str):
            return a == b
    hook = EQUALITY_HOOKS.get(ta) or EQUALITY_HOOKS.get(tb)
    if hook is not None:
        return hook(a, b)
    return False


EQUALITY_HOOKS: dict[type, Callable[[object, object], bool]] = {}
"""Value equality for reference types that define it (JValue)."""

COMPARE_HOOKS: dict[type, Callable[[object, object], int]] = {}
"""Ordering (IComparable) of the types the primitives don't know, by exact class: add one with
`add_compare_hook`."""

_V = TypeVar("_V")


def add_compare_hook(cls: type[_V], hook: Callable[[_V, _V], int]) -> None:
    """Order two values of exactly ``cls`` with ``hook`` (-1/0/1)."""
    # `compare` calls the hook of a class only when both values are of that class
    COMPARE_HOOKS[cls] = cast("Callable[[object, object], int]", hook)


def culture_compare(a: str, b: str) -> int:
    """An approximation of invariant-culture string order: case-insensitive first, then
    lowercase before uppercase (ICU order for Latin text)."""
    ka, kb = a.casefold(), b.casefold()
    if ka != kb:
        return -1 if ka < kb else 1
    sa, sb = a.swapcase(), b.swapcase()
    if sa == sb:
        return 0
    return -1 if sa < sb else 1


def ordinal_compare(a: str, b: str) -> int:
    return 0 if a == b else (-1 if a < b else 1)


def compare(a: object, b: object) -> int:
    """Comparer<T>.Default: -1/0/1 (null sorts first)."""
    if a is None or b is None:
        return 0 if a is b else (-1 if a is None else 1)
    if type(a) is str and type(b) is str:
        return culture_compare(a, b)
    ta, tb = type(a), type(b)
    na = ta in NUMERIC_SET or ta is Char or ta is bool
    nb = tb in NUMERIC_SET or tb is Char or tb is bool
    if na and nb:
        x, y = number_key(a), number_key(b)
        if isinstance(x, float) and math.isnan(x):
            return 0 if isinstance(y, float) and math.isnan(y) else -1
        if isinstance(y, float) and math.isnan(y):
            return 1
        return 0 if x == y else (-1 if x < y else 1)
    if ta is tb:
        hook = COMPARE_HOOKS.get(ta)
        if hook is not None:
            return hook(a, b)
        if isinstance(a, (NetEnum, NetFlags)) and isinstance(b, (NetEnum, NetFlags)):
            x2, y2 = int(a), int(b)
            return 0 if x2 == y2 else (-1 if x2 < y2 else 1)
    raise ExpressionError("ArgumentException", "At least one object must implement IComparable.")


# ---------------------------------------------------------------- numeric conversions


def to_integral(cls: type, v: object, *, checked: bool = False) -> int:
    """Explicit (unchecked unless ``checked``) conversion of a numeric/char value to ``cls``."""
    if type(v) is Char:
        iv = ord(v)
    elif isinstance(v, bool):
        raise ExpressionError(
            "InvalidCastException", f"Cannot convert type 'bool' to '{INT_NAMES[cls]}'"
        )
    elif isinstance(v, int):
        iv = int(v)
    elif isinstance(v, float):
        if checked:
            if math.isnan(v) or math.isinf(v):
                raise ExpressionError(
                    "OverflowException",
                    f"Value was either too large or too small for {with_article(INT_NAMES[cls])}.",
                )
            return checked_int(cls, math.trunc(v))
        if math.isnan(v):
            iv = 0
        elif math.isinf(v):
            lo, hi = int_range(cls)
            iv = hi if v > 0 else lo
        else:
            lo, hi = int_range(cls)
            iv = max(lo, min(hi, math.trunc(v)))  # saturating, as .NET 9
        return iv if cls is int else cls(iv)
    elif isinstance(v, Decimal):
        return checked_int(cls, int(v.to_integral_value(rounding=decimal.ROUND_DOWN)))
    else:
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{clr.net_name(v, full=True)}' "
            f"to type 'System.{INT_NAMES[cls]}'.",
        )
    return checked_int(cls, iv) if checked else wrap_int(cls, iv)


def to_double(v: object) -> float:
    if type(v) is Char:
        return float(ord(v))
    if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{clr.net_name(v, full=True)}' "
            "to type 'System.Double'.",
        )
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def to_single(v: object) -> Single:
    import struct

    d = to_double(v)
    try:
        return Single(struct.unpack("<f", struct.pack("<f", d))[0])
    except OverflowError:
        return Single(math.inf if d > 0 else -math.inf)


def to_decimal(v: object) -> Decimal:
    if type(v) is Char:
        return Decimal(ord(v))
    if isinstance(v, Decimal):
        return v
    if isinstance(v, bool):
        raise ExpressionError("InvalidCastException", "Cannot convert type 'bool' to 'decimal'")
    if isinstance(v, int):
        return numfmt.to_decimal_range(Decimal(int(v)))
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise ExpressionError(
                "OverflowException", "Value was either too large or too small for a Decimal."
            )
        # .NET keeps at most 15 significant digits of a double
        return numfmt.to_decimal_range(Decimal(format(v, ".15g")).normalize() if v else Decimal(0))
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(v, full=True)}' to type 'System.Decimal'.",
    )


def to_char(v: object) -> Char:
    if type(v) is Char:
        return v
    if isinstance(v, str) and len(v) == 1:
        return Char(v)
    iv = to_integral(UInt16, v)
    return Char(chr(iv))


# ---------------------------------------------------------------- type declarations

OBJECT = declare("Object", "System.Object", (object,), aliases=("object",), owns=False)
OBJECT.methods["ToString"] = lambda o, a, t: _object_to_string(o, a)
OBJECT.methods["Equals"] = lambda o, a, t: (arity("Object", "Equals", a, 1), obj_equals(o, a[0]))[1]
OBJECT.methods["GetHashCode"] = lambda o, a, t: _hash(o)
OBJECT.methods["GetType"] = lambda o, a, t: throw(
    "NotSupportedException", "Reflection (GetType) is not available in policy expressions"
)
OBJECT.check = lambda v: v is not None


def _object_to_string(o: object, args: Sequence[object]) -> str:
    arity(clr.net_name(o), "ToString", args, 0)
    return clr.net_name(o, full=True)


def _hash(o: object) -> int:
    try:
        return wrap_int(int, hash(o))
    except TypeError:
        return wrap_int(int, id(o))


VALUE_TYPE = declare("ValueType", "System.ValueType", owns=False)
# Nullable<T> members seen on a non-null value: HasValue / Value / GetValueOrDefault()
VALUE_TYPE.members["HasValue"] = lambda o: True
VALUE_TYPE.members["Value"] = lambda o: o
VALUE_TYPE.methods["GetValueOrDefault"] = lambda o, a, t: o
VALUE_TYPE.check = lambda v: (t := clr.type_of(v)) is not None and t.value_type

ENUM = declare("Enum", "System.Enum", (enum.Enum,), bases=(VALUE_TYPE,), value_type=True)
ENUM.check = lambda v: isinstance(v, enum.Enum)
ENUM.methods["ToString"] = lambda o, a, t: enum_to_string(o)


def _has_flag(o: NetEnum | NetFlags, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Enum", "HasFlag", a, 1)
    flag = a[0]
    if flag is None:
        throw("ArgumentNullException", "Value cannot be null. (Parameter 'flag')")
    if type(flag) is not type(o) or not isinstance(flag, (NetEnum, NetFlags)):
        # as .NET: a flag of another enum type, or a number, is not a flag of this one
        throw(
            "ArgumentException",
            f"The argument type, '{clr.net_name(flag, full=True)}', is not the same as the "
            f"enum type '{clr.net_name(o, full=True)}'.",
        )
    return (int(o) & int(flag)) == int(flag)


ENUM.methods["HasFlag"] = _has_flag


def _numeric_to_string(o: Any, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity(clr.net_name(o), "ToString", a, 0, 1, 2)
    fmt = a[0] if a and isinstance(a[0], str) else None
    return numfmt.format_number(o, fmt)


def _compare_to(o: object, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity(clr.net_name(o), "CompareTo", a, 1)
    if a[0] is None:
        return 1
    return compare(o, a[0])


NUMBER_BASE = declare("Number", "System.Number", (), bases=(VALUE_TYPE,), owns=False)
NUMBER_BASE.methods["ToString"] = _numeric_to_string
NUMBER_BASE.methods["CompareTo"] = _compare_to


def set_out(args: Sequence[object], i: int, value: object) -> None:
    """Set the ``out`` (or ``ref``) argument ``args[i]`` of a call to ``value``."""
    ref = args[i] if len(args) > i else None
    if not isinstance(ref, OutRef):
        raise ExpressionError("ArgumentException", "Argument must be passed with the 'out' keyword")
    ref.value = value


def _styles(args: Sequence[object]) -> int:
    for x in args[1:]:
        if isinstance(x, NumberStyles):
            return int(x)
    return int(NumberStyles.Integer)


def _declare_integral(cls: type, name: str, keyword: str) -> TypeRef:
    lo, hi = int_range(cls)
    t = declare(
        name,
        f"System.{name}",
        (cls,),
        aliases=(keyword,),
        bases=(NUMBER_BASE,),
        value_type=True,
        default=0 if cls is int else cls(0),
    )
    t.statics["MaxValue"] = lambda: hi if cls is int else cls(hi)
    t.statics["MinValue"] = lambda: lo if cls is int else cls(lo)

    def parse(args: Sequence[object], targs: Sequence[TypeRef]) -> object:
        arity(name, "Parse", args, 1, 2, 3)
        hexn = bool(_styles(args) & NumberStyles.AllowHexSpecifier)
        v = numfmt.parse_integer(args[0], lo, hi, name, hex_number=hexn)
        return v if cls is int else cls(v)

    def try_parse(args: Sequence[object], targs: Sequence[TypeRef]) -> bool:
        arity(name, "TryParse", args, 2, 4)
        try:
            v = parse(args[:1] if len(args) == 2 else args[:2], targs)
        except clr.ExpressionError:
            set_out(args, len(args) - 1, t.default)
            return False
        set_out(args, len(args) - 1, v)
        return True

    t.static_methods["Parse"] = parse
    t.static_methods["TryParse"] = try_parse
    t.convert = lambda v: to_integral(cls, v)
    _sign_number(t, keyword)
    return t


def _sign_number(t: TypeRef, keyword: str) -> None:
    """The members every numeric type has (their implementations are the callers')."""
    t.sign(
        f"const {keyword} MaxValue",
        f"const {keyword} MinValue",
        f"static {keyword} Parse(string s)",
        f"static {keyword} Parse(string s, NumberStyles style)",
        f"static {keyword} Parse(string s, IFormatProvider provider)",
        f"static {keyword} Parse(string s, NumberStyles style, IFormatProvider provider)",
        f"static bool TryParse(string s, out {keyword} result)",
        f"static bool TryParse(string s, NumberStyles style, IFormatProvider provider, "
        f"out {keyword} result)",
    )


INT32 = _declare_integral(int, "Int32", "int")


def _int32_convert(v: object) -> object:
    # (int)x of a boxed long fails as unboxing does; other numbers convert unchecked
    if type(v) is int:
        return v
    if type(v) is Int64:
        raise ExpressionError(
            "InvalidCastException",
            "Unable to cast object of type 'System.Int64' to type 'System.Int32'.",
        )
    return to_integral(int, v)


INT32.convert = _int32_convert
INT64 = _declare_integral(Int64, "Int64", "long")
UINT64 = _declare_integral(UInt64, "UInt64", "ulong")
UINT32 = _declare_integral(UInt32, "UInt32", "uint")
INT16 = _declare_integral(Int16, "Int16", "short")
UINT16 = _declare_integral(UInt16, "UInt16", "ushort")
BYTE = _declare_integral(Byte, "Byte", "byte")
SBYTE = _declare_integral(SByte, "SByte", "sbyte")


def _declare_float(cls: type, name: str, keyword: str) -> TypeRef:
    t = declare(
        name,
        f"System.{name}",
        (cls,),
        aliases=(keyword,),
        bases=(NUMBER_BASE,),
        value_type=True,
        default=cls(0.0),
    )
    conv = to_single if cls is Single else to_double
    t.statics["MaxValue"] = lambda: conv(
        3.4028234663852886e38 if cls is Single else 1.7976931348623157e308
    )
    t.statics["MinValue"] = lambda: conv(
        -3.4028234663852886e38 if cls is Single else -1.7976931348623157e308
    )
    t.statics["Epsilon"] = lambda: conv(1.401298464324817e-45 if cls is Single else 5e-324)
    t.statics["NaN"] = lambda: conv(math.nan)
    t.statics["PositiveInfinity"] = lambda: conv(math.inf)
    t.statics["NegativeInfinity"] = lambda: conv(-math.inf)

    def parse(args: Sequence[object], targs: Sequence[TypeRef]) -> object:
        arity(name, "Parse", args, 1, 2, 3)
        return conv(numfmt.parse_double(args[0]))

    def try_parse(args: Sequence[object], targs: Sequence[TypeRef]) -> bool:
        arity(name, "TryParse", args, 2, 4)
        try:
            v = parse(args[:1], targs)
        except clr.ExpressionError:
            set_out(args, len(args) - 1, conv(0.0))
            return False
        set_out(args, len(args) - 1, v)
        return True

    t.static_methods["Parse"] = parse
    t.static_methods["TryParse"] = try_parse
    t.static_methods["IsNaN"] = lambda a, ta: math.isnan(to_double(a[0]))
    t.static_methods["IsInfinity"] = lambda a, ta: math.isinf(to_double(a[0]))
    t.static_methods["IsPositiveInfinity"] = lambda a, ta: to_double(a[0]) == math.inf
    t.static_methods["IsNegativeInfinity"] = lambda a, ta: to_double(a[0]) == -math.inf
    t.static_methods["IsFinite"] = lambda a, ta: math.isfinite(to_double(a[0]))
    t.convert = conv
    _sign_number(t, keyword)
    t.sign(
        *(
            f"const {keyword} {n}"
            for n in ("Epsilon", "NaN", "PositiveInfinity", "NegativeInfinity")
        ),
        *(
            f"static bool {n}({keyword} f)"
            for n in ("IsNaN", "IsInfinity", "IsPositiveInfinity", "IsNegativeInfinity", "IsFinite")
        ),
    )
    return t


DOUBLE = _declare_float(float, "Double", "double")
SINGLE = _declare_float(Single, "Single", "float")

DECIMAL = declare(
    "Decimal",
    "System.Decimal",
    (Decimal,),
    aliases=("decimal",),
    bases=(NUMBER_BASE,),
    value_type=True,
    default=Decimal(0),
)
DECIMAL.statics["MaxValue"] = lambda: numfmt.DECIMAL_MAX
DECIMAL.statics["MinValue"] = lambda: -numfmt.DECIMAL_MAX
DECIMAL.statics["Zero"] = lambda: Decimal(0)
DECIMAL.statics["One"] = lambda: Decimal(1)
DECIMAL.statics["MinusOne"] = lambda: Decimal(-1)
DECIMAL.convert = to_decimal


def _decimal_parse(args: Sequence[object], targs: Sequence[TypeRef]) -> Decimal:
    arity("Decimal", "Parse", args, 1, 2, 3)
    return numfmt.parse_decimal(args[0])


def _decimal_try_parse(args: Sequence[object], targs: Sequence[TypeRef]) -> bool:
    arity("Decimal", "TryParse", args, 2, 4)
    try:
        v = numfmt.parse_decimal(args[0])
    except clr.ExpressionError:
        set_out(args, len(args) - 1, Decimal(0))
        return False
    set_out(args, len(args) - 1, v)
    return True


DECIMAL.static_methods["Parse"] = _decimal_parse
DECIMAL.static_methods["TryParse"] = _decimal_try_parse


def parse_bool(s: object) -> bool:
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    text = s.strip(" \t\n\v\f\r\0")
    if text.lower() == "true":
        return True
    if text.lower() == "false":
        return False
    raise ExpressionError("FormatException", f"String '{s}' was not recognized as a valid Boolean.")


def _bool_try_parse(args: Sequence[object], targs: Sequence[TypeRef]) -> bool:
    arity("Boolean", "TryParse", args, 2)
    try:
        v = parse_bool(args[0])
    except clr.ExpressionError:
        set_out(args, 1, False)
        return False
    set_out(args, 1, v)
    return True


BOOLEAN = declare(
    "Boolean",
    "System.Boolean",
    (bool,),
    aliases=("bool",),
    bases=(VALUE_TYPE,),
    value_type=True,
    default=False,
)
BOOLEAN.methods["ToString"] = lambda o, a, t: "True" if o else "False"
BOOLEAN.methods["CompareTo"] = _compare_to
BOOLEAN.statics["TrueString"] = lambda: "True"
BOOLEAN.statics["FalseString"] = lambda: "False"
BOOLEAN.static_methods["Parse"] = lambda a, t: (arity("Boolean", "Parse", a, 1), parse_bool(a[0]))[
    1
]
BOOLEAN.static_methods["TryParse"] = _bool_try_parse


def _to_bool_cast(v: object) -> bool:
    if type(v) is bool:
        return v
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(v, full=True)}' to type 'System.Boolean'.",
    )


BOOLEAN.convert = _to_bool_cast

CHAR = declare(
    "Char",
    "System.Char",
    (Char,),
    aliases=("char",),
    bases=(VALUE_TYPE,),
    value_type=True,
    default=Char("\0"),
)
CHAR.methods["ToString"] = lambda o, a, t: str.__str__(o)
CHAR.methods["CompareTo"] = _compare_to
CHAR.statics["MaxValue"] = lambda: Char("\uffff")
CHAR.statics["MinValue"] = lambda: Char("\0")
CHAR.convert = to_char

STRING_COMPARISON = declare_enum("StringComparison", "System.StringComparison", StringComparison)
SPLIT_OPTIONS = declare_enum("StringSplitOptions", "System.StringSplitOptions", StringSplitOptions)
MIDPOINT_ROUNDING = declare_enum("MidpointRounding", "System.MidpointRounding", MidpointRounding)
NUMBER_STYLES = declare_enum("NumberStyles", "System.Globalization.NumberStyles", NumberStyles)
for _e, _et in ((StringSplitOptions, SPLIT_OPTIONS), (NumberStyles, NUMBER_STYLES)):
    _et.statics["None"] = functools.partial(_same, _e(0))
    _et.sign(f"const {_et.name} None")


# ---------------------------------------------------------------- CultureInfo, StringComparer


@dataclass(frozen=True, slots=True)
class CultureInfo:
    name: str


INVARIANT = CultureInfo("")
CULTURE = declare("CultureInfo", "System.Globalization.CultureInfo", (CultureInfo,))
CULTURE.statics["InvariantCulture"] = lambda: INVARIANT
CULTURE.statics["CurrentCulture"] = lambda: INVARIANT
CULTURE.statics["CurrentUICulture"] = lambda: INVARIANT
CULTURE.members["Name"] = lambda c: c.name
CULTURE.methods["ToString"] = lambda o, a, t: o.name
CULTURE.construct = lambda a, t: CultureInfo(str(a[0]) if a else "")


@dataclass(frozen=True, slots=True)
class StringComparer:
    """StringComparer.Ordinal / OrdinalIgnoreCase / ...: used as a key function."""

    ignore_case: bool
    name: str

    def key(self, v: object) -> object:
        return v.casefold() if self.ignore_case and isinstance(v, str) else v

    def compare(self, x: object, y: object) -> int:
        """IComparer<string>.Compare: null first; ordinal comparers by UTF-16 code units (the
        IgnoreCase one upper-casing first, as .NET does), culture ones by culture order."""
        if x is None or y is None:
            return 0 if x is y else (-1 if x is None else 1)
        a, b = str(x), str(y)
        if self.name.startswith("Ordinal"):
            if self.ignore_case:
                a, b = a.upper(), b.upper()
            return ordinal_compare(a, b)
        if self.ignore_case:
            a, b = a.casefold(), b.casefold()
        return culture_compare(a, b)


COMPARER = declare("StringComparer", "System.StringComparer", (StringComparer,))
for _n, _ic in (
    ("Ordinal", False),
    ("OrdinalIgnoreCase", True),
    ("InvariantCulture", False),
    ("InvariantCultureIgnoreCase", True),
    ("CurrentCulture", False),
    ("CurrentCultureIgnoreCase", True),
):
    COMPARER.statics[_n] = functools.partial(_same, StringComparer(_ic, _n))
COMPARER.methods["Equals"] = lambda o, a, t: (
    o.key(a[0]) == o.key(a[1]) if len(a) == 2 else obj_equals(o, a[0])
)
COMPARER.methods["Compare"] = lambda o, a, t: o.compare(a[0], a[1])


def comparison_key(mode: object) -> Callable[[str], str]:
    """Key function for a StringComparison / StringComparer argument."""
    if isinstance(mode, StringComparer):
        return str.casefold if mode.ignore_case else _identity
    if isinstance(mode, StringComparison):
        return str.casefold if int(mode) % 2 == 1 else _identity
    raise ExpressionError(
        "ArgumentException",
        "The string comparison type passed in is currently not supported. "
        "(Parameter 'comparisonType')",
    )


def _identity(s: str) -> str:
    return s


# ---------------------------------------------------------------- Guid


@dataclass(frozen=True, slots=True)
class Guid:
    value: uuid.UUID

    def format(self, fmt: str | None) -> str:
        d = str(self.value)
        f = (fmt or "D").upper()
        if f == "D":
            return d
        if f == "N":
            return self.value.hex
        if f == "B":
            return "{" + d + "}"
        if f == "P":
            return "(" + d + ")"
        raise ExpressionError(
            "FormatException",
            'Format string can be only "D", "d", "N", "n", "P", "p", "B", "b", "X" or "x".',
        )


def parse_guid(s: object) -> Guid:
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'input')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    text = s.strip()
    inner = text
    if (text[:1], text[-1:]) in (("{", "}"), ("(", ")")):
        inner = text[1:-1]
    import re

    if re.fullmatch(
        r"[0-9A-Fa-f]{32}|[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}", inner
    ) is None or (inner is not text and "-" not in inner):
        raise ExpressionError(
            "FormatException",
            "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).",
        )
    return Guid(uuid.UUID(inner))


EMPTY_GUID = Guid(uuid.UUID(int=0))
GUID = declare(
    "Guid", "System.Guid", (Guid,), bases=(VALUE_TYPE,), value_type=True, default=EMPTY_GUID
)
GUID.statics["Empty"] = lambda: EMPTY_GUID
GUID.static_methods["NewGuid"] = lambda a, t: Guid(uuid.uuid4())
GUID.static_methods["Parse"] = lambda a, t: (arity("Guid", "Parse", a, 1), parse_guid(a[0]))[1]


def _guid_try_parse(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Guid", "TryParse", a, 2)
    try:
        g = parse_guid(a[0])
    except clr.ExpressionError:
        set_out(a, 1, EMPTY_GUID)
        return False
    set_out(a, 1, g)
    return True


GUID.static_methods["TryParse"] = _guid_try_parse
GUID.construct = lambda a, t: parse_guid(a[0]) if a else EMPTY_GUID
GUID.methods["ToString"] = lambda o, a, t: o.format(a[0] if a and isinstance(a[0], str) else None)
GUID.methods["ToByteArray"] = lambda o, a, t: o.value.bytes_le
add_compare_hook(Guid, lambda a, b: ordinal_compare(str(a.value), str(b.value)))


# ---------------------------------------------------------------- numeric promotion


def promote(a: object, b: object) -> type:
    """C# binary numeric promotion: the Python class of the result type."""
    ta = Char if type(a) is Char else type(a)
    tb = Char if type(b) is Char else type(b)
    if ta is Decimal or tb is Decimal:
        if ta in (float, Single) or tb in (float, Single):
            raise ExpressionError(
                "InvalidOperationException",
                "Operator cannot be applied to operands of type 'decimal' and 'double'",
            )
        return Decimal
    if ta is float or tb is float:
        return float
    if ta is Single or tb is Single:
        return Single
    if ta is UInt64 or tb is UInt64:
        return UInt64
    if ta is Int64 or tb is Int64:
        return Int64
    if ta is UInt32 or tb is UInt32:
        other = tb if ta is UInt32 else ta
        return Int64 if other in (int, Int16, SByte) else UInt32
    return int


def convert_to(cls: type, v: object) -> Any:
    """Implicit/explicit numeric conversion to the Python class of a numeric type."""
    if cls is float:
        return to_double(v)
    if cls is Single:
        return to_single(v)
    if cls is Decimal:
        return to_decimal(v)
    return to_integral(cls, v)


OBJECT.sign(
    "string ToString()",
    "bool Equals(object obj)",
    "int GetHashCode()",
    "Type GetType()",
)
VALUE_TYPE.sign(  # Nullable<T>'s members: every value may be a boxed nullable
    "bool HasValue { get; }",
    "T Value { get; }",
    "T GetValueOrDefault()",
    "T GetValueOrDefault(T defaultValue)",
)
ENUM.sign("bool HasFlag(Enum flag)", "string ToString()", "string ToString(string format)")
NUMBER_BASE.sign(
    "string ToString()",
    "string ToString(string format)",
    "string ToString(IFormatProvider provider)",
    "string ToString(string format, IFormatProvider provider)",
    "int CompareTo(object value)",
)
_sign_number(DECIMAL, "decimal")
DECIMAL.sign("const decimal Zero", "const decimal One", "const decimal MinusOne")
BOOLEAN.sign(
    "static readonly string TrueString",
    "static readonly string FalseString",
    "static bool Parse(string value)",
    "static bool TryParse(string value, out bool result)",
    "string ToString()",
    "string ToString(IFormatProvider provider)",
    "int CompareTo(object obj)",
)
CHAR.sign(
    "const char MaxValue",
    "const char MinValue",
    "string ToString()",
    "int CompareTo(object value)",
)
CULTURE.sign(
    "new(string name)",
    "string Name { get; }",
    "string ToString()",
    "static CultureInfo CurrentCulture { get; }",
    "static CultureInfo CurrentUICulture { get; }",
    "static CultureInfo InvariantCulture { get; }",
)
COMPARER.sign(
    *(
        f"static StringComparer {n} {{ get; }}"
        for n in (
            "CurrentCulture",
            "CurrentCultureIgnoreCase",
            "InvariantCulture",
            "InvariantCultureIgnoreCase",
            "Ordinal",
            "OrdinalIgnoreCase",
        )
    ),
    "int Compare(string x, string y)",
    "bool Equals(string x, string y)",
)
GUID.sign(
    "new(string g)",
    "new()",
    "static readonly Guid Empty",
    "static Guid NewGuid()",
    "static Guid Parse(string input)",
    "static bool TryParse(string input, out Guid result)",
    "string ToString()",
    "string ToString(string format)",
    "byte[] ToByteArray()",
)

TYPES: tuple[TypeRef, ...] = (
    OBJECT,
    VALUE_TYPE,
    ENUM,
    NUMBER_BASE,
    INT32,
    INT64,
    UINT64,
    UINT32,
    INT16,
    UINT16,
    BYTE,
    SBYTE,
    DOUBLE,
    SINGLE,
    DECIMAL,
    BOOLEAN,
    CHAR,
    STRING_COMPARISON,
    SPLIT_OPTIONS,
    MIDPOINT_ROUNDING,
    NUMBER_STYLES,
    CULTURE,
    COMPARER,
    GUID,
)
"""The types this module declares, registered by ``library.load()``."""
