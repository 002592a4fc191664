"""The Newtonsoft.Json.Linq object model as Python classes: JToken and its subclasses, token
types, parent links, deep clone/equality, and .NET values ↔ tokens (``JToken.FromObject``).
What expressions can do with them is declared in json.py; JSON text is json_text.py's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import overload

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates, linq, uri
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.dates import DateTime, DateTimeKind, TimeSpan
from aiohttp_apim.dotnet.primitives import Int64, NetEnum, to_string
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "MAX_DEPTH",
    "Formatting",
    "JArray",
    "JObject",
    "JProperty",
    "JToken",
    "JTokenType",
    "JValue",
    "adopt",
    "content_token",
    "deep_clone",
    "deep_equals",
    "from_object",
    "plain_token",
    "string_token",
    "value_token",
]

MAX_DEPTH = 64


class JTokenType(NetEnum):
    None_ = 0
    Object = 1
    Array = 2
    Constructor = 3
    Property = 4
    Comment = 5
    Integer = 6
    Float = 7
    String = 8
    Boolean = 9
    Null = 10
    Undefined = 11
    Date = 12
    Raw = 13
    Bytes = 14
    Guid = 15
    Uri = 16
    TimeSpan = 17


class Formatting(NetEnum):
    None_ = 0
    Indented = 1


class JToken:
    __slots__ = ("parent",)

    def __init__(self) -> None:
        self.parent: JToken | None = None

    @property
    def type(self) -> JTokenType:
        raise NotImplementedError


class JObject(JToken):
    """A JSON object. One parsed from text may hold the parser's plain dict (``_raw``) until its
    properties are first asked for: a large body costs the C parser's time, and only the parts
    an expression looks at become tokens."""

    __slots__ = ("_props", "_raw")

    def __init__(self) -> None:
        super().__init__()
        self._props: dict[str, JProperty] = {}
        self._raw: dict[str, object] | None = None

    @property
    def props(self) -> dict[str, JProperty]:
        raw = self._raw
        if raw is not None:
            self._raw = None
            props = self._props
            for name, value in raw.items():
                p = JProperty(name, plain_token(value))
                p.parent = self
                props[name] = p
        return self._props

    @property
    def type(self) -> JTokenType:
        return JTokenType.Object

    def get(self, name: str) -> JToken | None:
        p = self.props.get(name)
        return None if p is None else p.value

    def set(self, name: str, value: JToken) -> None:
        p = self.props.get(name)
        if p is None:
            clr.check_items(len(self.props) + 1)
            p = JProperty(name, value)
            p.parent = self
            self.props[name] = p
        else:
            p.set_value(value)

    def add_property(self, p: JProperty) -> None:
        if p.name in self.props:
            raise ExpressionError(
                "ArgumentException",
                f"Can not add property {p.name} to Newtonsoft.Json.Linq.JObject. "
                "Property with the same name already exists on object.",
            )
        if p.parent is not None:
            p = deep_clone(p)
        clr.check_items(len(self.props) + 1)
        p.parent = self
        self.props[p.name] = p


class JArray(JToken):
    """A JSON array; like `JObject`, one parsed from text becomes tokens when first read."""

    __slots__ = ("_items", "_raw")

    def __init__(self, items: Sequence[JToken] = ()) -> None:
        super().__init__()
        self._items: list[JToken] = []
        self._raw: list[object] | None = None
        for x in items:
            self.append(x)

    @property
    def items(self) -> list[JToken]:
        raw = self._raw
        if raw is not None:
            self._raw = None
            items = self._items
            for value in raw:
                t = plain_token(value)
                t.parent = self
                items.append(t)
        return self._items

    @items.setter
    def items(self, items: list[JToken]) -> None:
        self._raw = None
        self._items = items

    @property
    def type(self) -> JTokenType:
        return JTokenType.Array

    def append(self, t: JToken) -> None:
        clr.check_items(len(self.items) + 1)
        self.items.append(adopt(t, self))


class JProperty(JToken):
    __slots__ = ("name", "value")

    def __init__(self, name: str, value: JToken) -> None:
        super().__init__()
        self.name = name
        self.value = adopt(value, self)

    @property
    def type(self) -> JTokenType:
        return JTokenType.Property

    def set_value(self, value: JToken) -> None:
        self.value.parent = None
        self.value = adopt(value, self)


class JValue(JToken):
    __slots__ = ("kind", "value")

    def __init__(self, value: object, kind: JTokenType) -> None:
        super().__init__()
        self.value = value
        self.kind = kind

    @property
    def type(self) -> JTokenType:
        return self.kind


_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)


def string_token(text: str) -> JValue:
    """A JSON string as Newtonsoft reads it: ISO 8601 date-times become Date tokens."""
    if len(text) >= 19 and text[4:5] == "-" and text[10:11] == "T":
        m = _ISO_DATE.fullmatch(text)
        if m:
            try:
                y, mo, d, h, mi, s, frac, zone = m.groups()
                local = dates.make_datetime(
                    int(y),
                    int(mo),
                    int(d),
                    int(h),
                    int(mi),
                    int(s),
                    int((frac or "0").ljust(7, "0")),
                )
            except clr.ExpressionError:
                return JValue(text, JTokenType.String)
            if zone is None:
                return JValue(local, JTokenType.Date)
            if zone == "Z":
                return JValue(DateTime(local.ticks, DateTimeKind.Utc), JTokenType.Date)
            off = dates._zone(zone) or 0
            return JValue(DateTime(local.ticks - off, DateTimeKind.Local), JTokenType.Date)
    return JValue(text, JTokenType.String)


def plain_token(v: object) -> JToken:
    """The token for a value of the C JSON parser's output (dict, list, str, int, float, bool,
    None); containers stay unread until an expression reads them."""
    # (``type(v) is``, each time: as fast as testing a saved ``type(v)``, and mypy narrows it)
    if type(v) is str:
        return string_token(v)
    if type(v) is dict:
        o = JObject()
        clr.check_items(len(v))
        o._raw = v
        return o
    if type(v) is list:
        a = JArray()
        clr.check_items(len(v))
        a._raw = v
        return a
    if type(v) is bool:
        return JValue(v, JTokenType.Boolean)
    if type(v) is int:
        return JValue(Int64(v) if -(2**63) <= v < 2**63 else v, JTokenType.Integer)
    if type(v) is float:
        return JValue(v, JTokenType.Float)
    return JValue(None, JTokenType.Null)


def adopt(t: JToken, parent: JToken) -> JToken:
    if t.parent is not None:
        t = deep_clone(t)
    t.parent = parent
    return t


@overload
def deep_clone(t: JProperty) -> JProperty: ...
@overload
def deep_clone(t: JToken) -> JToken: ...
def deep_clone(t: JToken) -> JToken:
    if isinstance(t, JValue):
        return JValue(t.value, t.kind)
    if isinstance(t, JProperty):
        return JProperty(t.name, deep_clone(t.value))
    if isinstance(t, JArray):
        return JArray([deep_clone(x) for x in t.items])
    assert isinstance(t, JObject)
    o = JObject()
    for name, p in t.props.items():
        o.set(name, deep_clone(p.value))
    return o


def deep_equals(a: object, b: object) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, JValue) and isinstance(b, JValue):
        if a.kind == JTokenType.Null or b.kind == JTokenType.Null:
            return a.kind == b.kind
        return dotnet.op_equals(a.value, b.value)
    if isinstance(a, JArray) and isinstance(b, JArray):
        return len(a.items) == len(b.items) and all(
            deep_equals(x, y) for x, y in zip(a.items, b.items, strict=True)
        )
    if isinstance(a, JObject) and isinstance(b, JObject):
        return a.props.keys() == b.props.keys() and all(
            deep_equals(p.value, b.props[k].value) for k, p in a.props.items()
        )
    if isinstance(a, JProperty) and isinstance(b, JProperty):
        return a.name == b.name and deep_equals(a.value, b.value)
    return False


# ---------------------------------------------------------------- values <-> tokens


def value_token(v: object) -> JToken:
    """Implicit conversion of a CLR value to a JToken (JToken.op_Implicit / JValue ctor)."""
    if isinstance(v, JToken):
        return v
    if v is None:
        return JValue(None, JTokenType.Null)
    t = type(v)
    if t is str:
        return JValue(v, JTokenType.String)
    if t is bool:
        return JValue(v, JTokenType.Boolean)
    if dotnet.is_integral(v):
        return JValue(Int64(v) if t is int else v, JTokenType.Integer)
    if t in (float, dotnet.Single, Decimal):
        return JValue(v, JTokenType.Float)
    if t is dotnet.Char:
        return JValue(str(v), JTokenType.String)
    if isinstance(v, DateTime | dates.DateTimeOffset):
        return JValue(v, JTokenType.Date)
    if isinstance(v, dotnet.Guid):
        return JValue(v, JTokenType.Guid)
    if isinstance(v, TimeSpan):
        return JValue(v, JTokenType.TimeSpan)
    if isinstance(v, bytes | bytearray):
        return JValue(bytes(v), JTokenType.Bytes)
    if isinstance(v, uri.Uri):
        return JValue(v, JTokenType.Uri)
    return from_object(v)


def from_object(v: object, depth: int = 0) -> JToken:
    """JToken.FromObject: primitives, dictionaries, sequences and tokens (deep-cloned)."""
    if depth > MAX_DEPTH:
        raise ExpressionError("JsonSerializationException", "Self referencing loop detected.")
    if isinstance(v, JToken):
        return deep_clone(v)
    if isinstance(v, dict):
        o = JObject()
        for k, x in v.items():
            o.set(to_string(k), from_object(x, depth + 1))
        return o
    if isinstance(v, linq.KeyValuePair):
        o = JObject()
        o.set("Key", from_object(v.key, depth + 1))
        o.set("Value", from_object(v.value, depth + 1))
        return o
    if isinstance(v, list | linq.Seq | linq.NetHashSet):
        return JArray([from_object(x, depth + 1) for x in linq.items_of(v)])
    if v is None or type(v) in _SIMPLE or isinstance(v, DateTime | dotnet.Guid | TimeSpan | bytes):
        return value_token(v)
    if isinstance(v, uri.Uri | dates.DateTimeOffset):
        return value_token(v)
    if isinstance(v, dotnet.NetEnum | dotnet.NetFlags):
        return JValue(Int64(int(v)), JTokenType.Integer)
    raise ExpressionError(
        "ArgumentException",
        f"Could not determine JSON object type for type {clr.net_name(v, full=True)}.",
    )


_SIMPLE = frozenset({str, bool, float, Decimal, dotnet.Char, *dotnet.INT_BITS, dotnet.Single})


def content_token(v: object) -> JToken:
    """Content added to a container (JArray.Add, new JProperty(name, content))."""
    if isinstance(v, JToken):
        return v
    if isinstance(v, list | linq.Seq):
        return JArray([content_token(x) for x in linq.items_of(v)])
    if isinstance(v, dict):
        return from_object(v)
    return value_token(v)
