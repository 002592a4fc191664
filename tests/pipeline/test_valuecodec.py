"""The value-cache codec: exact round trips for every supported .NET type, the documented wire
format, refusals that name the .NET type, and a decoder that no byte string can make do anything
but return a supported value or raise ValueDecodeError."""

from __future__ import annotations

import ast
import enum
import os
import pickle
import struct
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim.dotnet import json as J
from aiohttp_apim.dotnet.dates import (
    MAX_TICKS,
    DateTime,
    DateTimeKind,
    DateTimeOffset,
    DayOfWeek,
    TimeSpan,
)
from aiohttp_apim.dotnet.linq import (
    CollectionView,
    KeyValuePair,
    NetHashSet,
    NetList,
    NetTuple,
)
from aiohttp_apim.dotnet.primitives import (
    Byte,
    Char,
    Guid,
    Int16,
    Int64,
    NetEnum,
    NetFlags,
    SByte,
    Single,
    StringComparer,
    StringComparison,
    UInt16,
    UInt32,
    UInt64,
    parse_guid,
)
from aiohttp_apim.dotnet.regexes import RegexOptions
from aiohttp_apim.dotnet.uri import Uri, UriKind, parse_uri, resolve
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression, runtime
from aiohttp_apim.expressions.context import (
    ExpressionContext,
    MessageBody,
    Request,
    Response,
    StringValuesDictionary,
)
from aiohttp_apim.pipeline import valuecodec
from aiohttp_apim.pipeline.valuecodec import (
    MAX_DEPTH,
    MAX_NODES,
    MAX_SIZE,
    ValueDecodeError,
    ValueEncodeError,
    decode_value,
    encode_value,
)

HEADER = b"\xa9V\x01"
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def round_trip(value: object) -> object:
    return decode_value(encode_value(value))


def varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# ---------------------------------------------------------------- exactness


def f64_bits(x: float) -> bytes:
    return struct.pack(">d", x)


