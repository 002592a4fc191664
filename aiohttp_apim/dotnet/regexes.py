"""System.Text.RegularExpressions: Regex, Match, Group, Capture, the collections, RegexOptions.

Patterns run on the third-party ``regex`` module, which understands .NET's ``(?<name>...)``
groups and, for str patterns, matches any Unicode digit with ``\\d`` as .NET does. A few .NET
spellings are translated (``(?'name'...)``, ``\\k<name>``, ``\\z``/``\\Z``, ExplicitCapture);
balancing groups and RightToLeft are refused with NotSupportedException. Group numbers follow
.NET (unnamed groups first, then named ones). Compiled patterns are cached.

Every match runs with a timeout (``MATCH_TIMEOUT`` seconds, or the Regex's own matchTimeout if
shorter): catastrophic backtracking ends in RegexMatchTimeoutException instead of a hung worker.
No match runs longer than the expression budget has time left, either: when that is what stops
it, the expression fails with the budget's TimeoutException, which no ``catch`` can swallow.
A failed ``Match`` still has ``Groups``: ``Groups["name"]`` is a Group with Success=false and
Value="" (never null), as .NET returns.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import regex as _re

from aiohttp_apim.dotnet import collections as dotnet_collections
from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import linq, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import current, metered
from aiohttp_apim.dotnet.core import TypeRef, arity, check_length, declare
from aiohttp_apim.dotnet.dates import TICKS_PER_SECOND, TimeSpan
from aiohttp_apim.dotnet.primitives import NetFlags, to_string
from aiohttp_apim.errors import ExpressionError

__all__ = ["MATCH_TIMEOUT", "NetGroup", "NetMatch", "NetRegex", "RegexOptions"]

MATCH_TIMEOUT = 2.0
"""Seconds any single regex operation may run."""

_TIMEOUT_MESSAGE = (
    "The Regex engine has timed out while trying to match a pattern to an input string. This can "
    "occur for many reasons, including very large inputs or excessive backtracking caused by "
    "nested quantifiers, back-references and other factors."
)


class RegexOptions(NetFlags):
    None_ = 0
    IgnoreCase = 1
    Multiline = 2
    ExplicitCapture = 4
    Compiled = 8
    Singleline = 16
    IgnorePatternWhitespace = 32
    RightToLeft = 64
    ECMAScript = 256
    CultureInvariant = 512
    NonBacktracking = 1024


def _translate(pattern: str, explicit: bool) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt == "k" and i + 2 < n and pattern[i + 2] in "<'":
                close = ">" if pattern[i + 2] == "<" else "'"
                j = pattern.find(close, i + 3)
                if j > 0:
                    out.append(f"(?P={pattern[i + 3 : j]})")
                    i = j + 1
                    continue
            if nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z":
                out.append(r"(?=\n?\Z)")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if c == "[":
            j = i + 1
            if j < n and pattern[j] == "^":
                j += 1
            if j < n and pattern[j] == "]":
                j += 1
            while j < n and pattern[j] != "]":
                if pattern[j] == "\\":
                    j += 1
                j += 1
            out.append(pattern[i : j + 1])
            i = j + 1
            continue
        if c == "(":
            if pattern.startswith("(?'", i):
                j = pattern.find("'", i + 3)
                if j > 0:
                    name = pattern[i + 3 : j]
                    if "-" in name:
                        _unsupported("balancing groups")
                    out.append(f"(?P<{name}>")
                    i = j + 1
                    continue
            if pattern.startswith("(?<", i) and i + 3 < n and pattern[i + 3] not in "=!":
                j = pattern.find(">", i + 3)
                if j > 0 and "-" in pattern[i + 3 : j]:
                    _unsupported("balancing groups")
            if explicit and not pattern.startswith("(?", i):
                out.append("(?:")
                i += 1
                continue
        out.append(c)
        i += 1
    return "".join(out)


def _unsupported(what: str) -> NoReturn:
    raise ExpressionError(
        "NotSupportedException",
        f"Regular expression {what} are not supported in policy expressions",
    )


FREE_PATTERN_CHARS = 256
"""Patterns up to this length compile without drawing on the expression budget."""

COMPILE_STEPS_PER_CHAR = 6
"""Budget steps a longer pattern draws per character before it is compiled: compiling takes
about 3 µs a character (the ``regex`` module cannot be interrupted while it compiles), a step
about 0.5 µs. A pattern built at run time from a long string fails on the budget instead of
holding the event loop for seconds."""


class NetRegex:
    __slots__ = ("compiled", "names", "numbers", "options", "pattern", "py_of_net", "timeout")

    def __init__(self, pattern: str, options: int, timeout: float) -> None:
        self.pattern = pattern
        self.options = options
        self.timeout = timeout
        self.compiled, self.numbers, self.names, self.py_of_net = _compile(pattern, options)


@functools.lru_cache(maxsize=512)
def _compile(pattern: str, options: int) -> tuple[Any, list[int], list[str], dict[object, int]]:
    if options & RegexOptions.RightToLeft:
        _unsupported("with RightToLeft")
    flags = _re.VERSION0
    if options & RegexOptions.IgnoreCase:
        flags |= _re.IGNORECASE
    if options & RegexOptions.Multiline:
        flags |= _re.MULTILINE
    if options & RegexOptions.Singleline:
        flags |= _re.DOTALL
    if options & RegexOptions.IgnorePatternWhitespace:
        flags |= _re.VERBOSE
    if options & RegexOptions.ECMAScript:
        flags |= _re.ASCII
    try:
        compiled = _re.compile(
            _translate(pattern, bool(options & RegexOptions.ExplicitCapture)), flags
        )
    except _re.error as e:
        pos = getattr(e, "pos", None)
        raise ExpressionError(
            "ArgumentException",
            f"Invalid pattern '{pattern}' at offset {pos if pos is not None else 0}. {e}",
        ) from None
    except (ValueError, OverflowError, RecursionError) as e:
        raise ExpressionError("ArgumentException", f"Invalid pattern '{pattern}'. {e}") from None
    named = {idx: name for name, idx in compiled.groupindex.items()}
    unnamed = [i for i in range(1, compiled.groups + 1) if i not in named]
    named_order = sorted(named)
    # .NET numbering: 0, unnamed groups in order, then named groups in order
    numbers = [0, *unnamed, *named_order]  # .NET number k -> python index numbers[k]
    names = ["0", *[str(k) for k in range(1, len(unnamed) + 1)], *[named[i] for i in named_order]]
    py_of_net: dict[object, int] = {}
    for k, py in enumerate(numbers):
        py_of_net[k] = py
        py_of_net[names[k]] = py
    return compiled, numbers, names, py_of_net


def _run(rx: NetRegex, fn: Callable[[float], Any]) -> Any:
    """Run ``fn(timeout)``, one regex operation, for as long as the Regex's own timeout and the
    expression budget both allow: running out of the first is a RegexMatchTimeoutException the
    expression may catch, of the second the budget's own (uncatchable) failure."""
    budget = current()
    budget.take(1)
    left = budget.seconds_left()
    own = rx.timeout
    try:
        return fn(own if own < left else left)
    except TimeoutError:
        if left < own:
            budget.exhausted()
        raise ExpressionError("RegexMatchTimeoutException", _TIMEOUT_MESSAGE) from None


