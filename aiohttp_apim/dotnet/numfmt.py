"""Number text as .NET (Core 3.0+, invariant culture) writes and reads it.

Writing: ``double.ToString()`` is the shortest round-trip text with .NET's switch to exponent
form (``1E+20``, ``1E-05``); ``ToString(format)`` supports the standard specifiers C, D, E, F, G,
N, P, R, X (with precision) and basic custom formats ("0.00", "#,##0.##", "000", "0%", sections
separated by ';'). Rounding is half away from zero on the exact binary value, as .NET Core does.

Reading: ``int.Parse`` (NumberStyles.Integer), ``double.Parse`` (Float | AllowThousands) and
``decimal.Parse`` (Number) with invariant-culture rules; they raise ExpressionError
FormatException / OverflowException like .NET.
"""

from __future__ import annotations

import decimal
import math
import re
import struct
from decimal import Decimal

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet.values import INT_BITS, Single
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "decimal_to_string",
    "double_to_string",
    "format_number",
    "parse_decimal",
    "parse_double",
    "parse_integer",
    "single_to_string",
]

_EXACT = decimal.Context(prec=2000, Emax=999999, Emin=-999999, rounding=decimal.ROUND_HALF_UP)
DECIMAL_MAX = Decimal("79228162514264337593543950335")
_DECIMAL_CTX = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN, Emax=999999, Emin=-999999)


def _digits_scale(text: str) -> tuple[str, int]:
    """Significant digits (no trailing zeros) and decimal-point position of a finite number."""
    d = Decimal(text)
    _, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    ds = "".join(map(str, digits)).lstrip("0")
    if not ds:
        return "", 0
    lead_zeros = len(digits) - len(ds)
    scale = len(digits) + exponent - lead_zeros
    return ds.rstrip("0"), scale


def _general(negative: bool, digits: str, scale: int, max_digits: int, exp_char: str = "E") -> str:
    """.NET's FormatGeneral: fixed unless the exponent is out of [-4, max_digits)."""
    if not digits:
        return "-0" if negative else "0"
    scientific = scale > max_digits or scale < -3
    pos = 1 if scientific else scale
    out = []
    if pos > 0:
        out.append(digits[:pos].ljust(pos, "0"))
        rest = digits[pos:]
    else:
        out.append("0")
        rest = digits
    if rest or pos < 0:
        out.append(".")
        if pos < 0:
            out.append("0" * -pos)
        out.append(rest)
    if scientific:
        e = scale - 1
        out.append(f"{exp_char}{'+' if e >= 0 else '-'}{abs(e):02d}")
    return ("-" if negative else "") + "".join(out)


def _special(x: float) -> str | None:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return None


def double_to_string(x: float) -> str:
    """``double.ToString()`` / ``"R"``: shortest round-trip digits, exponent form only past
    max(15, digit count) integer digits or below 1E-4."""
    special = _special(x)
    if special is not None:
        return special
    digits, scale = _digits_scale(repr(abs(x)))
    return _general(math.copysign(1.0, x) < 0, digits, scale, max(len(digits), 15))


def _single_repr(x: float) -> str:
    ax = abs(x)
    for p in range(1, 10):
        text = f"{ax:.{p - 1}e}"
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == ax:
            return text
    return repr(ax)


def single_to_string(x: float) -> str:
    special = _special(x)
    if special is not None:
        return special
    digits, scale = _digits_scale(_single_repr(x))
    return _general(math.copysign(1.0, x) < 0, digits, scale, max(len(digits), 7))


def decimal_to_string(d: Decimal) -> str:
    text = format(d, "f")
    if text.startswith("-") and d.is_zero():
        text = text[1:]
    return text


# ---------------------------------------------------------------- standard and custom formats

_STANDARD = re.compile(r"^([A-Za-z])(\d{0,9})$")


def _group(int_digits: str) -> str:
    out = []
    while len(int_digits) > 3:
        out.append(int_digits[-3:])
        int_digits = int_digits[:-3]
    out.append(int_digits)
    return ",".join(reversed(out))


