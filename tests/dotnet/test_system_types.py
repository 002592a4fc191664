"""TimeZoneInfo, IPAddress, StringReader/StringWriter, Queue<T> and Stack<T>, with the values
.NET gives (time zone rules from the tz database, as .NET reads them on Linux; Windows ids mapped
through CLDR as .NET 6+ maps them)."""

from __future__ import annotations

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


def error(source: str) -> str:
    with pytest.raises(ExpressionError) as info:
        ev(source)
    return info.value.exception_type


TZ = 'TimeZoneInfo.FindSystemTimeZoneById("{}")'


@pytest.mark.parametrize("zone", ["Pacific Standard Time", "America/Los_Angeles"])
def test_conversions_by_windows_and_iana_id(zone: str) -> None:
    tz = TZ.format(zone)
    summer = "new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Utc)"
    winter = "new DateTime(2024, 1, 15, 12, 0, 0, DateTimeKind.Utc)"
    assert ev(f'@(TimeZoneInfo.ConvertTimeFromUtc({summer}, {tz}).ToString("s"))') == (
        "2024-07-01T05:00:00"
    )
    assert ev(f'@(TimeZoneInfo.ConvertTimeFromUtc({winter}, {tz}).ToString("s"))') == (
        "2024-01-15T04:00:00"
    )
    assert ev(f"@(TimeZoneInfo.ConvertTimeFromUtc({summer}, {tz}).Kind)") == ev(
        "@(DateTimeKind.Unspecified)"
    )
    assert ev(f"@({tz}.Id)") == zone
    assert ev(f"@({tz}.BaseUtcOffset.ToString())") == "-08:00:00"
    assert ev(f"@({tz}.GetUtcOffset(new DateTime(2024, 7, 1)).ToString())") == "-07:00:00"
    assert ev(f"@({tz}.IsDaylightSavingTime(new DateTime(2024, 7, 1)))") is True
    assert ev(f"@({tz}.SupportsDaylightSavingTime)") is True
    assert ev(f"@({tz}.StandardName)") == "Pacific Standard Time"
    assert ev(f"@({tz}.DaylightName)") == "Pacific Daylight Time"


def test_conversions_to_utc_and_between_zones() -> None:
    tokyo = TZ.format("Tokyo Standard Time")
    eastern = TZ.format("Eastern Standard Time")
    paris = TZ.format("Europe/Paris")
    local = "new DateTime(2024, 1, 15, 9, 0, 0)"
    assert ev(f'@(TimeZoneInfo.ConvertTimeToUtc({local}, {tokyo}).ToString("o"))') == (
        "2024-01-15T00:00:00.0000000Z"
    )
    assert ev(f'@(TimeZoneInfo.ConvertTime({local}, {tokyo}, {paris}).ToString("s"))') == (
        "2024-01-15T01:00:00"
    )
    assert (
        ev(
            "@(TimeZoneInfo.ConvertTime(new DateTimeOffset(2024, 7, 1, 12, 0, 0, TimeSpan.Zero), "
            f'{paris}).ToString("o"))'
        )
        == "2024-07-01T14:00:00.0000000+02:00"
    )
    assert (
        ev(
            "@(TimeZoneInfo.ConvertTimeBySystemTimeZoneId(new DateTime(2024, 7, 1, 12, 0, 0, "
            'DateTimeKind.Utc), "W. Europe Standard Time").Hour)'
        )
        == 14
    )
    # a local time skipped by the spring change is invalid; a repeated one is standard time
    spring = "new DateTime(2024, 3, 10, 2, 30, 0)"
    assert error(f"@(TimeZoneInfo.ConvertTimeToUtc({spring}, {eastern}))") == "ArgumentException"
    assert ev(f"@({eastern}.IsInvalidTime({spring}))") is True
    autumn = "new DateTime(2024, 11, 3, 1, 30, 0)"
    assert ev(f"@({eastern}.IsAmbiguousTime({autumn}))") is True
    assert ev(f"@(TimeZoneInfo.ConvertTimeToUtc({autumn}, {eastern}).Hour)") == 6
    # a UTC DateTime cannot come from another zone
    assert (
        error(
            "@(TimeZoneInfo.ConvertTimeToUtc(new DateTime(2024, 1, 1, 0, 0, 0, "
            f"DateTimeKind.Utc), {eastern}))"
        )
        == "ArgumentException"
    )


