"""The closed `context` object model, Jwt and Basic credentials."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

from aiohttp_apim.dotnet.primitives import Char, Int64
from aiohttp_apim.expressions import runtime as rt
from aiohttp_apim.expressions.context import (
    Api,
    Deployment,
    ExpressionContext,
    Group,
    LastError,
    MessageBody,
    Product,
    Request,
    Response,
    Subscription,
    User,
)
from tests.dotnet.netkit import T, call, get, idx, out, raises


def make(**kw: object) -> ExpressionContext:
    req = Request(
        method="GET",
        url="https://api.example.com:8443/shop/items?id=5&tag=a&tag=b&empty=&sp=a+b",
        headers=[("Authorization", "Bearer abc.def"), ("Accept", "a"), ("accept", "b")],
        ip_address="10.0.0.1",
        matched_parameters={"place": "paris"},
        original_url="https://gw.example.com/shop/items?id=5",
    )
    defaults: dict[str, object] = {
        "request": req,
        "response": Response(
            status_code=200, headers={"Cache-Control": "max-age=10"}, body=b'{"a":[{"b":"x"}]}'
        ),
        "variables": {"s": "str", "n": 5, "l": Int64(5), "b": True},
        "api": Api(id="shop", name="Shop", path="shop", service_url="https://backend/api/"),
        "user": User(
            id="alice", email="alice@contoso.com", groups=(Group("developers", "Developers"),)
        ),
        "product": Product(id="gold", name="Gold"),
        "subscription": Subscription(id="s1", key="k-1", created_date=0.0),
        "deployment": Deployment(region="West Europe"),
        "last_error": LastError(source="cache-lookup", reason="R", message="M"),
        "timestamp": 1704164645.0,
        "clock": lambda: 1704164647.5,
    }
    defaults.update(kw)
    return ExpressionContext(**defaults)  # type: ignore[arg-type]


def test_context_members() -> None:
    c = make()
    assert get(c, "Request", "Method") == "GET"
    assert get(c, "Request", "IpAddress") == "10.0.0.1"
    assert get(c, "Request", "OriginalUrl", "Host") == "gw.example.com"
    assert get(c, "Response", "StatusCode") == 200
    assert get(c, "Response", "StatusReason") == "OK"
    assert call(get(c, "Response", "StatusCode"), "ToString") == "200"
    assert get(c, "Subscription", "Key") == "k-1"
    assert rt.to_string(get(c, "Subscription", "CreatedDate")) == "01/01/1970 00:00:00"
    assert get(c, "Subscription", "EndDate") is None
    assert get(c, "User", "Id") == "alice"
    assert call(get(c, "User", "Email"), "EndsWith", "@contoso.com") is True
    groups = get(c, "User", "Groups")
    assert [get(g, "Id") for g in rt.iterate(groups)] == ["developers"]
    assert get(c, "Product", "Name") == "Gold"
    assert rt.to_string(get(c, "Product", "State")) == "Published"
    assert get(c, "Deployment", "Region") == "West Europe"
    assert get(c, "Deployment", "GatewayId") == "managed"
    assert get(c, "LastError", "Source") == "cache-lookup"
    assert rt.to_string(get(c, "Api", "ServiceUrl")) == "https://backend/api/"
    assert get(c, "Api", "SubscriptionKeyParameterNames", "Header") == "Ocp-Apim-Subscription-Key"
    assert call(get(c, "Timestamp"), "ToString", "o") == "2024-01-02T03:04:05.0000000Z"
    assert rt.to_string(get(c, "Elapsed")) == "00:00:02.5000000"
    assert get(c, "Tracing") is False
    assert len(rt.to_string(get(c, "RequestId"))) == 36
    raises("MissingMemberException", lambda: get(c, "Services"))
    raises("InvalidOperationException", lambda: rt.set_member(c, "Variables", {}))


def test_url() -> None:
    u = get(make(), "Request", "Url")
    assert get(u, "Host") == "api.example.com"
    assert get(u, "Port") == 8443
    assert get(u, "Path") == "/shop/items"
    assert get(u, "Scheme") == "https"
    assert get(u, "QueryString") == "?id=5&tag=a&tag=b&empty=&sp=a+b"
    q = get(u, "Query")
    assert call(q, "GetValueOrDefault", "tag", "") == "a,b"
    assert call(q, "GetValueOrDefault", "TAG", "") == "a,b"
    assert call(q, "GetValueOrDefault", "nope", "dflt") == "dflt"
    assert call(q, "GetValueOrDefault", "empty", "dflt") == ""
    assert call(q, "GetValueOrDefault", "sp", "") == "a b"
    assert idx(q, "tag") == ["a", "b"]
    assert (
        rt.to_string(u) == "https://api.example.com:8443/shop/items?id=5&tag=a&tag=b&empty=&sp=a+b"
    )
    plain = get(ExpressionContext(request=Request(url="http://h/p")), "Request", "Url")
    assert (get(plain, "Port"), get(plain, "QueryString"), rt.to_string(plain)) == (
        80,
        "",
        "http://h/p",
    )


def test_headers() -> None:
    c = make()
    h = get(c, "Request", "Headers")
    assert call(h, "GetValueOrDefault", "authorization", "") == "Bearer abc.def"
    assert call(h, "GetValueOrDefault", "Accept", "") == "a,b"  # comma-joined, no space
    assert call(h, "GetValueOrDefault", "X-Missing", "none") == "none"
    assert call(h, "GetValueOrDefault", "X-Missing") is None
    assert call(h, "ContainsKey", "ACCEPT") is True
    assert idx(h, "accept") == ["a", "b"]
    e = raises("KeyNotFoundException", lambda: idx(h, "X-Missing"))
    assert "X-Missing" in e.message
    ref = out()
    assert call(h, "TryGetValue", "Accept", ref) is True
    assert ref.value == ["a", "b"]
    assert call(h, "TryGetValue", "Nope", ref) is False
    assert list(get(h, "Keys")) == ["Authorization", "Accept"]  # type: ignore[call-overload]
    assert get(h, "Count") == 2
    token = call(
        call(call(h, "GetValueOrDefault", "Authorization", ""), "Split", Char(" ")), "Last"
    )
    assert token == "abc.def"
    # the pipeline mutates from Python; expressions see the change
    resp = c.response
    assert resp is not None
    resp.headers.set("Cache-Control", "no-cache")
    resp.headers.add("Vary", "Accept")
    assert (
        call(get(c, "Response", "Headers"), "GetValueOrDefault", "cache-control", "") == "no-cache"
    )
    assert resp.headers.remove("vary") is True
    raises("InvalidOperationException", lambda: rt.set_index(h, ["x"], ["y"]))


def test_matched_parameters() -> None:
    mp = get(make(), "Request", "MatchedParameters")
    assert call(mp, "GetValueOrDefault", "place", "") == "paris"
    assert call(mp, "GetValueOrDefault", "PLACE", "") == "paris"
    assert call(mp, "GetValueOrDefault", "nope", "x") == "x"
    assert idx(mp, "place") == "paris"
    raises("KeyNotFoundException", lambda: idx(mp, "nope"))


def test_variables() -> None:
    c = make()
    v = get(c, "Variables")
    assert idx(v, "s") == "str"
    e = raises("KeyNotFoundException", lambda: idx(v, "missing"))
    assert e.message == "The given key 'missing' was not present in the dictionary."
    assert call(v, "ContainsKey", "n") is True
    ref = out()
    assert call(v, "TryGetValue", "n", ref) is True
    assert ref.value == 5
    assert call(v, "GetValueOrDefault", "n", targs=("int",)) == 5
    assert call(v, "GetValueOrDefault", "missing", targs=("int",)) == 0
    assert call(v, "GetValueOrDefault", "missing", targs=("bool",)) is False
    assert call(v, "GetValueOrDefault", "missing", targs=("string",)) is None
    assert call(v, "GetValueOrDefault", "missing", "dflt", targs=("string",)) == "dflt"
    assert call(v, "GetValueOrDefault", "s", "dflt") == "str"
    # GetValueOrDefault<T> throws if the stored value's type does not match T
    raises("InvalidCastException", lambda: call(v, "GetValueOrDefault", "l", targs=("int",)))
    raises("InvalidCastException", lambda: call(v, "GetValueOrDefault", "s", targs=("int",)))
    raises("InvalidCastException", lambda: call(v, "GetValueOrDefault", "n", targs=("string",)))
    raises(
        "InvalidCastException", lambda: call(v, "GetValueOrDefault", "n", "x")
    )  # T inferred: string
    assert call(v, "GetValueOrDefault", "b", targs=("bool",)) is True
    assert call(v, "GetValueOrDefault", "n", targs=("object",)) == 5
    # C# casts: (int) on a boxed long fails; (string) on a non-string fails
    raises("InvalidCastException", lambda: rt.cast(T("int"), idx(v, "l")))
    raises("InvalidCastException", lambda: rt.cast(T("string"), idx(v, "n")))
    assert call(idx(v, "n"), "ToString") == "5"
    assert get(v, "Count") == 4
    raises("InvalidOperationException", lambda: rt.set_index(v, ["x"], 1))
    c.variables.set("x", "new")
    assert idx(v, "x") == "new"
    assert "x" in c.variables
    assert c.variables.remove("x") is True


def test_message_body() -> None:
    c = make()
    body = get(c, "Response", "Body")
    j = call(body, "As", True, targs=("JObject",))
    assert rt.to_string(idx(idx(idx(j, "a"), 0), "b")) == "x"
    assert call(body, "As", True, targs=("string",)) == '{"a":[{"b":"x"}]}'
    assert call(body, "As", targs=("string",)) == '{"a":[{"b":"x"}]}'  # consumes
    assert call(body, "As", targs=("string",)) == ""
    assert call(body, "As", targs=("JObject",)) is None
    assert call(body, "As", targs=("byte[]",)) == b""
    assert isinstance(body, MessageBody)
    assert body.content == b""
    body.set(b"[1]")
    assert rt.to_string(call(body, "As", targs=("JArray",))) == "[\n  1\n]"
    doc = call(MessageBody(b"<a>x</a>"), "As", targs=("XDocument",))
    assert rt.to_string(doc) == "<a>x</a>"
    raises("NotSupportedException", lambda: call(MessageBody(b"<a/>"), "As", targs=("Uri",)))
    raises("JsonReaderException", lambda: call(MessageBody(b"nope"), "As", targs=("JObject",)))
    bom = MessageBody(b"\xef\xbb\xbfhi", "text/plain; charset=utf-8")
    assert call(bom, "As", targs=("string",)) == "hi"
    assert get(ExpressionContext(request=Request()), "Request", "Body") is None


def test_iresponse_in_variables() -> None:
    r = Response(status_code=404, body=b'{"err":"x"}', headers={"X": "1"})
    c = ExpressionContext(variables={"r": r})
    resp = rt.cast(T("IResponse"), idx(get(c, "Variables"), "r"))
    assert get(resp, "StatusCode") == 404
    assert get(resp, "StatusReason") == "Not Found"
    assert call(get(resp, "Body"), "As", targs=("string",)) == '{"err":"x"}'


def test_trace_and_defaults() -> None:
    seen: list[str] = []
    c = ExpressionContext(
        trace=seen.append,
        timestamp=datetime(2024, 1, 2, tzinfo=UTC),
        request_id="12345678-1234-5678-1234-567812345678",
        tracing=True,
    )
    call(c, "Trace", "hello")
    assert seen == ["hello"]
    assert rt.to_string(get(c, "RequestId")) == "12345678-1234-5678-1234-567812345678"
    assert rt.to_string(get(c, "Timestamp")) == "01/02/2024 00:00:00"
    assert get(c, "Response") is None
    assert get(c, "Tracing") is True
    assert isinstance(c.request_id.value, uuid.UUID)


def _jwt(payload: dict[str, object], header: dict[str, object] | None = None) -> str:
    def enc(d: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{enc(header or {'alg': 'RS256', 'typ': 'JWT'})}.{enc(payload)}.sig"


def test_as_jwt() -> None:
    token = _jwt(
        {
            "sub": "u1",
            "iss": "https://idp",
            "aud": ["a", "b"],
            "exp": 1704164645,
            "jti": "id1",
            "roles": ["r1", "r2"],
            "n": 5,
        }
    )
    jwt = call(token, "AsJwt")
    assert get(jwt, "Subject") == "u1"
    assert get(jwt, "Issuer") == "https://idp"
    assert get(jwt, "Id") == "id1"
    assert get(jwt, "Algorithm") == "RS256"
    assert get(jwt, "Type") == "JWT"
    assert list(get(jwt, "Audiences")) == ["a", "b"]  # type: ignore[call-overload]
    assert call(get(jwt, "ExpirationTime"), "ToString", "o") == "2024-01-02T03:04:05.0000000Z"
    assert get(jwt, "NotBefore") is None
    assert get(get(jwt, "NotBefore"), "HasValue") is False
    claims = get(jwt, "Claims")
    assert call(claims, "GetValueOrDefault", "roles", "") == "r1,r2"
    assert call(claims, "GetValueOrDefault", "n", "") == "5"
    assert call(claims, "GetValueOrDefault", "nope", "d") == "d"
    assert call("not.a.jwt", "AsJwt") is None
    assert call("", "AsJwt") is None
    ref = out()
    assert call(token, "TryParseJwt", ref) is True
    assert get(ref.value, "Subject") == "u1"
    assert call("x", "TryParseJwt", ref) is False
    assert ref.value is None


def test_as_basic() -> None:
    header = "Basic " + base64.b64encode(b"alice:s3cr:et").decode()
    creds = call(header, "AsBasic")
    assert (get(creds, "UserId"), get(creds, "Password")) == ("alice", "s3cr:et")
    assert call("Basic !!!", "AsBasic") is None
    assert call("Basic " + base64.b64encode(b"nocolon").decode(), "AsBasic") is None
    ref = out()
    assert call(header, "TryParseBasic", ref) is True
    assert get(ref.value, "UserId") == "alice"
