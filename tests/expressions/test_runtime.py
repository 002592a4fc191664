"""The dispatch layer: member tables (the sandbox), operators, casts, conversions."""

from __future__ import annotations

import functools
import math
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.dotnet.primitives import Byte, Char, Int16, Int64, Single, UInt32, UInt64
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import T, call, get, idx, new, out, raises, static

# ---------------------------------------------------------------- types and dispatch


@pytest.mark.parametrize(
    ("name", "full"),
    [
        ("int", "System.Int32"),
        ("Int32", "System.Int32"),
        ("System.Int32", "System.Int32"),
        ("string", "System.String"),
        ("String", "System.String"),
        ("Regex", "System.Text.RegularExpressions.Regex"),
        ("System.Text.RegularExpressions.Regex", "System.Text.RegularExpressions.Regex"),
        ("JObject", "Newtonsoft.Json.Linq.JObject"),
        ("Newtonsoft.Json.Linq.JObject", "Newtonsoft.Json.Linq.JObject"),
        ("Encoding", "System.Text.Encoding"),
        ("System.Net.WebUtility", "System.Net.WebUtility"),
        ("List<string>", "System.Collections.Generic.List`1"),
        ("Dictionary<string, object>", "System.Collections.Generic.Dictionary`2"),
    ],
)
def test_resolve_type(name: str, full: str) -> None:
    t = rt.resolve_type(name)
    assert t is not None
    assert t.full_name == full


def test_resolve_type_unknown_and_derived() -> None:
    assert rt.resolve_type("System.IO.File") is None
    assert rt.resolve_type("Process") is None
    assert rt.resolve_type("string[]") is not None
    nullable = rt.resolve_type("int?")
    assert nullable is not None
    assert rt.default_of(nullable) is None
    assert rt.cast(nullable, None) is None
    assert rt.cast(nullable, 3) == 3


def test_resolve_type_iresponse() -> None:
    assert T("IResponse").name == "IResponse"


def test_unknown_member_is_missing_member_exception() -> None:
    e = raises("MissingMemberException", lambda: get("abc", "Foo"))
    assert e.message == "'String' does not contain a definition for 'Foo'"
    raises("MissingMemberException", lambda: call("abc", "Foo"))
    raises("MissingMemberException", lambda: rt.get_static(T("Math"), "Foo"))
    raises("MissingMemberException", lambda: static("Math", "Foo", 1))


def test_python_attributes_are_not_reachable() -> None:
    # the sandbox: Python names never resolve through an expression
    for name in ("__class__", "__dict__", "upper", "encode", "__init__", "_data"):
        raises("MissingMemberException", functools.partial(get, "abc", name))
        raises("MissingMemberException", functools.partial(call, "abc", name))
    raises("InvalidOperationException", lambda: get(object(), "Name"))
    raises("InvalidOperationException", lambda: get(time, "time"))


def test_null_receiver() -> None:
    raises("NullReferenceException", lambda: get(None, "Length"))
    raises("NullReferenceException", lambda: call(None, "ToString"))
    raises("NullReferenceException", lambda: idx(None, 0))
    raises("NullReferenceException", lambda: rt.iterate(None))
    # Nullable<T> without value
    assert get(None, "HasValue") is False
    raises("InvalidOperationException", lambda: get(None, "Value"))
    assert get(5, "HasValue") is True
    assert get(5, "Value") == 5


def test_read_only_member_assignment() -> None:
    raises("InvalidOperationException", lambda: rt.set_member("abc", "Length", 3))
    raises("MissingMemberException", lambda: rt.set_member("abc", "Nope", 3))


def test_wrong_arity() -> None:
    raises("MissingMethodException", lambda: call("abc", "Substring", 1, 2, 3))


def test_python_exceptions_are_converted() -> None:
    # a lambda raising a Python error inside a method is converted, never leaked
    def boom(x: object) -> object:
        raise ZeroDivisionError

    query = call([1, 2], "Select", boom)
    with pytest.raises(ExpressionError) as info:
        call(query, "ToArray")
    assert info.value.exception_type == "DivideByZeroException"