def _fixed(value: Decimal, decimals: int) -> tuple[bool, str, str]:
    """Round half away from zero; (negative, integer digits, fraction digits)."""
    q = value.quantize(Decimal(1).scaleb(-decimals), context=_EXACT)
    negative = q.is_signed() and not q.is_zero()
    text = format(abs(q), "f")
    int_part, _, frac = text.partition(".")
    return negative, int_part, frac.ljust(decimals, "0")[:decimals] if decimals else ""


def _as_decimal(value: int | float | Decimal) -> Decimal:
    if isinstance(value, float):
        return Decimal(value)  # exact binary value
    return Decimal(value)


def _int_width(value: int | float | Decimal) -> int:
    return INT_BITS.get(type(value), 32)


def format_number(value: int | float | Decimal, fmt: str | None) -> str:
    """``x.ToString(fmt)`` for any numeric value (int subclasses carry their .NET width)."""
    is_float = isinstance(value, float)
    is_int = isinstance(value, int)
    if not fmt:
        return _default(value)
    if is_float:
        special = _special(float(value))
        if special is not None:
            return special
    m = _STANDARD.match(fmt)
    if m is None:
        return _custom(value, fmt)
    spec, prec_text = m.group(1), m.group(2)
    prec = int(prec_text) if prec_text else None
    if prec is not None:
        # Padding or rounding to the precision builds a string that long: refuse a huge one
        # before building it (.NET accepts up to 999,999,999 digits; we cap strings lower).
        clr.check_size(prec)
    upper = spec.upper()
    if upper == "D":
        if not is_int:
            raise ExpressionError("FormatException", "Format specifier was invalid.")
        iv = int(value)
        body = str(abs(iv)).rjust(prec or 0, "0")
        return ("-" if iv < 0 else "") + body
    if upper == "X":
        if not is_int:
            raise ExpressionError("FormatException", "Format specifier was invalid.")
        iv = int(value)
        if iv < 0:
            iv &= (1 << _int_width(value)) - 1
        text = format(iv, "X" if spec == "X" else "x")
        return text.rjust(prec or 0, "0")
    if upper == "R":
        return _default(value)
    d = _as_decimal(value)
    if upper in ("F", "N"):
        negative, ip, fp = _fixed(d, 2 if prec is None else prec)
        if upper == "N":
            ip = _group(ip)
        return ("-" if negative else "") + ip + ("." + fp if fp else "")
    if upper == "P":
        negative, ip, fp = _fixed(d * 100, 2 if prec is None else prec)
        return ("-" if negative else "") + _group(ip) + ("." + fp if fp else "") + " %"
    if upper == "C":
        negative, ip, fp = _fixed(d, 2 if prec is None else prec)
        body = "¤" + _group(ip) + ("." + fp if fp else "")
        return f"({body})" if negative else body
    if upper == "E":
        p = 6 if prec is None else prec
        negative = d.is_signed() and not d.is_zero()
        if d.is_zero():
            mant, exp = "0" * (p + 1), 0
        else:
            q = abs(d)
            exp = q.adjusted()
            scaled = q.scaleb(-exp).quantize(Decimal(1).scaleb(-p), context=_EXACT)
            if scaled >= 10:
                exp += 1
                scaled = q.scaleb(-exp).quantize(Decimal(1).scaleb(-p), context=_EXACT)
            mant = format(scaled, "f").replace(".", "")
        body = mant[0] + ("." + mant[1:] if p > 0 else "")
        return (
            ("-" if negative else "")
            + body
            + ("E" if spec == "E" else "e")
            + ("+" if exp >= 0 else "-")
            + f"{abs(exp):03d}"
        )
    if upper == "G":
        if prec is None or prec == 0:
            return _default(value)
        if d.is_zero():
            return "0"
        negative = d.is_signed()
        q = abs(d)
        exp = q.adjusted()
        rounded = q.quantize(Decimal(1).scaleb(exp - prec + 1), context=_EXACT)
        digits, scale = _digits_scale(format(rounded, "f"))
        return _general(negative, digits, scale, prec, "E" if spec == "G" else "e")
    raise ExpressionError("FormatException", "Format specifier was invalid.")


