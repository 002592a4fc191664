"""DateTimeOffset keeps its offset through Parse, arithmetic and formatting, as .NET's does
(https://learn.microsoft.com/dotnet/api/system.datetimeoffset)."""

from __future__ import annotations

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


PARIS_NOON = 'DateTimeOffset.Parse("2024-07-01T12:00:00+02:00")'


def test_parse_keeps_the_offset() -> None:
    assert ev(f"@({PARIS_NOON}.Offset.ToString())") == "02:00:00"
    assert ev(f'@({PARIS_NOON}.ToString("o"))') == "2024-07-01T12:00:00.0000000+02:00"
    assert ev(f"@({PARIS_NOON}.ToString())") == "07/01/2024 12:00:00 +02:00"
    assert ev(f'@({PARIS_NOON}.UtcDateTime.ToString("o"))') == "2024-07-01T10:00:00.0000000Z"
    assert ev(f"@({PARIS_NOON}.Hour)") == 12
    assert ev(f"@({PARIS_NOON}.DateTime.Kind.ToString())") == "Unspecified"
    assert ev(f"@({PARIS_NOON}.LocalDateTime.Kind.ToString())") == "Local"
    assert ev('@(DateTimeOffset.Parse("2024-07-01T12:00:00Z").Offset == TimeSpan.Zero)') is True
    assert ev('@(DateTimeOffset.Parse("2024-07-01T12:00:00-0530").Offset.TotalMinutes)') == -330
    assert ev('@(DateTimeOffset.Parse("Mon, 01 Jul 2024 12:00:00 GMT").Hour)') == 12
    assert (
        ev('@{ DateTimeOffset d; return DateTimeOffset.TryParse("nope", out d) + "," + d.Ticks; }')
        == "False,0"
    )
    assert (
        ev(
            '@{ DateTimeOffset d; DateTimeOffset.TryParse("2024-01-02T03:04:05+01:00", out d); '
            'return d.ToString("yyyy-MM-dd HH:mm zzz"); }'
        )
        == "2024-01-02 03:04 +01:00"
    )
    assert (
        ev(
            '@(DateTimeOffset.ParseExact("2024/07/01 12:00 +02:00", "yyyy/MM/dd HH:mm zzz", null)'
            ".Offset.Hours)"
        )
        == 2
    )


def test_constructors_and_arithmetic() -> None:
    eastern = "new DateTimeOffset(2024, 7, 1, 12, 0, 0, TimeSpan.FromHours(-5))"
    assert ev(f"@({eastern}.ToUnixTimeSeconds())") == 1719853200
    assert ev(f"@({eastern}.ToUnixTimeMilliseconds())") == 1719853200000
    assert ev(f'@({eastern}.ToOffset(TimeSpan.FromHours(9)).ToString("o"))') == (
        "2024-07-02T02:00:00.0000000+09:00"
    )
    assert ev(f'@({eastern}.AddHours(13).ToString("o"))') == "2024-07-02T01:00:00.0000000-05:00"
    assert ev(f'@({eastern}.AddMonths(1).AddDays(-1).ToString("o"))') == (
        "2024-07-31T12:00:00.0000000-05:00"
    )
    assert ev(f'@({eastern}.Add(TimeSpan.FromMinutes(30)).ToString("HH:mm zzz"))') == "12:30 -05:00"
    assert ev(f'@(({eastern} + TimeSpan.FromDays(1)).ToString("yyyy-MM-dd"))') == "2024-07-02"
    assert ev(f"@(({eastern} - {PARIS_NOON}).TotalHours)") == 7.0
    assert ev(f'@({eastern}.ToUniversalTime().ToString("o"))') == (
        "2024-07-01T17:00:00.0000000+00:00"
    )
    assert (
        ev(
            "@(new DateTimeOffset(new DateTime(2024, 1, 1, 8, 0, 0), TimeSpan.FromHours(1))"
            '.ToString("o"))'
        )
        == "2024-01-01T08:00:00.0000000+01:00"
    )
    assert ev("@(new DateTimeOffset(638000000000000000, TimeSpan.Zero).Year)") == 2022
    # equality is the instant; EqualsExact also wants the same offset
    utc = 'DateTimeOffset.Parse("2024-07-01T10:00:00Z")'
    assert ev(f"@({PARIS_NOON} == {utc})") is True
    assert ev(f"@({PARIS_NOON}.EqualsExact({utc}))") is False
    assert ev(f"@(DateTimeOffset.Compare({PARIS_NOON}, {eastern}))") == -1
    # DateTime converts implicitly
    assert (
        ev(
            "@{ DateTimeOffset d = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc); "
            "return d.Offset == TimeSpan.Zero && d.Year == 2024; }"
        )
        is True
    )


@pytest.mark.parametrize(
    ("source", "exception"),
    [
        ("new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromSeconds(30))", "ArgumentException"),
        (
            "new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.FromHours(15))",
            "ArgumentOutOfRangeException",
        ),
        (
            "new DateTimeOffset(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), "
            "TimeSpan.FromHours(1))",
            "ArgumentException",
        ),
        ('DateTimeOffset.Parse("not a date")', "FormatException"),
        ("DateTimeOffset.MaxValue.AddDays(1)", "ArgumentOutOfRangeException"),
    ],
)
def test_invalid_offsets_and_ranges(source: str, exception: str) -> None:
    with pytest.raises(ExpressionError) as info:
        ev(f"@({source})")
    assert info.value.exception_type == exception
