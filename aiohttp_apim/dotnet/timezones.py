"""TimeZoneInfo: time zones by IANA id ("Europe/Paris") or Windows id ("W. Europe Standard
Time"), conversions between them, offsets and daylight saving time.

Zones come from the operating system's tz database through ``zoneinfo``, or the ``tzdata``
package where the system has none. Windows ids map to IANA ids through the Unicode CLDR table
``data/windows_zones.tsv`` (the zone of territory 001, as .NET maps them); a zone found by a
Windows id keeps that id, as .NET 6+ does. The gateway's local zone is UTC (as on Azure):
``TimeZoneInfo.Local`` is UTC. Ambiguous local times (a clock set back) are read as standard
time and invalid ones (a clock set forward) are refused, as .NET does.
"""

from __future__ import annotations

import datetime as _dt
import functools
import zoneinfo
from collections.abc import Sequence
from importlib import resources
from typing import NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import current
from aiohttp_apim.dotnet.core import TypeRef, arity, declare
from aiohttp_apim.dotnet.dates import DateTime, DateTimeKind, DateTimeOffset, TimeSpan
from aiohttp_apim.dotnet.linq import NetList
from aiohttp_apim.errors import ExpressionError

__all__ = ["TimeZone", "find_zone"]

_TICKS_PER_US = 10
_UTC_IDS = frozenset({"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu"})


@functools.cache
def windows_to_iana() -> dict[str, str]:
    """CLDR's Windows id -> IANA id table (read once, on first use)."""
    text = (
        resources.files("aiohttp_apim.dotnet")
        .joinpath("data/windows_zones.tsv")
        .read_text(encoding="utf-8")
    )
    table: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            windows, iana = line.split("\t")
            table[windows] = iana
    return table


@functools.cache
def iana_to_windows() -> dict[str, str]:
    return {iana: windows for windows, iana in windows_to_iana().items()}


class TimeZone:
    """A TimeZoneInfo: its .NET id and the tz database zone it reads (None: UTC)."""

    __slots__ = ("id", "zone")

    def __init__(self, zone_id: str, zone: zoneinfo.ZoneInfo | None) -> None:
        self.id = zone_id
        self.zone = zone

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TimeZone) and other.id == self.id

    def __hash__(self) -> int:
        return hash(("TimeZone", self.id))

    # -- offsets, in ticks ----------------------------------------------------------------

    def offset_at_utc(self, utc_ticks: int) -> int:
        if self.zone is None:
            return 0
        moment = _to_python(utc_ticks).replace(tzinfo=_dt.UTC)
        delta = moment.astimezone(self.zone).utcoffset()
        return 0 if delta is None else _ticks(delta)

    def dst_at_utc(self, utc_ticks: int) -> bool:
        if self.zone is None:
            return False
        moment = _to_python(utc_ticks).replace(tzinfo=_dt.UTC).astimezone(self.zone)
        return bool(moment.dst())

    def offset_of_local(self, local_ticks: int, *, strict: bool) -> int:
        """The offset of a wall-clock time here: standard time where it is ambiguous; an invalid
        time (skipped by a clock set forward) raises ArgumentException when ``strict``."""
        if self.zone is None:
            return 0
        wall = _to_python(local_ticks)
        standard = wall.replace(tzinfo=self.zone, fold=1)  # the later reading: standard time
        offset = standard.utcoffset()
        ticks = 0 if offset is None else _ticks(offset)
        if strict and self.offset_at_utc(local_ticks - ticks) != ticks:
            other = wall.replace(tzinfo=self.zone, fold=0).utcoffset()
            ticks_other = 0 if other is None else _ticks(other)
            if self.offset_at_utc(local_ticks - ticks_other) != ticks_other:
                raise ExpressionError(
                    "ArgumentException",
                    "The supplied DateTime represents an invalid time.  For example, when the "
                    "clock is adjusted forward, any time in the period that is skipped is "
                    "invalid. (Parameter 'dateTime')",
                )
            return ticks_other
        return ticks

    def base_offset(self) -> int:
        if self.zone is None:
            return 0
        now = dates.now_ticks()
        moment = _to_python(now).replace(tzinfo=_dt.UTC).astimezone(self.zone)
        total, dst = moment.utcoffset(), moment.dst()
        return _ticks(total or _dt.timedelta()) - _ticks(dst or _dt.timedelta())

    def supports_dst(self) -> bool:
        if self.zone is None:
            return False
        year = _to_python(dates.now_ticks()).year
        return any(_dt.datetime(year, month, 15, tzinfo=self.zone).dst() for month in range(1, 13))

    # -- names ---------------------------------------------------------------------------

    def standard_name(self) -> str:
        if self.zone is None:
            return "Coordinated Universal Time"
        windows = self.id if self.id in windows_to_iana() else iana_to_windows().get(self.id)
        return windows or self._abbreviation(dst=False)

    def daylight_name(self) -> str:
        name = self.standard_name()
        if "Standard" in name:
            return name.replace("Standard", "Daylight")
        return self._abbreviation(dst=True) if self.supports_dst() else name

    def _abbreviation(self, *, dst: bool) -> str:
        assert self.zone is not None
        year = _to_python(dates.now_ticks()).year
        for month in range(1, 13):
            moment = _dt.datetime(year, month, 15, tzinfo=self.zone)
            if bool(moment.dst()) == dst:
                return moment.tzname() or self.id
        return self.id

    def display_name(self) -> str:
        if self.zone is None:
            return "(UTC) Coordinated Universal Time"
        offset = self.base_offset()
        if offset == 0:
            return f"(UTC) {self.id}"
        sign = "-" if offset < 0 else "+"
        minutes = abs(offset) // dates.TICKS_PER_MINUTE
        return f"(UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}) {self.id}"