class NetMatch:
    __slots__ = ("input", "m", "regex")

    def __init__(self, rx: NetRegex | None, m: Any, text: str) -> None:
        self.regex = rx
        self.m = m
        self.input = text


class NetGroup:
    __slots__ = ("match", "name", "py")

    def __init__(self, match: NetMatch, py: int | None, name: str) -> None:
        self.match = match
        self.py = py  # None: not a group of the pattern
        self.name = name

    @property
    def success(self) -> bool:
        m = self.match.m
        return m is not None and self.py is not None and m.start(self.py) >= 0

    def span(self) -> tuple[int, int]:
        if not self.success:
            return 0, 0
        s: tuple[int, int] = self.match.m.span(self.py)
        return s

    @property
    def value(self) -> str:
        if not self.success:
            return ""
        v: str = self.match.m.group(self.py)
        return v


class NetCapture:
    __slots__ = ("index", "value")

    def __init__(self, index: int, value: str) -> None:
        self.index = index
        self.value = value


class GroupCollection:
    __slots__ = ("match",)

    def __init__(self, match: NetMatch) -> None:
        self.match = match

    def group(self, key: object) -> NetGroup:
        rx = self.match.regex
        if rx is None:
            return NetGroup(self.match, None, to_string(key))
        if dotnet.is_integral(key):
            k = int(key)
            py = rx.py_of_net.get(k)
            return NetGroup(self.match, py, rx.names[k] if py is not None else str(k))
        if isinstance(key, str):
            return NetGroup(self.match, rx.py_of_net.get(str(key)), str(key))
        raise ExpressionError("ArgumentException", "Groups[] expects a group number or name")

    def all(self) -> list[object]:
        rx = self.match.regex
        if rx is None:
            return [NetGroup(self.match, None, "0")]
        return [NetGroup(self.match, py, rx.names[k]) for k, py in enumerate(rx.numbers)]


