"""DateTime, TimeSpan and DateTimeOffset."""

from __future__ import annotations

from aiohttp_apim.dotnet.primitives import Int64
from aiohttp_apim.expressions import runtime as rt
from tests.dotnet.netkit import T, call, get, new, out, raises, static

DT = "DateTime"


def test_default_and_custom_formats() -> None:
    d = new(DT, 2024, 1, 2, 3, 4, 5, 678)
    assert rt.to_string(d) == "01/02/2024 03:04:05"
    assert call(d, "ToString", "o") == "2024-01-02T03:04:05.6780000"
    assert call(d, "ToString", "s") == "2024-01-02T03:04:05"
    assert call(d, "ToString", "u") == "2024-01-02 03:04:05Z"
    assert call(d, "ToString", "R") == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert call(d, "ToString", "yyyy-MM-ddTHH:mm:ss.fffZ") == "2024-01-02T03:04:05.678Z"
    assert call(d, "ToString", "dddd, MMMM d, yy h:mm tt") == "Tuesday, January 2, 24 3:04 AM"
    assert call(d, "ToString", "HH\\:mm 'h'") == "03:04 h"
    utc = static(DT, "SpecifyKind", d, rt.get_static(T("DateTimeKind"), "Utc"))
    assert call(utc, "ToString", "o") == "2024-01-02T03:04:05.6780000Z"
    assert call(utc, "ToString", "yyyy-MM-ddTHH:mm:ss.FFFK") == "2024-01-02T03:04:05.678Z"
    raises("FormatException", lambda: call(d, "ToString", "Q"))


def test_parts_and_arithmetic() -> None:
    d = new(DT, 2024, 1, 31, 23, 0, 0)
    assert (get(d, "Year"), get(d, "Month"), get(d, "Day"), get(d, "Hour")) == (2024, 1, 31, 23)
    assert rt.to_string(get(d, "DayOfWeek")) == "Wednesday"
    assert rt.to_string(call(d, "AddMonths", 1)) == "02/29/2024 23:00:00"
    assert rt.to_string(call(d, "AddHours", 2)) == "02/01/2024 01:00:00"
    assert rt.to_string(call(d, "AddDays", -0.5)) == "01/31/2024 11:00:00"
    assert rt.to_string(get(d, "Date")) == "01/31/2024 00:00:00"
    assert type(get(d, "Ticks")) is Int64
    later = call(d, "AddSeconds", 90)
    span = rt.binary("-", later, d)
    assert get(span, "TotalSeconds") == 90.0
    assert rt.to_string(span) == "00:01:30"
    assert rt.binary("==", rt.binary("+", d, span), later) is True
    assert rt.binary("<", d, later) is True
    assert rt.to_string(call(later, "Subtract", d)) == "00:01:30"
    raises("ArgumentOutOfRangeException", lambda: new(DT, 2024, 2, 30))
    raises(
        "ArgumentOutOfRangeException", lambda: call(rt.get_static(T(DT), "MaxValue"), "AddDays", 1)
    )


def test_now_reads_the_clock() -> None:
    token = rt.CLOCK.set(lambda: 1704164645.5)  # 2024-01-02T03:04:05.5Z
    try:
        now = rt.get_static(T(DT), "UtcNow")
        assert call(now, "ToString", "o") == "2024-01-02T03:04:05.5000000Z"
        assert rt.to_string(get(now, "Kind")) == "Utc"
        assert rt.to_string(rt.get_static(T(DT), "Today")) == "01/02/2024 00:00:00"
        local = rt.get_static(T(DT), "Now")
        assert rt.to_string(get(local, "Kind")) == "Local"
        assert rt.to_string(call(local, "ToUniversalTime")) == rt.to_string(now)
        dto = rt.get_static(T("DateTimeOffset"), "UtcNow")
        assert call(dto, "ToUnixTimeSeconds") == 1704164645
    finally:
        rt.CLOCK.reset(token)


def test_parse() -> None:
    d = static(DT, "Parse", "2024-01-02T03:04:05Z")
    assert rt.to_string(d) == "01/02/2024 03:04:05"
    assert static(DT, "Parse", "2024-01-02T05:04:05+02:00") == d
    assert rt.to_string(static(DT, "Parse", "01/02/2024 3:04 PM")) == "01/02/2024 15:04:00"
    assert rt.to_string(static(DT, "Parse", "Tue, 02 Jan 2024 03:04:05 GMT")) == rt.to_string(d)
    assert rt.to_string(static(DT, "Parse", "2024-01-02")) == "01/02/2024 00:00:00"
    raises("FormatException", lambda: static(DT, "Parse", "soon"), "not recognized")
    ref = out()
    assert static(DT, "TryParse", "nope", ref) is False
    exact = static(DT, "ParseExact", "02.01.2024 03:04", "dd.MM.yyyy HH:mm", None)
    assert rt.to_string(exact) == "01/02/2024 03:04:00"
    raises("FormatException", lambda: static(DT, "ParseExact", "2024", "dd.MM.yyyy", None))


def test_timespan() -> None:
    ts = static("TimeSpan", "FromSeconds", 3661.5)
    assert rt.to_string(ts) == "01:01:01.5000000"
    assert (get(ts, "Hours"), get(ts, "Minutes"), get(ts, "Seconds"), get(ts, "Milliseconds")) == (
        1,
        1,
        1,
        500,
    )
    assert get(ts, "TotalMinutes") == 3661.5 / 60
    assert rt.to_string(static("TimeSpan", "FromDays", 1.5)) == "1.12:00:00"
    assert rt.to_string(new("TimeSpan", 1, 2, 3)) == "01:02:03"
    assert rt.to_string(rt.unary("-", static("TimeSpan", "FromMinutes", 1))) == "-00:01:00"
    assert call(static("TimeSpan", "FromMinutes", 90), "ToString", "hh\\:mm") == "01:30"
    assert rt.to_string(static("TimeSpan", "Parse", "1.02:03:04")) == "1.02:03:04"
    assert rt.to_string(rt.binary("*", static("TimeSpan", "FromSeconds", 2), 1.5)) == "00:00:03"
    raises("OverflowException", lambda: static("TimeSpan", "FromDays", 1e20))
    raises("ArgumentException", lambda: static("TimeSpan", "FromSeconds", float("nan")))
