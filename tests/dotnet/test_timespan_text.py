"""TimeSpan.Parse, TryParse and ParseExact read what .NET reads (invariant culture).

Expected values are .NET's: the table of TimeSpan.TryParse's documented example (dotnet/docs,
"TimeSpan.TryParse" sample, its printed output) and the forms of the Parse page
(https://learn.microsoft.com/dotnet/api/system.timespan.parse)."""

from __future__ import annotations

import pytest

from aiohttp_apim.dotnet.dates import TimeSpanStyles
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import call, get, out, raises, static

# input -> ToString() of TimeSpan.TryParse's result, None where it returns false
DOCUMENTED = [
    ("0", "00:00:00"),
    ("14", "14.00:00:00"),
    ("1:2:3", "01:02:03"),
    ("0:0:0.250", "00:00:00.2500000"),
    ("10.20:30:40.50", "10.20:30:40.5000000"),
    ("99.23:59:59.9999999", "99.23:59:59.9999999"),
    ("0023:0059:0059.0099", "23:59:59.0099000"),
    ("23:0:0", "23:00:00"),
    ("24:0:0", None),
    ("0:59:0", "00:59:00"),
    ("0:60:0", None),
    ("0:0:59", "00:00:59"),
    ("0:0:60", None),
    ("10:", None),
    ("10:0", "10:00:00"),
    (":10", None),
    ("0:10", "00:10:00"),
    ("10:20:", None),
    ("10:20:0", "10:20:00"),
    (".123", None),
    ("0.12:00", "12:00:00"),
    ("10.", None),
    ("10.12", None),
    ("10.12:00", "10.12:00:00"),
    # the Parse page's examples (invariant culture)
    ("6", "6.00:00:00"),
    ("6:12", "06:12:00"),
    ("6:12:14", "06:12:14"),
    ("6:12:14:45", "6.12:14:45"),
    ("6.12:14:45", "6.12:14:45"),
    ("6:12:14:45.3448", "6.12:14:45.3448000"),
    ("6:12:14:45,3448", None),
    ("6:34:14:45", None),
    # the cases, signs and white space
    ("00:05:00", "00:05:00"),
    ("01:30:00", "01:30:00"),
    ("-01:30", "-01:30:00"),
    ("  -1.02:03:04.5  ", "-1.02:03:04.5000000"),
    ("10675199.02:48:05.4775807", "10675199.02:48:05.4775807"),
    ("10675200", None),
    ("0:0:0.12345678", None),
    ("1:2:3.", None),
    ("abc", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), DOCUMENTED)
def test_try_parse_reads_what_dotnet_reads(text: str, expected: str | None) -> None:
    result = out()
    ok = static("TimeSpan", "TryParse", text, result)
    assert ok is (expected is not None)
    if expected is not None:
        assert rt.to_string(result.value) == expected
    else:
        assert get(result.value, "Ticks") == 0


def test_parse_of_minutes_is_minutes() -> None:
    assert get(static("TimeSpan", "Parse", "00:05:00"), "TotalMinutes") == 5.0
    assert get(static("TimeSpan", "Parse", "01:30:00"), "TotalMinutes") == 90.0


def test_parse_fails_with_dotnets_exceptions() -> None:
    # a component out of range overflows; a shape that is no TimeSpan is a format error
    raises("OverflowException", lambda: static("TimeSpan", "Parse", "24:00:00"))
    raises("OverflowException", lambda: static("TimeSpan", "Parse", "0:60"))
    raises("OverflowException", lambda: static("TimeSpan", "Parse", "1:0:0.12345678"))
    raises("OverflowException", lambda: static("TimeSpan", "Parse", "9" * 5000))
    raises("FormatException", lambda: static("TimeSpan", "Parse", "10.12"))
    raises("FormatException", lambda: static("TimeSpan", "Parse", "1h"))
    raises("ArgumentNullException", lambda: static("TimeSpan", "Parse", None))


def test_parse_exact_standard_and_custom_formats() -> None:
    def exact(text: str, fmt: object, *rest: object) -> str:
        return str(rt.to_string(static("TimeSpan", "ParseExact", text, fmt, None, *rest)))

    assert exact("17:14:48", "c") == "17:14:48"
    assert exact("1.17:14:48.153", "c") == "1.17:14:48.1530000"
    raises("FormatException", lambda: exact("17:14", "c"))
    assert exact("17:14", "g") == "17:14:00"
    assert exact("1:2:03:04.5", "G") == "1.02:03:04.5000000"
    assert exact("17:14:48", "hh\\:mm\\:ss") == "17:14:48"
    assert exact("05:30", "mm\\:ss") == "00:05:30"
    assert exact("3", "%h") == "03:00:00"
    assert exact("12 14", "hh' 'mm") == "12:14:00"
    assert exact("2.03:04", "d\\.hh\\:mm") == "2.03:04:00"
    assert exact("03:04:05.12", "hh\\:mm\\:ss\\.ff") == "03:04:05.1200000"
    assert exact("05:30", ["hh\\:mm\\:ss", "mm\\:ss"]) == "00:05:30"
    assert exact("05:30", "mm\\:ss", TimeSpanStyles.AssumeNegative) == "-00:05:30"
    raises("FormatException", lambda: exact("5:30", "mm\\:ss"))
    raises("OverflowException", lambda: exact("61:00", "mm\\:ss"))
    result = out()
    assert static("TimeSpan", "TryParseExact", "1:2", "hh\\:mm", None, result) is False
    assert static("TimeSpan", "TryParseExact", "01:02", "hh\\:mm", None, result) is True
    assert rt.to_string(result.value) == "01:02:00"


def test_parse_and_to_string_round_trip() -> None:
    for text in ("00:00:00", "-00:00:00.0000001", "1.00:00:00", "23:59:59.9999999"):
        value = static("TimeSpan", "Parse", text)
        assert call(value, "ToString") == text
        assert call(value, "ToString", "c") == text
