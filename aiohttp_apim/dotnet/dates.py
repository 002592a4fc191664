"""DateTime, TimeSpan, DateTimeOffset, DateTimeKind and DayOfWeek, with .NET text formats.

Values are 100-ns ticks (as .NET), so Ticks and 7-digit fractions are exact. The gateway's
local time zone is UTC (as on Azure): ``DateTime.Now`` equals ``UtcNow`` with Kind=Local, and
ToLocalTime/ToUniversalTime only change Kind. Now/UtcNow/Today read ``clr.CLOCK``.
Culture: invariant — ``ToString()`` is "MM/dd/yyyy HH:mm:ss"; Parse accepts ISO 8601,
"MM/dd/yyyy[ HH:mm[:ss]][ AM|PM]" and RFC 1123; ParseExact accepts standard and custom formats.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import numerics, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.dotnet.primitives import Int64, NetEnum, NetFlags, set_out
from aiohttp_apim.errors import ExpressionError

__all__ = ["DateTime", "DateTimeOffset", "TimeSpan", "now_ticks"]

TICKS_PER_MS = 10_000
TICKS_PER_SECOND = 10_000_000
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE
TICKS_PER_DAY = 24 * TICKS_PER_HOUR
EPOCH_TICKS = 621355968000000000
MAX_TICKS = 3155378975999999999
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class DateTimeKind(NetEnum):
    Unspecified = 0
    Utc = 1
    Local = 2


class DayOfWeek(NetEnum):
    Sunday = 0
    Monday = 1
    Tuesday = 2
    Wednesday = 3
    Thursday = 4
    Friday = 5
    Saturday = 6


class TimeSpanStyles(NetFlags):
    None_ = 0
    AssumeNegative = 1


class DateTimeStyles(NetFlags):
    None_ = 0
    AllowLeadingWhite = 1
    AllowTrailingWhite = 2
    AllowInnerWhite = 4
    AllowWhiteSpaces = 7
    NoCurrentDateDefault = 8
    AdjustToUniversal = 16
    AssumeLocal = 32
    AssumeUniversal = 64
    RoundtripKind = 128


@dataclass(frozen=True, slots=True, eq=False)
class DateTime:
    ticks: int
    kind: int = 0

    def __eq__(self, other: object) -> bool:  # .NET compares ticks only, not Kind
        return isinstance(other, DateTime) and other.ticks == self.ticks

    def __hash__(self) -> int:
        return hash(self.ticks)

    def parts(self) -> tuple[_dt.date, int, int, int, int]:
        days, rem = divmod(self.ticks, TICKS_PER_DAY)
        d = _dt.date.fromordinal(days + 1)
        h, rem = divmod(rem, TICKS_PER_HOUR)
        m, rem = divmod(rem, TICKS_PER_MINUTE)
        s, frac = divmod(rem, TICKS_PER_SECOND)
        return d, h, m, s, frac


@dataclass(frozen=True, slots=True)
class TimeSpan:
    ticks: int


@dataclass(frozen=True, slots=True)
class DateTimeOffset:
    ticks: int  # local clock ticks
    offset: int  # ticks

    def __eq__(self, other: object) -> bool:  # compares the UTC instant
        return (
            isinstance(other, DateTimeOffset)
            and other.ticks - other.offset == self.ticks - self.offset
        )

    def __hash__(self) -> int:
        return hash(self.ticks - self.offset)


def _dt_range(ticks: int, param: str = "value") -> int:
    if ticks < 0 or ticks > MAX_TICKS:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "The added or subtracted value results in an "
            f"un-representable DateTime. (Parameter '{param}')",
        )
    return ticks


def _ts(ticks: int) -> TimeSpan:
    if ticks < INT64_MIN or ticks > INT64_MAX:
        raise ExpressionError(
            "OverflowException", "TimeSpan overflowed because the duration is too long."
        )
    return TimeSpan(ticks)


def now_ticks() -> int:
    return EPOCH_TICKS + round(clr.CLOCK.get()() * TICKS_PER_SECOND)


def from_unix(seconds: float, kind: int = DateTimeKind.Utc) -> DateTime:
    return DateTime(_dt_range(EPOCH_TICKS + round(seconds * TICKS_PER_SECOND)), kind)


def from_datetime(d: _dt.datetime) -> DateTime:
    """A Python datetime (aware → converted to UTC; naive → taken as UTC)."""
    if d.tzinfo is not None:
        d = d.astimezone(_dt.UTC).replace(tzinfo=None)
    ticks = (
        (d.toordinal() - 1) * TICKS_PER_DAY
        + (d.hour * 3600 + d.minute * 60 + d.second) * TICKS_PER_SECOND
        + d.microsecond * 10
    )
    return DateTime(ticks, DateTimeKind.Utc)


def make_datetime(
    y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, frac: int = 0, kind: int = 0
) -> DateTime:
    try:
        day = _dt.date(y, mo, d).toordinal() - 1
    except (ValueError, OverflowError):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Year, Month, and Day parameters describe an un-representable DateTime.",
        ) from None
    if not (0 <= h < 24 and 0 <= mi < 60 and 0 <= s < 60):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Hour, Minute, and Second parameters describe an un-representable DateTime.",
        )
    return DateTime(
        day * TICKS_PER_DAY
        + h * TICKS_PER_HOUR
        + mi * TICKS_PER_MINUTE
        + s * TICKS_PER_SECOND
        + frac,
        kind,
    )


# ---------------------------------------------------------------- formatting

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

STANDARD = {
    "d": "MM/dd/yyyy",
    "D": "dddd, dd MMMM yyyy",
    "f": "dddd, dd MMMM yyyy HH:mm",
    "F": "dddd, dd MMMM yyyy HH:mm:ss",
    "g": "MM/dd/yyyy HH:mm",
    "G": "MM/dd/yyyy HH:mm:ss",
    "M": "MMMM dd",
    "m": "MMMM dd",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "HH:mm",
    "T": "HH:mm:ss",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, dd MMMM yyyy HH:mm:ss",
    "Y": "yyyy MMMM",
    "y": "yyyy MMMM",
}


def _tokens(fmt: str) -> list[tuple[str, str]]:
    """('lit', text) or (letter, run) tokens of a custom date/time format."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c in "'\"":
            j = fmt.find(c, i + 1)
            if j < 0:
                raise ExpressionError(
                    "FormatException",
                    f"Cannot find a matching quote character for the character '{c}'.",
                )
            out.append(("lit", fmt[i + 1 : j]))
            i = j + 1
        elif c == "\\":
            if i + 1 >= n:
                raise ExpressionError(
                    "FormatException", "Input string was not in a correct format."
                )
            out.append(("lit", fmt[i + 1]))
            i += 2
        elif c == "%":
            i += 1
        elif c in "dfFghHKmMstyz":
            j = i
            while j < n and fmt[j] == c:
                j += 1
            out.append((c, fmt[i:j]))
            i = j
        elif c == ":":
            out.append(("lit", ":"))
            i += 1
        elif c == "/":
            out.append(("lit", "/"))
            i += 1
        else:
            out.append(("lit", c))
            i += 1
    return out


