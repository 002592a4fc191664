"""Strings measured in UTF-16 code units, as .NET's are: a character beyond the BMP (an emoji)
is two chars, a surrogate pair (https://learn.microsoft.com/dotnet/standard/base-types/
character-encoding-introduction)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.dotnet.strings import from_units, to_units, utf16_length
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


S = '"a\\U0001F600b"'  # "a😀b": .NET Length 4


def test_lengths_indexes_and_chars() -> None:
    assert ev(f"@({S}.Length)") == 4
    assert ev('@("😀".Length)') == 2
    assert ev('@("héllo".Length)') == 5
    assert ev(f"@((int){S}[1])") == 0xD83D
    assert ev(f"@((int){S}[2])") == 0xDE00
    assert ev(f"@({S}[3].ToString())") == "b"
    assert ev(f'@({S}.IndexOf("b"))') == 3
    assert ev(f'@({S}.IndexOf("\\U0001F600"))') == 1
    assert ev(f'@({S}.LastIndexOf("a"))') == 0
    assert ev(f"@({S}.Substring(1, 2))") == "\U0001f600"
    assert ev(f"@({S}.Substring(3))") == "b"
    assert ev(f"@({S}.Substring(0, 2).Length)") == 2  # "a" and a lone high surrogate
    assert ev(f'@({S}.Insert(3, "-"))') == "a\U0001f600-b"
    assert ev(f"@({S}.Remove(1, 2))") == "ab"
    assert ev(f"@({S}.PadLeft(6, '.'))") == "..a\U0001f600b"
    assert ev(f"@({S}.ToCharArray().Length)") == 4
    assert ev(f"@({S}.Count())") == 4
    assert ev(f"@(new string({S}.ToCharArray()))") == "a\U0001f600b"
    assert ev(f"@(char.IsSurrogatePair({S}, 1))") is True
    assert ev(f"@(char.IsHighSurrogate({S}, 1))") is True
    assert ev(f"@(char.ConvertToUtf32({S}, 1))") == 0x1F600
    assert ev("@(char.ConvertFromUtf32(0x1F600).Length)") == 2
    assert ev('@("abc".Substring(1))') == "bc"  # the ASCII fast path


@given(st.text())
def test_code_units_round_trip(text: str) -> None:
    units = to_units(text)
    assert len(units) == utf16_length(text) == len(text.encode("utf-16-le")) // 2
    assert from_units(units) == text