def _ticks(delta: _dt.timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * dates.TICKS_PER_SECOND + (
        delta.microseconds * _TICKS_PER_US
    )


def _to_python(ticks: int) -> _dt.datetime:
    ticks = min(max(ticks, 0), dates.MAX_TICKS)
    return _dt.datetime(1, 1, 1) + _dt.timedelta(microseconds=ticks // _TICKS_PER_US)


UTC = TimeZone("UTC", None)


def _not_found(zone_id: str) -> NoReturn:
    raise ExpressionError(
        "TimeZoneNotFoundException",
        f"The time zone ID '{zone_id}' was not found on the local computer.",
    )


@functools.lru_cache(maxsize=256)
def _find(zone_id: str) -> TimeZone | None:
    if zone_id in _UTC_IDS or zone_id == "Coordinated Universal Time":
        return TimeZone(zone_id, None)
    iana = windows_to_iana().get(zone_id, zone_id)
    if iana in _UTC_IDS:
        return TimeZone(zone_id, None)
    if not iana or iana.startswith(("/", ".")) or ".." in iana:
        return None
    try:
        return TimeZone(zone_id, zoneinfo.ZoneInfo(iana))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None


def find_zone(zone_id: object) -> TimeZone:
    """``TimeZoneInfo.FindSystemTimeZoneById(id)``."""
    if zone_id is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'id')")
    if not isinstance(zone_id, str):
        raise ExpressionError("ArgumentException", "Argument 'id': cannot convert to 'string'")
    if not zone_id or len(zone_id) > 255 or "\0" in zone_id:
        raise ExpressionError(
            "TimeZoneNotFoundException" if zone_id else "ArgumentException",
            f"The time zone ID '{zone_id}' was not found on the local computer."
            if zone_id
            else "The specified ID parameter '' is not supported.",
        )
    found = _find(zone_id)
    if found is None:
        _not_found(zone_id)
    return found


def _zone_arg(v: object, name: str) -> TimeZone:
    if isinstance(v, TimeZone):
        return v
    if v is None:
        raise ExpressionError(
            "ArgumentNullException", f"Value cannot be null. (Parameter '{name}')"
        )
    raise ExpressionError("ArgumentException", f"Argument '{name}': expected a TimeZoneInfo")


def _is_utc(z: TimeZone) -> bool:
    return z.zone is None


_WRONG_KIND = (
    "The conversion could not be completed because the supplied DateTime did not have the Kind "
    "property set correctly.  For example, when the Kind property is DateTimeKind.Local, the "
    "source time zone must be TimeZoneInfo.Local."
)


def _utc_ticks_of(v: DateTime, source: TimeZone | None) -> int:
    """The UTC instant of ``v``: by its Kind, or in ``source`` when given (Unspecified: the
    gateway's local zone, UTC, when no source is given)."""
    if source is None or v.kind == DateTimeKind.Utc or v.kind == DateTimeKind.Local:
        return v.ticks
    return v.ticks - source.offset_of_local(v.ticks, strict=True)


def _in_zone(utc: int, dest: TimeZone) -> DateTime:
    kind = DateTimeKind.Utc if _is_utc(dest) and dest.id == "UTC" else DateTimeKind.Unspecified
    return DateTime(dates._dt_range(utc + dest.offset_at_utc(utc)), kind)


def _convert_time(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("TimeZoneInfo", "ConvertTime", a, 2, 3)
    value = a[0]
    dest = _zone_arg(a[-1], "destinationTimeZone")
    if isinstance(value, DateTimeOffset):
        arity("TimeZoneInfo", "ConvertTime", a, 2)
        utc = value.ticks - value.offset
        offset = dest.offset_at_utc(utc)
        return DateTimeOffset(dates._dt_range(utc + offset), offset)
    if not isinstance(value, DateTime):
        raise ExpressionError("ArgumentException", "Argument 'dateTime': expected a DateTime")
    source = _zone_arg(a[1], "sourceTimeZone") if len(a) == 3 else None
    if source is not None and value.kind == DateTimeKind.Utc and not _is_utc(source):
        raise ExpressionError(
            "ArgumentException",
            _WRONG_KIND + " (Parameter 'sourceTimeZone')",
        )
    return _in_zone(_utc_ticks_of(value, source), dest)


def _convert_from_utc(a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
    arity("TimeZoneInfo", "ConvertTimeFromUtc", a, 2)
    value = a[0]
    if not isinstance(value, DateTime):
        raise ExpressionError("ArgumentException", "Argument 'dateTime': expected a DateTime")
    if value.kind == DateTimeKind.Local:
        raise ExpressionError(
            "ArgumentException",
            _WRONG_KIND + " (Parameter 'dateTime')",
        )
    return _in_zone(value.ticks, _zone_arg(a[1], "destinationTimeZone"))


def _convert_to_utc(a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
    arity("TimeZoneInfo", "ConvertTimeToUtc", a, 1, 2)
    value = a[0]
    if not isinstance(value, DateTime):
        raise ExpressionError("ArgumentException", "Argument 'dateTime': expected a DateTime")
    if len(a) == 1:
        return DateTime(value.ticks, DateTimeKind.Utc)
    source = _zone_arg(a[1], "sourceTimeZone")
    if value.kind == DateTimeKind.Utc and not _is_utc(source):
        raise ExpressionError(
            "ArgumentException",
            _WRONG_KIND + " (Parameter 'sourceTimeZone')",
        )
    return DateTime(dates._dt_range(_utc_ticks_of(value, source)), DateTimeKind.Utc)


def _by_id(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("TimeZoneInfo", "ConvertTimeBySystemTimeZoneId", a, 2, 3)
    zones = [find_zone(x) for x in a[1:]]
    return _convert_time([a[0], *zones], t)


def _offset_of(z: TimeZone, a: Sequence[object], t: Sequence[TypeRef]) -> TimeSpan:
    arity("TimeZoneInfo", "GetUtcOffset", a, 1)
    return TimeSpan(z.offset_at_utc(_instant(z, a[0])))


def _instant(z: TimeZone, v: object) -> int:
    if isinstance(v, DateTimeOffset):
        return v.ticks - v.offset
    if isinstance(v, DateTime):
        if v.kind == DateTimeKind.Unspecified:
            return v.ticks - z.offset_of_local(v.ticks, strict=False)
        return v.ticks
    raise ExpressionError("ArgumentException", "Argument 'dateTime': expected a DateTime")


def _is_dst(z: TimeZone, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("TimeZoneInfo", "IsDaylightSavingTime", a, 1)
    return z.dst_at_utc(_instant(z, a[0]))


def _is_invalid(z: TimeZone, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("TimeZoneInfo", "IsInvalidTime", a, 1)
    v = a[0]
    if not isinstance(v, DateTime) or v.kind != DateTimeKind.Unspecified or z.zone is None:
        return False
    try:
        z.offset_of_local(v.ticks, strict=True)
    except ExpressionError:
        return True
    return False


def _is_ambiguous(z: TimeZone, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("TimeZoneInfo", "IsAmbiguousTime", a, 1)
    v = a[0]
    if z.zone is None:
        return False
    if isinstance(v, DateTimeOffset):
        local = v.ticks - v.offset + z.offset_at_utc(v.ticks - v.offset)
    elif isinstance(v, DateTime):
        local = (
            v.ticks if v.kind == DateTimeKind.Unspecified else (v.ticks + z.offset_at_utc(v.ticks))
        )
    else:
        raise ExpressionError("ArgumentException", "Argument 'dateTime': expected a DateTime")
    wall = _to_python(local)
    first, second = (wall.replace(tzinfo=z.zone, fold=f).utcoffset() for f in (0, 1))
    return first != second and not _is_invalid(z, [DateTime(local)], t)


def _try_find(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("TimeZoneInfo", "TryFindSystemTimeZoneById", a, 2)
    try:
        dotnet.set_out(a, 1, find_zone(a[0]))
    except ExpressionError:
        dotnet.set_out(a, 1, None)
        return False
    return True


def _try_convert(to_windows: bool) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("TimeZoneInfo", "TryConvert", a, 2, 3)
        zone_id = a[0]
        if to_windows:
            table = iana_to_windows()
            found = table.get(zone_id) if isinstance(zone_id, str) else None
            if found is None and isinstance(zone_id, str) and zone_id in _UTC_IDS:
                found = "UTC"
        else:
            found = windows_to_iana().get(zone_id) if isinstance(zone_id, str) else None
        dotnet.set_out(a, len(a) - 1, found)
        return found is not None

    return impl


def _system_zones(a: Sequence[object], t: Sequence[TypeRef]) -> NetList:
    arity("TimeZoneInfo", "GetSystemTimeZones", a, 0, 1)
    ids = sorted(zoneinfo.available_timezones())
    clr.check_items(len(ids))
    current().take(len(ids))  # each zone is read from the database
    zones: list[TimeZone] = [z for z in (_find(i) for i in ids) if z is not None]
    zones.sort(key=lambda z: (z.base_offset(), z.id))
    return NetList(zones)


TIMEZONE = declare("TimeZoneInfo", "System.TimeZoneInfo", (TimeZone,))
TIMEZONE.members.update(
    {
        "Id": lambda z: z.id,
        "DisplayName": lambda z: z.display_name(),
        "StandardName": lambda z: z.standard_name(),
        "DaylightName": lambda z: z.daylight_name(),
        "BaseUtcOffset": lambda z: TimeSpan(z.base_offset()),
        "SupportsDaylightSavingTime": lambda z: z.supports_dst(),
        "HasIanaId": lambda z: z.id not in windows_to_iana() or z.id == "UTC",
    }
)
TIMEZONE.methods.update(
    {
        "GetUtcOffset": _offset_of,
        "IsDaylightSavingTime": _is_dst,
        "IsInvalidTime": _is_invalid,
        "IsAmbiguousTime": _is_ambiguous,
        "HasSameRules": lambda z, a, t: isinstance(a[0], TimeZone) and a[0].zone == z.zone,
        "Equals": lambda z, a, t: isinstance(a[0], TimeZone) and a[0].id == z.id,
        "GetAdjustmentRules": lambda z, a, t: [],
        "ToString": lambda z, a, t: z.display_name(),
    }
)
TIMEZONE.statics.update({"Utc": lambda: UTC, "Local": lambda: UTC})
TIMEZONE.static_methods.update(
    {
        "FindSystemTimeZoneById": lambda a, t: (
            arity("TimeZoneInfo", "FindSystemTimeZoneById", a, 1),
            find_zone(a[0]),
        )[1],
        "TryFindSystemTimeZoneById": _try_find,
        "ConvertTime": _convert_time,
        "ConvertTimeFromUtc": _convert_from_utc,
        "ConvertTimeToUtc": _convert_to_utc,
        "ConvertTimeBySystemTimeZoneId": _by_id,
        "GetSystemTimeZones": _system_zones,
        "TryConvertIanaIdToWindowsId": _try_convert(True),
        "TryConvertWindowsIdToIanaId": _try_convert(False),
        "ClearCachedData": lambda a, t: None,
    }
)
TIMEZONE.sign(
    "string Id { get; }",
    "string DisplayName { get; }",
    "string StandardName { get; }",
    "string DaylightName { get; }",
    "TimeSpan BaseUtcOffset { get; }",
    "bool SupportsDaylightSavingTime { get; }",
    "bool HasIanaId { get; }",
    "TimeSpan GetUtcOffset(DateTime dateTime)",
    "TimeSpan GetUtcOffset(DateTimeOffset dateTimeOffset)",
    "bool IsDaylightSavingTime(DateTime dateTime)",
    "bool IsDaylightSavingTime(DateTimeOffset dateTimeOffset)",
    "bool IsInvalidTime(DateTime dateTime)",
    "bool IsAmbiguousTime(DateTime dateTime)",
    "bool IsAmbiguousTime(DateTimeOffset dateTimeOffset)",
    "bool HasSameRules(TimeZoneInfo other)",
    "bool Equals(TimeZoneInfo other)",
    "AdjustmentRule[] GetAdjustmentRules()",
    "string ToString()",
    "static TimeZoneInfo Utc { get; }",
    "static TimeZoneInfo Local { get; }",
    "static TimeZoneInfo FindSystemTimeZoneById(string id)",
    "static bool TryFindSystemTimeZoneById(string id, out TimeZoneInfo timeZoneInfo)",
    "static DateTime ConvertTime(DateTime dateTime, TimeZoneInfo destinationTimeZone)",
    "static DateTimeOffset ConvertTime(DateTimeOffset dateTimeOffset, "
    "TimeZoneInfo destinationTimeZone)",
    "static DateTime ConvertTime(DateTime dateTime, TimeZoneInfo sourceTimeZone, "
    "TimeZoneInfo destinationTimeZone)",
    "static DateTime ConvertTimeFromUtc(DateTime dateTime, TimeZoneInfo destinationTimeZone)",
    "static DateTime ConvertTimeToUtc(DateTime dateTime)",
    "static DateTime ConvertTimeToUtc(DateTime dateTime, TimeZoneInfo sourceTimeZone)",
    "static DateTime ConvertTimeBySystemTimeZoneId(DateTime dateTime, "
    "string destinationTimeZoneId)",
    "static DateTimeOffset ConvertTimeBySystemTimeZoneId(DateTimeOffset dateTimeOffset, "
    "string destinationTimeZoneId)",
    "static DateTime ConvertTimeBySystemTimeZoneId(DateTime dateTime, "
    "string sourceTimeZoneId, string destinationTimeZoneId)",
    "static ReadOnlyCollection<TimeZoneInfo> GetSystemTimeZones()",
    "static ReadOnlyCollection<TimeZoneInfo> GetSystemTimeZones(bool skipSorting)",
    "static bool TryConvertIanaIdToWindowsId(string ianaId, out string windowsId)",
    "static bool TryConvertWindowsIdToIanaId(string windowsId, out string ianaId)",
    "static bool TryConvertWindowsIdToIanaId(string windowsId, string region, out string ianaId)",
    "static void ClearCachedData()",
)

TYPES: tuple[TypeRef, ...] = (TIMEZONE,)