def format_datetime(v: DateTime, fmt: str | None, offset: int | None = None) -> str:
    if not fmt:
        fmt = "G" if offset is None else "MM/dd/yyyy HH:mm:ss zzz"
    if len(fmt) == 1:
        if fmt not in STANDARD:
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
        if fmt == "U":
            v = DateTime(v.ticks, DateTimeKind.Utc)
        if offset is not None and fmt in "oO":
            fmt = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffzzz"
        elif offset is not None and fmt in "rRu":
            v = DateTime(v.ticks - offset, DateTimeKind.Utc)
            fmt = STANDARD[fmt]
        else:
            fmt = STANDARD[fmt]
    d, h, mi, s, frac = v.parts()
    out: list[str] = []
    for kind, run in _tokens(fmt):
        n = len(run)
        if kind == "lit":
            out.append(run)
        elif kind == "d":
            if n <= 2:
                out.append(str(d.day).rjust(n, "0"))
            else:
                name = DAYS[(d.weekday() + 1) % 7]
                out.append(name[:3] if n == 3 else name)
        elif kind == "M":
            if n <= 2:
                out.append(str(d.month).rjust(n, "0"))
            else:
                out.append(MONTHS[d.month - 1][:3] if n == 3 else MONTHS[d.month - 1])
        elif kind == "y":
            if n <= 2:
                out.append(str(d.year % 100).rjust(n, "0"))
            else:
                out.append(str(d.year).rjust(n, "0"))
        elif kind == "H":
            out.append(str(h).rjust(min(n, 2), "0"))
        elif kind == "h":
            out.append(str(h % 12 or 12).rjust(min(n, 2), "0"))
        elif kind == "m":
            out.append(str(mi).rjust(min(n, 2), "0"))
        elif kind == "s":
            out.append(str(s).rjust(min(n, 2), "0"))
        elif kind in "fF":
            if n > 7:
                raise ExpressionError(
                    "FormatException", "Input string was not in a correct format."
                )
            digits = str(frac).rjust(7, "0")[:n]
            if kind == "F":
                digits = digits.rstrip("0")
                if not digits and out and out[-1].endswith("."):
                    out[-1] = out[-1][:-1]
            out.append(digits)
        elif kind == "t":
            ampm = "AM" if h < 12 else "PM"
            out.append(ampm[:1] if n == 1 else ampm)
        elif kind == "K":
            if offset is not None:
                out.append(_offset_text(offset, 3))
            elif v.kind == DateTimeKind.Utc:
                out.append("Z")
            elif v.kind == DateTimeKind.Local:
                out.append("+00:00")
        elif kind == "z":
            out.append(_offset_text(offset or 0, min(n, 3)))
        elif kind == "g":
            out.append("A.D.")
    return "".join(out)


def _offset_text(offset: int, n: int) -> str:
    sign = "-" if offset < 0 else "+"
    total = abs(offset) // TICKS_PER_MINUTE
    hh, mm = divmod(total, 60)
    if n == 1:
        return f"{sign}{hh}"
    if n == 2:
        return f"{sign}{hh:02d}"
    return f"{sign}{hh:02d}:{mm:02d}"


# ---------------------------------------------------------------- parsing

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_US = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?\s*(AM|PM)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_RFC = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(GMT|UTC|Z)?",
    re.ASCII,
)


def _bad_datetime(s: str) -> NoReturn:
    raise ExpressionError(
        "FormatException", f"String '{s}' was not recognized as a valid DateTime."
    )


def _zone(text: str | None) -> int | None:
    if not text:
        return None
    if text.upper() in ("Z", "GMT", "UTC"):
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hh = int(digits[:2])
    mm = int(digits[2:4]) if len(digits) > 2 else 0
    return sign * (hh * TICKS_PER_HOUR + mm * TICKS_PER_MINUTE)


def _with_zone(local: DateTime, zone: int | None, styles: int) -> DateTime:
    if zone is None:
        if styles & DateTimeStyles.AssumeUniversal:
            return DateTime(
                local.ticks,
                DateTimeKind.Utc
                if styles & (DateTimeStyles.AdjustToUniversal | DateTimeStyles.RoundtripKind)
                else DateTimeKind.Local,
            )
        if styles & DateTimeStyles.AssumeLocal:
            return DateTime(
                local.ticks,
                DateTimeKind.Utc
                if styles & DateTimeStyles.AdjustToUniversal
                else DateTimeKind.Local,
            )
        return local
    utc = _dt_range(local.ticks - zone)
    if styles & DateTimeStyles.AdjustToUniversal or (
        styles & DateTimeStyles.RoundtripKind and zone == 0
    ):
        return DateTime(utc, DateTimeKind.Utc)
    if styles & DateTimeStyles.RoundtripKind:
        return DateTime(utc, DateTimeKind.Local)
    return DateTime(utc, DateTimeKind.Local)  # converted to the gateway's local zone (UTC)


def parse_datetime(s: object, styles: int = 0) -> DateTime:
    local, zone = parse_datetime_parts(s)
    return _with_zone(local, zone, styles)


def parse_datetime_parts(s: object) -> tuple[DateTime, int | None]:
    """The clock time a text gives and its offset in ticks (None: no zone written)."""
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 's')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    text = s.strip()
    m = _ISO.fullmatch(text)
    if m:
        y, mo, d, h, mi, sec, frac, zone = m.groups()
        local = make_datetime(
            int(y),
            int(mo),
            int(d),
            int(h or 0),
            int(mi or 0),
            int(sec or 0),
            int((frac or "0").ljust(7, "0")),
        )
        return local, _zone(zone)
    m = _US.fullmatch(text)
    if m:
        mo, d, y, h, mi, sec, frac, ampm, zone = m.groups()
        hour = int(h or 0)
        if ampm:
            if not 1 <= hour <= 12:
                _bad_datetime(s)
            hour = hour % 12 + (12 if ampm.upper() == "PM" else 0)
        local = make_datetime(
            int(y),
            int(mo),
            int(d),
            hour,
            int(mi or 0),
            int(sec or 0),
            int((frac or "0").ljust(7, "0")),
        )
        return local, _zone(zone)
    m = _RFC.fullmatch(text)
    if m:
        d, mon, y, h, mi, sec, zone = m.groups()
        months = [x[:3].lower() for x in MONTHS]
        if mon.lower() not in months:
            _bad_datetime(s)
        local = make_datetime(
            int(y), months.index(mon.lower()) + 1, int(d), int(h), int(mi), int(sec or 0)
        )
        return local, _zone(zone)
    raise ExpressionError(
        "FormatException", f"String '{s}' was not recognized as a valid DateTime."
    )


