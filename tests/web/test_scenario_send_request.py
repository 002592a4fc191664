"""send-request over HTTP, against a second local aiohttp server (the called-out service), and
the patterns of APIM's custom-caching article that combine it with value caching: the "call out
and cache the response" sequence, a user-profile fragment, a backend token cached for its
lifetime, an authorizer's answer cached per credential."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer, unused_port
from pytest_aiohttp import AiohttpClient, AiohttpServer

import aiohttp_apim
from tests.web.conftest import FakeClock, Serve, Served, build_app, policies_xml, set_header

ECHO_ERROR = (
    set_header("X-Source", "@(context.LastError.Source)")
    + set_header("X-Reason", "@(context.LastError.Reason)")
    + set_header("X-Path", "@(context.LastError.Path)")
    + set_header("X-Message", "@(context.LastError.Message)")
)
R = '((IResponse)context.Variables["r"])'


@dataclass
class Call:
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes


class Service:
    """The called-out service: records every call and answers per path."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.hang = asyncio.Event()
        self.tokens = 0
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)
        self.server: TestServer | None = None

    def count(self, path: str) -> int:
        return sum(1 for call in self.calls if call.path == path)

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://{self.server.host}:{self.server.port}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.calls.append(Call(request.method, request.path, dict(request.headers), body))
        path = request.path
        if path.startswith("/profile/"):
            user = path.rsplit("/", 1)[1]
            return web.json_response({"username": user.title(), "status": "Gold"})
        if path == "/token":
            self.tokens += 1
            return web.json_response(
                {"access_token": f"token-{self.tokens}", "expires_in": 120, "token_type": "x"}
            )
        if path == "/authorize":
            allowed = request.headers.get("Authorization") == "Bearer good"
            return web.json_response({"allowed": allowed}, status=200 if allowed else 403)
        if path == "/echo":
            return web.json_response(
                {
                    "method": request.method,
                    "query": request.query_string,
                    "headers": {k.lower(): v for k, v in request.headers.items()},
                    "body": body.decode("utf-8", "replace"),
                },
                headers={"Set-Cookie": "session=abc; Path=/", "X-Service": "echo"},
            )
        if path == "/missing":
            return web.Response(status=404, reason="Not Here", text="no such thing")
        if path == "/redirect":
            return web.Response(status=302, headers={"Location": "/echo"})
        if path == "/gzip":
            return web.Response(
                body=gzip.compress(b'{"zipped": true}'),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        if path == "/hang":
            await self.hang.wait()
        return web.Response(text="ok")


@pytest.fixture
async def service(aiohttp_server: AiohttpServer) -> Service:
    svc = Service()
    svc.server = await aiohttp_server(svc.app)
    return svc


async def serve_calling(
    serve: Serve, service: Service, policies: Mapping[str, str] | str, **kwargs: Any
) -> Served:
    """The app under test; ``{{svc}}`` in policies is the called-out service's base URL."""
    documents = {"policy.xml": policies} if isinstance(policies, str) else dict(policies)
    return await serve(documents, named_values={"svc": service.base}, **kwargs)


def gateway_of(served: Served) -> aiohttp_apim.Gateway:
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    return gateway


# --- the request and the response --------------------------------------------------------------


async def test_a_new_request_and_its_answer_as_an_iresponse(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request mode="new" response-variable-name="r" timeout="10">'
            '<set-url>@("{{svc}}/profile/" + context.Request.Headers'
            '.GetValueOrDefault("X-User", "nobody"))</set-url>'
            "<set-method>GET</set-method>"
            + set_header("X-Trace", '@(context.Request.Headers.GetValueOrDefault("X-User", ""))')
            + "</send-request>",
            outbound=set_header(
                "X-Profile",
                f'@((string){R}.Body.As<JObject>()["username"] + "|" + '
                f'{R}.StatusCode + "|" + {R}.StatusReason + "|" + '
                f'{R}.Headers.GetValueOrDefault("Content-Type", ""))',
            ),
        ),
    )
    answer = await app.get(headers={"X-User": "bob"})
    assert answer.status == 200
    assert answer.headers["X-Profile"] == "Bob|200|OK|application/json; charset=utf-8"
    [call] = service.calls
    assert (call.method, call.path, call.headers["X-Trace"]) == ("GET", "/profile/bob", "bob")
    stats = gateway_of(app).stats()
    assert (stats.send_requests, stats.send_request_errors) == (1, 0)