def test_utc_local_and_lookups() -> None:
    assert ev("@(TimeZoneInfo.Utc.Id)") == "UTC"
    assert ev("@(TimeZoneInfo.Local.BaseUtcOffset == TimeSpan.Zero)") is True
    assert ev("@(TimeZoneInfo.Utc.DisplayName)") == "(UTC) Coordinated Universal Time"
    assert ev(f"@({TZ.format('India Standard Time')}.BaseUtcOffset.ToString())") == "05:30:00"
    assert ev(f"@({TZ.format('Asia/Kolkata')}.DisplayName)") == "(UTC+05:30) Asia/Kolkata"
    assert error(f"@({TZ.format('Mars/Olympus')})") == "TimeZoneNotFoundException"
    assert error(f"@({TZ.format('../etc/passwd')})") == "TimeZoneNotFoundException"
    assert (
        ev(
            '@{ string id; return TimeZoneInfo.TryConvertIanaIdToWindowsId("America/New_York", '
            "out id) ? id : null; }"
        )
        == "Eastern Standard Time"
    )
    assert (
        ev(
            '@{ string id; return TimeZoneInfo.TryConvertWindowsIdToIanaId("Romance Standard Time", '
            "out id) ? id : null; }"
        )
        == "Europe/Paris"
    )
    assert ev("@(TimeZoneInfo.GetSystemTimeZones().Count > 300)") is True


def test_ip_addresses() -> None:
    assert ev('@(string.Join(",", IPAddress.Parse("192.168.1.10").GetAddressBytes()))') == (
        "192,168,1,10"
    )
    assert ev('@(IPAddress.Parse("192.168.1.10").AddressFamily.ToString())') == "InterNetwork"
    assert ev('@(IPAddress.Parse("::1").AddressFamily.ToString())') == "InterNetworkV6"
    assert ev('@(IPAddress.IsLoopback(IPAddress.Parse("::1")))') is True
    assert ev('@(IPAddress.IsLoopback(IPAddress.Parse("127.0.0.2")))') is True
    assert ev('@(IPAddress.IsLoopback(IPAddress.Parse("10.0.0.1")))') is False
    assert ev('@(IPAddress.Parse("2001:0db8:0000:0000:0000:0000:0000:0001").ToString())') == (
        "2001:db8::1"
    )
    assert ev('@(IPAddress.Parse("192.168.1.10").MapToIPv6().ToString())') == (
        "::ffff:192.168.1.10"
    )
    assert ev('@(IPAddress.Parse("::ffff:10.0.0.1").MapToIPv4().ToString())') == "10.0.0.1"
    assert ev('@(IPAddress.Parse("::ffff:10.0.0.1").IsIPv4MappedToIPv6)') is True
    assert ev('@(IPAddress.Parse("fe80::1%12").ScopeId)') == 12
    assert ev('@(IPAddress.Parse("fe80::1%12").ToString())') == "fe80::1%12"
    assert ev('@(IPAddress.Parse("[::1]").ToString())') == "::1"
    assert ev('@(IPAddress.Parse("127.1").ToString())') == "127.0.0.1"
    assert ev("@(new IPAddress(0x0100007F).ToString())") == "127.0.0.1"
    assert ev('@(new IPAddress(new byte[] { 10, 0, 0, 1 }).Equals(IPAddress.Parse("10.0.0.1")))')
    assert ev("@(IPAddress.HostToNetworkOrder(1))") == 16777216
    assert ev("@(IPAddress.Loopback.ToString())") == "127.0.0.1"
    assert ev("@(IPAddress.IPv6Any.ToString())") == "::"
    assert error('@(IPAddress.Parse("256.1.1.1"))') == "FormatException"
    assert error('@(IPAddress.Parse("1.2.3.4 x"))') == "FormatException"
    assert (
        ev('@{ IPAddress ip; return IPAddress.TryParse("nope", out ip) || ip != null; }') is False
    )
    assert (
        ev('@{ IPAddress ip; return IPAddress.TryParse("10.1.2.3", out ip) ? ip.ToString() : ""; }')
        == "10.1.2.3"
    )