def _exact_regex(fmt: str) -> tuple[re.Pattern[str], list[str]]:
    if len(fmt) == 1:
        if fmt not in STANDARD:
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
        fmt = STANDARD[fmt]
    parts: list[str] = []
    names: list[str] = []
    for kind, run in _tokens(fmt):
        n = len(run)
        if kind == "lit":
            parts.append(re.escape(run))
            continue
        if kind in "dMyHhmsfF" and (kind not in "dM" or n <= 2):
            if kind in "fF":
                pat = rf"\d{{{n}}}" if kind == "f" else rf"\d{{0,{n}}}"
            elif kind == "y":
                pat = r"\d{4}" if n >= 3 else (r"\d{2}" if n == 2 else r"\d{1,2}")
            else:
                pat = r"\d{2}" if n == 2 else r"\d{1,2}"
            parts.append(f"({pat})")
            names.append(kind + ("2" if kind == "y" and n <= 2 else ""))
        elif kind == "M":
            parts.append("([A-Za-z]+)")
            names.append("Mname")
        elif kind == "d":
            parts.append("(?:[A-Za-z]+)")
        elif kind == "t":
            parts.append("(AM|PM|A|P)")
            names.append("t")
        elif kind in "Kz":
            parts.append(
                r"(Z|[+-]\d{1,2}(?::?\d{2})?)?" if kind == "K" else r"([+-]\d{1,2}(?::?\d{2})?)"
            )
            names.append("zone")
        else:
            parts.append("(.*?)")
            names.append("skip")
    return re.compile("".join(parts), re.ASCII | re.IGNORECASE), names


def parse_exact(s: object, formats: Sequence[str], styles: int = 0) -> DateTime:
    local, zone = parse_exact_parts(s, formats, styles)
    return _with_zone(local, zone, styles)


def parse_exact_parts(
    s: object, formats: Sequence[str], styles: int = 0
) -> tuple[DateTime, int | None]:
    """The clock time and offset (None: none written) of ``s`` read by one of ``formats``."""
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 's')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    text = s.strip() if styles & DateTimeStyles.AllowWhiteSpaces else s
    for fmt in formats:
        if not isinstance(fmt, str) or not fmt:
            raise ExpressionError("FormatException", "Format specifier was invalid.")
        rx, names = _exact_regex(fmt)
        m = rx.fullmatch(text)
        if m is None:
            continue
        f: dict[str, str] = {n: v for n, v in zip(names, m.groups(), strict=True) if v is not None}
        try:
            year = int(f["y"]) if "y" in f else (2000 + int(f["y2"]) if "y2" in f else 1)
            if "Mname" in f:
                names_l = [x.lower() for x in MONTHS]
                short = [x[:3] for x in names_l]
                key = f["Mname"].lower()
                month = (names_l.index(key) if key in names_l else short.index(key)) + 1
            else:
                month = int(f.get("M", "1"))
            day = int(f.get("d", "1"))
            hour = int(f.get("H", f.get("h", "0")))
            if "t" in f:
                hour = hour % 12 + (12 if f["t"].upper().startswith("P") else 0)
            frac_text = f.get("f", f.get("F", ""))
            local = make_datetime(
                year,
                month,
                day,
                hour,
                int(f.get("m", "0")),
                int(f.get("s", "0")),
                int(frac_text.ljust(7, "0")[:7]) if frac_text else 0,
            )
        except (ValueError, KeyError):
            continue
        return local, _zone(f.get("zone"))
    raise ExpressionError(
        "FormatException", f"String '{s}' was not recognized as a valid DateTime."
    )


# ---------------------------------------------------------------- TimeSpan text


def format_timespan(v: TimeSpan, fmt: str | None) -> str:
    t = v.ticks
    neg = t < 0
    t = abs(t)
    days, rem = divmod(t, TICKS_PER_DAY)
    h, rem = divmod(rem, TICKS_PER_HOUR)
    m, rem = divmod(rem, TICKS_PER_MINUTE)
    s, frac = divmod(rem, TICKS_PER_SECOND)
    sign = "-" if neg else ""
    if not fmt or fmt in ("c", "t", "T"):
        return f"{sign}{f'{days}.' if days else ''}{h:02d}:{m:02d}:{s:02d}" + (
            f".{frac:07d}" if frac else ""
        )
    if fmt == "g":
        f_text = f"{frac:07d}".rstrip("0")
        return f"{sign}{f'{days}:' if days else ''}{h}:{m:02d}:{s:02d}" + (
            f".{f_text}" if f_text else ""
        )
    if fmt == "G":
        return f"{sign}{days}:{h:02d}:{m:02d}:{s:02d}.{frac:07d}"
    out: list[str] = []
    for kind, run in _tokens(fmt):
        n = len(run)
        if kind == "lit":
            out.append(run)
        elif kind == "d":
            out.append(str(days).rjust(n, "0"))
        elif kind == "h":
            out.append(str(h).rjust(min(n, 2), "0"))
        elif kind == "m":
            out.append(str(m).rjust(min(n, 2), "0"))
        elif kind == "s":
            out.append(str(s).rjust(min(n, 2), "0"))
        elif kind in "fF":
            digits = f"{frac:07d}"[:n]
            out.append(digits.rstrip("0") if kind == "F" else digits)
        else:
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
    return "".join(out)