async def test_method_headers_and_body_of_a_new_request(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request response-variable-name="r">'
            "<set-url>{{svc}}/echo?a=1</set-url><set-method>POST</set-method>"
            + set_header("Content-Type", "application/x-www-form-urlencoded")
            + set_header("X-Multi", "one", "two")
            + '<set-body>@("token=" + context.Request.Headers.GetValueOrDefault("X-Token", ""))'
            "</set-body></send-request>"
            '<set-variable name="echo" value="@(' + R + '.Body.As<string>())" />',
            outbound=set_header("X-Echo", '@((string)context.Variables["echo"])'),
        ),
    )
    answer = await app.get(headers={"X-Token": "t0k"})
    echo = json.loads(answer.headers["X-Echo"])
    assert (echo["method"], echo["query"], echo["body"]) == ("POST", "a=1", "token=t0k")
    assert echo["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert echo["headers"]["x-multi"] == "one,two"


async def test_a_body_without_content_type_gets_none_invented(
    serve: Serve, service: Service
) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request response-variable-name="r"><set-url>{{svc}}/echo</set-url>'
            "<set-method>PUT</set-method><set-body>raw</set-body></send-request>"
        ),
    )
    await app.get()
    [call] = service.calls
    assert (call.method, call.body) == ("PUT", b"raw")
    assert "Content-Type" not in call.headers


async def test_copy_mode_sends_the_current_request(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<set-header name="X-Added" exists-action="override"><value>inbound</value>'
            "</set-header>"
            '<send-request mode="copy" response-variable-name="r"><set-url>{{svc}}/echo</set-url>'
            + set_header("X-Extra", "copy")
            + "</send-request>",
        ),
    )
    answer = await app.request("POST", headers={"X-Client": "c1"}, data=b"payload")
    assert answer.status == 200
    [call] = service.calls
    assert (call.method, call.body) == ("POST", b"payload")
    assert (call.headers["X-Client"], call.headers["X-Added"], call.headers["X-Extra"]) == (
        "c1",
        "inbound",
        "copy",
    )
    assert call.headers["Host"] == f"{service.server.host}:{service.server.port}"  # type: ignore[union-attr]
    # The backend still gets the body the client sent.
    assert app.backends["shop:list"].last.body == b"payload"


async def test_copy_mode_in_outbound_does_not_copy_the_body(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            outbound='<send-request mode="copy" response-variable-name="r">'
            "<set-url>{{svc}}/echo</set-url></send-request>"
        ),
    )
    await app.request("POST", data=b"payload")
    [call] = service.calls
    assert (call.method, call.body) == ("POST", b"")


async def test_any_status_is_an_answer_and_redirects_are_not_followed(
    serve: Serve, service: Service
) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request response-variable-name="r"><set-url>{{svc}}/missing</set-url>'
            "</send-request>"
            '<send-request response-variable-name="s"><set-url>{{svc}}/redirect</set-url>'
            "</send-request>",
            outbound=set_header(
                "X-R", f'@({R}.StatusCode + " " + {R}.StatusReason + " " + {R}.Body.As<string>())'
            )
            + set_header(
                "X-S",
                '@(((IResponse)context.Variables["s"]).StatusCode + " " + '
                '((IResponse)context.Variables["s"]).Headers'
                '.GetValueOrDefault("Location", ""))',
            ),
        ),
    )
    answer = await app.get()
    assert (answer.headers["X-R"], answer.headers["X-S"]) == (
        "404 Not Here no such thing",
        "302 /echo",
    )
    assert service.count("/echo") == 0


async def test_a_compressed_answer_is_decoded(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request response-variable-name="r"><set-url>{{svc}}/gzip</set-url>'
            "</send-request>"
            '<return-response response-variable-name="r" />'
        ),
    )
    answer = await app.get()
    assert json.loads(answer.body) == {"zipped": True}
    assert "Content-Encoding" not in answer.headers


async def test_the_shared_session_keeps_no_cookies(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request response-variable-name="r"><set-url>{{svc}}/echo</set-url>'
            "</send-request>"
        ),
    )
    await app.get()
    await app.get()
    assert [call.headers.get("Cookie") for call in service.calls] == [None, None]


async def test_one_session_for_all_requests_closed_with_the_app(
    aiohttp_client: AiohttpClient, clock: FakeClock, service: Service
) -> None:
    app, gateway, _ = build_app(
        {
            "policy.xml": policies_xml(
                inbound='<send-request response-variable-name="r"><set-url>{{svc}}/echo</set-url>'
                "</send-request>"
            )
        },
        clock=clock,
        named_values={"svc": service.base},
    )
    assert isinstance(gateway, aiohttp_apim.Gateway)
    assert gateway._sender.session is None  # made on first use
    client = await aiohttp_client(app)
    sessions: list[ClientSession | None] = []
    for _ in range(3):
        async with client.get("/shop/items") as answer:
            assert answer.status == 200
        sessions.append(gateway._sender.session)
    assert sessions[0] is not None
    assert sessions.count(sessions[0]) == 3
    await client.close()
    assert sessions[0].closed
    assert gateway._sender.session is None


