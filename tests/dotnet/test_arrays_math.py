"""Array's statics, the Math functions and decimal.Round, with the values .NET gives
(https://learn.microsoft.com/dotnet/api/system.array, .../system.math, .../system.decimal.round)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


def joined(body: str) -> object:
    return ev("@{ " + body + ' return string.Join(",", a); }')


def test_array_copy_resize_fill_clear() -> None:
    assert joined("var s = new[] { 1, 2, 3 }; var a = new int[5]; Array.Copy(s, a, 3);") == (
        "1,2,3,0,0"
    )
    assert joined("var s = new[] { 1, 2, 3 }; var a = new int[4]; Array.Copy(s, 1, a, 2, 2);") == (
        "0,0,2,3"
    )
    assert joined("var a = new[] { 1, 2, 3 }; Array.Resize(ref a, 5);") == "1,2,3,0,0"
    assert joined("var a = new[] { 1, 2, 3 }; Array.Resize(ref a, 2);") == "1,2"
    assert joined('var a = new[] { "x", "y" }; Array.Resize(ref a, 3);') == "x,y,"
    assert joined("var a = new int[3]; Array.Fill(a, 7);") == "7,7,7"
    assert joined("var a = new[] { 1, 2, 3, 4 }; Array.Clear(a, 1, 2);") == "1,0,0,4"
    assert joined("var a = new byte[] { 1, 2, 3 }; Array.Reverse(a);") == "3,2,1"
    with pytest.raises(ExpressionError) as info:
        ev("@{ var a = new int[2]; Array.Copy(new[] { 1, 2, 3 }, a, 3); return 0; }")
    assert info.value.exception_type == "ArgumentException"


def test_array_searching() -> None:
    xs = "new[] { 5, 8, 13, 8, 21 }"
    assert ev(f"@(Array.Find({xs}, x => x > 6))") == 8
    assert ev(f"@(Array.FindLast({xs}, x => x < 20))") == 8
    assert ev(f"@(Array.Find({xs}, x => x > 100))") == 0  # default(int)
    assert ev('@(Array.Find(new[] { "a" }, x => x == "b") == null)') is True
    assert ev(f'@(string.Join(",", Array.FindAll({xs}, x => x % 2 == 0)))') == "8,8"
    assert ev(f"@(Array.FindIndex({xs}, x => x == 8))") == 1
    assert ev(f"@(Array.FindIndex({xs}, 2, x => x == 8))") == 3
    assert ev(f"@(Array.FindLastIndex({xs}, x => x == 8))") == 3
    assert ev(f"@(Array.FindIndex({xs}, x => x == 99))") == -1
    assert ev(f"@(Array.IndexOf({xs}, 8))") == 1
    assert ev(f"@(Array.IndexOf({xs}, 8, 2))") == 3
    assert ev(f"@(Array.LastIndexOf({xs}, 8))") == 3
    assert ev(f"@(Array.LastIndexOf({xs}, 8, 2))") == 1
    assert ev(f"@(Array.Exists({xs}, x => x > 20))") is True
    assert ev(f"@(Array.TrueForAll({xs}, x => x > 4))") is True
    assert ev(f'@(string.Join(",", Array.ConvertAll({xs}, x => x * 2)))') == "10,16,26,16,42"
    assert ev("@(Array.BinarySearch(new[] { 1, 3, 5, 7 }, 5))") == 2
    assert ev("@(Array.BinarySearch(new[] { 1, 3, 5, 7 }, 4))") == ~2
    assert ev("@(Array.Empty<int>().Length)") == 0


def test_array_sorting() -> None:
    assert joined("var a = new[] { 3, 1, 2 }; Array.Sort(a);") == "1,2,3"
    assert joined("var a = new[] { 3, 1, 2 }; Array.Sort(a, (x, y) => y - x);") == "3,2,1"
    assert joined('var a = new[] { "b", "A", "a" }; Array.Sort(a, StringComparer.Ordinal);') == (
        "A,a,b"
    )
    assert joined("var a = new[] { 5, 4, 3, 2, 1 }; Array.Sort(a, 1, 3);") == "5,2,3,4,1"
    assert (
        joined('var k = new[] { 3, 1, 2 }; var a = new[] { "c", "a", "b" }; Array.Sort(k, a);')
        == "a,b,c"
    )
    assert joined("var a = new[] { 1, 2, 3, 4 }; Array.Reverse(a, 1, 2);") == "1,3,2,4"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Math.Clamp(15, 0, 10)", 10),
        ("Math.Cbrt(27.0)", 3.0),
        ("Math.Cbrt(-8.0)", -2.0),
        ("Math.Log2(1024.0)", 10.0),
        ("Math.ILogB(1024.0)", 10),
        ("Math.ILogB(0.0)", -2147483648),
        ("Math.ScaleB(1.5, 4)", 24.0),
        ("Math.BitIncrement(1.0)", 1.0000000000000002),
        ("Math.BitDecrement(1.0)", 0.9999999999999999),
        ("Math.CopySign(3.0, -0.5)", -3.0),
        ("Math.FusedMultiplyAdd(0.1, 10.0, -1.0)", 5.551115123125783e-17),
        ("Math.IEEERemainder(10.0, 3.0)", 1.0),
        ("Math.IEEERemainder(11.0, 3.0)", -1.0),
        ("Math.BigMul(int.MaxValue, int.MaxValue)", 4611686014132420609),
        ("Math.Atan2(1.0, 1.0)", math.pi / 4),
        ("Math.Tanh(0.0)", 0.0),
        ("Math.MaxMagnitude(-5.0, 3.0)", -5.0),
        ("Math.MinMagnitude(-5.0, 3.0)", 3.0),
        ("Math.Tau", 2 * math.pi),
        ("Math.Round(2.5)", 2.0),
        ("Math.Round(3.5)", 4.0),
        ("Math.Round(2.5, MidpointRounding.AwayFromZero)", 3.0),
        ("Math.Round(1.005, 2)", 1.0),
        ("decimal.Round(2.345m, 2)", Decimal("2.34")),
        ("decimal.Round(2.355m, 2)", Decimal("2.36")),
        ("decimal.Round(2.345m, 2, MidpointRounding.AwayFromZero)", Decimal("2.35")),
        ("decimal.Round(2.5m)", Decimal("2")),
        ("decimal.Round(-2.5m, MidpointRounding.AwayFromZero)", Decimal("-3")),
        ("decimal.Round(1.2345m, 3, MidpointRounding.ToZero)", Decimal("1.234")),
        ("decimal.Floor(-1.5m)", Decimal("-2")),
        ("decimal.Truncate(-1.5m)", Decimal("-1")),
        ("decimal.Round(1.000m, 2).ToString()", "1.00"),
    ],
)
def test_math_and_decimal(expression: str, expected: object) -> None:
    assert ev(f"@({expression})") == expected


def test_div_rem_and_nan_cases() -> None:
    assert ev('@{ int r; var q = Math.DivRem(-7, 2, out r); return q + "," + r; }') == "-3,-1"
    assert (
        ev("@{ long low; var high = Math.BigMul(long.MaxValue, 4L, out low); return high; }") == 1
    )
    assert math.isnan(ev("@(Math.IEEERemainder(1.0, 0.0))"))  # type: ignore[arg-type]
    assert math.isnan(ev("@(Math.Asin(2.0))"))  # type: ignore[arg-type]
    with pytest.raises(ExpressionError) as info:
        ev("@{ int r; return Math.DivRem(1, 0, out r); }")
    assert info.value.exception_type == "DivideByZeroException"
    with pytest.raises(ExpressionError) as info:
        ev("@(decimal.Round(1.5m, 29))")
    assert info.value.exception_type == "ArgumentOutOfRangeException"