def test_string_reader_and_writer() -> None:
    assert (
        ev(
            '@{ var r = new StringReader("a\\r\\nb\\nc"); var lines = new List<string>(); string l; '
            'while ((l = r.ReadLine()) != null) { lines.Add(l); } return string.Join("|", lines); }'
        )
        == "a|b|c"
    )
    assert (
        ev(
            '@{ var r = new StringReader("xy"); var p = r.Peek(); var a = r.Read(); '
            'return p + "," + a + "," + (char)r.Read() + "," + r.Read() + "," + r.ReadToEnd(); }'
        )
        == "120,120,y,-1,"
    )
    assert ev('@{ var r = new StringReader("abc"); r.Read(); return r.ReadToEnd(); }') == "bc"
    assert (
        ev(
            '@{ var w = new StringWriter(); w.Write("x"); w.WriteLine(1); w.Write("{0}-{1}", 2, 3); '
            "w.Write('c'); w.Write(true); return w.ToString(); }"
        )
        == "x1\n2-3cTrue"
    )
    assert (
        ev(
            '@{ var sb = new StringBuilder("s:"); var w = new StringWriter(sb); w.Write("t"); '
            "return sb.ToString() + w.GetStringBuilder().Length; }"
        )
        == "s:t3"
    )
    assert error('@{ var r = new StringReader("a"); r.Dispose(); return r.Read(); }') == (
        "ObjectDisposedException"
    )


def test_queue_and_stack() -> None:
    assert (
        ev(
            "@{ var q = new Queue<int>(); q.Enqueue(1); q.Enqueue(2); q.Enqueue(3); "
            'var first = q.Dequeue(); return first + "," + q.Peek() + "," + q.Count + "," + '
            'string.Join(":", q.ToArray()) + "," + string.Join(":", q); }'
        )
        == "1,2,2,2:3,2:3"
    )
    assert (
        ev(
            '@{ var s = new Stack<string>(); s.Push("a"); s.Push("b"); s.Push("c"); '
            'var top = s.Pop(); return top + "," + s.Peek() + "," + string.Join(":", s) + "," + '
            'string.Join(":", s.ToArray()) + "," + s.Contains("a"); }'
        )
        == "c,b,b:a,b:a,True"
    )
    assert (
        ev(
            "@{ var s = new Stack<int>(new[] { 1, 2, 3 }); var q = new Queue<int>(new[] { 1, 2, 3 });"
            ' return s.Pop() + "," + q.Dequeue(); }'
        )
        == "3,1"
    )
    assert (
        ev(
            "@{ var q = new Queue<int>(); int x; var ok = q.TryDequeue(out x); "
            'q.Enqueue(7); return ok + "," + q.TryPeek(out x) + "," + x; }'
        )
        == "False,True,7"
    )
    with pytest.raises(ExpressionError) as info:
        ev("@(new Queue<int>().Dequeue())")
    assert info.value.message == "Queue empty."
    with pytest.raises(ExpressionError) as info:
        ev("@(new Stack<int>().Pop())")
    assert (info.value.exception_type, info.value.message) == (
        "InvalidOperationException",
        "Stack empty.",
    )
    assert ev("@(new Queue<int>(new[] { 3, 1, 2 }).OrderBy(x => x).First())") == 1