# --- failures -------------------------------------------------------------------------------------


async def test_a_connection_failure_goes_to_on_error(serve: Serve, service: Service) -> None:
    port = unused_port()
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound=f'<send-request id="call" response-variable-name="r">'
            f"<set-url>http://127.0.0.1:{port}/x?secret=s3</set-url></send-request>",
            on_error=ECHO_ERROR,
        ),
    )
    answer = await app.get()
    assert answer.status == 500
    assert app.calls() == 0
    assert (answer.headers["X-Source"], answer.headers["X-Reason"]) == (
        "send-request",
        "BackendConnectionFailure",
    )
    assert f"127.0.0.1:{port}/x" in answer.headers["X-Message"]
    assert "s3" not in answer.headers["X-Message"]  # the query may hold secrets
    assert gateway_of(app).stats().send_request_errors == 1


async def test_ignore_error_leaves_a_null_variable(serve: Serve, service: Service) -> None:
    port = unused_port()
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<set-variable name="r" value="before" />'
            f'<send-request response-variable-name="r" ignore-error="true">'
            f"<set-url>http://127.0.0.1:{port}/</set-url></send-request>",
            outbound=set_header(
                "X-R",
                '@(context.Variables.ContainsKey("r") + "|" + (context.Variables["r"] == null))',
            ),
        ),
    )
    answer = await app.get()
    assert (answer.status, answer.headers["X-R"]) == (200, "True|True")
    assert gateway_of(app).stats().send_request_errors == 1


@pytest.mark.parametrize("ignore", [False, True])
async def test_a_timeout(serve: Serve, service: Service, ignore: bool) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound=f'<send-request response-variable-name="r" timeout="1" '
            f'ignore-error="{str(ignore).lower()}"><set-url>{{{{svc}}}}/hang</set-url>'
            "</send-request>",
            outbound=set_header("X-R", '@((context.Variables["r"] == null).ToString())'),
            on_error=ECHO_ERROR,
        ),
    )
    try:
        answer = await app.get()  # waits the 1 s timeout: the one real wait of this file
    finally:
        service.hang.set()
    if ignore:
        assert (answer.status, answer.headers["X-R"]) == (200, "True")
    else:
        assert (answer.status, answer.headers["X-Reason"]) == (500, "Timeout")
        assert "1.0 seconds" in answer.headers["X-Message"]


@pytest.mark.parametrize("url", ["not a url", "/relative", "ftp://host/file"])
async def test_a_url_that_is_not_absolute_http_is_a_policy_error(
    serve: Serve, service: Service, url: str
) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound=f'<send-request response-variable-name="r" ignore-error="true">'
            f"<set-url>{url}</set-url></send-request>",
            on_error=ECHO_ERROR,
        ),
    )
    answer = await app.get()
    assert (answer.status, answer.headers["X-Reason"]) == (500, "ExpressionValueEvaluationFailure")
    assert "UriFormatException" in answer.headers["X-Message"]


async def test_a_failing_child_reports_its_own_path(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<send-request response-variable-name="r"><set-url>{{svc}}/echo</set-url>'
            + set_header("X-Ok", "fine")
            + set_header("X-Bad", '@(context.Variables["missing"].ToString())')
            + "</send-request>",
            on_error=ECHO_ERROR,
        ),
    )
    answer = await app.get()
    assert answer.headers["X-Path"] == "send-request[1]\\set-header[2]"
    assert answer.headers["X-Source"] == "set-header"
    assert service.calls == []


# --- call out and cache the response --------------------------------------------------------------

CALL_OUT_AND_CACHE = policies_xml(
    inbound=(
        '<cache-lookup-value key="@(&quot;profile-&quot; + context.Request.Headers'
        '.GetValueOrDefault(&quot;X-User&quot;, &quot;&quot;))" variable-name="profile" />'
        '<choose><when condition="@(!context.Variables.ContainsKey(&quot;profile&quot;))">'
        '<send-request mode="new" response-variable-name="profileresponse" timeout="10" '
        'ignore-error="true">'
        '<set-url>@(new Uri(new Uri("{{svc}}/profile/"), context.Request.Headers'
        '.GetValueOrDefault("X-User", "")).AbsoluteUri)</set-url>'
        "<set-method>GET</set-method></send-request>"
        '<set-variable name="profile" value="@(((IResponse)context.Variables'
        '[&quot;profileresponse&quot;]).Body.As&lt;string&gt;())" />'
        '<cache-store-value key="@(&quot;profile-&quot; + context.Request.Headers'
        '.GetValueOrDefault(&quot;X-User&quot;, &quot;&quot;))" '
        'value="@((string)context.Variables[&quot;profile&quot;])" duration="100" />'
        "</when></choose>"
    ),
    outbound=set_header("X-Profile", '@((string)context.Variables["profile"])'),
)