def _default(value: int | float | Decimal) -> str:
    if isinstance(value, Single):
        return single_to_string(value)
    if isinstance(value, float):
        return double_to_string(value)
    if isinstance(value, Decimal):
        return decimal_to_string(value)
    return str(int(value))


def _custom(value: int | float | Decimal, fmt: str) -> str:
    """Basic .NET custom numeric formats: 0 # . , % ‰ quoted literals, backslash escapes, ';'."""
    sections = _split_sections(fmt)
    d = _as_decimal(value)
    section = sections[0]
    use_sign = True
    if len(sections) >= 2 and d < 0:
        section, use_sign = sections[1], False
    if len(sections) >= 3 and d.is_zero():
        section = sections[2]
    return _apply_custom(d, section, use_sign)


def _split_sections(fmt: str) -> list[str]:
    sections, cur, i = [], [], 0
    quote: str | None = None
    while i < len(fmt):
        c = fmt[i]
        if quote:
            if c == quote:
                quote = None
            cur.append(c)
        elif c in "'\"":
            quote = c
            cur.append(c)
        elif c == "\\" and i + 1 < len(fmt):
            cur.append(fmt[i : i + 2])
            i += 1
        elif c == ";":
            sections.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    sections.append("".join(cur))
    return sections[:3]


def _tokens(section: str) -> list[tuple[str, str]]:
    """('lit', text) or ('ph', char) tokens."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        c = section[i]
        if c in "'\"":
            j = section.find(c, i + 1)
            j = len(section) if j < 0 else j
            out.append(("lit", section[i + 1 : j]))
            i = j + 1
            continue
        if c == "\\" and i + 1 < len(section):
            out.append(("lit", section[i + 1]))
            i += 2
            continue
        if c in "0#.,%‰":
            out.append(("ph", c))
        else:
            out.append(("lit", c))
        i += 1
    return out


def _apply_custom(d: Decimal, section: str, use_sign: bool) -> str:
    toks = _tokens(section)
    if not any(k == "ph" and v in "0#" for k, v in toks):
        # no digit placeholder: literal text only (sign still shown for negatives)
        text = "".join(v for _, v in toks)
        return ("-" if use_sign and d < 0 else "") + text
    for k, v in toks:
        if k == "ph" and v == "%":
            d = d * 100
        elif k == "ph" and v == "‰":
            d = d * 1000
    dot = next((i for i, (k, v) in enumerate(toks) if k == "ph" and v == "."), None)
    int_toks = toks if dot is None else toks[:dot]
    frac_toks = [] if dot is None else toks[dot + 1 :]
    grouping = False
    int_ph = [v for k, v in int_toks if k == "ph" and v in "0#"]
    # a ',' between digit placeholders turns grouping on
    seen_digit = False
    for k, v in int_toks:
        if k == "ph" and v in "0#":
            seen_digit = True
        elif k == "ph" and v == "," and seen_digit:
            grouping = True
    frac_ph = [v for k, v in frac_toks if k == "ph" and v in "0#"]
    max_frac = len(frac_ph)
    min_frac = max((i + 1 for i, v in enumerate(frac_ph) if v == "0"), default=0)
    negative, ip, fp = _fixed(d, max_frac)
    fp = fp.rstrip("0").ljust(min_frac, "0") if max_frac else ""
    min_int = len(int_ph) - next((i for i, v in enumerate(int_ph) if v == "0"), len(int_ph))
    ip = ip.lstrip("0")
    ip = ip.rjust(min_int, "0")
    if grouping and ip:
        ip = _group(ip)
    # place the integer digits at the first integer placeholder, literals kept in order
    out: list[str] = []
    placed = False
    for k, v in int_toks:
        if k == "lit":
            out.append(v)
        elif v in "0#":
            if not placed:
                out.append(ip)
                placed = True
        elif v in "%‰":
            out.append(v)
    if dot is not None:
        if fp:
            out.append(".")
        frac_iter = iter(fp)
        for k, v in frac_toks:
            if k == "lit":
                out.append(v)
            elif v in "0#":
                out.append(next(frac_iter, ""))
            elif v in "%‰":
                out.append(v)
    text = "".join(out)
    if negative and use_sign and (ip.strip("0,") or fp.strip("0")):
        text = "-" + text
    return text


# ---------------------------------------------------------------- parsing

_WS = "\t\n\v\f\r "
_INT_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_HEX_RE = re.compile(r"[0-9A-Fa-f]+", re.ASCII)
_FLOAT_RE = re.compile(
    r"([+-])?(?:([0-9][0-9,]*)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?", re.ASCII
)
_NUMBER_RE = re.compile(r"([+-])?(?:([0-9][0-9,]*)(?:\.([0-9]*))?|\.([0-9]+))", re.ASCII)
_BAD_FORMAT = "Input string was not in a correct format."


def _null(s: object, param: str = "s") -> str:
    if s is None:
        raise ExpressionError(
            "ArgumentNullException", f"Value cannot be null. (Parameter '{param}')"
        )
    if not isinstance(s, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    return s


def parse_integer(s: object, lo: int, hi: int, type_name: str, *, hex_number: bool = False) -> int:
    text = _null(s).strip(_WS)
    if hex_number:
        if not _HEX_RE.fullmatch(text):
            raise ExpressionError("FormatException", _BAD_FORMAT)
        v = int(text, 16)
        width = (hi - lo).bit_length()
        if v >= 1 << width:
            raise ExpressionError(
                "OverflowException",
                f"Value was either too large or too small for {_article(type_name)}.",
            )
        if lo < 0 and v > hi:
            v -= 1 << width
        return v
    if not _INT_RE.fullmatch(text):
        raise ExpressionError("FormatException", _BAD_FORMAT)
    v = int(text)
    if v < lo or v > hi:
        raise ExpressionError(
            "OverflowException",
            f"Value was either too large or too small for {_article(type_name)}.",
        )
    return v


def _article(type_name: str) -> str:
    return ("an " if type_name[0] in "AEIOUaeiou" else "a ") + type_name


def parse_double(s: object) -> float:
    text = _null(s).strip(_WS)
    low = text.lower()
    if low in ("nan", "-nan", "+nan"):
        return math.nan
    if low in ("infinity", "+infinity", "∞", "+∞"):
        return math.inf
    if low in ("-infinity", "-∞"):
        return -math.inf
    m = _FLOAT_RE.fullmatch(text)
    if m is None:
        raise ExpressionError("FormatException", _BAD_FORMAT)
    sign, ip, fp, only_frac, exp = m.groups()
    digits = (ip or "0").replace(",", "") + "." + (fp or only_frac or "0")
    try:
        return float((sign or "") + digits + (("e" + exp) if exp else ""))
    except OverflowError:  # pragma: no cover - float() returns inf rather than raising
        return math.inf if sign != "-" else -math.inf


def parse_decimal(s: object) -> Decimal:
    text = _null(s).strip(_WS)
    m = _NUMBER_RE.fullmatch(text)
    if m is None:
        raise ExpressionError("FormatException", _BAD_FORMAT)
    sign, ip, fp, only_frac = m.groups()
    d = Decimal((sign or "") + (ip or "0").replace(",", "") + "." + (fp or only_frac or "0"))
    return to_decimal_range(d)


def to_decimal_range(d: Decimal) -> Decimal:
    """Round to .NET decimal precision (28-29 digits) and check its range."""
    if not d.is_finite() or abs(d) > DECIMAL_MAX:
        raise ExpressionError(
            "OverflowException", "Value was either too large or too small for a Decimal."
        )
    if d == d.to_integral_value():
        # keep the scale the text had, as .NET does (1.50 stays 1.50), within 28 places
        pass
    _, digits, exponent = d.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > 28 or exponent < -28:
        d = _DECIMAL_CTX.plus(d)
        exp = d.as_tuple().exponent
        if isinstance(exp, int) and exp < -28:
            d = d.quantize(Decimal(1).scaleb(-28), context=_DECIMAL_CTX)
    return d
