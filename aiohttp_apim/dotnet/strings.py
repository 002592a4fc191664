"""System.String (instance and static members), composite formatting, Char and StringBuilder.

Comparisons default to ordinal where .NET would use the current culture (IndexOf(string),
StartsWith(string), ...): the gateway's culture is not ours to guess and ordinal is what policy
authors mean in key and header code. ``CompareTo``/``String.Compare`` approximate invariant
culture order (case-insensitive first, lowercase before uppercase) and return -1/0/1.
Every string an expression builds is capped at clr.MAX_STRING_LENGTH (OutOfMemoryException).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import NoReturn

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import numfmt
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import (
    Registry,
    TypeRef,
    arity,
    check_length,
    declare,
    enumerate_raw,
    throw,
)
from aiohttp_apim.dotnet.primitives import (
    Char,
    NetEnum,
    NetFlags,
    StringComparison,
    StringSplitOptions,
    comparison_key,
    culture_compare,
    ordinal_compare,
    to_string,
)
from aiohttp_apim.errors import ExpressionError

__all__ = ["NetStringBuilder", "format_composite", "format_value", "is_whitespace", "split"]

WHITESPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS_STR = "".join(sorted(WHITESPACE))


def is_whitespace(c: str) -> bool:
    return c in WHITESPACE


def _str_arg(v: object, param: str, method: str) -> str:
    if v is None:
        raise ExpressionError(
            "ArgumentNullException", f"Value cannot be null. (Parameter '{param}')"
        )
    if not isinstance(v, str):
        raise ExpressionError(
            "ArgumentException",
            f"Argument '{param}' of '{method}': cannot convert from "
            f"'{clr.net_name(v)}' to 'string'",
        )
    return v


def _int_arg(v: object, param: str) -> int:
    if dotnet.is_integral(v):
        return int(v)
    if type(v) is Char:
        return ord(v)
    raise ExpressionError(
        "ArgumentException", f"Argument '{param}': cannot convert from '{clr.net_name(v)}' to 'int'"
    )


def _out_of_range(param: str, message: str) -> NoReturn:
    raise ExpressionError("ArgumentOutOfRangeException", f"{message} (Parameter '{param}')")


def upper(s: str) -> str:
    if s.isascii():
        return s.upper()
    return "".join(u if len(u := c.upper()) == 1 else c for c in s)


def lower(s: str) -> str:
    if s.isascii():
        return s.lower()
    return "".join(u if len(u := c.lower()) == 1 else c for c in s)


# ---------------------------------------------------------------- Split


def _char_list(v: object, method: str) -> list[str]:
    if isinstance(v, list):
        out = []
        for x in v:
            if not isinstance(x, str):
                raise ExpressionError(
                    "ArgumentException",
                    f"Argument of '{method}': array elements must be char or string",
                )
            out.append(x)
        return out
    if isinstance(v, str):
        return [v]
    raise ExpressionError(
        "ArgumentException",
        f"Argument of '{method}': cannot convert from '{clr.net_name(v)}' to 'char[]'",
    )


def split(s: str, args: Sequence[object]) -> list[object]:
    """All overloads of String.Split (char / char[] / string / string[], count, options)."""
    chars: list[str] | None = None  # single chars
    strings: list[str] | None = None  # multi-char separators (string overloads)
    single_string = False
    count = 2**31 - 1
    options = 0
    whitespace = False
    if not args:
        whitespace = True
    for i, a in enumerate(args):
        if isinstance(a, StringSplitOptions):
            options = int(a)
        elif type(a) is int and i > 0:
            count = a
        elif type(a) is Char:
            chars = [*(chars or []), str(a)]
        elif isinstance(a, str) and i == 0:
            strings, single_string = [a], True
        elif isinstance(a, list) and i == 0:
            items = _char_list(a, "Split")
            if all(type(x) is Char for x in items) or not items:
                chars = [str(x) for x in items]
            else:
                strings = items
        elif a is None and i == 0:
            whitespace = True
        else:
            raise ExpressionError(
                "ArgumentException", f"Argument {i + 1} of 'Split': unexpected '{clr.net_name(a)}'"
            )
    if count < 0:
        _out_of_range("count", "Count cannot be less than zero.")
    if options & ~3:
        raise ExpressionError(
            "ArgumentException", f"Value of flags is invalid: {options}. (Parameter 'options')"
        )
    if chars is not None and not chars:
        whitespace = True
    if strings is not None and not single_string and not any(strings):
        whitespace = True
    remove_empty = bool(options & 1)
    trim = bool(options & 2)
    if count <= 1 or not s:
        cand = s
        if trim and count > 0:
            cand = cand.strip(_WS_STR)
        if remove_empty and not cand:
            count = 0
        return [] if count == 0 else [cand]
    if strings is not None and single_string and not strings[0]:
        cand = s.strip(_WS_STR) if trim else s
        return [] if remove_empty and not cand else [cand]
    # positions of separators: (index, length)
    seps: list[tuple[int, int]] = []
    i = 0
    n = len(s)
    limit = count - 1 if not (remove_empty or trim) else n + 1
    if whitespace:
        while i < n and len(seps) < limit:
            if s[i] in WHITESPACE:
                seps.append((i, 1))
            i += 1
    elif chars is not None:
        charset = set(chars)
        while i < n and len(seps) < limit:
            if s[i] in charset:
                seps.append((i, 1))
            i += 1
    else:
        assert strings is not None
        cands = [x for x in strings if x]
        while i < n and len(seps) < limit:
            for sep in cands:
                if s.startswith(sep, i):
                    seps.append((i, len(sep)))
                    i += len(sep)
                    break
            else:
                i += 1
    out: list[object] = []
    cur = 0
    k = 0
    while k < len(seps):
        pos, ln = seps[k]
        entry = s[cur:pos]
        if trim:
            entry = entry.strip(_WS_STR)
        if entry or not remove_empty:
            out.append(entry)
        cur = pos + ln
        if len(out) == count - 1:
            if remove_empty:
                k += 1
                while k < len(seps):
                    pos, ln = seps[k]
                    entry = s[cur:pos]
                    if trim:
                        entry = entry.strip(_WS_STR)
                    if entry:
                        break
                    cur = pos + ln
                    k += 1
            break
        k += 1
    last = s[cur:]
    if trim:
        last = last.strip(_WS_STR)
    if last or not remove_empty:
        out.append(last)
    clr.check_items(len(out))
    return out


# ---------------------------------------------------------------- composite formatting

FORMATTABLE: set[type] = set(dotnet.NUMERIC_TYPES)
"""Types whose ToString(format) is used by composite formatting ({0:N2}); others get ToString()."""


def format_value(value: object, fmt: str | None) -> str:
    if fmt and type(value) in FORMATTABLE:
        if dotnet.is_numeric(value):
            return numfmt.format_number(value, fmt)
        table = clr.TABLES.get(type(value)) or clr.table_of(value)
        result = table.methods["ToString"](value, (fmt,), ())
        return result if isinstance(result, str) else ""
    if fmt and isinstance(value, (NetEnum, NetFlags)):
        if fmt.upper() == "D":
            return str(int(value))
        if fmt.upper() == "X":
            return format(int(value), "08X")
    return to_string(value)


_BAD_FORMAT = "Input string was not in a correct format."


def format_composite(fmt: str, args: Sequence[object]) -> str:
    out: list[str] = []
    total = 0
    i, n = 0, len(fmt)
    while i < n:
        c = fmt[i]
        if c == "{":
            if i + 1 < n and fmt[i + 1] == "{":
                out.append("{")
                i += 2
                continue
            j = i + 1
            start = j
            while j < n and fmt[j].isdigit() and fmt[j].isascii():
                j += 1
            if j == start:
                raise ExpressionError("FormatException", _BAD_FORMAT)
            idx = int(fmt[start:j])
            while j < n and fmt[j] == " ":
                j += 1
            align = 0
            if j < n and fmt[j] == ",":
                j += 1
                while j < n and fmt[j] == " ":
                    j += 1
                k = j
                if k < n and fmt[k] == "-":
                    k += 1
                while k < n and fmt[k].isdigit() and fmt[k].isascii():
                    k += 1
                if k == j or fmt[j:k] == "-":
                    raise ExpressionError("FormatException", _BAD_FORMAT)
                align = int(fmt[j:k])
                j = k
                while j < n and fmt[j] == " ":
                    j += 1
            spec: str | None = None
            if j < n and fmt[j] == ":":
                k = j + 1
                parts = []
                while k < n:
                    if fmt[k] == "}":
                        if k + 1 < n and fmt[k + 1] == "}":
                            parts.append("}")
                            k += 2
                            continue
                        break
                    if fmt[k] == "{":
                        if k + 1 < n and fmt[k + 1] == "{":
                            parts.append("{")
                            k += 2
                            continue
                        raise ExpressionError("FormatException", _BAD_FORMAT)
                    parts.append(fmt[k])
                    k += 1
                spec = "".join(parts)
                j = k
            if j >= n or fmt[j] != "}":
                raise ExpressionError("FormatException", _BAD_FORMAT)
            if idx >= len(args):
                raise ExpressionError(
                    "FormatException",
                    "Index (zero based) must be greater than or equal to zero "
                    "and less than the size of the argument list.",
                )
            text = format_value(args[idx], spec)
            clr.check_size(abs(align))
            if align > 0:
                text = text.rjust(align)
            elif align < 0:
                text = text.ljust(-align)
            out.append(text)
            total += len(text)
            if total > clr.MAX_STRING_LENGTH:
                check_length("".join(out))
            i = j + 1
        elif c == "}":
            if i + 1 < n and fmt[i + 1] == "}":
                out.append("}")
                i += 2
                continue
            raise ExpressionError("FormatException", _BAD_FORMAT)
        else:
            j = i
            while j < n and fmt[j] not in "{}":
                j += 1
            out.append(fmt[i:j])
            i = j
    return check_length("".join(out))


def _format(args: Sequence[object], targs: Sequence[TypeRef]) -> str:
    rest = list(args)
    if rest and isinstance(rest[0], dotnet.CultureInfo):
        rest = rest[1:]
    if not rest:
        arity("String", "Format", args, 1, 2, 3, 4)
    fmt = _str_arg(rest[0], "format", "Format")
    values = rest[1:]
    if len(values) == 1 and isinstance(values[0], list):
        values = list(values[0])
    return format_composite(fmt, values)


# ---------------------------------------------------------------- instance methods


def _m_substring(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("String", "Substring", a, 1, 2)
    start = _int_arg(a[0], "startIndex")
    if start < 0 or start > len(s):
        _out_of_range(
            "startIndex",
            "startIndex cannot be larger than length of string."
            if start > len(s)
            else "StartIndex cannot be less than zero.",
        )
    if len(a) == 1:
        return s[start:]
    length = _int_arg(a[1], "length")
    if length < 0 or start + length > len(s):
        _out_of_range(
            "length",
            "Index and length must refer to a location within the string."
            if length >= 0
            else "Length cannot be less than zero.",
        )
    return s[start : start + length]


def _find_args(
    s: str, a: Sequence[object], name: str
) -> tuple[str, int, int, Callable[[str], str]]:
    """(needle, start, end, key) for IndexOf-like overloads."""
    arity("String", name, a, 1, 2, 3, 4)
    needle = a[0]
    if needle is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    if not isinstance(needle, str):
        raise ExpressionError(
            "ArgumentException",
            f"Argument 1 of '{name}': cannot convert from '{clr.net_name(needle)}' to 'string'",
        )
    rest = list(a[1:])
    key: Callable[[str], str] = dotnet._identity
    if rest and isinstance(rest[-1], (StringComparison, dotnet.StringComparer)):
        key = comparison_key(rest.pop())
    start, end = 0, len(s)
    if rest:
        start = _int_arg(rest[0], "startIndex")
        if start < 0 or start > len(s):
            _out_of_range(
                "startIndex",
                "Index was out of range. Must be non-negative and less than "
                "or equal to the size of the collection.",
            )
        if len(rest) > 1:
            cnt = _int_arg(rest[1], "count")
            if cnt < 0 or start + cnt > len(s):
                _out_of_range(
                    "count",
                    "Count must be positive and count must refer to a location "
                    "within the string/array/collection.",
                )
            end = start + cnt
    return needle, start, end, key


def _m_index_of(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    needle, start, end, key = _find_args(s, a, "IndexOf")
    if key is not dotnet._identity:
        return _keyed_find(s, needle, start, end, key)
    return s.find(needle, start, end)


def _keyed_find(s: str, needle: str, start: int, end: int, key: Callable[[str], str]) -> int:
    kn = key(needle)
    for i in range(start, end - len(needle) + 1):
        if key(s[i : i + len(needle)]) == kn:
            return i
    return -1


def _m_last_index_of(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("String", "LastIndexOf", a, 1, 2, 3)
    needle = a[0]
    if not isinstance(needle, str):
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    rest = list(a[1:])
    key: Callable[[str], str] = dotnet._identity
    if rest and isinstance(rest[-1], StringComparison):
        key = comparison_key(rest.pop())
    end = len(s)
    if rest:
        start = _int_arg(rest[0], "startIndex")
        if s and (start < 0 or start >= len(s)):
            _out_of_range(
                "startIndex",
                "Index was out of range. Must be non-negative and less than "
                "the size of the collection.",
            )
        end = start + 1
    if key is not dotnet._identity:
        kn, ks = key(needle), key(s[:end])
        return ks.rfind(kn) if len(ks) == end else s.rfind(needle, 0, end)
    return s.rfind(needle, 0, end)


def _m_index_of_any(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("String", "IndexOfAny", a, 1, 2)
    chars = set(_char_list(a[0], "IndexOfAny"))
    start = _int_arg(a[1], "startIndex") if len(a) > 1 else 0
    for i in range(start, len(s)):
        if s[i] in chars:
            return i
    return -1


def _m_contains(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("String", "Contains", a, 1, 2)
    needle = a[0]
    if needle is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    if not isinstance(needle, str):
        raise ExpressionError(
            "ArgumentException",
            f"Argument 1 of 'Contains': cannot convert from '{clr.net_name(needle)}' to 'string'",
        )
    if len(a) == 2:
        key = comparison_key(a[1])
        return key(needle) in key(s)
    return needle in s


def _starts_ends(name: str, ends: bool) -> clr.Method:
    def impl(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("String", name, a, 1, 2, 3)
        v = a[0]
        if v is None:
            raise ExpressionError(
                "ArgumentNullException", "Value cannot be null. (Parameter 'value')"
            )
        if not isinstance(v, str):
            raise ExpressionError(
                "ArgumentException",
                f"Argument 1 of '{name}': cannot convert from '{clr.net_name(v)}' to 'string'",
            )
        if len(a) == 2 and isinstance(a[1], (StringComparison, dotnet.StringComparer)):
            key = comparison_key(a[1])
            s2, v2 = key(s), key(v)
        elif len(a) == 3:  # (value, ignoreCase, culture)
            s2, v2 = (s.casefold(), v.casefold()) if a[1] is True else (s, v)
        else:
            s2, v2 = s, v
        return s2.endswith(v2) if ends else s2.startswith(v2)

    return impl


def _trim_chars(a: Sequence[object], name: str) -> str:
    if not a or (len(a) == 1 and a[0] is None):
        return _WS_STR
    chars: list[str] = []
    for x in a:
        chars.extend(_char_list(x, name))
    return "".join(chars) if chars else _WS_STR


def _m_split(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    return split(s, a)


def _m_replace(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("String", "Replace", a, 2, 3, 4)
    old, new = a[0], a[1]
    if old is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'oldValue')"
        )
    if not isinstance(old, str):
        raise ExpressionError(
            "ArgumentException", "Argument 1 of 'Replace': cannot convert to 'string'"
        )
    if old == "":
        raise ExpressionError(
            "ArgumentException", "String cannot be of zero length. (Parameter 'oldValue')"
        )
    new_s = "" if new is None else new
    if not isinstance(new_s, str):
        raise ExpressionError(
            "ArgumentException", "Argument 2 of 'Replace': cannot convert to 'string'"
        )
    if len(a) > 2:
        mode = (
            a[2]
            if isinstance(a[2], StringComparison)
            else (StringComparison.OrdinalIgnoreCase if a[2] is True else StringComparison.Ordinal)
        )
        if int(mode) % 2 == 1:
            import re

            result = re.sub(re.escape(old), lambda m: new_s, s, flags=re.IGNORECASE)
            return check_length(result)
    if new_s and len(new_s) > len(old):
        # estimate before building: s.count is cheap and bounds the result
        grow = s.count(old) * (len(new_s) - len(old))
        if len(s) + grow > clr.MAX_STRING_LENGTH:
            clr.check_size(len(s) + grow)
    return s.replace(old, new_s)


def _pad(name: str, left: bool) -> clr.Method:
    def impl(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
        arity("String", name, a, 1, 2)
        width = _int_arg(a[0], "totalWidth")
        if width < 0:
            _out_of_range("totalWidth", "Non-negative number required.")
        if width > clr.MAX_STRING_LENGTH:
            clr.check_size(clr.MAX_STRING_LENGTH + 1)
        ch = str(a[1]) if len(a) == 2 else " "
        return s.rjust(width, ch) if left else s.ljust(width, ch)

    return impl


def _m_insert(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("String", "Insert", a, 2)
    i = _int_arg(a[0], "startIndex")
    v = _str_arg(a[1], "value", "Insert")
    if i < 0 or i > len(s):
        _out_of_range(
            "startIndex",
            "Index was out of range. Must be non-negative and less than or "
            "equal to the size of the collection.",
        )
    return check_length(s[:i] + v + s[i:])


def _m_remove(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("String", "Remove", a, 1, 2)
    i = _int_arg(a[0], "startIndex")
    if i < 0 or i > len(s) or (len(a) == 1 and i == len(s) and False):
        _out_of_range(
            "startIndex",
            "StartIndex cannot be less than zero."
            if i < 0
            else "startIndex must be less than length of string.",
        )
    if len(a) == 1:
        if i >= len(s) and i != len(s):
            _out_of_range("startIndex", "startIndex must be less than length of string.")
        return s[:i]
    c = _int_arg(a[1], "count")
    if c < 0 or i + c > len(s):
        _out_of_range("count", "Index and count must refer to a location within the string.")
    return s[:i] + s[i + c :]


def _m_equals(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("String", "Equals", a, 1, 2)
    other = a[0]
    if len(a) == 2:
        if other is None:
            return False
        key = comparison_key(a[1])
        return isinstance(other, str) and key(s) == key(other)
    return type(other) is str and s == other


def _m_compare_to(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("String", "CompareTo", a, 1)
    if a[0] is None:
        return 1
    return culture_compare(s, _str_arg(a[0], "strB", "CompareTo"))


def _m_to_string(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("String", "ToString", a, 0, 1)
    return str.__str__(s)


def _m_to_char_array(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    arity("String", "ToCharArray", a, 0, 2)
    if len(a) == 2:
        i, n = _int_arg(a[0], "startIndex"), _int_arg(a[1], "length")
        if i < 0 or n < 0 or i + n > len(s):
            _out_of_range("startIndex", "Index was out of range.")
        s = s[i : i + n]
    return [Char(c) for c in s]


def _simple(name: str, fn: Callable[[str], object]) -> clr.Method:
    def impl(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        arity("String", name, a, 0, 1)  # ToUpper(CultureInfo) accepted
        return fn(s)

    return impl


def _trim(name: str, how: str) -> clr.Method:
    def impl(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> str:
        chars = _trim_chars(a, name)
        return (
            s.strip(chars)
            if how == "both"
            else (s.lstrip(chars) if how == "start" else s.rstrip(chars))
        )

    return impl


# ---------------------------------------------------------------- UTF-16 code units
# .NET strings are UTF-16: a character beyond the BMP (an emoji) is two chars, a surrogate pair.
# Python strings hold it as one code point. Lengths, indexes and chars are computed on a view of
# the string with each such character split into its pair; ASCII and other BMP strings (nearly
# all) take the fast path, one C-level check.

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _split_pair(m: re.Match[str]) -> str:
    c = ord(m.group()) - 0x10000
    return chr(0xD800 + (c >> 10)) + chr(0xDC00 + (c & 0x3FF))


def _join_pair(m: re.Match[str]) -> str:
    pair = m.group()
    return chr(0x10000 + ((ord(pair[0]) - 0xD800) << 10) + (ord(pair[1]) - 0xDC00))


def to_units(s: str) -> str:
    """``s`` as UTF-16 code units: characters beyond the BMP as their surrogate pairs."""
    return s if s.isascii() else _ASTRAL.sub(_split_pair, s)


def from_units(u: str) -> str:
    """Code units back to a string: surrogate pairs joined (a lone surrogate stays)."""
    return u if u.isascii() else _PAIR.sub(_join_pair, u)


def utf16_length(s: str) -> int:
    """String.Length: UTF-16 code units."""
    if s.isascii():
        return len(s)
    return len(s) + len(_ASTRAL.findall(s))


def in_units(fn: clr.Method) -> clr.Method:
    """A String method whose indexes and lengths are UTF-16 code units: run on the code-unit
    view when the receiver has a character beyond the BMP, strings in the result joined back."""

    def impl(s: str, a: Sequence[object], t: Sequence[TypeRef]) -> object:
        if s.isascii() or _ASTRAL.search(s) is None:
            return fn(s, a, t)
        args = [to_units(x) if type(x) is str else x for x in a]
        result = fn(_ASTRAL.sub(_split_pair, s), args, t)
        if type(result) is str:
            return from_units(result)
        return result

    impl.__name__ = getattr(fn, "__name__", "impl")
    return impl


def _str_index(s: str, args: Sequence[object]) -> Char:
    if len(args) != 1:
        raise ExpressionError("ArgumentException", "Wrong number of indices inside []; expected 1")
    i = _int_arg(args[0], "index")
    if not s.isascii():
        s = to_units(s)
    if i < 0 or i >= len(s):
        raise ExpressionError(
            "IndexOutOfRangeException", "Index was outside the bounds of the array."
        )
    return Char(s[i])


STRING = declare("String", "System.String", (str,), aliases=("string",))
STRING.members["Length"] = utf16_length
STRING.indexer = _str_index
STRING.iterate = lambda s: [Char(c) for c in to_units(s)]
STRING.methods.update(
    {
        "Substring": in_units(_m_substring),
        "IndexOf": in_units(_m_index_of),
        "LastIndexOf": in_units(_m_last_index_of),
        "IndexOfAny": in_units(_m_index_of_any),
        "Contains": _m_contains,
        "StartsWith": _starts_ends("StartsWith", False),
        "EndsWith": _starts_ends("EndsWith", True),
        "Split": _m_split,
        "Trim": _trim("Trim", "both"),
        "TrimStart": _trim("TrimStart", "start"),
        "TrimEnd": _trim("TrimEnd", "end"),
        "ToLower": _simple("ToLower", lower),
        "ToUpper": _simple("ToUpper", upper),
        "ToLowerInvariant": _simple("ToLowerInvariant", lower),
        "ToUpperInvariant": _simple("ToUpperInvariant", upper),
        "Replace": _m_replace,
        "Equals": _m_equals,
        "CompareTo": _m_compare_to,
        "PadLeft": in_units(_pad("PadLeft", True)),
        "PadRight": in_units(_pad("PadRight", False)),
        "Insert": in_units(_m_insert),
        "Remove": in_units(_m_remove),
        "ToCharArray": in_units(_m_to_char_array),
        "ToString": _m_to_string,
        "Clone": lambda s, a, t: s,
        "Normalize": lambda s, a, t: unicodedata.normalize("NFC", s),
        "GetHashCode": lambda s, a, t: dotnet.wrap_int(int, hash(s)),
    }
)


# ---------------------------------------------------------------- static members


def _is_null_or_empty(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("String", "IsNullOrEmpty", a, 1)
    return a[0] is None or a[0] == ""


def _is_null_or_ws(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("String", "IsNullOrWhiteSpace", a, 1)
    v = a[0]
    return v is None or (isinstance(v, str) and all(c in WHITESPACE for c in v))


def _items(v: object) -> Iterable[object]:
    if v is None:
        throw("NullReferenceException", "Object reference not set to an instance of an object.")
    return enumerate_raw(v)


def _join(a: Sequence[object], t: Sequence[TypeRef]) -> str:
    if len(a) < 2:
        arity("String", "Join", a, 2)
    sep = a[0]
    sep_s = (
        ""
        if sep is None
        else str.__str__(sep)
        if isinstance(sep, str)
        else throw("ArgumentException", "Argument 1 of 'Join': cannot convert to 'string'")
    )
    values: Iterable[object]
    if len(a) == 2 and a[1] is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'values')")
    if len(a) == 2 and not isinstance(a[1], str):
        values = _items(a[1])
    elif len(a) == 4 and isinstance(a[1], list) and type(a[2]) is int:
        arr = a[1]
        start, count = int(a[2]), _int_arg(a[3], "count")
        if start < 0 or count < 0 or start + count > len(arr):
            _out_of_range("startIndex", "Index was out of range.")
        values = arr[start : start + count]
    else:
        values = a[1:]
    parts: list[str] = []
    total = 0
    for v in values:
        text = to_string(v)
        total += len(text) + len(sep_s)
        if total > clr.MAX_STRING_LENGTH + len(sep_s):
            clr.check_size(total)
        parts.append(text)
    return check_length(sep_s.join(parts))


def _concat(a: Sequence[object], t: Sequence[TypeRef]) -> str:
    values: Iterable[object] = a
    if len(a) == 1 and a[0] is not None and not isinstance(a[0], str):
        values = _items(a[0])
    parts: list[str] = []
    total = 0
    for v in values:
        text = to_string(v)
        total += len(text)
        if total > clr.MAX_STRING_LENGTH:
            clr.check_size(total)
        parts.append(text)
    return "".join(parts)


def _compare(a: Sequence[object], t: Sequence[TypeRef]) -> int:
    arity("String", "Compare", a, 2, 3, 4)
    x, y = a[0], a[1]
    if x is None or y is None:
        return 0 if x is y else (-1 if x is None else 1)
    xs, ys = _str_arg(x, "strA", "Compare"), _str_arg(y, "strB", "Compare")
    if len(a) == 3:
        mode = a[2]
        if mode is True:
            return culture_compare(xs.casefold(), ys.casefold())
        if mode is False:
            return culture_compare(xs, ys)
        if isinstance(mode, StringComparison):
            if mode in (StringComparison.Ordinal,):
                return ordinal_compare(xs, ys)
            if mode == StringComparison.OrdinalIgnoreCase:
                return ordinal_compare(upper(xs), upper(ys))
            if int(mode) % 2 == 1:
                return culture_compare(xs.casefold(), ys.casefold())
            return culture_compare(xs, ys)
    return culture_compare(xs, ys)


def _static_equals(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("String", "Equals", a, 2, 3)
    x, y = a[0], a[1]
    if x is None or y is None:
        return x is y
    if len(a) == 3:
        key = comparison_key(a[2])
        return isinstance(x, str) and isinstance(y, str) and key(x) == key(y)
    return type(x) is str and type(y) is str and x == y


def _new_string(a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("String", ".ctor", a, 1, 2, 3)
    if len(a) == 2 and isinstance(a[0], str):
        n = _int_arg(a[1], "count")
        if n < 0:
            _out_of_range("count", "Non-negative number required.")
        if n > clr.MAX_STRING_LENGTH:
            clr.check_size(clr.MAX_STRING_LENGTH + 1)
        return str(a[0]) * n
    if isinstance(a[0], list):
        chars = a[0]
        if len(a) == 3:
            i, n = _int_arg(a[1], "startIndex"), _int_arg(a[2], "length")
            chars = chars[i : i + n]
        return check_length(from_units("".join(str(c) for c in chars)))
    raise ExpressionError(
        "ArgumentException", "No overload of String constructor matches the arguments"
    )


STRING.statics["Empty"] = lambda: ""
STRING.static_methods.update(
    {
        "IsNullOrEmpty": _is_null_or_empty,
        "IsNullOrWhiteSpace": _is_null_or_ws,
        "Join": _join,
        "Concat": _concat,
        "Format": _format,
        "Compare": _compare,
        "CompareOrdinal": lambda a, t: _compare([a[0], a[1], StringComparison.Ordinal], t),
        "Equals": _static_equals,
        "Copy": lambda a, t: a[0],
    }
)
STRING.construct = _new_string


def _to_string_cast(v: object) -> object:
    if v is None or type(v) is str:
        return v
    raise ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(v, full=True)}' to type 'System.String'.",
    )


STRING.convert = _to_string_cast


# ---------------------------------------------------------------- Char statics


def _char_pred(name: str, fn: Callable[[str], bool]) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
        arity("Char", name, a, 1, 2)
        v = a[0]
        if len(a) == 2:
            s = to_units(_str_arg(v, "s", name))
            i = _int_arg(a[1], "index")
            if i < 0 or i >= len(s):
                _out_of_range("index", "Index was out of range.")
            v = s[i]
        if not isinstance(v, str) or len(v) != 1:
            raise ExpressionError(
                "ArgumentException", f"Argument 1 of 'Char.{name}': cannot convert to 'char'"
            )
        return fn(v)

    return impl


def _cat(*prefixes: str) -> Callable[[str], bool]:
    return lambda c: unicodedata.category(c).startswith(prefixes)


def _char_map(name: str, fn: Callable[[str], str]) -> clr.StaticMethod:
    def impl(a: Sequence[object], t: Sequence[TypeRef]) -> Char:
        arity("Char", name, a, 1, 2)
        return Char(fn(str(a[0])))

    return impl


def _char_parse(a: Sequence[object], t: Sequence[TypeRef]) -> Char:
    arity("Char", "Parse", a, 1)
    s = _str_arg(a[0], "s", "Parse")
    if len(s) != 1:
        raise ExpressionError("FormatException", "String must be exactly one character long.")
    return Char(s)


def _pair_at(a: Sequence[object]) -> str:
    """The two code units of (char high, char low) or (string s, int index)."""
    if isinstance(a[0], str) and type(a[1]) is int:
        units = to_units(a[0])
        i = _int_arg(a[1], "index")
        if i < 0 or i >= len(units):
            _out_of_range("index", "Index was out of range.")
        return units[i : i + 2]
    return f"{a[0]}{a[1]}"


def _surrogate_pair(a: Sequence[object]) -> bool:
    arity("Char", "IsSurrogatePair", a, 2)
    pair = _pair_at(a)
    return len(pair) == 2 and "\ud800" <= pair[0] <= "\udbff" and "\udc00" <= pair[1] <= "\udfff"


def _from_utf32(a: Sequence[object]) -> str:
    arity("Char", "ConvertFromUtf32", a, 1)
    code = _int_arg(a[0], "utf32")
    if not 0 <= code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        _out_of_range(
            "utf32",
            "A valid UTF32 value is between 0x000000 and 0x10ffff, inclusive, "
            "and should not include surrogate codepoint values (0x00d800 ~ 0x00dfff).",
        )
    return chr(code)


def _to_utf32(a: Sequence[object]) -> int:
    arity("Char", "ConvertToUtf32", a, 2)
    pair = _pair_at(a)
    first = pair[0]
    if not "\ud800" <= first <= "\udfff":
        return ord(first)
    if len(pair) == 2 and first <= "\udbff" and "\udc00" <= pair[1] <= "\udfff":
        return 0x10000 + ((ord(first) - 0xD800) << 10) + (ord(pair[1]) - 0xDC00)
    raise ExpressionError(
        "ArgumentException",
        "Found a high surrogate char without a following "
        "low surrogate at index: 0. The input may not be in this encoding, "
        "or may not contain valid Unicode (UTF-16) characters.",
    )


CHAR_MEMBERS: dict[str, clr.StaticMethod] = {
    "IsDigit": _char_pred("IsDigit", str.isdecimal),
    "IsLetter": _char_pred("IsLetter", str.isalpha),
    "IsLetterOrDigit": _char_pred("IsLetterOrDigit", lambda c: c.isalpha() or c.isdecimal()),
    "IsWhiteSpace": _char_pred("IsWhiteSpace", is_whitespace),
    "IsUpper": _char_pred("IsUpper", _cat("Lu")),
    "IsLower": _char_pred("IsLower", _cat("Ll")),
    "IsPunctuation": _char_pred("IsPunctuation", _cat("P")),
    "IsSymbol": _char_pred("IsSymbol", _cat("S")),
    "IsControl": _char_pred("IsControl", _cat("Cc")),
    "IsNumber": _char_pred("IsNumber", _cat("N")),
    "IsSeparator": _char_pred("IsSeparator", _cat("Z")),
    "IsSurrogate": _char_pred("IsSurrogate", _cat("Cs")),
    "IsAscii": _char_pred("IsAscii", str.isascii),
    "IsHighSurrogate": _char_pred("IsHighSurrogate", lambda c: "\ud800" <= c <= "\udbff"),
    "IsLowSurrogate": _char_pred("IsLowSurrogate", lambda c: "\udc00" <= c <= "\udfff"),
    "IsSurrogatePair": lambda a, t: _surrogate_pair(a),
    "ConvertFromUtf32": lambda a, t: _from_utf32(a),
    "ConvertToUtf32": lambda a, t: _to_utf32(a),
    "ToUpper": _char_map("ToUpper", upper),
    "ToLower": _char_map("ToLower", lower),
    "ToUpperInvariant": _char_map("ToUpperInvariant", upper),
    "ToLowerInvariant": _char_map("ToLowerInvariant", lower),
    "Parse": _char_parse,
    "GetNumericValue": lambda a, t: float(unicodedata.numeric(str(a[0]), -1.0)),
    "ToString": lambda a, t: str(a[0]),
}


# ---------------------------------------------------------------- StringBuilder


class NetStringBuilder:
    """System.Text.StringBuilder (capped like strings)."""

    __slots__ = ("_len", "_parts")

    def __init__(self, text: str = "") -> None:
        self._parts: list[str] = [text] if text else []
        self._len = len(text)

    def append(self, text: str) -> None:
        self._len += len(text)
        if self._len > clr.MAX_STRING_LENGTH:
            clr.check_size(self._len)
        self._parts.append(text)

    def text(self) -> str:
        if len(self._parts) > 1:
            clr.check_size(self._len)  # a long text is charged to the budget as it is joined
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def set(self, text: str) -> None:
        check_length(text)
        self._parts = [text] if text else []
        self._len = len(text)


def _sb_append(sb: NetStringBuilder, a: Sequence[object], t: Sequence[TypeRef]) -> NetStringBuilder:
    arity("StringBuilder", "Append", a, 1, 2, 3)
    if len(a) == 2 and type(a[0]) is Char:
        n = _int_arg(a[1], "repeatCount")
        if n < 0:
            _out_of_range("repeatCount", "Count cannot be less than zero.")
        if n > clr.MAX_STRING_LENGTH:
            clr.check_size(n + 1)
        sb.append(str(a[0]) * n)
    elif len(a) == 3 and isinstance(a[0], str):
        i, n = _int_arg(a[1], "startIndex"), _int_arg(a[2], "count")
        sb.append(a[0][i : i + n])
    elif len(a) == 1 and isinstance(a[0], list) and all(type(x) is Char for x in a[0]):
        sb.append("".join(str(x) for x in a[0]))
    else:
        sb.append(to_string(a[0]))
    return sb


def _sb_append_line(
    sb: NetStringBuilder, a: Sequence[object], t: Sequence[TypeRef]
) -> NetStringBuilder:
    arity("StringBuilder", "AppendLine", a, 0, 1)
    sb.append((to_string(a[0]) if a else "") + "\n")
    return sb


def _sb_to_string(sb: NetStringBuilder, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("StringBuilder", "ToString", a, 0, 2)
    text = sb.text()
    if a:
        return _m_substring(text, a, t)
    return text


def _sb_edit(fn: Callable[[str, Sequence[object], Sequence[TypeRef]], str]) -> clr.Method:
    def impl(sb: NetStringBuilder, a: Sequence[object], t: Sequence[TypeRef]) -> NetStringBuilder:
        if fn is _m_insert and len(a) == 2:
            a = [a[0], to_string(a[1])]
        sb.set(fn(sb.text(), a, t))
        return sb

    return impl


def _sb_set_length(sb: NetStringBuilder, v: object) -> None:
    n = _int_arg(v, "value")
    text = sb.text()
    if n < 0:
        _out_of_range("value", "Length cannot be less than zero.")
    clr.check_size(n)
    sb.set(text[:n] if n <= len(text) else text + "\0" * (n - len(text)))


def _sb_ctor(a: Sequence[object], t: Sequence[TypeRef]) -> NetStringBuilder:
    if a and isinstance(a[0], str):
        return NetStringBuilder(check_length(str(a[0])))
    return NetStringBuilder()


SB = declare("StringBuilder", "System.Text.StringBuilder", (NetStringBuilder,))
SB.construct = _sb_ctor
SB.members["Length"] = lambda sb: sb._len
SB.setters["Length"] = _sb_set_length
SB.indexer = lambda sb, a: _str_index(sb.text(), a)
SB.methods.update(
    {
        "Append": _sb_append,
        "AppendLine": _sb_append_line,
        "AppendFormat": lambda sb, a, t: (sb.append(_format(a, t)), sb)[1],
        "Insert": _sb_edit(_m_insert),
        "Replace": _sb_edit(_m_replace),
        "Remove": _sb_edit(_m_remove),
        "Clear": lambda sb, a, t: (sb.set(""), sb)[1],
        "ToString": _sb_to_string,
    }
)


STRING.sign(
    "int Length { get; }",
    "char this[int index] { get; }",
    "new(char c, int count)",
    "new(char[] value)",
    "new(char[] value, int startIndex, int length)",
    "static readonly string Empty",
    "string Substring(int startIndex)",
    "string Substring(int startIndex, int length)",
    "int IndexOf(string value)",
    "int IndexOf(char value)",
    "int IndexOf(string value, int startIndex)",
    "int IndexOf(char value, int startIndex)",
    "int IndexOf(string value, StringComparison comparisonType)",
    "int IndexOf(string value, int startIndex, int count)",
    "int IndexOf(string value, int startIndex, StringComparison comparisonType)",
    "int LastIndexOf(string value)",
    "int LastIndexOf(char value)",
    "int LastIndexOf(string value, int startIndex)",
    "int LastIndexOf(string value, StringComparison comparisonType)",
    "int IndexOfAny(char[] anyOf)",
    "int IndexOfAny(char[] anyOf, int startIndex)",
    "bool Contains(string value)",
    "bool Contains(char value)",
    "bool Contains(string value, StringComparison comparisonType)",
    "bool StartsWith(string value)",
    "bool StartsWith(char value)",
    "bool StartsWith(string value, StringComparison comparisonType)",
    "bool StartsWith(string value, bool ignoreCase, CultureInfo culture)",
    "bool EndsWith(string value)",
    "bool EndsWith(char value)",
    "bool EndsWith(string value, StringComparison comparisonType)",
    "bool EndsWith(string value, bool ignoreCase, CultureInfo culture)",
    "string[] Split(params char[] separator)",
    "string[] Split(char separator, StringSplitOptions options = None)",
    "string[] Split(char[] separator, int count)",
    "string[] Split(char[] separator, StringSplitOptions options)",
    "string[] Split(string separator, StringSplitOptions options = None)",
    "string[] Split(string[] separator, StringSplitOptions options)",
    "string[] Split(char[] separator, int count, StringSplitOptions options)",
    "string[] Split(string[] separator, int count, StringSplitOptions options)",
    "string Trim()",
    "string Trim(params char[] trimChars)",
    "string TrimStart()",
    "string TrimStart(params char[] trimChars)",
    "string TrimEnd()",
    "string TrimEnd(params char[] trimChars)",
    "string ToLower()",
    "string ToLower(CultureInfo culture)",
    "string ToUpper()",
    "string ToUpper(CultureInfo culture)",
    "string ToLowerInvariant()",
    "string ToUpperInvariant()",
    "string Replace(string oldValue, string newValue)",
    "string Replace(char oldChar, char newChar)",
    "string Replace(string oldValue, string newValue, StringComparison comparisonType)",
    "string Replace(string oldValue, string newValue, bool ignoreCase, CultureInfo culture)",
    "bool Equals(object obj)",
    "bool Equals(string value, StringComparison comparisonType)",
    "int CompareTo(object value)",
    "string PadLeft(int totalWidth)",
    "string PadLeft(int totalWidth, char paddingChar)",
    "string PadRight(int totalWidth)",
    "string PadRight(int totalWidth, char paddingChar)",
    "string Insert(int startIndex, string value)",
    "string Remove(int startIndex)",
    "string Remove(int startIndex, int count)",
    "char[] ToCharArray()",
    "char[] ToCharArray(int startIndex, int length)",
    "string ToString()",
    "string ToString(IFormatProvider provider)",
    "object Clone()",
    "string Normalize()",
    "int GetHashCode()",
    "static bool IsNullOrEmpty(string value)",
    "static bool IsNullOrWhiteSpace(string value)",
    "static string Join(string separator, params object[] values)",
    "static string Join(string separator, IEnumerable<T> values)",
    "static string Join(char separator, params object[] values)",
    "static string Join(string separator, string[] value, int startIndex, int count)",
    "static string Concat(params object[] args)",
    "static string Concat(IEnumerable<T> values)",
    "static string Format(string format, params object[] args)",
    "static string Format(IFormatProvider provider, string format, params object[] args)",
    "static int Compare(string strA, string strB)",
    "static int Compare(string strA, string strB, bool ignoreCase)",
    "static int Compare(string strA, string strB, StringComparison comparisonType)",
    "static int Compare(string strA, int indexA, string strB, int indexB, int length)",
    "static int CompareOrdinal(string strA, string strB)",
    "static bool Equals(string a, string b)",
    "static bool Equals(string a, string b, StringComparison comparisonType)",
    "static string Copy(string str)",
)
SB.sign(
    "new()",
    "new(string value)",
    "new(int capacity)",
    "int Length { get; set; }",
    "char this[int index] { get; set; }",
    "StringBuilder Append(object value)",
    "StringBuilder Append(char value, int repeatCount)",
    "StringBuilder Append(string value, int startIndex, int count)",
    "StringBuilder Append(char[] value)",
    "StringBuilder AppendLine()",
    "StringBuilder AppendLine(string value)",
    "StringBuilder AppendFormat(string format, params object[] args)",
    "StringBuilder Insert(int index, object value)",
    "StringBuilder Replace(string oldValue, string newValue)",
    "StringBuilder Replace(char oldChar, char newChar)",
    "StringBuilder Remove(int startIndex, int length)",
    "StringBuilder Clear()",
    "string ToString()",
    "string ToString(int startIndex, int length)",
)
_CHAR_TESTS = (
    "IsDigit",
    "IsLetter",
    "IsLetterOrDigit",
    "IsWhiteSpace",
    "IsUpper",
    "IsLower",
    "IsPunctuation",
    "IsSymbol",
    "IsControl",
    "IsNumber",
    "IsSeparator",
    "IsSurrogate",
    "IsAscii",
    "IsHighSurrogate",
    "IsLowSurrogate",
)
CHAR_SIGNATURES = (
    "static bool IsSurrogatePair(char highSurrogate, char lowSurrogate)",
    "static bool IsSurrogatePair(string s, int index)",
    "static string ConvertFromUtf32(int utf32)",
    "static int ConvertToUtf32(char highSurrogate, char lowSurrogate)",
    "static int ConvertToUtf32(string s, int index)",
    *(f"static bool {name}(char c)" for name in _CHAR_TESTS),
    *(f"static bool {name}(string s, int index)" for name in _CHAR_TESTS if name != "IsAscii"),
    "static char ToUpper(char c)",
    "static char ToLower(char c)",
    "static char ToUpperInvariant(char c)",
    "static char ToLowerInvariant(char c)",
    "static char Parse(string s)",
    "static double GetNumericValue(char c)",
    "static string ToString(char c)",
)

TYPES: tuple[TypeRef, ...] = (STRING, SB)


def register(registry: Registry) -> None:
    """Char's static predicates and case mappings (Char itself is a primitive)."""
    dotnet.CHAR.static_methods.update(CHAR_MEMBERS)
    dotnet.CHAR.sign(*CHAR_SIGNATURES)
    registry.add(*TYPES)