EMPTY_MATCH = NetMatch(None, None, "")


def _regex_of(pattern: object, options: object = 0, timeout: object = None) -> NetRegex:
    p = pattern
    if p is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'pattern')"
        )
    if not isinstance(p, str):
        raise ExpressionError("ArgumentException", "Argument 'pattern': cannot convert to 'string'")
    opts = int(options) if isinstance(options, RegexOptions | int) else 0
    limit = MATCH_TIMEOUT
    if isinstance(timeout, TimeSpan):
        if timeout.ticks <= 0 and timeout.ticks != -10000:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Specified argument was out of the range of valid "
                "values. (Parameter 'matchTimeout')",
            )
        if timeout.ticks > 0:
            limit = min(limit, timeout.ticks / TICKS_PER_SECOND)
    if len(p) > FREE_PATTERN_CHARS:
        current().take(len(p) * COMPILE_STEPS_PER_CHAR)
    return NetRegex(p, opts, limit)


def _input(v: object) -> str:
    if v is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'input')")
    if not isinstance(v, str):
        raise ExpressionError("ArgumentException", "Argument 'input': cannot convert to 'string'")
    return v


def _start(text: str, v: object) -> int:
    i = strings._int_arg(v, "startat")
    if i < 0 or i > len(text):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Start index cannot be less than 0 or greater than input length. (Parameter 'startat')",
        )
    return i


def match(rx: NetRegex, text: str, start: int = 0, end: int | None = None) -> NetMatch:
    m = _run(
        rx,
        lambda timeout: rx.compiled.search(
            text, start, end if end is not None else len(text), timeout=timeout
        ),
    )
    return NetMatch(rx, m, text)


def matches(rx: NetRegex, text: str, start: int = 0) -> linq.CollectionView:
    def collect(timeout: float) -> list[object]:
        out: list[object] = []
        for m in metered(rx.compiled.finditer(text, start, timeout=timeout)):
            out.append(NetMatch(rx, m, text))
            clr.check_items(len(out))
        return out

    return MatchCollection(_run(rx, collect))


class MatchCollection(linq.CollectionView):
    __slots__ = ()


