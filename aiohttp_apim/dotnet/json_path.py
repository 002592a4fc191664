"""JSONPath as Newtonsoft's ``SelectToken``/``SelectTokens`` read it: ``$`` (the root), ``.name``
and ``['name']`` (``['a','b']`` several), ``[n]`` and ``[n,m]``, ``[start:end:step]`` slices,
``*`` and ``[*]`` wildcards, ``..name``/``..*`` recursive descent, and filters ``[?(...)]`` with
``@`` (the item) and ``$`` paths, ``==``/``!=``/``<``/``<=``/``>``/``>=``, ``=~ /regex/``,
``&&``/``||``, parentheses and existence tests (``[?(@.isbn)]``).

Matches come in document order. A filter compares JSON values as Newtonsoft does: numbers with
numbers (1 == 1.0), strings with strings (ordinal), booleans with booleans; anything else is not
equal and not ordered. Evaluation draws one step of the expression budget per token visited.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet import regexes, strings
from aiohttp_apim.dotnet.budget import metered
from aiohttp_apim.dotnet.core import TypeRef, arity
from aiohttp_apim.dotnet.json_model import JArray, JObject, JProperty, JToken, JTokenType, JValue
from aiohttp_apim.dotnet.linq import Seq
from aiohttp_apim.errors import ExpressionError

__all__ = ["select_tokens"]


def _error(message: str) -> ExpressionError:
    return ExpressionError("JsonException", message)


# ---------------------------------------------------------------- the path, parsed

Step = Callable[[JToken, JToken, bool], Iterator[JToken]]
"""One segment: (token, root, errorWhenNoMatch) -> the tokens it leads to."""


def _children(t: JToken) -> list[JToken]:
    if isinstance(t, JObject):
        return [p.value for p in t.props.values()]
    if isinstance(t, JArray):
        return list(t.items)
    return []


def _descendants(t: JToken) -> Iterator[JToken]:
    """Every token under ``t``, depth first, in document order (property values, not the
    properties)."""
    for child in _children(t):
        yield child
        yield from _descendants(child)


def _field(names: Sequence[str]) -> Step:
    def step(t: JToken, root: JToken, strict: bool) -> Iterator[JToken]:
        if isinstance(t, JObject):
            for name in names:
                found = t.get(name)
                if found is not None:
                    yield found
                elif strict:
                    raise _error(f"Property '{name}' does not exist on JObject.")
        elif strict:
            raise _error(f"Property '{names[0]}' not valid on {t.type.name}.")

    return step


def _wildcard(t: JToken, root: JToken, strict: bool) -> Iterator[JToken]:
    yield from _children(t)


def _indexes(indexes: Sequence[int]) -> Step:
    def step(t: JToken, root: JToken, strict: bool) -> Iterator[JToken]:
        if isinstance(t, JArray):
            items = t.items
            for i in indexes:
                if -len(items) <= i < len(items):
                    yield items[i]
                elif strict:
                    raise _error(f"Index {i} outside the bounds of JArray.")
        elif strict:
            raise _error(f"Index {indexes[0]} not valid on {t.type.name}.")

    return step


def _slice(start: int | None, end: int | None, stride: int | None) -> Step:
    if stride == 0:
        raise _error("Step cannot be zero.")

    def step(t: JToken, root: JToken, strict: bool) -> Iterator[JToken]:
        if isinstance(t, JArray):
            yield from t.items[start:end:stride]
        elif strict:
            raise _error(f"Array slice is not valid on {t.type.name}.")

    return step


def _scan(inner: Step | None) -> Step:
    """``..`` followed by a name, ``*`` or a bracket: ``inner`` applied to the token and to
    every token under it (``..*``: every token under it)."""

    def step(t: JToken, root: JToken, strict: bool) -> Iterator[JToken]:
        if inner is None:
            yield from _descendants(t)
            return
        yield from inner(t, root, False)
        for d in _descendants(t):
            yield from inner(d, root, False)

    return step


def _filter(expression: Expression) -> Step:
    def step(t: JToken, root: JToken, strict: bool) -> Iterator[JToken]:
        for item in _children(t):
            if expression(item, root):
                yield item

    return step


# ---------------------------------------------------------------- filter expressions

Expression = Callable[[JToken, JToken], bool]
Operand = Callable[[JToken, JToken], list[JToken]]


@dataclass(slots=True)
class _Reader:
    text: str
    pos: int = 0

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def take(self, literal: str) -> bool:
        self.skip_space()
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def expect(self, literal: str) -> None:
        if not self.take(literal):
            found = self.text[self.pos] if self.pos < len(self.text) else "end of path"
            raise _error(f"Unexpected character while parsing path query: {found}")


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_COMPARISONS = ("===", "!==", "==", "!=", "<=", ">=", "=~", "<", ">")


def _or(r: _Reader) -> Expression:
    left = _and(r)
    while r.take("||"):
        right = _and(r)
        left = (lambda a, b: lambda t, root: a(t, root) or b(t, root))(left, right)
    return left


def _and(r: _Reader) -> Expression:
    left = _term(r)
    while r.take("&&"):
        right = _term(r)
        left = (lambda a, b: lambda t, root: a(t, root) and b(t, root))(left, right)
    return left


def _term(r: _Reader) -> Expression:
    if r.take("("):
        inner = _or(r)
        r.expect(")")
        return inner
    negate = r.take("!")
    left = _operand(r)
    r.skip_space()
    op = next((o for o in _COMPARISONS if r.text.startswith(o, r.pos)), None)
    if op is None:  # an existence test
        exists: Expression = lambda t, root: bool(left(t, root))  # noqa: E731
        return (lambda t, root: not exists(t, root)) if negate else exists
    r.pos += len(op)
    if op == "=~":
        right_regex = _regex(r)
        return lambda t, root: any(
            isinstance(v, JValue)
            and isinstance(v.value, str)
            and regexes.match(right_regex, v.value).m is not None
            for v in left(t, root)
        )
    right = _operand(r)
    test = _TESTS[op]
    return lambda t, root: any(test(a, b) for a in left(t, root) for b in right(t, root))


def _regex(r: _Reader) -> regexes.NetRegex:
    r.skip_space()
    if r.peek() != "/":
        raise _error("Unexpected character while parsing path query: expected a regex")
    end = r.pos + 1
    while end < len(r.text) and r.text[end] != "/":
        end += 2 if r.text[end] == "\\" else 1
    pattern = r.text[r.pos + 1 : end]
    r.pos = end + 1
    flags = 0
    while r.peek() and r.peek() in "imsx":
        flags |= {"i": 1, "m": 2, "s": 16, "x": 32}[r.peek()]
        r.pos += 1
    return regexes._regex_of(pattern, regexes.RegexOptions(flags))


def _operand(r: _Reader) -> Operand:
    r.skip_space()
    c = r.peek()
    if c in ("@", "$"):
        r.pos += 1
        steps = _steps(r, in_filter=True)
        relative = c == "@"
        return lambda t, root: list(_run(t if relative else root, root, steps, False))
    if c in ("'", '"'):
        value: JValue = JValue(_quoted(r), JTokenType.String)
    elif r.take("true"):
        value = JValue(True, JTokenType.Boolean)
    elif r.take("false"):
        value = JValue(False, JTokenType.Boolean)
    elif r.take("null"):
        value = JValue(None, JTokenType.Null)
    else:
        m = _NUMBER.match(r.text, r.pos)
        if m is None:
            found = r.text[r.pos] if r.pos < len(r.text) else "end of path"
            raise _error(f"Unexpected character while parsing path query: {found}")
        r.pos = m.end()
        text = m.group(0)
        if m.group(1) or m.group(2):
            value = JValue(float(text), JTokenType.Float)
        else:
            value = JValue(dotnet.Int64(int(text)), JTokenType.Integer)
    constant: list[JToken] = [value]
    return lambda t, root: constant


def _quoted(r: _Reader) -> str:
    quote = r.peek()
    r.pos += 1
    out: list[str] = []
    while r.pos < len(r.text) and r.text[r.pos] != quote:
        if r.text[r.pos] == "\\" and r.pos + 1 < len(r.text):
            r.pos += 1
        out.append(r.text[r.pos])
        r.pos += 1
    if r.pos >= len(r.text):
        raise _error("Path ended with an open string.")
    r.pos += 1
    return "".join(out)


def _number(v: JToken) -> float | Decimal | int | None:
    if isinstance(v, JValue) and v.kind in (JTokenType.Integer, JTokenType.Float):
        value = v.value
        if isinstance(value, bool):
            return None
        if isinstance(value, (float, Decimal, int)):  # (what numeric tokens hold)
            return value
    return None


_TEXTUAL = (JTokenType.Date, JTokenType.Bytes, JTokenType.Guid, JTokenType.TimeSpan, JTokenType.Uri)


def _equal(a: JToken, b: JToken) -> bool:
    """Newtonsoft's comparison in filters: numbers by value, the same kinds by value, a date,
    GUID, URI, time span or bytes against a string by its text; nothing else is equal."""
    if not isinstance(a, JValue) or not isinstance(b, JValue):
        return False
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return float(x) == float(y) if isinstance(x, float) or isinstance(y, float) else x == y
    if a.kind == b.kind:
        return a.kind == JTokenType.Null or bool(a.value == b.value)
    for value, text in ((a, b), (b, a)):
        if text.kind == JTokenType.String and value.kind in _TEXTUAL:
            return dotnet.to_string(value.value) == text.value
    return False


def _strict_equal(a: JToken, b: JToken) -> bool:
    return isinstance(a, JValue) and isinstance(b, JValue) and a.kind == b.kind and _equal(a, b)


def _order(a: JToken, b: JToken) -> int | None:
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        fx, fy = (float(x), float(y)) if isinstance(x, float) or isinstance(y, float) else (x, y)
        return (fx > fy) - (fx < fy)
    if isinstance(a, JValue) and isinstance(b, JValue):
        if isinstance(a.value, str) and isinstance(b.value, str):
            return dotnet.ordinal_compare(a.value, b.value)
        if a.kind == b.kind and a.kind in (JTokenType.Date, JTokenType.TimeSpan, JTokenType.Guid):
            return dotnet.compare(a.value, b.value)
    return None


def _ordered(check: Callable[[int], bool]) -> Callable[[JToken, JToken], bool]:
    def test(a: JToken, b: JToken) -> bool:
        found = _order(a, b)
        return found is not None and check(found)

    return test


_TESTS: dict[str, Callable[[JToken, JToken], bool]] = {
    "==": _equal,
    "!=": lambda a, b: not _equal(a, b),
    "===": _strict_equal,
    "!==": lambda a, b: not _strict_equal(a, b),
    "<": _ordered(lambda c: c < 0),
    "<=": _ordered(lambda c: c <= 0),
    ">": _ordered(lambda c: c > 0),
    ">=": _ordered(lambda c: c >= 0),
}


# ---------------------------------------------------------------- the path's segments

_NAME_END = set(".[]() \t=<>!&|,")


def _name(r: _Reader) -> str:
    start = r.pos
    while r.pos < len(r.text) and r.text[r.pos] not in _NAME_END:
        r.pos += 1
    if r.pos == start:
        found = r.text[r.pos] if r.pos < len(r.text) else "end of path"
        raise _error(f"Unexpected character while parsing path: {found}")
    return r.text[start : r.pos]


def _int(text: str) -> int:
    text = text.strip()
    if not re.fullmatch(r"-?\d{1,10}", text):
        raise _error(f"Could not read query value: {text}")
    return int(text)


def _bracket(r: _Reader) -> Step:
    r.skip_space()
    if r.take("?(") or (r.take("?") and r.take("(")):
        expression = _or(r)
        r.expect(")")
        r.expect("]")
        return _filter(expression)
    if r.take("*"):
        r.expect("]")
        return _wildcard
    if r.peek() in ("'", '"'):
        names = [_quoted(r)]
        while r.take(","):
            r.skip_space()
            names.append(_quoted(r))
        r.expect("]")
        return _field(names)
    end = r.text.find("]", r.pos)
    if end < 0:
        raise _error("Path ended with open indexer.")
    body = r.text[r.pos : end]
    r.pos = end + 1
    if ":" in body:
        parts = body.split(":")
        if len(parts) > 3:
            raise _error(f"Unexpected character while parsing path indexer: {body}")
        start, stop, stride = ((_int(p) if p.strip() else None) for p in (*parts, "", "")[:3])
        return _slice(start, stop, stride)
    return _indexes([_int(p) for p in body.split(",")])


def _steps(r: _Reader, *, in_filter: bool) -> list[Step]:
    steps: list[Step] = []
    while r.pos < len(r.text):
        c = r.peek()
        if in_filter and c in " \t)=<>!&|,":
            break
        if r.text.startswith("..", r.pos):
            r.pos += 2
            if r.peek() == "*":
                r.pos += 1
                steps.append(_scan(None))
            elif r.peek() == "[":
                r.pos += 1
                steps.append(_scan(_bracket(r)))
            else:
                steps.append(_scan(_field([_name(r)])))
        elif c == ".":
            r.pos += 1
            if r.peek() == "*":
                r.pos += 1
                steps.append(_wildcard)
            else:
                steps.append(_field([_name(r)]))
        elif c == "[":
            r.pos += 1
            steps.append(_bracket(r))
        elif not steps and not in_filter:
            steps.append(_field([_name(r)]))  # "a.b": the first name needs no dot
        else:
            raise _error(f"Unexpected character while parsing path: {c}")
    return steps


_CACHE: dict[str, list[Step]] = {}


def parse_path(path: str) -> list[Step]:
    """The steps of a JSONPath (parsed once per text)."""
    steps = _CACHE.get(path)
    if steps is None:
        text = path.strip()
        r = _Reader(text)
        if r.peek() == "$":
            r.pos += 1
        steps = _steps(r, in_filter=False)
        if len(_CACHE) < 256:
            _CACHE[path] = steps
    return steps


def _run(t: JToken, root: JToken, steps: Sequence[Step], strict: bool) -> Iterator[JToken]:
    current: list[JToken] = [t]
    for step in steps:
        current = [found for x in metered(current) for found in step(x, root, strict)]
    return iter(current)


def _root(t: JToken) -> JToken:
    while t.parent is not None:
        t = t.parent
    return t


def select_tokens(t: JToken, path: str, strict: bool = False) -> list[JToken]:
    """``SelectTokens(path, errorWhenNoMatch)``: every token the path leads to, in order."""
    found = list(_run(t, _root(t), parse_path(path), strict))
    return [x.value if isinstance(x, JProperty) else x for x in found]


def select_token(t: JToken, path: str, strict: bool = False) -> JToken | None:
    """``SelectToken``: the one token the path leads to, or null."""
    found = select_tokens(t, path, strict)
    if len(found) > 1:
        raise _error("Path returned multiple tokens.")
    return found[0] if found else None


def _m_select_tokens(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> Seq:
    arity("JToken", "SelectTokens", a, 1, 2)
    path = strings._str_arg(a[0], "path", "SelectTokens")
    strict = len(a) == 2 and a[1] is True
    found = select_tokens(t, path, strict)
    return Seq(lambda: iter(found), "JEnumerable")


def _m_select_token(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> object:
    arity("JToken", "SelectToken", a, 1, 2)
    path = strings._str_arg(a[0], "path", "SelectToken")
    return select_token(t, path, len(a) == 2 and a[1] is True)


METHODS = {"SelectTokens": _m_select_tokens, "SelectToken": _m_select_token}
SIGNATURES = (
    "IEnumerable<JToken> SelectTokens(string path)",
    "IEnumerable<JToken> SelectTokens(string path, bool errorWhenNoMatch)",
)
