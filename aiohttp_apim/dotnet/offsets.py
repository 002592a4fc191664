"""System.DateTimeOffset: a clock time and its offset from UTC, kept through parsing,
arithmetic and formatting. Equality and ordering compare the UTC instant (``EqualsExact`` the
clock and the offset too). The gateway's local offset is zero (UTC, as on Azure)."""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.dotnet.dates import (
    EPOCH_TICKS,
    MAX_TICKS,
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    TICKS_PER_MS,
    TICKS_PER_SECOND,
    DateTime,
    DateTimeKind,
    DateTimeOffset,
    DateTimeStyles,
    DayOfWeek,
    TimeSpan,
)
from aiohttp_apim.dotnet.primitives import Int64
from aiohttp_apim.errors import ExpressionError

__all__ = ["DTO", "make_offset"]

_MAX_OFFSET = 14 * TICKS_PER_HOUR


def _offset(v: object) -> int:
    if not isinstance(v, TimeSpan):
        raise ExpressionError("ArgumentException", "Argument 'offset': expected a TimeSpan")
    if v.ticks % TICKS_PER_MINUTE:
        raise ExpressionError(
            "ArgumentException", "Offset must be specified in whole minutes. (Parameter 'offset')"
        )
    if abs(v.ticks) > _MAX_OFFSET:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Offset must be within plus or minus 14 hours. (Parameter 'offset')",
        )
    return v.ticks


def make_offset(clock: int, offset: int) -> DateTimeOffset:
    """A DateTimeOffset whose clock and UTC instant are both representable."""
    if not 0 <= clock - offset <= MAX_TICKS:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "The UTC time represented when the offset is applied must be between year 0 and "
            "10,000. (Parameter 'offset')",
        )
    if not 0 <= clock <= MAX_TICKS:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "The added or subtracted value results in an un-representable DateTime. "
            "(Parameter 'value')",
        )
    return DateTimeOffset(clock, offset)


def from_datetime(v: DateTime) -> DateTimeOffset:
    """The implicit DateTime -> DateTimeOffset conversion (local and unspecified: offset 0)."""
    return make_offset(v.ticks, 0)


def _ctor(a: Sequence[object], t: Sequence[TypeRef]) -> DateTimeOffset:
    arity("DateTimeOffset", ".ctor", a, 1, 2, 7, 8)
    first = a[0]
    if len(a) <= 2 and isinstance(first, DateTime):
        if len(a) == 1:
            return from_datetime(first)
        offset = _offset(a[1])
        if first.kind == DateTimeKind.Utc and offset:
            raise ExpressionError(
                "ArgumentException",
                "The UTC Offset for Utc DateTime instances must be 0. (Parameter 'offset')",
            )
        if first.kind == DateTimeKind.Local and offset:
            raise ExpressionError(
                "ArgumentException",
                "The UTC Offset of the local dateTime parameter does not match the offset "
                "argument. (Parameter 'offset')",
            )
        return make_offset(first.ticks, offset)
    if len(a) == 2:
        return make_offset(strings._int_arg(first, "ticks"), _offset(a[1]))
    if len(a) == 1:
        raise ExpressionError("ArgumentException", "Argument 'dateTime': expected a DateTime")
    parts = [strings._int_arg(x, "value") for x in a[:-1]]
    ms = parts[6] if len(parts) == 7 else 0
    if not 0 <= ms < 1000:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Valid values are between 0 and 999, inclusive. (Parameter 'millisecond')",
        )
    y, mo, d, h, mi, s = parts[:6]  # (arity: 7 or 8 arguments)
    clock = dates.make_datetime(y, mo, d, h, mi, s, frac=ms * TICKS_PER_MS)
    return make_offset(clock.ticks, _offset(a[-1]))


def _from_unix(scale: int) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> DateTimeOffset:
        arity("DateTimeOffset", "FromUnixTime", a, 1)
        ticks = EPOCH_TICKS + strings._int_arg(a[0], "seconds") * scale
        if not 0 <= ticks <= MAX_TICKS:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Valid values are between -62135596800 and "
                "253402300799, inclusive. (Parameter 'seconds')",
            )
        return DateTimeOffset(ticks, 0)

    return impl


def parse(s: object, styles: int = 0) -> DateTimeOffset:
    """``DateTimeOffset.Parse``: the written offset kept; none written is the local one (0)."""
    local, zone = dates.parse_datetime_parts(s)
    return _with_offset(local, zone, styles)