async def test_call_out_and_cache_the_response(
    serve: Serve, service: Service, clock: FakeClock
) -> None:
    app = await serve_calling(serve, service, CALL_OUT_AND_CACHE)
    profiles = []
    for user in ("bob", "bob", "alice", "bob", "alice"):
        answer = await app.get(headers={"X-User": user})
        assert answer.status == 200
        profiles.append(json.loads(answer.headers["X-Profile"])["username"])
    assert profiles == ["Bob", "Bob", "Alice", "Bob", "Alice"]
    assert (service.count("/profile/bob"), service.count("/profile/alice")) == (1, 1)
    assert app.calls() == 5  # the backend itself is called every time
    clock.advance(100)  # the cached profiles expire
    await app.get(headers={"X-User": "bob"})
    assert service.count("/profile/bob") == 2
    stats = gateway_of(app).stats()
    assert (stats.value_hits, stats.value_misses, stats.send_requests) == (3, 3, 3)


async def test_call_out_and_cache_with_an_external_cache(
    serve: Serve, service: Service, clock: FakeClock
) -> None:
    external = aiohttp_apim.MemoryCache(clock=clock)
    app = await serve_calling(serve, service, CALL_OUT_AND_CACHE, external_cache=external)
    for _ in range(3):
        await app.get(headers={"X-User": "bob"})
    assert service.count("/profile/bob") == 1
    assert await external.get("val:profile-bob") is not None


async def test_a_send_request_response_can_be_cached_whole(serve: Serve, service: Service) -> None:
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound='<cache-lookup-value key="echo" variable-name="r" />'
            '<choose><when condition="@(!context.Variables.ContainsKey(&quot;r&quot;))">'
            '<send-request response-variable-name="r"><set-url>{{svc}}/echo</set-url></send-request>'
            '<cache-store-value key="echo" value="@(context.Variables[&quot;r&quot;])" '
            'duration="60" /></when></choose>',
            outbound=set_header(
                "X-Echo",
                f'@({R}.StatusCode + "|" + '
                f'{R}.Headers.GetValueOrDefault("X-Service", "") + "|" + '
                f'(string){R}.Body.As<JObject>()["method"])',
            ),
        ),
    )
    answers = [(await app.get()).headers["X-Echo"] for _ in range(3)]
    assert answers == ["200|echo|GET"] * 3
    assert service.count("/echo") == 1


# --- the patterns of APIM's custom-caching article ------------------------------------------------


def jwt(subject: str) -> str:
    def part(data: dict[str, Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'sub': subject})}.sig"


async def test_user_profile_fragment_caching(serve: Serve, service: Service) -> None:
    # The article's fragment caching: the backend leaves a "$userprofile$" placeholder that
    # outbound fills with the caller's profile, fetched once per user and then cached.
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound=(
                '<set-variable name="enduserid" value="@(context.Request.Headers.GetValueOrDefault('
                '"Authorization","").Split(\' \')[1].AsJwt()?.Subject)" />'
                '<cache-lookup-value key="@("userprofile-" + context.Variables["enduserid"])" '
                'variable-name="userprofile" />'
                '<choose><when condition="@(!context.Variables.ContainsKey("userprofile"))">'
                '<send-request mode="new" response-variable-name="userprofileresponse" timeout="10" '
                'ignore-error="true">'
                '<set-url>@(new Uri(new Uri("{{svc}}/profile/"),'
                '(string)context.Variables["enduserid"]).AbsoluteUri)</set-url>'
                "<set-method>GET</set-method></send-request>"
                '<set-variable name="userprofile" value="@(((IResponse)context.Variables'
                '["userprofileresponse"]).Body.As<string>())" />'
                '<cache-store-value key="@("userprofile-" + context.Variables["enduserid"])" '
                'value="@((string)context.Variables["userprofile"])" duration="100000" />'
                "</when></choose>"
            ),
            outbound='<set-body>@(context.Response.Body.As<string>().Replace("\\"$userprofile$\\"", '
            '(string)context.Variables["userprofile"]))</set-body>',
        ),
    )
    app.backends["shop:list"].respond(
        headers={"Content-Type": "application/json"},
        body=b'{"flightno": "871", "status": "ontime", "userprofile": "$userprofile$"}',
    )
    for subject in ("bob", "bob", "carol"):
        answer = await app.get(headers={"Authorization": f"Bearer {jwt(subject)}"})
        assert json.loads(answer.body) == {
            "flightno": "871",
            "status": "ontime",
            "userprofile": {"username": subject.title(), "status": "Gold"},
        }
    assert (service.count("/profile/bob"), service.count("/profile/carol")) == (1, 1)


