"""JSON text ↔ tokens, as Newtonsoft reads and writes it: the lenient JsonTextReader-like parser
(``JToken.Parse``, ``JObject.Parse``...) and the writer behind ``ToString()``/``JsonConvert``."""

from __future__ import annotations

import base64
import json as _json
import math
import re
from collections.abc import Sequence
from decimal import Decimal
from itertools import accumulate

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates, numfmt
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import charge_chars, current
from aiohttp_apim.dotnet.dates import DateTime
from aiohttp_apim.dotnet.json_model import (
    MAX_DEPTH,
    Formatting,
    JArray,
    JObject,
    JProperty,
    JToken,
    JTokenType,
    JValue,
    plain_token,
    string_token,
)
from aiohttp_apim.dotnet.primitives import Int64, to_string
from aiohttp_apim.errors import ExpressionError

__all__ = ["NEWLINE", "parse", "to_json", "token_to_string", "value_json", "value_text"]

NEWLINE = "\n"


# ---------------------------------------------------------------- parser

_NUM = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|-?\d+(\.\d+)?([eE][+-]?\d+)?", re.ASCII)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')
_NESTING = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_C_PARSER = _json.JSONDecoder(strict=False)


class _Parser:
    """Newtonsoft's lenient reader (comments, single quotes, unquoted names, trailing commas)
    and its error messages, in Python: the path for text the C parser refuses."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.budget = current()
        self.left = 0

    def error(self, msg: str) -> None:
        line = self.s.count("\n", 0, self.i) + 1
        col = self.i - (self.s.rfind("\n", 0, self.i) + 1)
        raise ExpressionError("JsonReaderException", f"{msg} Path '', line {line}, position {col}.")

    def skip(self) -> None:
        s, n = self.s, len(self.s)
        while self.i < n:
            c = s[self.i]
            if c in " \t\r\n\ufeff\xa0":
                self.i += 1
            elif s.startswith("//", self.i):
                j = s.find("\n", self.i)
                self.i = n if j < 0 else j + 1
            elif s.startswith("/*", self.i):
                j = s.find("*/", self.i + 2)
                if j < 0:
                    self.i = n
                    self.error("Unexpected end while parsing comment.")
                self.i = j + 2
            else:
                return

    def value(self, depth: int) -> JToken:
        self.left -= 1
        if self.left < 0:  # a step of the expression budget per value, taken in slices
            self.left = self.budget.take() - 1
        if depth > MAX_DEPTH:
            self.error(f"The reader's MaxDepth of {MAX_DEPTH} has been exceeded.")
        self.skip()
        if self.i >= len(self.s):
            self.error(
                "Unexpected end of content while loading JObject."
                if depth
                else "Error reading JToken from JsonReader."
            )
        c = self.s[self.i]
        if c == "{":
            return self.obj(depth)
        if c == "[":
            return self.arr(depth)
        if c in "\"'":
            text = self.string()
            return string_token(text)
        if c == "-" or c.isdigit():
            m = _NUM.match(self.s, self.i)
            if m is None:
                if self.s.startswith("-Infinity", self.i):
                    self.i += 9
                    return JValue(-math.inf, JTokenType.Float)
                self.error(f"Unexpected character encountered while parsing value: {c}.")
            assert m is not None
            text = m.group(0)
            self.i = m.end()
            if any(ch in text for ch in ".eE"):
                return JValue(float(text), JTokenType.Float)
            n = int(text)
            if -(2**63) <= n < 2**63:
                return JValue(Int64(n), JTokenType.Integer)
            return JValue(n, JTokenType.Integer)  # BigInteger
        for word, tok in (
            ("true", JValue(True, JTokenType.Boolean)),
            ("false", JValue(False, JTokenType.Boolean)),
            ("null", JValue(None, JTokenType.Null)),
            ("undefined", JValue(None, JTokenType.Undefined)),
            ("NaN", JValue(math.nan, JTokenType.Float)),
            ("Infinity", JValue(math.inf, JTokenType.Float)),
        ):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return tok
        self.error(f"Unexpected character encountered while parsing value: {c}.")
        raise AssertionError

    def string(self) -> str:
        q = self.s[self.i]
        self.i += 1
        out: list[str] = []
        s, n = self.s, len(self.s)
        while True:
            j = self.i
            while j < n and s[j] != q and s[j] != "\\":
                j += 1
            out.append(s[self.i : j])
            if j >= n:
                self.i = j
                self.error("Unterminated string. Expected delimiter: " + q + ".")
            if s[j] == q:
                self.i = j + 1
                return "".join(out)
            esc = s[j + 1 : j + 2]
            simple = {
                "b": "\b",
                "f": "\f",
                "n": "\n",
                "r": "\r",
                "t": "\t",
                "\\": "\\",
                "/": "/",
                '"': '"',
                "'": "'",
            }
            if esc in simple:
                out.append(simple[esc])
                self.i = j + 2
            elif esc == "u":
                hexd = s[j + 2 : j + 6]
                if not re.fullmatch(r"[0-9A-Fa-f]{4}", hexd):
                    self.i = j
                    self.error("Invalid Unicode escape sequence.")
                code = int(hexd, 16)
                self.i = j + 6
                if 0xD800 <= code < 0xDC00 and s.startswith("\\u", self.i):
                    low = s[self.i + 2 : self.i + 6]
                    if re.fullmatch(r"[0-9A-Fa-f]{4}", low) and 0xDC00 <= int(low, 16) < 0xE000:
                        code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                        self.i += 6
                out.append(chr(code))
            else:
                self.i = j
                self.error(f"Bad JSON escape sequence: \\{esc}.")

    def name(self) -> str:
        self.skip()
        if self.i < len(self.s) and self.s[self.i] in "\"'":
            return self.string()
        m = re.compile(r"[A-Za-z_$][\w$]*").match(self.s, self.i)
        if m is None:
            self.error(
                "Invalid property identifier character: "
                f"{self.s[self.i] if self.i < len(self.s) else 'end'}."
            )
        assert m is not None
        self.i = m.end()
        return m.group(0)

    def obj(self, depth: int) -> JObject:
        o = JObject()
        self.i += 1
        self.skip()
        if self.i < len(self.s) and self.s[self.i] == "}":
            self.i += 1
            return o
        while True:
            key = self.name()
            self.skip()
            if self.i >= len(self.s) or self.s[self.i] != ":":
                self.error(
                    "Invalid character after parsing property name. Expected ':' but got: "
                    f"{self.s[self.i] if self.i < len(self.s) else 'end'}."
                )
            self.i += 1
            o.set(key, self.value(depth + 1))  # duplicate names: last wins (Replace)
            self.skip()
            if self.i >= len(self.s):
                self.error("Unexpected end of content while loading JObject.")
            c = self.s[self.i]
            self.i += 1
            if c == "}":
                return o
            if c != ",":
                self.error(f"After parsing a value an unexpected character was encountered: {c}.")
            self.skip()
            if self.i < len(self.s) and self.s[self.i] == "}":
                self.i += 1
                return o

    def arr(self, depth: int) -> JArray:
        a = JArray()
        self.i += 1
        self.skip()
        if self.i < len(self.s) and self.s[self.i] == "]":
            self.i += 1
            return a
        while True:
            a.append(self.value(depth + 1))
            self.skip()
            if self.i >= len(self.s):
                self.error("Unexpected end of content while loading JArray.")
            c = self.s[self.i]
            self.i += 1
            if c == "]":
                return a
            if c != ",":
                self.error(f"After parsing a value an unexpected character was encountered: {c}.")
            self.skip()
            if self.i < len(self.s) and self.s[self.i] == "]":
                self.i += 1
                return a


def parse(text: object, what: str = "JToken") -> JToken:
    if text is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'json')")
    if not isinstance(text, str):
        raise ExpressionError("ArgumentException", "Argument 1: cannot convert to 'string'")
    p = _Parser(text)
    p.skip()
    if p.i >= len(text):
        raise ExpressionError(
            "JsonReaderException",
            f"Error reading {what} from JsonReader. Path '', line 0, position 0.",
        )
    c = text[p.i]
    if what == "JObject" and c != "{":
        kind = "StartArray" if c == "[" else ("String" if c in "\"'" else "value")
        raise ExpressionError(
            "JsonReaderException",
            f"Error reading JObject from JsonReader. Current JsonReader item "
            f"is not an object: {kind}. Path '', line 1, position {p.i + 1}.",
        )
    if what == "JArray" and c != "[":
        kind = "StartObject" if c == "{" else "value"
        raise ExpressionError(
            "JsonReaderException",
            f"Error reading JArray from JsonReader. Current JsonReader item "
            f"is not an array: {kind}. Path '', line 1, position {p.i + 1}.",
        )
    charge_chars(len(text))
    fast = _parse_strict(text, p.i)
    if fast is not None:
        return fast
    tok = p.value(0)
    p.skip()
    if p.i < len(text):
        p.error(f"Additional text encountered after finished reading JSON content: {text[p.i]}.")
    return tok


def _parse_strict(text: str, start: int) -> JToken | None:
    """``text`` parsed by the C parser (strict JSON, plus NaN/Infinity, as Newtonsoft reads it),
    or None: text only the lenient reader takes, or nested deeper than Newtonsoft's MaxDepth
    (the lenient reader then reports what Newtonsoft would)."""
    if text.count("[") + text.count("{") > MAX_DEPTH and _nesting(text) > MAX_DEPTH:
        return None
    try:
        value, end = _C_PARSER.raw_decode(text, start)
    except (ValueError, RecursionError):
        return None
    if text[end:].strip(" \t\r\n"):
        return None
    return plain_token(value)


def _nesting(text: str) -> int:
    """How deep the arrays and objects of JSON ``text`` nest, at C speed: escaped backslashes
    and quotes dropped, then everything but quotes and brackets (UTF-8 continuation bytes are
    never ASCII), then what is between quotes; the deepest running sum of the brackets left."""
    structure = (
        text.encode("utf-8", "surrogatepass")
        .replace(b"\\\\", b"")
        .replace(b'\\"', b"")
        .translate(None, _NOT_STRUCTURE)
    )
    brackets = b"".join(structure.split(b'"')[::2])
    return max(accumulate(map(_NESTING.__getitem__, brackets)), default=0)


# ---------------------------------------------------------------- writer


def _escape(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif o < 0x20 or ch in "\x85\u2028\u2029":
            named = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}.get(ch)
            out.append(named or f"\\u{o:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _ensure_decimal_place(text: str) -> str:
    if any(c in text for c in ".EN"):
        return text
    if text in ("Infinity", "-Infinity"):
        return text
    return text + ".0"


def _iso(v: DateTime) -> str:
    return dates.format_datetime(v, "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFK")


def value_json(v: JValue) -> str:
    x, k = v.value, v.kind
    if k in (JTokenType.Null,) or x is None:
        return "undefined" if k == JTokenType.Undefined else "null"
    if k == JTokenType.Boolean:
        return "true" if x else "false"
    # each kind holds values of its classes (JValue's invariant): the isinstance tests only
    # tell mypy which
    if k == JTokenType.Integer and isinstance(x, int):
        return str(int(x))
    if k == JTokenType.Float and isinstance(x, (float, Decimal)):
        if isinstance(x, Decimal):
            return _ensure_decimal_place(numfmt.decimal_to_string(x))
        f = float(x)
        if math.isnan(f) or math.isinf(f):
            return _escape(numfmt.double_to_string(f))
        text = (
            numfmt.single_to_string(f)
            if isinstance(x, dotnet.Single)
            else numfmt.double_to_string(f)
        )
        return _ensure_decimal_place(text)
    if k == JTokenType.Date and isinstance(x, (DateTime, dates.DateTimeOffset)):
        if isinstance(x, dates.DateTimeOffset):
            return _escape(
                dates.format_datetime(
                    DateTime(x.ticks), "yyyy'-'MM'-'dd'T'HH':'mm':'ss.FFFFFFFzzz", x.offset
                )
            )
        return _escape(_iso(x))
    if k == JTokenType.Bytes and isinstance(x, bytes):
        return _escape(base64.b64encode(x).decode("ascii"))
    return _escape(to_string(x))


def to_json(t: JToken, indented: bool) -> str:
    parts: list[str] = []
    _write(t, indented, 0, parts)
    return clr.check_length("".join(parts))


def _write(t: JToken, indented: bool, level: int, out: list[str]) -> None:
    if isinstance(t, JValue):
        out.append(value_json(t))
    elif isinstance(t, JProperty):
        out.append(_escape(t.name))
        out.append(": " if indented else ":")
        _write(t.value, indented, level, out)
    elif isinstance(t, JObject):
        if not t.props:
            out.append("{}")
            return
        out.append("{")
        first = True
        for p in t.props.values():
            if not first:
                out.append(",")
            first = False
            if indented:
                out.append(NEWLINE + "  " * (level + 1))
            _write(p, indented, level + 1, out)
        if indented:
            out.append(NEWLINE + "  " * level)
        out.append("}")
    elif isinstance(t, JArray):
        if not t.items:
            out.append("[]")
            return
        out.append("[")
        first = True
        for x in t.items:
            if not first:
                out.append(",")
            first = False
            if indented:
                out.append(NEWLINE + "  " * (level + 1))
            _write(x, indented, level + 1, out)
        if indented:
            out.append(NEWLINE + "  " * level)
        out.append("]")


def token_to_string(t: JToken, args: Sequence[object] = ()) -> str:
    indented = True
    if args:
        if not isinstance(args[0], Formatting):
            raise ExpressionError(
                "ArgumentException", "Argument 1 of 'ToString': expected Formatting"
            )
        indented = args[0] == Formatting.Indented
    if isinstance(t, JValue) and not args:
        return value_text(t)
    return to_json(t, indented)


def value_text(v: JValue) -> str:
    """JValue.ToString(): the value's own ToString (invariant culture)."""
    if v.value is None:
        return ""
    if v.kind == JTokenType.Bytes:
        return "System.Byte[]"
    return to_string(v.value)