# TimeSpan.Parse's forms (invariant culture): d, h:m, h:m:s, d.h:m, d.h:m:s, h:m:s.f, d.h:m:s.f,
# with ':' also accepted between days and hours (the "g" pattern, d:h:m:s[.f]) and the
# compatibility forms h:m:.f and d.h:m:.f; leading zeros are allowed in every number.
_TS_FORMS = re.compile(
    r"(?P<neg>-)?(?:"
    r"(?P<d_only>\d+)"
    r"|(?:(?P<d>\d+)\.)?(?P<h>\d+):(?P<m>\d+)(?::(?P<s>\d+)(?:\.(?P<f>\d+))?|:\.(?P<f0>\d+))?"
    r"|(?P<gd>\d+):(?P<gh>\d+):(?P<gm>\d+):(?P<gs>\d+)(?:\.(?P<gf>\d+))?"
    r")",
    re.ASCII,
)
_TS_MAX_DAYS = 10675199


def _ts_overflow(s: str) -> NoReturn:
    raise ExpressionError(
        "OverflowException",
        f"The TimeSpan string '{s}' could not be parsed because at least one of the numeric "
        "components is out of range or contains too many digits.",
    )


def _ts_bad(s: str) -> NoReturn:
    raise ExpressionError(
        "FormatException", f"String '{s}' was not recognized as a valid TimeSpan."
    )


def _ts_fraction(digits: str, s: str) -> int:
    """Ticks of a fraction of a second written with ``digits`` (at most 7 significant)."""
    if len(digits) > 7:
        _ts_overflow(s)
    return int(digits.ljust(7, "0"))


def parse_timespan(s: object) -> TimeSpan:
    """``TimeSpan.Parse(s)``: ``[ws][-]{ d | [d.]hh:mm[:ss[.fffffff]] }[ws]`` (and the general
    ``[d:]h:mm:ss[.FFFFFFF]``); a component out of range (hours > 23, minutes or seconds > 59,
    days > 10675199, more than 7 fractional digits) is an OverflowException."""
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'input')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    m = _TS_FORMS.fullmatch(s.strip())
    if m is None:
        _ts_bad(s)
    g = m.groupdict()
    if any(len(v.lstrip("0")) > 9 for v in g.values() if v and v != "-"):
        _ts_overflow(s)  # a number .NET's reader cannot hold (and no Python int of 4301 digits)
    if g["d_only"] is not None:
        days = int(g["d_only"])
        if days > _TS_MAX_DAYS:
            _ts_overflow(s)
        ticks = days * TICKS_PER_DAY
    else:
        if g["gd"] is not None:  # the general form, d:h:mm:ss[.f]
            g["d"], g["h"], g["m"], g["s"], g["f"] = g["gd"], g["gh"], g["gm"], g["gs"], g["gf"]
        days = int(g["d"] or 0)
        hh, mm, ss = int(g["h"]), int(g["m"]), int(g["s"] or 0)
        if days > _TS_MAX_DAYS or hh > 23 or mm > 59 or ss > 59:
            _ts_overflow(s)
        frac = g["f"] if g["f"] is not None else g["f0"]
        ticks = (
            days * TICKS_PER_DAY
            + hh * TICKS_PER_HOUR
            + mm * TICKS_PER_MINUTE
            + ss * TICKS_PER_SECOND
            + (_ts_fraction(frac, s) if frac is not None else 0)
        )
    if ticks > INT64_MAX:
        _ts_overflow(s)
    return TimeSpan(-ticks if g["neg"] else ticks)


_TS_CONSTANT = re.compile(
    r"(?P<neg>-)?(?:(?P<d>\d+)\.)?(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d{1,7}))?",
    re.ASCII,
)


def parse_exact_timespan(s: object, formats: Sequence[str], negative: bool = False) -> TimeSpan:
    """``TimeSpan.ParseExact``: the standard formats "c"/"t"/"T" (``[-][d.]hh:mm:ss[.fffffff]``
    exactly), "g" and "G" (as Parse), or a custom format (``d``..``dddddddd``, ``h``/``hh``,
    ``m``/``mm``, ``s``/``ss``, ``f``..``fffffff``, ``F``..``FFFFFFF``, literals quoted or
    escaped with a backslash); ``negative``: TimeSpanStyles.AssumeNegative."""
    if s is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'input')")
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    for fmt in formats:
        if not isinstance(fmt, str) or not fmt:
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
        if fmt in ("g", "G"):
            try:
                v = parse_timespan(s)
            except ExpressionError:
                continue
            return TimeSpan(-v.ticks) if negative else v
        if fmt in ("c", "t", "T"):
            m = _TS_CONSTANT.fullmatch(s)
            if m is None:
                continue
            text = f"{m['neg'] or ''}{m['d'] + '.' if m['d'] else ''}{m['h']}:{m['m']}:{m['s']}" + (
                f".{m['f']}" if m["f"] else ""
            )
            v = parse_timespan(text)
            return TimeSpan(-v.ticks) if negative else v
        if len(fmt) == 1:
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
        ticks = _parse_custom_timespan(s, fmt)
        if ticks is not None:
            return TimeSpan(-ticks if negative else ticks)
    raise ExpressionError("FormatException", "Input string was not in a correct format.")


_TS_UNITS = {"d": TICKS_PER_DAY, "h": TICKS_PER_HOUR, "m": TICKS_PER_MINUTE, "s": TICKS_PER_SECOND}
_TS_LIMITS = {"d": _TS_MAX_DAYS, "h": 23, "m": 59, "s": 59}


def _parse_custom_timespan(s: str, fmt: str) -> int | None:
    parts: list[str] = []
    kinds: list[str] = []
    for kind, run in _tokens(fmt):
        n = len(run)
        if kind == "lit":
            parts.append(re.escape(run))
        elif kind == "d" and n <= 8:
            parts.append(rf"(\d{{{n},8}})")
            kinds.append("d")
        elif kind in "hms" and n <= 2:
            parts.append(r"(\d{2})" if n == 2 else r"(\d{1,2})")
            kinds.append(kind)
        elif kind in "fF" and n <= 7:
            parts.append(rf"(\d{{{n}}})" if kind == "f" else rf"(\d{{0,{n}}})")
            kinds.append("f")
        else:
            raise ExpressionError("FormatException", "Input string was not in a correct format.")
    m = re.fullmatch("".join(parts), s, re.ASCII)
    if m is None:
        return None
    ticks = 0
    for kind, text in zip(kinds, m.groups(), strict=True):
        if kind == "f":
            ticks += int(text.ljust(7, "0")) if text else 0
            continue
        value = int(text)
        if value > _TS_LIMITS[kind]:
            _ts_overflow(s)
        ticks += value * _TS_UNITS[kind]
    return ticks


# ---------------------------------------------------------------- declarations


def _num(v: object, name: str) -> float:
    if type(v) in dotnet.NUMERIC_SET:
        return dotnet.to_double(v)
    raise ExpressionError(
        "ArgumentException",
        f"Argument '{name}': cannot convert from '{clr.net_name(v)}' to 'double'",
    )