def test_to_string() -> None:
    assert rt.to_string(None) == ""
    assert rt.to_string(True) == "True"
    assert rt.to_string(False) == "False"
    assert rt.to_string(1.5) == "1.5"
    assert rt.to_string(1.0) == "1"
    assert rt.to_string(1e20) == "1E+20"
    assert rt.to_string(1e-5) == "1E-05"
    assert rt.to_string(0.0001) == "0.0001"
    assert rt.to_string(123456789012345.0) == "123456789012345"
    assert rt.to_string(1e15) == "1E+15"
    assert rt.to_string(-0.0) == "-0"
    assert rt.to_string(math.nan) == "NaN"
    assert rt.to_string(-math.inf) == "-Infinity"
    assert rt.to_string(0.1 + 0.2) == "0.30000000000000004"
    assert rt.to_string(Single(0.1)) == "0.1"
    assert rt.to_string(Decimal("1.50")) == "1.50"
    assert rt.to_string(Int64(5)) == "5"
    assert rt.to_string(Char("x")) == "x"
    assert rt.to_string([1]) == "System.Object[]"
    assert rt.to_string(["a"]) == "System.String[]"
    assert rt.to_string(T("RegexOptions").statics["IgnoreCase"]()) == "IgnoreCase"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_double_to_string_round_trips(x: float) -> None:
    text = rt.to_string(x)
    assert static("double", "Parse", text) == x
    assert "e" not in text


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_int_to_string_round_trips(n: int) -> None:
    assert static("int", "Parse", rt.to_string(n)) == n


# ---------------------------------------------------------------- operators


def test_string_concatenation() -> None:
    assert rt.binary("+", "a", 1) == "a1"
    assert rt.binary("+", 1, "a") == "1a"
    assert rt.binary("+", "a", True) == "aTrue"
    assert rt.binary("+", "a", None) == "a"
    assert rt.binary("+", None, "a") == "a"
    assert rt.binary("+", None, None) == ""
    assert rt.binary("+", "x=", 1.0) == "x=1"
    assert rt.binary("+", "x=", 1.5) == "x=1.5"
    assert rt.binary("+", "c", Char("d")) == "cd"


def test_string_length_limit() -> None:
    big = "x" * (1 << 19)
    s = rt.binary("+", big, big)
    assert isinstance(s, str)
    assert len(s) == 1 << 20
    raises("OutOfMemoryException", lambda: rt.binary("+", s, "y"))
    raises("OutOfMemoryException", lambda: call(big, "Replace", "x", "xyz"))
    raises("OutOfMemoryException", lambda: call("a", "PadLeft", 2**21))
    raises("OutOfMemoryException", lambda: static("String", "Join", ",", [big, big, big]))


def test_int32_arithmetic_wraps() -> None:
    assert rt.binary("+", 2**31 - 1, 1) == -(2**31)
    assert rt.binary("*", 65536, 65536) == 0
    assert rt.binary("-", -(2**31), 1) == 2**31 - 1
    assert rt.unary("-", -(2**31)) == -(2**31)
    r = rt.binary("+", Int64(2**63 - 1), 1)
    assert type(r) is Int64
    assert r == -(2**63)


def test_integer_division_and_remainder() -> None:
    assert rt.binary("/", 7, 2) == 3
    assert rt.binary("/", -7, 2) == -3
    assert rt.binary("/", 7, -2) == -3
    assert rt.binary("%", -7, 2) == -1
    assert rt.binary("%", 7, -2) == 1
    raises("DivideByZeroException", lambda: rt.binary("/", 1, 0))
    raises("DivideByZeroException", lambda: rt.binary("%", 1, 0))
    raises("OverflowException", lambda: rt.binary("/", -(2**31), -1))


def test_double_arithmetic() -> None:
    assert rt.binary("/", 1.0, 0) == math.inf
    assert rt.binary("/", -1, 0.0) == -math.inf
    assert math.isnan(rt.binary("/", 0.0, 0))  # type: ignore[arg-type]
    assert rt.binary("/", 7, 2.0) == 3.5
    assert rt.binary("%", -7.5, 2) == -1.5
    assert math.isnan(rt.binary("%", 1.0, 0))  # type: ignore[arg-type]