def _with_offset(local: DateTime, zone: int | None, styles: int) -> DateTimeOffset:
    offset = 0 if zone is None else zone
    value = make_offset(local.ticks, offset)
    if styles & DateTimeStyles.AdjustToUniversal:
        return DateTimeOffset(value.ticks - value.offset, 0)
    return value


def _parse(a: Sequence[object], t: Sequence[TypeRef]) -> DateTimeOffset:
    arity("DateTimeOffset", "Parse", a, 1, 2, 3)
    return parse(a[0], dates.styles_of(a))


def _try_parse(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("DateTimeOffset", "TryParse", a, 2, 4)
    try:
        dotnet.set_out(a, len(a) - 1, parse(a[0], dates.styles_of(a)))
    except ExpressionError:
        dotnet.set_out(a, len(a) - 1, DateTimeOffset(0, 0))
        return False
    return True


def _exact(a: Sequence[object]) -> DateTimeOffset:
    local, zone = dates.parse_exact_parts(a[0], dates._formats(a[1]), dates.styles_of(a))
    return _with_offset(local, zone, dates.styles_of(a))


def _parse_exact(a: Sequence[object], t: Sequence[TypeRef]) -> DateTimeOffset:
    arity("DateTimeOffset", "ParseExact", a, 3, 4)
    if a[1] is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'format')")
    return _exact(a)