def assert_same(a: object, b: object, path: str = "$") -> None:
    """``a`` and ``b`` are the same .NET value: same Python class all the way down and equal
    state (floats bit for bit, decimals digit for digit, DateTime Kind, JTokenType, ...)."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, float):
        assert f64_bits(a) == f64_bits(b), f"{path}: {a!r} != {b!r}"  # type: ignore[arg-type]
    elif isinstance(a, Decimal):
        assert isinstance(b, Decimal)
        assert a.as_tuple() == b.as_tuple(), f"{path}: {a!r} != {b!r}"
    elif isinstance(a, DateTime):
        assert isinstance(b, DateTime)
        assert (a.ticks, int(a.kind)) == (b.ticks, int(b.kind)), path
    elif isinstance(a, DateTimeOffset):
        assert isinstance(b, DateTimeOffset)
        assert (a.ticks, a.offset) == (b.ticks, b.offset), path
    elif isinstance(a, enum.Enum):
        assert int(a) == int(b), path  # type: ignore[call-overload]
    elif isinstance(a, list | tuple):
        assert isinstance(b, list | tuple)
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        assert isinstance(b, dict)
        assert len(a) == len(b), path
        for i, ((k1, v1), (k2, v2)) in enumerate(zip(a.items(), b.items(), strict=True)):
            assert_same(k1, k2, f"{path}.key{i}")
            assert_same(v1, v2, f"{path}[{k1!r}]")
    elif isinstance(a, NetHashSet):
        assert isinstance(b, NetHashSet)
        assert a.comparer == b.comparer, path
        assert_same(a.values(), b.values(), path)
    elif isinstance(a, KeyValuePair):
        assert isinstance(b, KeyValuePair)
        assert_same(a.key, b.key, path + ".Key")
        assert_same(a.value, b.value, path + ".Value")
    elif isinstance(a, NetTuple):
        assert isinstance(b, NetTuple)
        assert_same(a.items, b.items, path)
    elif isinstance(a, J.JValue):
        assert isinstance(b, J.JValue)
        assert a.kind is b.kind, path
        assert_same(a.value, b.value, path + ".Value")
    elif isinstance(a, J.JObject):
        assert isinstance(b, J.JObject)
        assert list(a.props) == list(b.props), path
        for name, p in a.props.items():
            assert b.props[name].name == name
            assert b.props[name].parent is b
            assert_same(p.value, b.props[name].value, f"{path}.{name}")
    elif isinstance(a, J.JArray):
        assert isinstance(b, J.JArray)
        assert all(x.parent is b for x in b.items)
        assert_same(a.items, b.items, path)
    elif isinstance(a, J.JProperty):
        assert isinstance(b, J.JProperty)
        assert a.name == b.name, path
        assert_same(a.value, b.value, path + ".Value")
    elif isinstance(a, Response):
        assert isinstance(b, Response)
        assert (a.status_code, a.status_reason) == (b.status_code, b.status_reason), path
        assert_same(a.headers, b.headers, path + ".Headers")
        assert_same(a.body, b.body, path + ".Body")
    elif isinstance(a, StringValuesDictionary):
        assert isinstance(b, StringValuesDictionary)
        assert a.case_insensitive == b.case_insensitive, path
        assert a.items() == b.items(), path
    elif isinstance(a, MessageBody):
        assert isinstance(b, MessageBody)
        assert (a.content, a.content_type, a.consumed) == (b.content, b.content_type, b.consumed)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


ALLOWED_LEAVES = (
    type(None),
    str,
    bool,
    int,
    Int64,
    Int16,
    SByte,
    Byte,
    UInt16,
    UInt32,
    UInt64,
    float,
    Single,
    Decimal,
    Char,
    DateTime,
    TimeSpan,
    DateTimeOffset,
    Guid,
    bytes,
    bytearray,
    Uri,
)


def assert_allowed(v: object, depth: int = 0) -> None:
    """Everything a decoded value holds is of a supported type."""
    assert depth <= MAX_DEPTH + 1
    cls = type(v)
    if cls in ALLOWED_LEAVES or isinstance(v, NetEnum | NetFlags):
        return
    children: list[object]
    if isinstance(v, list):
        assert cls in (list, NetList, CollectionView)
        children = list(v)
    elif isinstance(v, dict):
        assert cls is dict
        children = [*v.keys(), *v.values()]
    elif isinstance(v, NetHashSet | KeyValuePair | NetTuple):
        assert cls in (NetHashSet, KeyValuePair, NetTuple)
        children = (
            v.values()
            if isinstance(v, NetHashSet)
            else [v.key, v.value]
            if isinstance(v, KeyValuePair)
            else list(v.items)
        )
    elif isinstance(v, J.JToken):
        assert cls in (J.JObject, J.JArray, J.JProperty, J.JValue)
        if isinstance(v, J.JObject):
            children = [p.value for p in v.props.values()]
        elif isinstance(v, J.JArray):
            children = list(v.items)
        elif isinstance(v, J.JProperty):
            children = [v.value]
        else:
            assert isinstance(v, J.JValue)
            assert isinstance(v.kind, J.JTokenType)
            children = [v.value]
    elif isinstance(v, Response):
        assert cls is Response
        assert type(v.status_code) is int
        assert type(v.status_reason) is str
        children = [v.headers, v.body]
    elif isinstance(v, StringValuesDictionary):
        assert cls is StringValuesDictionary
        assert all(type(n) is str and all(type(x) is str for x in xs) for n, xs in v.items())
        return
    elif isinstance(v, MessageBody):
        assert cls is MessageBody
        assert type(v.content) is bytes
        return
    else:
        raise AssertionError(f"decoded a {cls.__name__}")
    for x in children:
        assert_allowed(x, depth + 1)


# ---------------------------------------------------------------- strategies

SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)
CHARS = st.one_of(st.characters(exclude_categories=()), SURROGATES)
TEXT = st.text(CHARS, max_size=20)


def ints(cls: Callable[[int], object], lo: int, hi: int) -> st.SearchStrategy[object]:
    return st.integers(lo, hi).map(cls)


BIG_INTS = st.one_of(
    st.integers(2**31, 2**200), st.integers(-(2**200), -(2**31) - 1), st.sampled_from([2**8000])
)
FLOATS = st.one_of(
    st.floats(),
    st.sampled_from([0.0, -0.0, float("inf"), float("-inf"), 5e-324, 1.7976931348623157e308]),
    st.integers(0, 2**64 - 1).map(lambda n: struct.unpack(">d", n.to_bytes(8, "big"))[0]),
)
DECIMALS = st.builds(
    lambda sign, coefficient, exponent: Decimal(
        (sign, tuple(map(int, str(coefficient))), exponent)
    ),
    st.integers(0, 1),
    st.one_of(st.integers(0, 2**96 - 1), st.sampled_from([0, 1, 79228162514264337593543950335])),
    st.integers(-28, 28),
)
DATETIMES = st.builds(
    DateTime,
    st.one_of(st.integers(0, MAX_TICKS), st.sampled_from([0, MAX_TICKS])),
    st.one_of(st.sampled_from(list(DateTimeKind)), st.integers(0, 2)),
)
TIMESPANS = st.integers(-(2**63), 2**63 - 1).map(TimeSpan)
OFFSETS = st.builds(
    DateTimeOffset,
    st.integers(0, MAX_TICKS),
    st.integers(-14 * 36_000_000_000, 14 * 36_000_000_000),
)
GUIDS = st.uuids().map(Guid)
ENUMS = st.one_of(
    st.sampled_from(
        [
            *DateTimeKind,
            *DayOfWeek,
            *StringComparison,
            *J.JTokenType,
            *UriKind,
            RegexOptions.IgnoreCase | RegexOptions.Multiline,
        ]
    ),
)
URLS = [
    "https://api.contoso.com/shop/items?color=red#top",
    "http://User:pw@Example.COM:8080/a/./b/../c%2f?q=%41&r",
    "http://example.com:80/",
    "https://[::1]:443/x y",
    "urn:isbn:0451450523",
    "file:///C:/dir/file.txt",
    "ftp://ftp.example.com/pub/ü.txt",
]
URIS = st.one_of(
    st.sampled_from(URLS).map(parse_uri),
    st.sampled_from(["relative/path?x=1", "", "../up", "ü"]).map(
        lambda s: parse_uri(s, UriKind.RelativeOrAbsolute)
    ),
    st.builds(
        resolve,
        st.sampled_from(URLS[:3]).map(parse_uri),
        st.sampled_from(["x/y", "/root?q", "?only", "#frag", "//other.host/p"]),
    ),
)

SCALARS: st.SearchStrategy[object] = st.one_of(
    st.none(),
    TEXT,
    st.booleans(),
    ints(int, -(2**31), 2**31 - 1),
    BIG_INTS,
    ints(Int64, -(2**63), 2**63 - 1),
    ints(Int16, -(2**15), 2**15 - 1),
    ints(SByte, -128, 127),
    ints(Byte, 0, 255),
    ints(UInt16, 0, 2**16 - 1),
    ints(UInt32, 0, 2**32 - 1),
    ints(UInt64, 0, 2**64 - 1),
    FLOATS,
    st.floats(width=32).map(Single),
    DECIMALS,
    CHARS.map(Char),
    DATETIMES,
    TIMESPANS,
    OFFSETS,
    GUIDS,
    st.binary(max_size=40),
    st.binary(max_size=10).map(bytearray),
    ENUMS,
    URIS,
)
KEYS: st.SearchStrategy[object] = SCALARS.filter(
    lambda k: k is not None and type(k) is not bytearray
)


def jvalue(kind: J.JTokenType) -> Callable[[object], J.JValue]:
    return lambda v: J.JValue(v, kind)


JVALUES: st.SearchStrategy[J.JToken] = st.one_of(
    st.just(None).map(jvalue(J.JTokenType.Null)),
    st.just(None).map(jvalue(J.JTokenType.Undefined)),
    TEXT.map(jvalue(J.JTokenType.String)),
    st.one_of(ints(Int64, -(2**63), 2**63 - 1), BIG_INTS, ints(UInt64, 0, 2**64 - 1)).map(
        jvalue(J.JTokenType.Integer)
    ),
    st.one_of(FLOATS, st.floats(width=32).map(Single), DECIMALS).map(jvalue(J.JTokenType.Float)),
    st.booleans().map(jvalue(J.JTokenType.Boolean)),
    st.one_of(DATETIMES, OFFSETS).map(jvalue(J.JTokenType.Date)),
    GUIDS.map(jvalue(J.JTokenType.Guid)),
    TIMESPANS.map(jvalue(J.JTokenType.TimeSpan)),
    st.binary(max_size=20).map(jvalue(J.JTokenType.Bytes)),
    URIS.map(jvalue(J.JTokenType.Uri)),
)


def jobject(members: dict[str, J.JToken]) -> J.JObject:
    o = J.JObject()
    for name, token in members.items():
        o.set(name, token)
    return o


TOKENS: st.SearchStrategy[J.JToken] = st.recursive(
    JVALUES,
    lambda children: st.one_of(
        st.lists(children, max_size=5).map(J.JArray),
        st.dictionaries(TEXT, children, max_size=5).map(jobject),
    ),
    max_leaves=25,
)
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=10),
    st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.1234567+02:00", "2024-01-02"]),
)
PARSED_JSON = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
).map(lambda v: J.parse(J.to_json(J.from_object(v), False)))


def headers_of(
    pairs: list[tuple[str, list[str]]], case_insensitive: bool
) -> StringValuesDictionary:
    d = StringValuesDictionary(case_insensitive=case_insensitive)
    for name, values in pairs:
        if name not in d:
            d.set(name, values)
    return d


HEADER_DICTS = st.builds(
    headers_of,
    st.lists(st.tuples(TEXT, st.lists(TEXT, max_size=3)), max_size=5),
    st.booleans(),
)


def body_of(content: bytes, content_type: str | None, consumed: bool) -> MessageBody:
    body = MessageBody(content, content_type)
    if consumed:
        body.text()
        body._consumed = True
    return body


BODIES = st.builds(
    body_of,
    st.binary(max_size=60),
    st.one_of(st.none(), st.sampled_from(["application/json", "text/plain; charset=utf-16"])),
    st.booleans(),
)
RESPONSES = st.builds(
    lambda status, reason, headers, body: Response(
        status_code=status, status_reason=reason, headers=headers, body=body
    ),
    st.one_of(st.integers(100, 599), st.integers(-(2**31), 2**31 - 1)),
    TEXT,
    HEADER_DICTS,
    st.one_of(st.none(), BODIES),
)


def hashset_of(items: list[object], comparer: StringComparer | None) -> NetHashSet:
    hs = NetHashSet(comparer)
    for x in items:
        hs.add(x)
    return hs


COMPARERS = st.sampled_from(
    [
        StringComparer(False, "Ordinal"),
        StringComparer(True, "OrdinalIgnoreCase"),
        StringComparer(True, "InvariantCultureIgnoreCase"),
    ]
)
HASHSETS = st.one_of(
    st.builds(hashset_of, st.lists(SCALARS, max_size=5), st.none()),
    st.builds(hashset_of, st.lists(st.one_of(st.none(), TEXT), max_size=5), COMPARERS),
)

VALUES: st.SearchStrategy[object] = st.recursive(
    st.one_of(SCALARS, TOKENS, PARSED_JSON, RESPONSES, HEADER_DICTS, BODIES, HASHSETS),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(NetList),
        st.lists(children, max_size=5).map(CollectionView),
        st.dictionaries(KEYS, children, max_size=5),
        st.builds(KeyValuePair, children, children),
        st.lists(children, max_size=8).map(lambda xs: NetTuple(tuple(xs))),
        st.builds(J.JProperty, TEXT, TOKENS),
    ),
    max_leaves=30,
)


# ---------------------------------------------------------------- round trips


@ROUND_TRIP
@given(SCALARS)
def test_scalars_round_trip_with_their_exact_type(value: object) -> None:
    decoded = round_trip(value)
    assert type(decoded) is type(value)
    assert_same(value, decoded)


@ROUND_TRIP
@given(VALUES)
def test_values_round_trip_exactly_and_re_encode_to_the_same_bytes(value: object) -> None:
    data = encode_value(value)
    decoded = decode_value(data)
    assert_same(value, decoded)
    assert encode_value(decoded) == data


@ROUND_TRIP
@given(st.one_of(TOKENS, PARSED_JSON))
def test_json_tokens_keep_type_text_and_conversions(token: J.JToken) -> None:
    decoded = round_trip(token)
    assert isinstance(decoded, J.JToken)
    assert decoded.parent is None
    assert runtime.get_member(decoded, "Type") is runtime.get_member(token, "Type")
    for args in ([], [J.Formatting.None_]):
        assert _outcome(runtime.call_method, decoded, "ToString", args) == _outcome(
            runtime.call_method, token, "ToString", args
        )
    assert_same(token, decoded)
    string = runtime.resolve_type("string")
    assert string is not None
    if isinstance(token, J.JObject):
        for name, p in token.props.items():
            got = runtime.index(decoded, [name])
            assert isinstance(got, J.JToken)
            assert got.type is p.value.type
            if isinstance(p.value, J.JValue):
                assert _outcome(runtime.cast, string, got) == _outcome(
                    runtime.cast, string, p.value
                )


def _outcome(fn: Callable[..., object], *args: object) -> object:
    """What an expression would see: the result, or the .NET exception type it throws."""
    try:
        return fn(*args)
    except ExpressionError as e:
        return e.exception_type


def test_lone_surrogates_and_astral_characters_stay_distinct() -> None:
    for s in ["\ud83d\ude00", "😀", "\ud800", "a\udfffb", "\udc00\ud800"]:
        decoded = round_trip(s)
        assert decoded == s
        assert type(decoded) is str
        assert len(decoded) == len(s)
    assert round_trip(Char("\ud800")) == Char("\ud800")
    assert round_trip(Char("😀")) == Char("😀")


def test_extreme_numbers() -> None:
    cases: list[object] = [
        -(2**31),
        2**31 - 1,
        2**31,
        -(2**31) - 1,
        Int64(-(2**63)),
        Int64(2**63 - 1),
        UInt64(2**64 - 1),
        UInt32(2**32 - 1),
        SByte(-128),
        Byte(255),
        Int16(-(2**15)),
        UInt16(65535),
        float("nan"),
        -0.0,
        float("-inf"),
        5e-324,
        Single(float("inf")),
        Single(-0.0),
        Single(3.4028234663852886e38),
        Decimal("79228162514264337593543950335"),
        Decimal("-79228162514264337593543950335"),
        Decimal("0.0000000000000000000000000001"),
        Decimal("1.50"),
        Decimal("-0.00"),
        Decimal("1E+28"),
        DateTime(MAX_TICKS, DateTimeKind.Local),
        TimeSpan(-(2**63)),
        -(2**16000),
    ]
    for value in cases:
        decoded = round_trip(value)
        assert_same(value, decoded)
    nan = struct.unpack(">d", bytes.fromhex("7ff8000000000bad"))[0]
    assert f64_bits(round_trip(nan)) == bytes.fromhex("7ff8000000000bad")  # type: ignore[arg-type]


def test_arrays_lists_and_views_stay_distinct() -> None:
    assert type(round_trip(["a", "b"])) is list
    assert type(round_trip(NetList(["a"]))) is NetList
    assert type(round_trip(CollectionView([1]))) is CollectionView
    assert type(round_trip(b"\x00\xff")) is bytes
    assert type(round_trip(bytearray(b"\x01"))) is bytearray


def test_typed_values_behave_the_same_in_expressions() -> None:
    stored = {
        "count": Int64(5),
        "id": parse_guid("0f8fad5b-d9cb-469f-a165-70867728950e"),
        "when": DateTime(638000000000000000, DateTimeKind.Utc),
        "price": Decimal("19.90"),
        "tags": NetList(["a", "b"]),
        "map": {"k": 1},
        "profile": J.parse('{"name": "Ann", "age": 41, "at": "2024-01-02T03:04:05Z", "x": 1.0}'),
    }
    variables = {k: round_trip(v) for k, v in stored.items()}
    ctx = ExpressionContext(request=Request(), variables=variables)

    def ev(source: str) -> object:
        return compile_expression(source)(ctx)

    assert ev('@(context.Variables.GetValueOrDefault<long>("count") + 1)') == 6
    assert ev('@(((Guid)context.Variables["id"]).ToString("N"))') == (
        "0f8fad5bd9cb469fa16570867728950e"
    )
    assert ev('@(((DateTime)context.Variables["when"]).Kind.ToString())') == "Utc"
    assert ev('@(((decimal)context.Variables["price"]).ToString())') == "19.90"
    assert ev('@(((List<string>)context.Variables["tags"]).Count)') == 2
    assert ev('@((string)((JObject)context.Variables["profile"])["name"])') == "Ann"
    assert ev('@(((JObject)context.Variables["profile"])["age"].Type.ToString())') == "Integer"
    assert ev('@(((JObject)context.Variables["profile"])["at"].Type.ToString())') == "Date"
    assert ev('@(((JObject)context.Variables["profile"])["x"].ToString())') == "1"
    profile = stored["profile"]
    assert isinstance(profile, J.JToken)
    assert ev('@(context.Variables["profile"].ToString())') == J.token_to_string(profile)


def test_a_stored_response_reads_back_as_an_iresponse() -> None:
    response = Response(
        status_code=404,
        status_reason="Not Found",
        headers=[("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("set-cookie", "b")],
        body=MessageBody(b'{"error": "missing"}', "application/json; charset=utf-8"),
    )
    ctx = ExpressionContext(request=Request(), variables={"r": round_trip(response)})

    def ev(source: str) -> object:
        return compile_expression(source)(ctx)

    r = '((IResponse)context.Variables["r"])'
    assert ev(f"@({r}.StatusCode)") == 404
    assert ev(f"@({r}.StatusReason)") == "Not Found"
    assert ev(f'@({r}.Headers.GetValueOrDefault("SET-COOKIE", ""))') == "a=1,b"
    assert ev(f'@({r}.Headers["Set-Cookie"].Length)') == 2
    assert ev(f'@((string){r}.Body.As<JObject>(true)["error"])') == "missing"
    assert ev(f"@({r}.Body.As<string>())") == '{"error": "missing"}'
    assert ev(f"@({r}.Body.As<string>())") == ""  # consumed by the read above

    # every lookup gets its own snapshot: consuming one does not empty the next
    data = encode_value(response)
    first, second = decode_value(data), decode_value(data)
    assert isinstance(first, Response)
    assert isinstance(second, Response)
    assert first.body is not None
    assert second.body is not None
    first.body.text()
    first.body._consumed = True
    assert second.body.text() == '{"error": "missing"}'


def test_a_consumed_body_stays_consumed_and_a_missing_body_stays_null() -> None:
    body = MessageBody(b"data")
    body._consumed = True
    decoded = round_trip(Response(status_code=200, body=body))
    assert isinstance(decoded, Response)
    assert decoded.body is not None
    assert decoded.body.consumed
    assert decoded.body.content == b""
    no_body = round_trip(Response(status_code=204))
    assert isinstance(no_body, Response)
    assert no_body.body is None
    assert no_body.status_reason == "No Content"


def test_request_headers_and_bodies_round_trip_on_their_own() -> None:
    headers = StringValuesDictionary([(b"Accept", b"a"), (b"accept", b"b")])
    decoded = round_trip(headers)
    assert isinstance(decoded, StringValuesDictionary)
    assert decoded.get_joined("ACCEPT") == "a,b"
    query = StringValuesDictionary({"Page": ["1"]}, case_insensitive=False)
    decoded_query = round_trip(query)
    assert isinstance(decoded_query, StringValuesDictionary)
    assert decoded_query.get("page") is None
    assert decoded_query.get("Page") == ["1"]
    body = round_trip(MessageBody(b"\xff\x00", None))
    assert isinstance(body, MessageBody)
    assert body.content == b"\xff\x00"


def test_uri_keeps_original_string_and_parts() -> None:
    for uri in [
        parse_uri("HTTP://Example.com:80/a/../b?x=%41#f"),
        parse_uri("rel/ative", UriKind.Relative),
        resolve(parse_uri("https://h/a/b"), "../c?d"),
    ]:
        decoded = round_trip(uri)
        assert decoded == uri
        for member in ("OriginalString", "IsAbsoluteUri"):
            assert runtime.get_member(decoded, member) == runtime.get_member(uri, member)
        assert runtime.call_method(decoded, "ToString", []) == runtime.call_method(
            uri, "ToString", []
        )


def test_dictionary_hashset_tuple_and_pair() -> None:
    d = {"a": 1, Int64(2): NetList([None]), Guid(uuid.UUID(int=7)): {"x": b"y"}}
    assert_same(d, round_trip(d))
    hs = hashset_of(["A", None, "b"], StringComparer(True, "OrdinalIgnoreCase"))
    decoded = round_trip(hs)
    assert isinstance(decoded, NetHashSet)
    assert decoded.contains("a")
    assert decoded.comparer == hs.comparer
    assert_same(NetTuple((1, "x", None)), round_trip(NetTuple((1, "x", None))))
    assert_same(KeyValuePair("k", [1]), round_trip(KeyValuePair("k", [1])))


# ---------------------------------------------------------------- the wire format


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (None, b"N"),
        (True, b"T"),
        (False, b"F"),
        (5, b"i\x00\x00\x00\x05"),
        (-1, b"i\xff\xff\xff\xff"),
        (2**31, b"n\x05\x00\x80\x00\x00\x00"),
        (Int64(1), b"l" + (1).to_bytes(8, "big")),
        (Int16(-2), b"h\xff\xfe"),
        (SByte(-1), b"b\xff"),
        (Byte(200), b"B\xc8"),
        (UInt16(258), b"H\x01\x02"),
        (UInt32(1), b"u\x00\x00\x00\x01"),
        (UInt64(2**64 - 1), b"q" + b"\xff" * 8),
        (1.5, b"d" + struct.pack(">d", 1.5)),
        (Single(1.5), b"f" + struct.pack(">d", 1.5)),
        (Decimal("1.50"), b"m\x00\xfe\x01\x96"),
        (Decimal("-0"), b"m\x01\x00\x00"),
        (Char("A"), b"c\x00\x00\x00\x41"),
        ("é", b"s\x02\xc3\xa9"),
        ("\ud800", b"s\x03\xed\xa0\x80"),
        ("x" * 200, b"s\xc8\x01" + b"x" * 200),
        (DateTime(1, DateTimeKind.Utc), b"D" + (1).to_bytes(8, "big") + b"\x01"),
        (TimeSpan(-1), b"S" + b"\xff" * 8),
        (DateTimeOffset(2, -1), b"O" + (2).to_bytes(8, "big") + b"\xff" * 8),
        (
            parse_guid("00112233-4455-6677-8899-aabbccddeeff"),
            b"g" + bytes.fromhex("00112233445566778899aabbccddeeff"),
        ),
        (b"\x00", b"x\x01\x00"),
        (bytearray(b"\x00"), b"y\x01\x00"),
        (DateTimeKind.Utc, b"E\x13System.DateTimeKind" + (1).to_bytes(8, "big")),
        (["a", None], b"a\x02s\x01aN"),
        (NetList([]), b"L\x00"),
        (CollectionView([1]), b"v\x01i\x00\x00\x00\x01"),
        ({"k": True}, b"M\x01s\x01kT"),
        (KeyValuePair(1, None), b"Ki\x00\x00\x00\x01N"),
        (NetTuple(("a",)), b"p\x01s\x01a"),
        (J.parse('{"a":[1,null]}'), b"{\x01\x01a[\x02=\x06l" + (1).to_bytes(8, "big") + b"=\x0aN"),
        (J.JProperty("p", J.JValue("v", J.JTokenType.String)), b":\x01p=\x08s\x01v"),
        (
            Response(status_code=200, status_reason="OK", headers={"A": ["1", "2"]}, body=b"hi"),
            b"R\x00\x00\x00\xc8\x02OK\x01\x01\x01A\x02\x011\x012\x01\x00\x02hi",
        ),
        (MessageBody(b"", "text/plain"), b"Y\x02\x0atext/plain\x00"),
        (StringValuesDictionary({"q": "1"}, case_insensitive=False), b"W\x00\x01\x01q\x01\x011"),
    ],
)
def test_wire_format_is_as_documented(value: object, payload: bytes) -> None:
    assert encode_value(value) == HEADER + payload
    assert_same(value, decode_value(HEADER + payload))


def test_uri_wire_format() -> None:
    uri = parse_uri("http://h:81/p?q#f")
    expected = (
        b"U\x1f"
        + b"\x11http://h:81/p?q#f"
        + b"\x04http"
        + b"\x00"
        + b"\x01h"
        + (81).to_bytes(4, "big")
        + b"\x02/p\x01q\x01f"
    )
    assert encode_value(uri) == HEADER + expected


def test_the_magic_and_version_are_checked() -> None:
    assert encode_value("x").startswith(valuecodec.MAGIC + bytes([valuecodec.FORMAT_VERSION]))
    for data, message in [
        (b"", "bad magic"),
        (b"\xa9", "bad magic"),
        (b"APR\x01", "bad magic"),
        (b"\xa9V", "truncated"),
        (b"\xa9V\x01", "truncated"),
        (b"\xa9V\x02N", "version 2"),
        (b"\xa9V\x00N", "version 0"),
        (HEADER + b"NN", "trailing"),
        (HEADER + b"?", "unknown tag"),
    ]:
        with pytest.raises(ValueDecodeError, match=message):
            decode_value(data)


def test_decode_accepts_bytes_like_and_refuses_anything_else() -> None:
    data = encode_value("x")
    assert decode_value(bytearray(data)) == "x"
    assert decode_value(memoryview(data)) == "x"
    with pytest.raises(ValueDecodeError):
        decode_value("x")  # type: ignore[arg-type]
    with pytest.raises(ValueDecodeError):
        decode_value(None)  # type: ignore[arg-type]


# ---------------------------------------------------------------- refusals


def _runtime_objects() -> list[tuple[object, str]]:
    t = runtime.resolve_type
    regex_type, sb_type, enumerable, encoding = (
        t("Regex"),
        t("StringBuilder"),
        t("Enumerable"),
        t("Encoding"),
    )
    assert regex_type
    assert sb_type
    assert enumerable
    assert encoding
    regex = runtime.construct(regex_type, ["a+"])
    return [
        (lambda x: x, "System.Delegate"),
        (regex, "System.Text.RegularExpressions.Regex"),
        (runtime.call_method(regex, "Match", ["aa"]), "System.Text.RegularExpressions.Match"),
        (runtime.call_static(enumerable, "Range", [0, 3]), "Enumerable"),
        (runtime.construct(sb_type, ["x"]), "System.Text.StringBuilder"),
        (runtime.get_static(encoding, "UTF8"), "System.Text.Encoding"),
        (ExpressionContext(request=Request()), "Context"),
        (Request(), "IRequest"),
        (Request(url="http://h/").url, "IUrl"),
        (b"abc".decode, "System.Delegate"),
        (object(), "System.Object"),
        ({1, 2}, "System.Object"),
    ]


def test_values_that_cannot_be_cached_are_refused_with_their_net_type() -> None:
    for value, type_name in _runtime_objects():
        with pytest.raises(ValueEncodeError, match="cannot cache") as info:
            encode_value(value)
        assert type_name in str(info.value)
        with pytest.raises(ValueEncodeError, match="cannot cache"):
            encode_value(NetList(["ok", value]))  # anywhere inside a value, too


def test_refusal_hints() -> None:
    regex_type = runtime.resolve_type("Regex")
    assert regex_type is not None
    with pytest.raises(ValueEncodeError, match="a lambda cannot be cached"):
        encode_value(lambda: 1)
    with pytest.raises(ValueEncodeError, match="pattern string"):
        encode_value(runtime.construct(regex_type, ["a"]))
    enumerable = runtime.resolve_type("Enumerable")
    assert enumerable is not None
    with pytest.raises(ValueEncodeError, match=r"ToArray\(\)"):
        encode_value(runtime.call_static(enumerable, "Range", [0, 3]))


def test_inconsistent_or_out_of_range_values_are_refused() -> None:
    bad: list[object] = [
        J.JValue(5, J.JTokenType.String),  # JValue.CreateString(5)
        J.JValue("x", J.JTokenType.Comment),
        J.JValue([1], J.JTokenType.Integer),
        {J.JObject(): 1},  # a key that is not a scalar
        {(1, 2): 1},  # a Python tuple is no .NET type
        Decimal("NaN"),
        Decimal("1E+100"),
        Decimal("1" * 41),
        Decimal((0, (1,), -65)),
        DateTime(-1),
        DateTime(MAX_TICKS + 1),
        DateTime(0, 3),
        DateTimeOffset(-1, 0),
        TimeSpan(2**63),
        Int64(2**63),
        Byte(256),
        Char("ab"),
        2**20000,
        hashset_of([1], StringComparer(True, "OrdinalIgnoreCase")),
        hashset_of(["a"], StringComparer(True, "Custom")),
        Response(status_code=2**40),
    ]
    for value in bad:
        with pytest.raises(ValueEncodeError):
            encode_value(value)


def test_nesting_is_limited_and_cycles_are_refused() -> None:
    def nested(levels: int) -> object:
        v: object = None
        for _ in range(levels):
            v = [v]
        return v

    assert_same(nested(MAX_DEPTH), round_trip(nested(MAX_DEPTH)))  # None at depth 64
    with pytest.raises(ValueEncodeError, match="64 levels"):
        encode_value(nested(MAX_DEPTH + 1))
    cycle = NetList()
    cycle.append(cycle)
    with pytest.raises(ValueEncodeError, match="contains itself"):
        encode_value(cycle)
    # the deepest JSON the runtime's parser accepts still fits
    deepest = J.parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert J.to_json(round_trip(deepest), False) == J.to_json(deepest, False)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError):
        J.parse("[" * (MAX_DEPTH + 2) + "]" * (MAX_DEPTH + 2))
    # decoding: a hostile entry nested far deeper fails cleanly, without a RecursionError
    for deep in (b"a\x01" * 100_000 + b"N", b"[\x01" * 100_000, b"K" * 100_000):
        with pytest.raises(ValueDecodeError, match="levels deep"):
            decode_value(HEADER + deep)


def test_node_and_size_limits_hold_on_both_sides() -> None:
    with pytest.raises(ValueEncodeError, match="too large"):
        encode_value([None] * MAX_NODES)
    assert len(round_trip([None] * (MAX_NODES - 1))) == MAX_NODES - 1  # type: ignore[arg-type]
    with pytest.raises(ValueDecodeError, match="nodes"):
        decode_value(HEADER + b"a" + varint(MAX_NODES) + b"N" * MAX_NODES)
    with pytest.raises(ValueEncodeError, match="too large"):
        encode_value(b"\x00" * MAX_SIZE)
    with pytest.raises(ValueDecodeError, match="exceeds"):
        decode_value(HEADER + b"x" + varint(MAX_SIZE) + bytes(MAX_SIZE))
    empty_uri = b"U\x00" + b"\x00" * 4 + bytes(4) + b"\x00"
    with pytest.raises(ValueDecodeError, match="nodes"):  # a Uri counts four
        decode_value(HEADER + b"a" + varint(MAX_NODES // 4) + empty_uri * (MAX_NODES // 4))


@pytest.mark.parametrize(
    ("name", "item", "units"),
    [
        ("Decimal", b"m\x00\x00\x00", 6),  # sign, exponent, 0 coefficient bytes
        ("Guid", b"g" + bytes(16), 4),
        ("DateTime", b"D" + bytes(8) + b"\x01", 2),
        ("DateTimeOffset", b"O" + bytes(16), 3),
        ("BigInteger", b"n\x01\x01", 4),
        ("JValue", b"=\x08s\x00", 3),  # a JValue of JTokenType String holding ""
    ],
)
def test_what_costs_more_to_decode_counts_more_towards_the_work_bound(
    name: str, item: bytes, units: int
) -> None:
    # The most items of a kind that fit the bound decode; one more is refused, before the
    # decoder has spent more than the bound's worth of work (about 0.5 us a unit).
    fits = (MAX_NODES - 1) // units  # the array's own tag is one unit
    assert len(decode_value(HEADER + b"a" + varint(fits) + item * fits)) == fits  # type: ignore[arg-type]
    with pytest.raises(ValueDecodeError, match="nodes"):
        decode_value(HEADER + b"a" + varint(fits + 1) + item * (fits + 1))


def test_jobject_members_and_header_names_count_more_towards_the_work_bound() -> None:
    def jobject(members: int) -> bytes:
        body = b"".join(b"\x08m%07d" % n + b"=\x0aN" for n in range(members))
        return HEADER + b"{" + varint(members) + body

    fits = (MAX_NODES - 1) // 5  # a name (2), its JValue (2) and the JValue's scalar (1)
    assert len(decode_value(jobject(fits)).props) == fits  # type: ignore[attr-defined]
    with pytest.raises(ValueDecodeError, match="nodes"):
        decode_value(jobject(fits + 1))

    def headers(names: int) -> bytes:
        body = b"".join(b"\x08h%07d" % n + b"\x01\x00" for n in range(names))
        return HEADER + b"W\x01" + varint(names) + body

    fits = (MAX_NODES - 1) // 8  # a name (7) and its one value (1)
    assert len(decode_value(headers(fits))) == fits  # type: ignore[arg-type]
    with pytest.raises(ValueDecodeError, match="nodes"):
        decode_value(headers(fits + 1))


def test_counts_and_lengths_are_checked_before_allocating() -> None:
    for payload in [
        b"a" + varint(2**32 - 1),
        b"M" + varint(2**32 - 1) + b"N",
        b"{" + varint(10),
        b"s" + varint(2**32 - 1) + b"abc",
        b"x" + b"\xff\xff\xff\xff\x7f",
        b"x" + b"\xff\xff\xff\xff\xff\x01",  # a varint longer than 5 bytes
        b"x\x80\x00",  # a non-minimal varint
        b"n" + varint(4096) + bytes(4096),
        b"n\x00",
        b"W\x00" + varint(2**20) + b"\x01a",
    ]:
        with pytest.raises(ValueDecodeError):
            decode_value(HEADER + payload)


@pytest.mark.parametrize(
    "payload",
    [
        b"D" + MAX_TICKS.to_bytes(8, "big") + b"\x03",  # Kind 3
        b"D" + (MAX_TICKS + 1).to_bytes(8, "big") + b"\x00",
        b"D" + b"\xff" * 8 + b"\x00",
        b"O" + b"\xff" * 16,
        b"c" + (0x110000).to_bytes(4, "big"),
        b"m\x02\x00\x00",  # sign 2
        b"m\x00\x41\x00",  # exponent 65
        b"m\x00\x00\x11" + bytes(17),  # 17-byte coefficient
        b"s\x01\xff",  # invalid UTF-8
        b"s\x02\xc3",  # truncated
        b"E\x0dSystem.Object" + bytes(8),
        b"E\x0cDateTimeKind" + bytes(8),  # short names are not accepted
        b"E\x13System.DateTimeKind" + (7).to_bytes(8, "big"),
        b"E\x0dSystem.String" + bytes(8),
        b"E\x09os.system" + bytes(8),
        b"U\x20" + b"\x00" * 4 + bytes(4) + b"\x00",
        b"U\x00" + b"\x00" * 4 + (70000).to_bytes(4, "big") + b"\x00",
        b"M\x01Nii\x00\x00\x00\x01",  # null key
        b"M\x01a\x00N",  # list key
        b"M\x02s\x01aNs\x01aN",  # duplicate key
        b"M\x02i\x00\x00\x00\x01Nl" + (1).to_bytes(8, "big") + b"N",  # 1 and 1L collide
        b"z\x07\x00",  # unknown comparer
        b"z\x02\x01i\x00\x00\x00\x01",  # comparer with a non-string
        b"z\x02\x02s\x01as\x01A",  # duplicate under the comparer
        b"z\x00\x02NN",
        b"{\x02\x01a=\x0aN\x01a=\x0aN",  # duplicate member
        b"{\x01\x01as\x01x",  # a member that is not a token
        b"[\x01:\x01a=\x0aN",  # a JProperty inside an array
        b"=\x01N",  # JTokenType Object as a JValue
        b"=\x08i\x00\x00\x00\x01",  # a String JValue holding an int
        b"=\x06s\x01a",
        b"=\x06a\x00",  # a JValue holding a list
        b"=\x0f=\x0aN",
        b"R\x00\x00\x00\xc8\x00\x00\x00\x02",  # bad body marker
        b"R\x00\x00\x00\xc8\x00\x02\x00\x00",  # bad header flags
        b"R\x00\x00\x00\xc8\x00\x01\x02\x01a\x00\x01A\x00\x00",  # duplicate header
        b"Y\x04\x00",  # bad body flags
        b"Y\x01\x01x",  # consumed body with content
    ],
)
def test_invalid_payloads_are_refused(payload: bytes) -> None:
    with pytest.raises(ValueDecodeError) as info:
        decode_value(HEADER + payload)
    assert info.value.__cause__ is None, "an unanticipated error reached the safety net"


# ---------------------------------------------------------------- hostile input


def decode_or_refuse(data: bytes) -> None:
    """The decoder's contract: a supported value, or ValueDecodeError raised on purpose (not by
    the safety net, which would hide a bug) — and whatever decodes can be stored again."""
    try:
        value = decode_value(data)
    except ValueDecodeError as e:
        error: ValueDecodeError | None = e
    else:
        error = None
    if error is not None:
        assert error.__cause__ is None, f"safety net caught {error.__cause__!r}"
        return
    assert_allowed(value)
    again = encode_value(value)
    assert len(again) <= len(data)
    assert_same(value, decode_value(again))


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_value_decode_error(data: bytes) -> None:
    decode_or_refuse(data)
    decode_or_refuse(HEADER + data)


TAGS = b"NTFinlhbBHuqdfmcsDSOgxyEUaLvMzKp{[:=RWY"


@FUZZ
@given(st.lists(st.one_of(st.sampled_from(list(TAGS)), st.integers(0, 255)), max_size=120))
def test_tag_soup_decodes_or_raises_value_decode_error(raw: list[int]) -> None:
    decode_or_refuse(HEADER + bytes(raw))


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate"]),
        st.integers(0, 10_000),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    b = bytearray(data)
    for op, where, byte in mutations:
        i = where % (len(b) + 1)
        if op == "flip" and i < len(b):
            b[i] ^= 1 << (byte % 8)
        elif op == "set" and i < len(b):
            b[i] = byte
        elif op == "insert":
            b.insert(i, byte)
        elif op == "delete" and i < len(b):
            del b[i]
        elif op == "truncate":
            del b[i:]
        elif op == "duplicate":
            b[i:i] = b[i : i + byte % 16]
    return bytes(b)


@FUZZ
@given(VALUES, MUTATIONS)
def test_mutated_entries_decode_or_raise_value_decode_error(
    value: object, mutations: list[tuple[str, int, int]]
) -> None:
    data = encode_value(value)
    decode_or_refuse(mutate(data, mutations))
    decode_or_refuse(HEADER + mutate(data[len(HEADER) :], mutations))


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_pickle_payloads_are_rejected_without_running_them(
    protocol: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, ("echo pwned",))

    payload = pickle.dumps(os.system, protocol=protocol)
    exploit = pickle.dumps(Exploit(), protocol=protocol)
    calls: list[object] = []
    monkeypatch.setattr(os, "system", lambda *a: calls.append(a))
    for data in (
        payload,
        exploit,
        HEADER + exploit,
        HEADER + b"x" + varint(len(exploit)) + exploit,
    ):
        try:
            value = decode_value(data)
        except ValueDecodeError:
            continue
        assert type(value) is bytes  # only as the bytes of a byte[]
    with pytest.raises(ValueDecodeError):
        decode_value(exploit)
    assert calls == []


def test_the_codec_imports_nothing_that_can_run_code() -> None:
    source = Path(valuecodec.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            assert node.module is not None
            imported.add(node.module)
    allowed = {"__future__", "struct", "uuid", "collections.abc", "decimal", "typing"}
    assert {m for m in imported if not m.startswith("aiohttp_apim.")} <= allowed
    forbidden = {
        "pickle",
        "marshal",
        "shelve",
        "copyreg",
        "importlib",
        "eval",
        "exec",
        "compile",
        "__import__",
        "getattr",
        "setattr",
        "globals",
        "locals",
        "vars",
        "os",
        "sys",
        "subprocess",
        "ctypes",
        "json",
        "loads",
    }
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not forbidden & (names | attributes | imported)
    assert not hasattr(valuecodec, "pickle")
    assert not hasattr(valuecodec, "marshal")


def test_hostile_entries_fail_fast() -> None:
    # a count promising more elements than there are bytes is refused before any allocation
    with pytest.raises(ValueDecodeError, match="exceeds the bytes left"):
        decode_value(HEADER + b"a" + varint(2**34 - 1))
    # the biggest legal flat entry decodes in bounded time
    data = HEADER + b"a" + varint(MAX_NODES - 1) + b"N" * (MAX_NODES - 1)
    assert len(decode_value(data)) == MAX_NODES - 1  # type: ignore[arg-type]