def test_numeric_promotion() -> None:
    assert type(rt.binary("+", 1, Int64(1))) is Int64
    assert type(rt.binary("+", 1, 1.0)) is float
    assert type(rt.binary("+", Char("a"), 1)) is int
    assert rt.binary("+", Char("a"), 1) == 98
    assert type(rt.binary("+", Byte(1), Int16(1))) is int
    assert type(rt.binary("+", UInt32(1), 1)) is Int64
    assert type(rt.binary("+", UInt64(1), UInt32(1))) is UInt64
    assert type(rt.binary("+", Single(1.5), 1)) is Single
    assert rt.binary("+", Decimal("1.1"), 2) == Decimal("3.1")
    assert rt.binary("/", Decimal(1), Decimal(3)) == Decimal("0.3333333333333333333333333333")
    raises("DivideByZeroException", lambda: rt.binary("/", Decimal(1), 0))
    raises("InvalidOperationException", lambda: rt.binary("+", Decimal(1), 1.0))


def test_equality() -> None:
    assert rt.binary("==", "a", "a") is True
    assert rt.binary("==", "a", "A") is False
    assert rt.binary("!=", "a", "b") is True
    assert rt.binary("==", 1, 1.0) is True
    assert rt.binary("==", 1, Int64(1)) is True
    assert rt.binary("==", None, None) is True
    assert rt.binary("==", "a", None) is False
    assert rt.binary("==", math.nan, math.nan) is False
    assert rt.binary("==", Char("a"), 97) is True
    assert rt.binary("==", "1", 1) is False
    a, b = new("List<int>"), new("List<int>")
    assert rt.binary("==", a, b) is False  # reference types by reference
    assert rt.binary("==", a, a) is True
    d1, d2 = new("DateTime", 2024, 1, 2), new("DateTime", 2024, 1, 2)
    assert rt.binary("==", d1, d2) is True  # value types by value
    assert (
        rt.binary(
            "==",
            static("Guid", "Parse", "00000000-0000-0000-0000-000000000001"),
            static("Guid", "Parse", "00000000000000000000000000000001"),
        )
        is True
    )


def test_comparisons() -> None:
    assert rt.binary("<", 1, 2) is True
    assert rt.binary(">=", 2.5, 2) is True
    assert rt.binary("<", math.nan, 1) is False
    assert rt.binary("<", None, 1) is False
    assert rt.binary("<", Char("a"), Char("b")) is True
    d1, d2 = new("DateTime", 2024, 1, 2), new("DateTime", 2024, 1, 3)
    assert rt.binary("<", d1, d2) is True
    ts = static("TimeSpan", "FromSeconds", 5)
    assert rt.binary(">", ts, static("TimeSpan", "FromSeconds", 4)) is True
    raises("InvalidOperationException", lambda: rt.binary("<", "a", "b"))


def test_bitwise_and_shifts() -> None:
    assert rt.binary("&", True, False) is False
    assert rt.binary("|", True, False) is True
    assert rt.binary("^", True, True) is False
    assert rt.binary("&", 12, 10) == 8
    assert rt.binary("|", 12, 3) == 15
    assert rt.binary("<<", 1, 31) == -(2**31)
    assert rt.binary("<<", 1, 32) == 1  # count masked to 5 bits
    assert rt.binary(">>", -8, 1) == -4
    assert rt.unary("~", 0) == -1
    opts = rt.binary(
        "|",
        rt.get_static(T("RegexOptions"), "IgnoreCase"),
        rt.get_static(T("RegexOptions"), "Multiline"),
    )
    assert rt.to_string(opts) == "IgnoreCase, Multiline"


def test_unary() -> None:
    assert rt.unary("!", True) is False
    assert rt.unary("-", 5) == -5
    assert rt.unary("-", 2.5) == -2.5
    assert rt.unary("+", Char("a")) == 97
    raises("InvalidOperationException", lambda: rt.unary("!", 1))
    raises("InvalidOperationException", lambda: rt.unary("-", "a"))


def test_lifted_nullable_arithmetic() -> None:
    assert rt.binary("+", None, 1) is None
    assert rt.binary("*", 2, None) is None


def test_to_bool() -> None:
    assert rt.to_bool(True) is True
    assert rt.to_bool(False) is False
    raises("InvalidCastException", lambda: rt.to_bool(1))
    raises("InvalidCastException", lambda: rt.to_bool("true"))
    raises("InvalidOperationException", lambda: rt.to_bool(None))


# ---------------------------------------------------------------- casts


def test_cast_string() -> None:
    assert rt.cast(T("string"), "a") == "a"
    assert rt.cast(T("string"), None) is None
    e = raises("InvalidCastException", lambda: rt.cast(T("string"), 5))
    assert e.message == "Unable to cast object of type 'System.Int32' to type 'System.String'."
    raises("InvalidCastException", lambda: rt.cast(T("string"), Char("a")))