def _expand(rx: NetRegex | None, m: Any, text: str, replacement: str) -> str:
    """Apply a .NET replacement pattern ($1, ${name}, $$, $&, $`, $', $+, $_)."""
    out: list[str] = []
    i, n = 0, len(replacement)
    while i < n:
        c = replacement[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = replacement[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "&":
            out.append(m.group(0))
            i += 2
        elif nxt == "`":
            out.append(text[: m.start()])
            i += 2
        elif nxt == "'":
            out.append(text[m.end() :])
            i += 2
        elif nxt == "_":
            out.append(text)
            i += 2
        elif nxt == "+":
            last = rx.numbers[-1] if rx is not None and len(rx.numbers) > 1 else 0
            out.append(m.group(last) or "" if last else m.group(0))
            i += 2
        elif nxt == "{":
            j = replacement.find("}", i + 2)
            name = replacement[i + 2 : j] if j > 0 else ""
            key: object = int(name) if name.isdigit() else name
            py = rx.py_of_net.get(key) if rx is not None else (0 if key == 0 else None)
            if j > 0 and py is not None:
                out.append(m.group(py) or "")
                i = j + 1
            else:
                out.append("$")
                i += 1
        elif nxt.isdigit() and nxt.isascii():
            j = i + 1
            num = int(nxt)
            count = len(rx.numbers) if rx is not None else 1
            if num >= count:
                out.append("$")
                i += 1
                continue
            j += 1
            while j < n and replacement[j].isdigit() and replacement[j].isascii():
                cand = num * 10 + int(replacement[j])
                if cand >= count:
                    break
                num = cand
                j += 1
            py = rx.numbers[num] if rx is not None else 0
            out.append(m.group(py) or "")
            i = j
        else:
            out.append("$")
            i += 1
    return "".join(out)


def replace(rx: NetRegex, text: str, repl: object, count: int = -1, start: int = 0) -> str:
    if repl is None:
        raise ExpressionError(
            "ArgumentNullException", "Value cannot be null. (Parameter 'replacement')"
        )
    if callable(repl) and not isinstance(repl, str):
        fn = repl

        def sub_fn(m: Any) -> str:
            return to_string(fn(NetMatch(rx, m, text)))
    elif isinstance(repl, str):
        rs = repl
        if "$" not in rs:

            def sub_fn(m: Any) -> str:
                return rs
        else:

            def sub_fn(m: Any) -> str:
                return _expand(rx, m, text, rs)
    else:
        raise ExpressionError(
            "ArgumentException", "Argument 'replacement': cannot convert to 'string'"
        )
    if count == 0:
        return text
    total = [0]
    steps = [0]
    budget = current()

    def guarded(m: Any) -> str:
        steps[0] -= 1
        if steps[0] < 0:  # a step per replaced match, taken in slices
            steps[0] = budget.take() - 1
        r = sub_fn(m)
        total[0] += len(r)
        if total[0] > clr.MAX_STRING_LENGTH:
            check_length(" " * total[0])
        return r

    head, tail = text[:start], text[start:]
    result: str = _run(
        rx, lambda timeout: rx.compiled.sub(guarded, tail, count=max(count, 0), timeout=timeout)
    )
    return check_length(head + result)


def split(rx: NetRegex, text: str, count: int = 0, start: int = 0) -> list[object]:
    if count == 1:
        return [text]
    out: list[object] = []
    prev = 0
    found = 0

    def collect(timeout: float) -> None:
        nonlocal prev, found
        for m in metered(rx.compiled.finditer(text, start, timeout=timeout)):
            if count > 0 and found >= count - 1:
                break
            out.append(text[prev : m.start()])
            for k in range(1, len(rx.numbers)):
                py = rx.numbers[k]
                if m.start(py) >= 0:
                    out.append(m.group(py))
            prev = m.end()
            found += 1
            clr.check_items(len(out))

    _run(rx, collect)
    out.append(text[prev:])
    return out


_ESCAPE = {"\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", " ": "\\ ", "#": "\\#"}


def escape(s: str) -> str:
    return "".join(_ESCAPE.get(c) or ("\\" + c if c in "\\*+?|{[()^$." else c) for c in s)


def unescape(s: str) -> str:
    out: list[str] = []
    i, n = 0, len(s)
    simple = {
        "t": "\t",
        "n": "\n",
        "r": "\r",
        "f": "\f",
        "v": "\v",
        "a": "\a",
        "e": "\x1b",
        "b": "\b",
    }
    while i < n:
        c = s[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt == "u" and i + 6 <= n:
            out.append(chr(int(s[i + 2 : i + 6], 16)))
            i += 6
        elif nxt == "x" and i + 4 <= n:
            out.append(chr(int(s[i + 2 : i + 4], 16)))
            i += 4
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


# ---------------------------------------------------------------- declarations


def _opts(a: Sequence[object], i: int) -> object:
    return a[i] if len(a) > i else 0


def _static_rx(a: Sequence[object], first_extra: int) -> NetRegex:
    return _regex_of(
        a[1], _opts(a, first_extra), a[first_extra + 1] if len(a) > first_extra + 1 else None
    )


def _s_is_match(a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Regex", "IsMatch", a, 2, 3, 4)
    text = _input(a[0])
    return match(_static_rx(a, 2), text).m is not None


def _s_match(a: Sequence[object], t: Sequence[TypeRef]) -> NetMatch:
    arity("Regex", "Match", a, 2, 3, 4)
    text = _input(a[0])
    return match(_static_rx(a, 2), text)


def _s_matches(a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Regex", "Matches", a, 2, 3, 4)
    text = _input(a[0])
    return matches(_static_rx(a, 2), text)


def _s_replace(a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Regex", "Replace", a, 3, 4, 5)
    text = _input(a[0])
    rx = _regex_of(a[1], _opts(a, 3), a[4] if len(a) > 4 else None)
    return replace(rx, text, a[2])


def _s_split(a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    arity("Regex", "Split", a, 2, 3, 4)
    text = _input(a[0])
    return split(_static_rx(a, 2), text)


def _ctor(a: Sequence[object], t: Sequence[TypeRef]) -> NetRegex:
    arity("Regex", ".ctor", a, 1, 2, 3)
    return _regex_of(a[0], _opts(a, 1), a[2] if len(a) > 2 else None)


def _i_is_match(rx: NetRegex, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("Regex", "IsMatch", a, 1, 2)
    text = _input(a[0])
    return match(rx, text, _start(text, a[1]) if len(a) > 1 else 0).m is not None


def _i_match(rx: NetRegex, a: Sequence[object], t: Sequence[TypeRef]) -> NetMatch:
    arity("Regex", "Match", a, 1, 2, 3)
    text = _input(a[0])
    start = _start(text, a[1]) if len(a) > 1 else 0
    end = start + strings._int_arg(a[2], "length") if len(a) > 2 else None
    return match(rx, text, start, end)


def _i_matches(rx: NetRegex, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("Regex", "Matches", a, 1, 2)
    text = _input(a[0])
    return matches(rx, text, _start(text, a[1]) if len(a) > 1 else 0)


def _i_replace(rx: NetRegex, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Regex", "Replace", a, 2, 3, 4)
    text = _input(a[0])
    count = strings._int_arg(a[2], "count") if len(a) > 2 else -1
    start = _start(text, a[3]) if len(a) > 3 else 0
    return replace(rx, text, a[1], count, start)


def _i_split(rx: NetRegex, a: Sequence[object], t: Sequence[TypeRef]) -> list[object]:
    arity("Regex", "Split", a, 1, 2, 3)
    text = _input(a[0])
    count = strings._int_arg(a[1], "count") if len(a) > 1 else 0
    return split(rx, text, count, _start(text, a[2]) if len(a) > 2 else 0)


def _str_arg(a: Sequence[object], name: str) -> str:
    arity("Regex", name, a, 1)
    return strings._str_arg(a[0], "str", name)


OPTIONS = dotnet.declare_enum(
    "RegexOptions", "System.Text.RegularExpressions.RegexOptions", RegexOptions
)
OPTIONS.statics["None"] = lambda: RegexOptions(0)
OPTIONS.sign("const RegexOptions None")


def _group_name_from_number(rx: NetRegex, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Regex", "GroupNameFromNumber", a, 1)
    i = strings._int_arg(a[0], "i")
    return rx.names[i] if 0 <= i < len(rx.names) else ""


REGEX = declare("Regex", "System.Text.RegularExpressions.Regex", (NetRegex,))
REGEX.construct = _ctor
REGEX.members["Options"] = lambda rx: RegexOptions(rx.options)
REGEX.members["MatchTimeout"] = lambda rx: TimeSpan(int(rx.timeout * 10_000_000))
REGEX.methods.update(
    {
        "IsMatch": _i_is_match,
        "Match": _i_match,
        "Matches": _i_matches,
        "Replace": _i_replace,
        "Split": _i_split,
        "GetGroupNames": lambda rx, a, t: list(rx.names),
        "GetGroupNumbers": lambda rx, a, t: list(range(len(rx.numbers))),
        "GroupNameFromNumber": _group_name_from_number,
        "GroupNumberFromName": lambda rx, a, t: rx.names.index(a[0]) if a[0] in rx.names else -1,
        "ToString": lambda rx, a, t: rx.pattern,
    }
)
REGEX.static_methods.update(
    {
        "IsMatch": _s_is_match,
        "Match": _s_match,
        "Matches": _s_matches,
        "Replace": _s_replace,
        "Split": _s_split,
        "Escape": lambda a, t: escape(_str_arg(a, "Escape")),
        "Unescape": lambda a, t: unescape(_str_arg(a, "Unescape")),
    }
)
REGEX.statics["InfiniteMatchTimeout"] = lambda: TimeSpan(-10000)


def _capture_members(t: TypeRef, value: Callable[[Any], str], index: Callable[[Any], int]) -> None:
    t.members["Value"] = value
    t.members["Index"] = index
    t.members["Length"] = lambda x: len(value(x))
    t.methods["ToString"] = lambda x, a, ta: value(x)


CAPTURE = declare("Capture", "System.Text.RegularExpressions.Capture", (NetCapture,))
_capture_members(CAPTURE, lambda c: c.value, lambda c: c.index)


def _captures(g: NetGroup) -> linq.CollectionView:
    if not g.success:
        return linq.CollectionView()
    m = g.match.m
    return linq.CollectionView(
        NetCapture(s, v) for s, v in zip(m.starts(g.py), m.captures(g.py), strict=True)
    )


GROUP = declare("Group", "System.Text.RegularExpressions.Group", (NetGroup,), bases=(CAPTURE,))
_capture_members(GROUP, lambda g: g.value, lambda g: g.span()[0])
GROUP.members["Success"] = lambda g: g.success
GROUP.members["Name"] = lambda g: g.name
GROUP.members["Captures"] = _captures


def _match_group(m: NetMatch) -> NetGroup:
    return NetGroup(m, 0 if m.m is not None else None, "0")


def _next_match(m: NetMatch, a: Sequence[object], t: Sequence[TypeRef]) -> NetMatch:
    arity("Match", "NextMatch", a, 0)
    if m.m is None or m.regex is None:
        return EMPTY_MATCH
    s, e = m.m.span()
    pos = e if e > s else e + 1
    if pos > len(m.input):
        return NetMatch(m.regex, None, m.input)
    return match(m.regex, m.input, pos)


def _result(m: NetMatch, a: Sequence[object], t: Sequence[TypeRef]) -> str:
    arity("Match", "Result", a, 1)
    repl = strings._str_arg(a[0], "replacement", "Result")
    if m.m is None:
        raise ExpressionError("NotSupportedException", "Result cannot be called on a failed Match.")
    return _expand(m.regex, m.m, m.input, repl)


MATCH = declare("Match", "System.Text.RegularExpressions.Match", (NetMatch,), bases=(GROUP,))
_capture_members(MATCH, lambda m: _match_group(m).value, lambda m: _match_group(m).span()[0])
MATCH.members["Success"] = lambda m: m.m is not None
MATCH.members["Name"] = lambda m: "0"
MATCH.members["Groups"] = GroupCollection
MATCH.members["Captures"] = lambda m: _captures(_match_group(m))
MATCH.methods["NextMatch"] = _next_match
MATCH.methods["Result"] = _result
MATCH.statics["Empty"] = lambda: EMPTY_MATCH

GROUPS = declare(
    "GroupCollection",
    "System.Text.RegularExpressions.GroupCollection",
    (GroupCollection,),
    bases=(linq.IENUMERABLE,),
)
GROUPS.indexer = lambda gc, a: (arity("GroupCollection", "this[]", a, 1), gc.group(a[0]))[1]
GROUPS.iterate = GroupCollection.all
GROUPS.members["Count"] = lambda gc: len(gc.all())
GROUPS.members["Keys"] = lambda gc: linq.CollectionView(g.name for g in gc.all())
GROUPS.methods["ContainsKey"] = lambda gc, a, t: (
    gc.match.regex is not None and a[0] in gc.match.regex.names
)
GROUPS.methods["TryGetValue"] = lambda gc, a, t: _groups_try_get(gc, a)


def _groups_try_get(gc: GroupCollection, a: Sequence[object]) -> bool:
    arity("GroupCollection", "TryGetValue", a, 2)
    ok = gc.match.regex is not None and a[0] in gc.match.regex.names
    ref = a[1]
    if not isinstance(ref, dotnet.OutRef):
        raise ExpressionError("ArgumentException", "Argument must be passed with the 'out' keyword")
    ref.value = gc.group(a[0]) if ok else None
    return ok


MATCHES = declare(
    "MatchCollection",
    "System.Text.RegularExpressions.MatchCollection",
    (MatchCollection,),
    bases=(dotnet_collections.VIEW,),
)
MATCHES.indexer = lambda mc, a: dotnet_collections.list_get(mc, a)


_OPTION_FORMS = ("", ", RegexOptions options", ", RegexOptions options, TimeSpan matchTimeout")
REGEX.sign(
    "new(string pattern)",
    "new(string pattern, RegexOptions options)",
    "new(string pattern, RegexOptions options, TimeSpan matchTimeout)",
    "RegexOptions Options { get; }",
    "TimeSpan MatchTimeout { get; }",
    "static readonly TimeSpan InfiniteMatchTimeout",
    "bool IsMatch(string input)",
    "bool IsMatch(string input, int startat)",
    "Match Match(string input)",
    "Match Match(string input, int startat)",
    "Match Match(string input, int beginning, int length)",
    "MatchCollection Matches(string input)",
    "MatchCollection Matches(string input, int startat)",
    "string Replace(string input, string replacement)",
    "string Replace(string input, string replacement, int count)",
    "string Replace(string input, string replacement, int count, int startat)",
    "string Replace(string input, MatchEvaluator evaluator)",
    "string Replace(string input, MatchEvaluator evaluator, int count)",
    "string[] Split(string input)",
    "string[] Split(string input, int count)",
    "string[] Split(string input, int count, int startat)",
    "string[] GetGroupNames()",
    "int[] GetGroupNumbers()",
    "string GroupNameFromNumber(int i)",
    "int GroupNumberFromName(string name)",
    "string ToString()",
    *(
        line
        for options in _OPTION_FORMS
        for line in (
            f"static bool IsMatch(string input, string pattern{options})",
            f"static Match Match(string input, string pattern{options})",
            f"static MatchCollection Matches(string input, string pattern{options})",
            f"static string Replace(string input, string pattern, string replacement{options})",
            f"static string Replace(string input, string pattern, MatchEvaluator evaluator"
            f"{options})",
            f"static string[] Split(string input, string pattern{options})",
        )
    ),
    "static string Escape(string str)",
    "static string Unescape(string str)",
)
CAPTURE.sign(
    "int Index { get; }",
    "int Length { get; }",
    "string Value { get; }",
    "string ToString()",
)
GROUP.sign(
    "CaptureCollection Captures { get; }",
    "string Name { get; }",
    "bool Success { get; }",
)
MATCH.sign(
    "GroupCollection Groups { get; }",
    "Match NextMatch()",
    "string Result(string replacement)",
    "static Match Empty { get; }",
)
GROUPS.sign(
    "int Count { get; }",
    "IEnumerable<string> Keys { get; }",
    "Group this[int groupnum] { get; }",
    "Group this[string groupname] { get; }",
    "bool ContainsKey(string key)",
    "bool TryGetValue(string key, out Group value)",
)
MATCHES.sign("Match this[int i] { get; }")

TYPES: tuple[TypeRef, ...] = (OPTIONS, REGEX, CAPTURE, GROUP, MATCH, GROUPS, MATCHES)