def _int(v: object, name: str) -> int:
    return strings._int_arg(v, name)


def _interval(scale: int) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> TimeSpan:
        arity("TimeSpan", "From", a, 1)
        v = _num(a[0], "value")
        if math.isnan(v):
            raise ExpressionError(
                "ArgumentException", "TimeSpan does not accept floating point Not-a-Number values."
            )
        ticks = v * scale
        if ticks > INT64_MAX or ticks < INT64_MIN:
            raise ExpressionError(
                "OverflowException", "TimeSpan overflowed because the duration is too long."
            )
        if dotnet.is_integral(a[0]):  # exact: no detour through a double
            return _ts(int(a[0]) * scale)
        return _ts(int(ticks))

    return impl


def _add_unit(scale: int, name: str) -> clr.Method:
    def impl(v: DateTime, a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
        arity("DateTime", name, a, 1)
        x = a[0]
        if dotnet.is_integral(x):
            delta = int(x) * scale
        else:
            f = _num(x, "value")
            if not math.isfinite(f):
                raise ExpressionError(
                    "ArgumentOutOfRangeException",
                    "Value to add was out of range. (Parameter 'value')",
                )
            delta = round(f * scale)
        return DateTime(_dt_range(v.ticks + delta), v.kind)

    return impl


def _add_months(v: DateTime, months: int) -> DateTime:
    d, h, mi, s, frac = v.parts()
    total = d.year * 12 + (d.month - 1) + months
    y, mo = divmod(total, 12)
    mo += 1
    if not 1 <= y <= 9999:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "The added or subtracted value results in an "
            "un-representable DateTime. (Parameter 'months')",
        )
    import calendar

    day = min(d.day, calendar.monthrange(y, mo)[1])
    return make_datetime(y, mo, day, h, mi, s, frac, v.kind)


def _dt_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
    arity("DateTime", ".ctor", a, 0, 1, 2, 3, 4, 6, 7, 8)
    if not a:
        return DateTime(0)
    kind = 0
    args = list(a)
    last = args[-1]
    if isinstance(last, DateTimeKind):
        kind = int(last)
        args.pop()
    if len(args) == 1:
        ticks = _int(args[0], "ticks")
        if ticks < 0 or ticks > MAX_TICKS:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Ticks must be between DateTime.MinValue.Ticks and "
                "DateTime.MaxValue.Ticks. (Parameter 'ticks')",
            )
        return DateTime(ticks, kind)
    nums = [_int(x, "value") for x in args]
    if len(nums) not in (3, 6, 7):
        arity("DateTime", ".ctor", a, 3, 6, 7)
    ms = nums[6] if len(nums) == 7 else 0
    if not 0 <= ms < 1000:
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Valid values are between 0 and 999, inclusive. (Parameter 'millisecond')",
        )
    y, mo, d = nums[:3]
    h, mi, s = nums[3:6] if len(nums) >= 6 else (0, 0, 0)
    return make_datetime(y, mo, d, h, mi, s, frac=ms * TICKS_PER_MS, kind=kind)


def _specify_kind(a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
    arity("DateTime", "SpecifyKind", a, 2)
    value, kind = a
    if not isinstance(value, DateTime):
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{clr.net_name(value, full=True)}' to type "
            "'System.DateTime'.",
        )
    return DateTime(value.ticks, dotnet.enum_number(kind, DateTimeKind, "kind"))