def test_cast_int_unboxing_rules() -> None:
    assert rt.cast(T("int"), 5) == 5
    raises("InvalidCastException", lambda: rt.cast(T("int"), Int64(5)))  # a boxed long is no int
    raises("InvalidCastException", lambda: rt.cast(T("int"), "5"))
    raises("InvalidCastException", lambda: rt.cast(T("int"), True))
    raises("NullReferenceException", lambda: rt.cast(T("int"), None))
    # explicit numeric conversions (static source is numeric)
    assert rt.cast(T("int"), 5.9) == 5
    assert rt.cast(T("int"), -5.9) == -5
    assert rt.cast(T("int"), Decimal("7.8")) == 7
    assert rt.cast(T("int"), Char("a")) == 97
    assert rt.cast(T("int"), Byte(7)) == 7
    assert type(rt.cast(T("long"), 5)) is Int64
    assert rt.cast(T("byte"), 300) == 44
    assert rt.cast(T("char"), 97) == "a"
    assert type(rt.cast(T("double"), 3)) is float


def test_cast_bool_and_reference_types() -> None:
    assert rt.cast(T("bool"), True) is True
    raises("InvalidCastException", lambda: rt.cast(T("bool"), 1))
    j = static("JObject", "Parse", "{}")
    assert rt.cast(T("JObject"), j) is j
    assert rt.cast(T("JToken"), j) is j
    raises("InvalidCastException", lambda: rt.cast(T("JArray"), j))
    raises("InvalidCastException", lambda: rt.cast(T("IResponse"), "x"))
    assert rt.cast(T("object"), 5) == 5


def test_is_instance_and_default() -> None:
    assert rt.is_instance(T("string"), "a")
    assert not rt.is_instance(T("string"), None)
    assert not rt.is_instance(T("string"), Char("a"))
    assert rt.is_instance(T("int"), 1)
    assert not rt.is_instance(T("int"), True)
    assert not rt.is_instance(T("int"), Int64(1))
    assert rt.is_instance(T("object"), 1)
    assert rt.is_instance(T("IEnumerable"), "abc")
    assert rt.is_instance(T("IEnumerable"), [1])
    assert not rt.is_instance(T("IEnumerable"), 1)
    assert rt.default_of(T("int")) == 0
    assert rt.default_of(T("bool")) is False
    assert rt.default_of(T("string")) is None
    assert rt.default_of(T("DateTime")) == new("DateTime", 1, 1, 1)
    assert rt.default_of(T("double")) == 0.0


def test_new_array() -> None:
    assert rt.new_array(None, ["a", "b"]) == ["a", "b"]
    assert rt.new_array(T("string"), ["a"]) == ["a"]
    longs = rt.new_array(T("long"), [1, 2])
    assert [type(x) for x in longs] == [Int64, Int64]  # type: ignore[attr-defined]
    assert rt.new_array(T("byte"), [1, 255]) == b"\x01\xff"
    raises("InvalidCastException", lambda: rt.new_array(T("string"), [1]))


def test_out_ref_and_iterate() -> None:
    d = new("Dictionary<string,string>")
    rt.set_index(d, ["k"], "v")
    ref = out()
    assert call(d, "TryGetValue", "k", ref) is True
    assert ref.value == "v"
    pairs = list(rt.iterate(d))
    assert [(get(p, "Key"), get(p, "Value")) for p in pairs] == [("k", "v")]
    assert list(rt.iterate("ab")) == ["a", "b"]
    raises("InvalidOperationException", lambda: rt.iterate(5))


def test_clock_contextvar() -> None:
    token = rt.CLOCK.set(lambda: 86400.0)
    try:
        now = rt.get_static(T("DateTime"), "UtcNow")
        assert rt.to_string(now) == "01/02/1970 00:00:00"
    finally:
        rt.CLOCK.reset(token)


def test_dispatch_is_fast_enough() -> None:
    # get_member on the hot path is two dict lookups plus the getter
    s = "abcdef"
    start = time.perf_counter()
    for _ in range(20000):
        rt.get_member(s, "Length")
    per_call = (time.perf_counter() - start) / 20000
    assert per_call < 20e-6