async def test_a_backend_token_cached_for_its_lifetime(
    serve: Serve, service: Service, clock: FakeClock
) -> None:
    # Fetch a token from the token endpoint once, cache it for the expires_in it came with, and
    # send it to the backend; a new one is fetched only when the cached one has expired.
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound=(
                '<cache-lookup-value key="backend-token" variable-name="token" />'
                '<choose><when condition="@(!context.Variables.ContainsKey("token"))">'
                '<send-request mode="new" response-variable-name="tokenresponse" timeout="20">'
                "<set-url>{{svc}}/token</set-url><set-method>POST</set-method>"
                + set_header("Content-Type", "application/x-www-form-urlencoded")
                + "<set-body>grant_type=client_credentials&amp;client_id=app</set-body>"
                "</send-request>"
                '<set-variable name="tokenbody" value="@(((IResponse)context.Variables'
                '["tokenresponse"]).Body.As<JObject>())" />'
                '<set-variable name="token" value="@((string)((JObject)context.Variables'
                '["tokenbody"])["access_token"])" />'
                '<set-variable name="tokenDurationSeconds" value="@(((JObject)context.Variables'
                '["tokenbody"])["expires_in"].ToString())" />'
                # A published snippet passes the duration as a string: accepted when it parses.
                '<cache-store-value key="backend-token" value="@((string)context.Variables["token"])" '
                'duration="@((string)context.Variables["tokenDurationSeconds"])" />'
                "</when></choose>"
                + set_header("Authorization", '@("Bearer " + (string)context.Variables["token"])')
            ),
        ),
    )
    seen = []
    for _ in range(3):
        await app.get()
        seen.append(app.backends["shop:list"].last.headers["Authorization"])
        clock.advance(50)
    assert seen == ["Bearer token-1"] * 3
    assert service.count("/token") == 1
    [call] = service.calls
    assert call.body == b"grant_type=client_credentials&client_id=app"
    clock.advance(20)  # 170 s after the token was cached: its 120 s are over
    await app.get()
    assert app.backends["shop:list"].last.headers["Authorization"] == "Bearer token-2"
    assert service.count("/token") == 2


async def test_an_authorizers_answer_cached_per_credential(serve: Serve, service: Service) -> None:
    # Ask an authorization service about the caller's credential, cache its verdict per
    # credential, and refuse with 403 when it said no (without calling the backend).
    app = await serve_calling(
        serve,
        service,
        policies_xml(
            inbound=(
                '<set-variable name="credential" value="@(context.Request.Headers'
                '.GetValueOrDefault("Authorization", ""))" />'
                '<cache-lookup-value key="@("authz-" + (string)context.Variables["credential"])" '
                'variable-name="status" />'
                '<choose><when condition="@(!context.Variables.ContainsKey("status"))">'
                '<send-request mode="new" response-variable-name="authz" timeout="10" '
                'ignore-error="false"><set-url>{{svc}}/authorize</set-url>'
                "<set-method>POST</set-method>"
                + set_header("Authorization", '@((string)context.Variables["credential"])')
                + "</send-request>"
                '<set-variable name="status" value="@(((IResponse)context.Variables["authz"])'
                '.StatusCode)" />'
                '<cache-store-value key="@("authz-" + (string)context.Variables["credential"])" '
                'value="@(context.Variables["status"])" duration="60" />'
                "</when></choose>"
                '<choose><when condition="@((int)context.Variables["status"] != 200)">'
                '<return-response><set-status code="403" reason="Forbidden" /></return-response>'
                "</when></choose>"
            ),
        ),
    )
    good = {"Authorization": "Bearer good"}
    bad = {"Authorization": "Bearer bad"}
    statuses = [(await app.get(headers=h)).status for h in (good, bad, good, bad, good)]
    assert statuses == [200, 403, 200, 403, 200]
    assert service.count("/authorize") == 2
    assert app.calls() == 3