def _try_parse_exact(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("DateTimeOffset", "TryParseExact", a, 5)
    try:
        dotnet.set_out(a, len(a) - 1, _exact(a[:-1]))
    except ExpressionError:
        dotnet.set_out(a, len(a) - 1, DateTimeOffset(0, 0))
        return False
    return True


def _clock(v: DateTimeOffset) -> DateTime:
    return DateTime(v.ticks)


def _add_unit(scale: int, name: str) -> clr.Method:
    """AddDays/AddHours/...: DateTime's on the clock time, the offset kept."""
    add = dates._add_unit(scale, name)

    def impl(v: DateTimeOffset, a: Sequence[object], t: Sequence[TypeRef]) -> DateTimeOffset:
        moved = add(DateTime(v.ticks), a, t)
        assert isinstance(moved, DateTime)
        return make_offset(moved.ticks, v.offset)

    return impl


def _add_months(v: DateTimeOffset, months: int) -> DateTimeOffset:
    moved = dates._add_months(DateTime(v.ticks), months)
    return make_offset(moved.ticks, v.offset)


def _subtract(v: DateTimeOffset, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("DateTimeOffset", "Subtract", a, 1)
    x = a[0]
    if isinstance(x, DateTimeOffset):
        return TimeSpan((v.ticks - v.offset) - (x.ticks - x.offset))
    if isinstance(x, TimeSpan):
        return make_offset(v.ticks - x.ticks, v.offset)
    raise ExpressionError(
        "ArgumentException", "Argument 1 of 'Subtract': expected DateTimeOffset or TimeSpan"
    )


def _to_offset(v: DateTimeOffset, a: Sequence[object], t: Sequence[TypeRef]) -> DateTimeOffset:
    arity("DateTimeOffset", "ToOffset", a, 1)
    offset = _offset(a[0])
    return make_offset(v.ticks - v.offset + offset, offset)


def _to_string(v: DateTimeOffset, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("DateTimeOffset", "ToString", a, 0, 1, 2)
    fmt = a[0] if a and isinstance(a[0], str) else None
    return dates.format_datetime(DateTime(v.ticks), fmt, v.offset)


def _compare(a: object, b: object) -> int:
    if not isinstance(a, DateTimeOffset) or not isinstance(b, DateTimeOffset):
        raise ExpressionError("ArgumentException", "Object must be of type DateTimeOffset.")
    x, y = a.ticks - a.offset, b.ticks - b.offset
    return (x > y) - (x < y)


def _convert(v: object) -> DateTimeOffset:
    if isinstance(v, DateTimeOffset):
        return v
    if isinstance(v, DateTime):
        return from_datetime(v)
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(v, full=True)}' to type "
        "'System.DateTimeOffset'.",
    )


DTO = declare(
    "DateTimeOffset",
    "System.DateTimeOffset",
    (DateTimeOffset,),
    bases=(dotnet.VALUE_TYPE,),
    value_type=True,
    default=DateTimeOffset(0, 0),
)
DTO.construct = _ctor
DTO.convert = _convert
DTO.implicit = True  # C#'s implicit DateTime -> DateTimeOffset
DTO.statics.update(
    {
        "UtcNow": lambda: DateTimeOffset(dates.now_ticks(), 0),
        "Now": lambda: DateTimeOffset(dates.now_ticks(), 0),
        "MinValue": lambda: DateTimeOffset(0, 0),
        "MaxValue": lambda: DateTimeOffset(MAX_TICKS, 0),
        "UnixEpoch": lambda: DateTimeOffset(EPOCH_TICKS, 0),
    }
)
DTO.static_methods.update(
    {
        "FromUnixTimeSeconds": _from_unix(TICKS_PER_SECOND),
        "FromUnixTimeMilliseconds": _from_unix(TICKS_PER_MS),
        "Parse": _parse,
        "TryParse": _try_parse,
        "ParseExact": _parse_exact,
        "TryParseExact": _try_parse_exact,
        "Compare": lambda a, t: (arity("DateTimeOffset", "Compare", a, 2), _compare(a[0], a[1]))[1],
        "Equals": lambda a, t: (
            arity("DateTimeOffset", "Equals", a, 2),
            _compare(a[0], a[1]) == 0,
        )[1],
    }
)
DTO.members.update(
    {
        "UtcDateTime": lambda v: DateTime(v.ticks - v.offset, DateTimeKind.Utc),
        "DateTime": _clock,
        "LocalDateTime": lambda v: DateTime(v.ticks - v.offset, DateTimeKind.Local),
        "Date": lambda v: DateTime(v.ticks - v.ticks % TICKS_PER_DAY),
        "TimeOfDay": lambda v: TimeSpan(v.ticks % TICKS_PER_DAY),
        "Offset": lambda v: TimeSpan(v.offset),
        "Ticks": lambda v: Int64(v.ticks),
        "UtcTicks": lambda v: Int64(v.ticks - v.offset),
        "Year": lambda v: _clock(v).parts()[0].year,
        "Month": lambda v: _clock(v).parts()[0].month,
        "Day": lambda v: _clock(v).parts()[0].day,
        "Hour": lambda v: _clock(v).parts()[1],
        "Minute": lambda v: _clock(v).parts()[2],
        "Second": lambda v: _clock(v).parts()[3],
        "Millisecond": lambda v: _clock(v).parts()[4] // TICKS_PER_MS,
        "DayOfWeek": lambda v: DayOfWeek((v.ticks // TICKS_PER_DAY + 1) % 7),
        "DayOfYear": lambda v: _clock(v).parts()[0].timetuple().tm_yday,
    }
)
DTO.methods.update(
    {
        "ToUnixTimeSeconds": lambda v, a, t: Int64(
            (v.ticks - v.offset - EPOCH_TICKS) // TICKS_PER_SECOND
        ),
        "ToUnixTimeMilliseconds": lambda v, a, t: Int64(
            (v.ticks - v.offset - EPOCH_TICKS) // TICKS_PER_MS
        ),
        "ToString": _to_string,
        "Add": lambda v, a, t: (
            arity("DateTimeOffset", "Add", a, 1),
            make_offset(v.ticks + _timespan(a[0]).ticks, v.offset),
        )[1],
        "AddTicks": _add_unit(1, "AddTicks"),
        "AddMilliseconds": _add_unit(TICKS_PER_MS, "AddMilliseconds"),
        "AddSeconds": _add_unit(TICKS_PER_SECOND, "AddSeconds"),
        "AddMinutes": _add_unit(TICKS_PER_MINUTE, "AddMinutes"),
        "AddHours": _add_unit(TICKS_PER_HOUR, "AddHours"),
        "AddDays": _add_unit(TICKS_PER_DAY, "AddDays"),
        "AddMonths": lambda v, a, t: (
            arity("DateTimeOffset", "AddMonths", a, 1),
            _add_months(v, strings._int_arg(a[0], "months")),
        )[1],
        "AddYears": lambda v, a, t: (
            arity("DateTimeOffset", "AddYears", a, 1),
            _add_months(v, 12 * strings._int_arg(a[0], "years")),
        )[1],
        "Subtract": _subtract,
        "ToOffset": _to_offset,
        "ToUniversalTime": lambda v, a, t: DateTimeOffset(v.ticks - v.offset, 0),
        "ToLocalTime": lambda v, a, t: DateTimeOffset(v.ticks - v.offset, 0),
        "EqualsExact": lambda v, a, t: (
            isinstance(a[0], DateTimeOffset) and a[0].ticks == v.ticks and a[0].offset == v.offset
        ),
        "CompareTo": lambda v, a, t: (
            arity("DateTimeOffset", "CompareTo", a, 1),
            _compare(v, a[0]),
        )[1],
    }
)


def _timespan(v: object) -> TimeSpan:
    if isinstance(v, TimeSpan):
        return v
    raise ExpressionError("ArgumentException", "Argument 'timeSpan': expected a TimeSpan")


DTO.operators.update(
    {
        ("-", DateTimeOffset, DateTimeOffset): lambda a, b: TimeSpan(
            (a.ticks - a.offset) - (b.ticks - b.offset)
        ),
        ("+", DateTimeOffset, TimeSpan): lambda a, b: make_offset(a.ticks + b.ticks, a.offset),
        ("-", DateTimeOffset, TimeSpan): lambda a, b: make_offset(a.ticks - b.ticks, a.offset),
    }
)

_UNITS = ("Days", "Hours", "Milliseconds", "Minutes", "Seconds")
DTO.sign(
    "new(DateTime dateTime)",
    "new(DateTime dateTime, TimeSpan offset)",
    "new(long ticks, TimeSpan offset)",
    "new(int year, int month, int day, int hour, int minute, int second, TimeSpan offset)",
    "new(int year, int month, int day, int hour, int minute, int second, int millisecond, "
    "TimeSpan offset)",
    "DateTime Date { get; }",
    "DateTime DateTime { get; }",
    "DateTime LocalDateTime { get; }",
    "DateTime UtcDateTime { get; }",
    "TimeSpan TimeOfDay { get; }",
    "DayOfWeek DayOfWeek { get; }",
    *(
        f"int {n} {{ get; }}"
        for n in ("Day", "DayOfYear", "Hour", "Millisecond", "Minute", "Month", "Second", "Year")
    ),
    "TimeSpan Offset { get; }",
    "long Ticks { get; }",
    "long UtcTicks { get; }",
    "DateTimeOffset Add(TimeSpan timeSpan)",
    *(f"DateTimeOffset Add{n}(double {n.lower()})" for n in _UNITS),
    "DateTimeOffset AddTicks(long ticks)",
    "DateTimeOffset AddMonths(int months)",
    "DateTimeOffset AddYears(int years)",
    "TimeSpan Subtract(DateTimeOffset value)",
    "DateTimeOffset Subtract(TimeSpan value)",
    "DateTimeOffset ToOffset(TimeSpan offset)",
    "DateTimeOffset ToUniversalTime()",
    "DateTimeOffset ToLocalTime()",
    "bool EqualsExact(DateTimeOffset other)",
    "int CompareTo(DateTimeOffset other)",
    "string ToString()",
    "string ToString(string format)",
    "string ToString(IFormatProvider formatProvider)",
    "string ToString(string format, IFormatProvider formatProvider)",
    "long ToUnixTimeMilliseconds()",
    "long ToUnixTimeSeconds()",
    "static readonly DateTimeOffset MaxValue",
    "static readonly DateTimeOffset MinValue",
    "static readonly DateTimeOffset UnixEpoch",
    "static DateTimeOffset Now { get; }",
    "static DateTimeOffset UtcNow { get; }",
    "static DateTimeOffset FromUnixTimeMilliseconds(long milliseconds)",
    "static DateTimeOffset FromUnixTimeSeconds(long seconds)",
    "static DateTimeOffset Parse(string input)",
    "static DateTimeOffset Parse(string input, IFormatProvider formatProvider)",
    "static DateTimeOffset Parse(string input, IFormatProvider formatProvider, "
    "DateTimeStyles styles)",
    "static bool TryParse(string input, out DateTimeOffset result)",
    "static bool TryParse(string input, IFormatProvider formatProvider, DateTimeStyles styles, "
    "out DateTimeOffset result)",
    "static DateTimeOffset ParseExact(string input, string format, IFormatProvider formatProvider)",
    "static DateTimeOffset ParseExact(string input, string format, "
    "IFormatProvider formatProvider, DateTimeStyles styles)",
    "static bool TryParseExact(string input, string format, IFormatProvider formatProvider, "
    "DateTimeStyles styles, out DateTimeOffset result)",
    "static int Compare(DateTimeOffset first, DateTimeOffset second)",
    "static bool Equals(DateTimeOffset first, DateTimeOffset second)",
)

TYPES: tuple[TypeRef, ...] = (DTO,)


def register(registry: Registry) -> None:
    """DateTime + TimeSpan style operators of DateTimeOffset join the time types' own."""
    dates._OPERATORS.update(DTO.operators)
    registry.add(*TYPES)