def _dt_to_string(v: DateTime, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("DateTime", "ToString", a, 0, 1, 2)
    fmt = a[0] if a and isinstance(a[0], str) else None
    return format_datetime(v, fmt)


def _dt_subtract(v: DateTime, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("DateTime", "Subtract", a, 1)
    x = a[0]
    if isinstance(x, DateTime):
        return TimeSpan(v.ticks - x.ticks)
    if isinstance(x, TimeSpan):
        return DateTime(_dt_range(v.ticks - x.ticks), v.kind)
    raise ExpressionError(
        "ArgumentException", "Argument 1 of 'Subtract': expected DateTime or TimeSpan"
    )


def styles_of(a: Sequence[object]) -> int:
    """The DateTimeStyles among a parse call's arguments (none: 0)."""
    return next((int(x) for x in a if isinstance(x, DateTimeStyles)), 0)


def _parse(a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
    arity("DateTime", "Parse", a, 1, 2, 3)
    return parse_datetime(a[0], styles_of(a))


def _try_parse(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("DateTime", "TryParse", a, 2, 4)
    try:
        v = parse_datetime(a[0], styles_of(a))
    except clr.ExpressionError:
        set_out(a, len(a) - 1, DateTime(0))
        return False
    set_out(a, len(a) - 1, v)
    return True


def _formats(v: object) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list):
        return [x for x in v if isinstance(x, str)]
    if v is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'format')")
    raise ExpressionError(
        "ArgumentException",
        f"Argument 'format': cannot convert from '{clr.net_name(v)}' to 'string[]'",
    )


def _parse_exact(a: Sequence[object], t: Sequence[TypeRef]) -> DateTime:
    arity("DateTime", "ParseExact", a, 2, 3, 4)
    return parse_exact(a[0], _formats(a[1]), styles_of(a))


def _try_parse_exact(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("DateTime", "TryParseExact", a, 5)
    try:
        v = parse_exact(a[0], _formats(a[1]), styles_of(a))
    except clr.ExpressionError:
        set_out(a, 4, DateTime(0))
        return False
    set_out(a, 4, v)
    return True


DATETIME_KIND = dotnet.declare_enum("DateTimeKind", "System.DateTimeKind", DateTimeKind)
DAY_OF_WEEK = dotnet.declare_enum("DayOfWeek", "System.DayOfWeek", DayOfWeek)
STYLES = dotnet.declare_enum(
    "DateTimeStyles", "System.Globalization.DateTimeStyles", DateTimeStyles
)
STYLES.statics["None"] = lambda: DateTimeStyles(0)
STYLES.sign("const DateTimeStyles None")
TS_STYLES = dotnet.declare_enum(
    "TimeSpanStyles", "System.Globalization.TimeSpanStyles", TimeSpanStyles
)
TS_STYLES.statics["None"] = lambda: TimeSpanStyles(0)
TS_STYLES.sign("const TimeSpanStyles None")

DATETIME = declare(
    "DateTime",
    "System.DateTime",
    (DateTime,),
    bases=(dotnet.VALUE_TYPE,),
    value_type=True,
    default=DateTime(0),
)
DATETIME.construct = _dt_ctor
DATETIME.members.update(
    {
        "Year": lambda v: v.parts()[0].year,
        "Month": lambda v: v.parts()[0].month,
        "Day": lambda v: v.parts()[0].day,
        "Hour": lambda v: v.parts()[1],
        "Minute": lambda v: v.parts()[2],
        "Second": lambda v: v.parts()[3],
        "Millisecond": lambda v: v.parts()[4] // TICKS_PER_MS,
        "Ticks": lambda v: Int64(v.ticks),
        "Date": lambda v: DateTime(v.ticks - v.ticks % TICKS_PER_DAY, v.kind),
        "TimeOfDay": lambda v: TimeSpan(v.ticks % TICKS_PER_DAY),
        "DayOfWeek": lambda v: DayOfWeek((v.ticks // TICKS_PER_DAY + 1) % 7),
        "DayOfYear": lambda v: v.parts()[0].timetuple().tm_yday,
        "Kind": lambda v: DateTimeKind(v.kind),
    }
)
DATETIME.methods.update(
    {
        "AddTicks": _add_unit(1, "AddTicks"),
        "AddMilliseconds": _add_unit(TICKS_PER_MS, "AddMilliseconds"),
        "AddSeconds": _add_unit(TICKS_PER_SECOND, "AddSeconds"),
        "AddMinutes": _add_unit(TICKS_PER_MINUTE, "AddMinutes"),
        "AddHours": _add_unit(TICKS_PER_HOUR, "AddHours"),
        "AddDays": _add_unit(TICKS_PER_DAY, "AddDays"),
        "AddMonths": lambda v, a, t: (
            arity("DateTime", "AddMonths", a, 1),
            _add_months(v, _int(a[0], "months")),
        )[1],
        "AddYears": lambda v, a, t: (
            arity("DateTime", "AddYears", a, 1),
            _add_months(v, 12 * _int(a[0], "value")),
        )[1],
        "Add": lambda v, a, t: (arity("DateTime", "Add", a, 1), _operator("+", v, a[0]))[1],
        "Subtract": _dt_subtract,
        "ToString": _dt_to_string,
        "ToUniversalTime": lambda v, a, t: DateTime(v.ticks, DateTimeKind.Utc),
        "ToLocalTime": lambda v, a, t: DateTime(v.ticks, DateTimeKind.Local),
        "ToShortDateString": lambda v, a, t: format_datetime(v, "d"),
        "ToLongDateString": lambda v, a, t: format_datetime(v, "D"),
        "ToShortTimeString": lambda v, a, t: format_datetime(v, "t"),
        "ToLongTimeString": lambda v, a, t: format_datetime(v, "T"),
    }
)
DATETIME.statics.update(
    {
        "Now": lambda: DateTime(now_ticks(), DateTimeKind.Local),
        "UtcNow": lambda: DateTime(now_ticks(), DateTimeKind.Utc),
        "Today": lambda: DateTime(now_ticks() // TICKS_PER_DAY * TICKS_PER_DAY, DateTimeKind.Local),
        "MinValue": lambda: DateTime(0),
        "MaxValue": lambda: DateTime(MAX_TICKS),
        "UnixEpoch": lambda: DateTime(EPOCH_TICKS, DateTimeKind.Utc),
    }
)
DATETIME.static_methods.update(
    {
        "Parse": _parse,
        "TryParse": _try_parse,
        "ParseExact": _parse_exact,
        "TryParseExact": _try_parse_exact,
        "SpecifyKind": _specify_kind,
        "IsLeapYear": lambda a, t: __import__("calendar").isleap(_int(a[0], "year")),
        "DaysInMonth": lambda a, t: __import__("calendar").monthrange(
            _int(a[0], "year"), _int(a[1], "month")
        )[1],
        "Compare": lambda a, t: dotnet.compare(a[0], a[1]),
    }
)


def _ts_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> TimeSpan:
    arity("TimeSpan", ".ctor", a, 0, 1, 3, 4, 5)
    nums = [_int(x, "value") for x in a]
    if not nums:
        return TimeSpan(0)
    if len(nums) == 1:
        return _ts(nums[0])
    if len(nums) == 3:
        nums = [0, *nums]
    if len(nums) == 4:
        nums.append(0)
    d, h, m, s, ms = nums
    return _ts(
        d * TICKS_PER_DAY
        + h * TICKS_PER_HOUR
        + m * TICKS_PER_MINUTE
        + s * TICKS_PER_SECOND
        + ms * TICKS_PER_MS
    )


def _ts_to_string(v: TimeSpan, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("TimeSpan", "ToString", a, 0, 1, 2)
    return format_timespan(v, a[0] if a and isinstance(a[0], str) else None)


def _ts_parse(a: Sequence[object], t: Sequence[TypeRef]) -> TimeSpan:
    arity("TimeSpan", "Parse", a, 1, 2)
    return parse_timespan(a[0])


def _ts_try_parse(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("TimeSpan", "TryParse", a, 2, 3)
    try:
        v = parse_timespan(a[0])
    except clr.ExpressionError:
        set_out(a, len(a) - 1, TimeSpan(0))
        return False
    set_out(a, len(a) - 1, v)
    return True


def _ts_exact_args(a: Sequence[object]) -> tuple[object, list[str], bool]:
    negative = any(isinstance(x, TimeSpanStyles) and x & TimeSpanStyles.AssumeNegative for x in a)
    return a[0], _formats(a[1]), negative


def _ts_parse_exact(a: Sequence[object], t: Sequence[TypeRef]) -> TimeSpan:
    arity("TimeSpan", "ParseExact", a, 3, 4)
    return parse_exact_timespan(*_ts_exact_args(a))


def _ts_try_parse_exact(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("TimeSpan", "TryParseExact", a, 4, 5)
    try:
        v = parse_exact_timespan(*_ts_exact_args(a[:-1]))
    except clr.ExpressionError:
        set_out(a, len(a) - 1, TimeSpan(0))
        return False
    set_out(a, len(a) - 1, v)
    return True


def _ts_component(div: int, mod: int) -> Callable[[TimeSpan], int]:
    def get(v: TimeSpan) -> int:
        q = abs(v.ticks) // div % mod
        return -q if v.ticks < 0 else q

    return get


TIMESPAN = declare(
    "TimeSpan",
    "System.TimeSpan",
    (TimeSpan,),
    bases=(dotnet.VALUE_TYPE,),
    value_type=True,
    default=TimeSpan(0),
)
TIMESPAN.construct = _ts_ctor
TIMESPAN.members.update(
    {
        "Days": lambda v: int(math.copysign(abs(v.ticks) // TICKS_PER_DAY, v.ticks)),
        "Hours": _ts_component(TICKS_PER_HOUR, 24),
        "Minutes": _ts_component(TICKS_PER_MINUTE, 60),
        "Seconds": _ts_component(TICKS_PER_SECOND, 60),
        "Milliseconds": _ts_component(TICKS_PER_MS, 1000),
        "Ticks": lambda v: Int64(v.ticks),
        "TotalDays": lambda v: v.ticks / TICKS_PER_DAY,
        "TotalHours": lambda v: v.ticks / TICKS_PER_HOUR,
        "TotalMinutes": lambda v: v.ticks / TICKS_PER_MINUTE,
        "TotalSeconds": lambda v: v.ticks / TICKS_PER_SECOND,
        "TotalMilliseconds": lambda v: v.ticks / TICKS_PER_MS,
    }
)
TIMESPAN.methods.update(
    {
        "Add": lambda v, a, t: _operator("+", v, a[0]),
        "Subtract": lambda v, a, t: _operator("-", v, a[0]),
        "Negate": lambda v, a, t: _ts(-v.ticks),
        "Duration": lambda v, a, t: _ts(abs(v.ticks)),
        "Multiply": lambda v, a, t: _operator("*", v, a[0]),
        "Divide": lambda v, a, t: _operator("/", v, a[0]),
        "ToString": _ts_to_string,
    }
)
TIMESPAN.statics.update(
    {
        "Zero": lambda: TimeSpan(0),
        "MaxValue": lambda: TimeSpan(INT64_MAX),
        "MinValue": lambda: TimeSpan(INT64_MIN),
        "TicksPerMillisecond": lambda: Int64(TICKS_PER_MS),
        "TicksPerSecond": lambda: Int64(TICKS_PER_SECOND),
        "TicksPerMinute": lambda: Int64(TICKS_PER_MINUTE),
        "TicksPerHour": lambda: Int64(TICKS_PER_HOUR),
        "TicksPerDay": lambda: Int64(TICKS_PER_DAY),
    }
)
TIMESPAN.static_methods.update(
    {
        "FromTicks": lambda a, t: _ts(_int(a[0], "value")),
        "FromMilliseconds": _interval(TICKS_PER_MS),
        "FromSeconds": _interval(TICKS_PER_SECOND),
        "FromMinutes": _interval(TICKS_PER_MINUTE),
        "FromHours": _interval(TICKS_PER_HOUR),
        "FromDays": _interval(TICKS_PER_DAY),
        "Parse": _ts_parse,
        "TryParse": _ts_try_parse,
        "ParseExact": _ts_parse_exact,
        "TryParseExact": _ts_try_parse_exact,
        "Compare": lambda a, t: dotnet.compare(a[0], a[1]),
    }
)


def _ts_scale(v: TimeSpan, f: object) -> TimeSpan:
    x = _num(f, "factor")
    if math.isnan(x):
        raise ExpressionError(
            "ArgumentException", "TimeSpan does not accept floating point Not-a-Number values."
        )
    r = v.ticks * x
    if not INT64_MIN <= r <= INT64_MAX:
        raise ExpressionError(
            "OverflowException", "TimeSpan overflowed because the duration is too long."
        )
    return TimeSpan(round(r))


def _ts_div(v: TimeSpan, f: object) -> object:
    if isinstance(f, TimeSpan):
        return (
            v.ticks / f.ticks
            if f.ticks
            else (math.nan if v.ticks == 0 else math.copysign(math.inf, v.ticks))
        )
    x = _num(f, "divisor")
    if x == 0:
        raise ExpressionError(
            "OverflowException", "TimeSpan overflowed because the duration is too long."
        )
    return _ts_scale(v, 1 / x)


# C#'s user-defined operators of DateTime and TimeSpan (op_Addition, op_Subtraction...)
DATETIME.operators.update(
    {
        ("+", DateTime, TimeSpan): lambda a, b: DateTime(_dt_range(a.ticks + b.ticks), a.kind),
        ("-", DateTime, TimeSpan): lambda a, b: DateTime(_dt_range(a.ticks - b.ticks), a.kind),
        ("-", DateTime, DateTime): lambda a, b: TimeSpan(a.ticks - b.ticks),
    }
)
TIMESPAN.operators.update(
    {
        ("+", TimeSpan, TimeSpan): lambda a, b: _ts(a.ticks + b.ticks),
        ("-", TimeSpan, TimeSpan): lambda a, b: _ts(a.ticks - b.ticks),
        ("/", TimeSpan, TimeSpan): _ts_div,
        ("-", TimeSpan): lambda a: _ts(-a.ticks),
        ("+", TimeSpan): lambda a: a,
    }
)
for _num_t in dotnet.NUMERIC_TYPES:
    TIMESPAN.operators[("*", TimeSpan, _num_t)] = _ts_scale
    TIMESPAN.operators[("*", _num_t, TimeSpan)] = lambda a, b: _ts_scale(b, a)
    TIMESPAN.operators[("/", TimeSpan, _num_t)] = _ts_div


_OPERATORS = {**DATETIME.operators, **TIMESPAN.operators}


def _operator(op: str, a: object, b: object) -> object:
    """``a op b`` by the time types' own operators (DateTime.Add, TimeSpan.Multiply...): a null
    operand gives null, as C#'s lifted operators do."""
    if b is None:
        return None
    impl = _OPERATORS.get((op, type(a), type(b)))
    if impl is None:
        raise ExpressionError(
            "InvalidOperationException",
            f"Operator '{op}' cannot be applied to operands of type '{clr.net_name(a)}' and "
            f"'{clr.net_name(b)}'",
        )
    return impl(a, b)


def _convert_to_datetime(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    return (
        a[0]
        if isinstance(a[0], DateTime)
        else DateTime(0)
        if a[0] is None
        else parse_datetime(a[0])
    )


_ADDS = ("Days", "Hours", "Milliseconds", "Minutes", "Seconds")
DATETIME.sign(
    "new(long ticks)",
    "new(long ticks, DateTimeKind kind)",
    "new(int year, int month, int day)",
    "new(int year, int month, int day, int hour, int minute, int second)",
    "new(int year, int month, int day, int hour, int minute, int second, DateTimeKind kind)",
    "new(int year, int month, int day, int hour, int minute, int second, int millisecond)",
    "new(int year, int month, int day, int hour, int minute, int second, int millisecond, "
    "DateTimeKind kind)",
    *(
        f"int {n} {{ get; }}"
        for n in ("Day", "DayOfYear", "Hour", "Millisecond", "Minute", "Month", "Second", "Year")
    ),
    "DateTime Date { get; }",
    "DayOfWeek DayOfWeek { get; }",
    "DateTimeKind Kind { get; }",
    "long Ticks { get; }",
    "TimeSpan TimeOfDay { get; }",
    "DateTime Add(TimeSpan value)",
    *(f"DateTime Add{n}(double value)" for n in _ADDS),
    "DateTime AddMonths(int months)",
    "DateTime AddYears(int value)",
    "DateTime AddTicks(long value)",
    "TimeSpan Subtract(DateTime value)",
    "DateTime Subtract(TimeSpan value)",
    "DateTime ToLocalTime()",
    "DateTime ToUniversalTime()",
    "string ToLongDateString()",
    "string ToLongTimeString()",
    "string ToShortDateString()",
    "string ToShortTimeString()",
    "string ToString()",
    "string ToString(string format)",
    "string ToString(IFormatProvider provider)",
    "string ToString(string format, IFormatProvider provider)",
    "static readonly DateTime MaxValue",
    "static readonly DateTime MinValue",
    "static readonly DateTime UnixEpoch",
    "static DateTime Now { get; }",
    "static DateTime Today { get; }",
    "static DateTime UtcNow { get; }",
    "static int Compare(DateTime t1, DateTime t2)",
    "static int DaysInMonth(int year, int month)",
    "static bool IsLeapYear(int year)",
    "static DateTime Parse(string s)",
    "static DateTime Parse(string s, IFormatProvider provider)",
    "static DateTime Parse(string s, IFormatProvider provider, DateTimeStyles styles)",
    "static DateTime ParseExact(string s, string format, IFormatProvider provider)",
    "static DateTime ParseExact(string s, string format, IFormatProvider provider, "
    "DateTimeStyles style)",
    "static DateTime ParseExact(string s, string[] formats, IFormatProvider provider, "
    "DateTimeStyles style)",
    "static DateTime SpecifyKind(DateTime value, DateTimeKind kind)",
    "static bool TryParse(string s, out DateTime result)",
    "static bool TryParse(string s, IFormatProvider provider, DateTimeStyles styles, "
    "out DateTime result)",
    "static bool TryParseExact(string s, string format, IFormatProvider provider, "
    "DateTimeStyles style, out DateTime result)",
    "static bool TryParseExact(string s, string[] formats, IFormatProvider provider, "
    "DateTimeStyles style, out DateTime result)",
)
TIMESPAN.sign(
    "new(long ticks)",
    "new(int hours, int minutes, int seconds)",
    "new(int days, int hours, int minutes, int seconds)",
    "new(int days, int hours, int minutes, int seconds, int milliseconds)",
    *(f"int {n} {{ get; }}" for n in _ADDS),
    "long Ticks { get; }",
    *(f"double Total{n} {{ get; }}" for n in _ADDS),
    "TimeSpan Add(TimeSpan ts)",
    "TimeSpan Subtract(TimeSpan ts)",
    "TimeSpan Multiply(double factor)",
    "TimeSpan Divide(double divisor)",
    "double Divide(TimeSpan ts)",
    "TimeSpan Duration()",
    "TimeSpan Negate()",
    "string ToString()",
    "string ToString(string format)",
    "string ToString(string format, IFormatProvider formatProvider)",
    "static readonly TimeSpan MaxValue",
    "static readonly TimeSpan MinValue",
    "static readonly TimeSpan Zero",
    *(f"const long TicksPer{n}" for n in ("Day", "Hour", "Millisecond", "Minute", "Second")),
    "static int Compare(TimeSpan t1, TimeSpan t2)",
    *(f"static TimeSpan From{n}(double value)" for n in _ADDS),
    "static TimeSpan FromTicks(long value)",
    "static TimeSpan Parse(string s)",
    "static TimeSpan Parse(string input, IFormatProvider formatProvider)",
    "static bool TryParse(string s, out TimeSpan result)",
    "static bool TryParse(string input, IFormatProvider formatProvider, out TimeSpan result)",
    "static TimeSpan ParseExact(string input, string format, IFormatProvider formatProvider)",
    "static TimeSpan ParseExact(string input, string[] formats, IFormatProvider formatProvider)",
    "static TimeSpan ParseExact(string input, string format, IFormatProvider formatProvider, "
    "TimeSpanStyles styles)",
    "static TimeSpan ParseExact(string input, string[] formats, IFormatProvider formatProvider, "
    "TimeSpanStyles styles)",
    "static bool TryParseExact(string input, string format, IFormatProvider formatProvider, "
    "out TimeSpan result)",
    "static bool TryParseExact(string input, string[] formats, IFormatProvider formatProvider, "
    "out TimeSpan result)",
    "static bool TryParseExact(string input, string format, IFormatProvider formatProvider, "
    "TimeSpanStyles styles, out TimeSpan result)",
    "static bool TryParseExact(string input, string[] formats, IFormatProvider formatProvider, "
    "TimeSpanStyles styles, out TimeSpan result)",
)

TYPES: tuple[TypeRef, ...] = (
    DATETIME_KIND,
    DAY_OF_WEEK,
    STYLES,
    TS_STYLES,
    DATETIME,
    TIMESPAN,
)


def register(registry: Registry) -> None:
    """What the time types add to lower layers: their ordering, Convert.ToDateTime, and
    string.Format's formatting of them."""
    dotnet.add_compare_hook(DateTime, lambda a, b: (a.ticks > b.ticks) - (a.ticks < b.ticks))
    dotnet.add_compare_hook(TimeSpan, lambda a, b: (a.ticks > b.ticks) - (a.ticks < b.ticks))
    dotnet.add_compare_hook(
        DateTimeOffset,
        lambda a, b: (
            (a.ticks - a.offset > b.ticks - b.offset) - (a.ticks - a.offset < b.ticks - b.offset)
        ),
    )
    numerics.CONVERT.static_methods["ToDateTime"] = _convert_to_datetime
    numerics.CONVERT.sign(
        "static DateTime ToDateTime(object value)",
        "static DateTime ToDateTime(object value, IFormatProvider provider)",
    )
    strings.FORMATTABLE.update({DateTime, TimeSpan, DateTimeOffset, dotnet.Guid})
    registry.add(*TYPES)
