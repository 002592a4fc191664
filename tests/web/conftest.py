"""Helpers of the HTTP-level scenario tests (the executable specification of the gateway).

Everything here drives the gateway only through its public API:
``aiohttp_apim.setup(app, policies=..., clock=..., subscriptions=..., internal_cache=...)`` on a
real aiohttp app served by pytest-aiohttp's test server. What a test may observe is what a user
observes over HTTP: status, headers and body of the answer, how often each handler (the backend)
ran, and the request headers the handler saw.

* :class:`FakeClock` steps time for cache expiry; tests never sleep.
* :class:`Backend` is the handler of one route: it counts its calls, records what it saw and
  answers as configured (:meth:`Backend.respond`). Its default body is ``"<route> #<call>"``, so a
  body tells which backend call produced it.
* The ``serve`` fixture builds an app with routes named ``"<api>:<operation>"``, calls
  ``aiohttp_apim.setup`` and returns :class:`Served` ``(client, gateway, backends)``.
  :meth:`Served.request` waits for ``gateway.drain()`` after every answer, so a response stored in
  the background is visible to the next request without any timing assumption.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.cache import Cache
from aiohttp_apim.testing import (
    FakeClock as FakeClock,
)  # (re-exported: the tests import it from here)

PolicySource = Mapping[str, str] | str | os.PathLike[str]


# --- the backend ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeenRequest:
    """What a handler saw of one request that reached it."""

    method: str
    path: str
    query: MultiDictProxy[str]
    headers: CIMultiDictProxy[str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    """How a handler answers.

    ``body=None`` answers ``text/plain`` ``"<route> #<call number>"``. ``chunks`` makes the handler
    prepare a ``web.StreamResponse`` itself and write the chunks one by one. ``exception`` makes
    the handler raise it (a ``web.HTTPException`` is a response to aiohttp; others are crashes).
    """

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    chunks: tuple[bytes, ...] | None = None
    exception: Exception | None = None


class Backend:
    """The handler of one route: counts its calls and records what it saw."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reply = Reply()
        self.seen: list[SeenRequest] = []

    @property
    def calls(self) -> int:
        return len(self.seen)

    @property
    def last(self) -> SeenRequest:
        assert self.seen, f"the handler of {self.name} was never called"
        return self.seen[-1]

    def respond(
        self,
        *,
        status: int = 200,
        headers: Iterable[tuple[str, str]] | Mapping[str, str] = (),
        body: bytes | None = None,
        chunks: Sequence[bytes] | None = None,
        exception: Exception | None = None,
    ) -> None:
        pairs = tuple(headers.items()) if isinstance(headers, Mapping) else tuple(headers)
        self.reply = Reply(
            status=status,
            headers=pairs,
            body=body,
            chunks=None if chunks is None else tuple(chunks),
            exception=exception,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(
            SeenRequest(
                method=request.method,
                path=request.path,
                query=MultiDictProxy(MultiDict(request.query)),
                headers=CIMultiDictProxy(CIMultiDict(request.headers)),
                body=await request.read(),
            )
        )
        reply = self.reply
        if reply.exception is not None:
            raise reply.exception
        headers = CIMultiDict(reply.headers)
        if reply.chunks is not None:
            stream = web.StreamResponse(status=reply.status, headers=headers)
            await stream.prepare(request)
            for chunk in reply.chunks:
                await stream.write(chunk)
            await stream.write_eof()
            return stream
        if reply.body is None:
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            body = f"{self.name} #{self.calls}".encode()
        else:
            body = reply.body
        return web.Response(status=reply.status, headers=headers, body=body)


class Backends(dict[str, Backend]):
    """Every route's backend, by route name (by path for a route without a name)."""


ROUTES: tuple[tuple[str, str | None], ...] = (
    ("/shop/items", "shop:list"),
    ("/shop/items/{id}", "shop:get"),
    ("/billing/invoices", "billing:list"),
    ("/health", None),
)
"""(path, route name): each route accepts every method, so one operation sees GET, POST, HEAD..."""


def add_routes(app: web.Application, routes: Iterable[tuple[str, str | None]] = ROUTES) -> Backends:
    backends = Backends()
    for path, name in routes:
        backend = Backend(name or path)
        backends[backend.name] = backend
        app.router.add_route("*", path, backend.handle, name=name)
    return backends


# --- the app and its client -----------------------------------------------------------------


class Gateway(Protocol):
    """What the tests use of the object ``aiohttp_apim.setup`` returns."""

    def drain(self) -> Awaitable[object]: ...


@dataclass(frozen=True)
class Answer:
    """A response as the client received it, fully read."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Served(NamedTuple):
    """An app under test: ``client, gateway, backends = await serve(...)``."""

    client: TestClient[web.Request, web.Application]
    gateway: Gateway
    backends: Backends

    async def request(
        self,
        method: str,
        path: str = "/shop/items",
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        params: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        data: bytes | None = None,
    ) -> Answer:
        """Send one request, read the whole answer, then wait for background cache writes."""
        async with self.client.request(
            method, path, headers=_pairs(headers), params=_pairs(params), data=data
        ) as response:
            answer = Answer(response.status, response.headers, await response.read())
        await self.gateway.drain()
        return answer

    async def get(
        self,
        path: str = "/shop/items",
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        params: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> Answer:
        return await self.request("GET", path, headers=headers, params=params)

    def calls(self, route: str = "shop:list") -> int:
        """How many requests reached the handler of ``route``."""
        return self.backends[route].calls


def _pairs(
    items: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[str, str]] | None:
    if items is None:
        return None
    return list(items.items()) if isinstance(items, Mapping) else list(items)


def build_app(
    policies: PolicySource,
    *,
    clock: FakeClock,
    subscriptions: aiohttp_apim.Subscriptions | None = None,
    internal_cache: Cache | None = None,
    external_cache: Cache | None = None,
    named_values: Mapping[str, str] | None = None,
    routes: Iterable[tuple[str, str | None]] = ROUTES,
    **options: Any,
) -> tuple[web.Application, Gateway, Backends]:
    """An app with counting routes and the gateway set up on it (not started); ``options`` are
    the gateway's tuning keywords."""
    app = web.Application()
    backends = add_routes(app, routes)
    gateway = aiohttp_apim.setup(
        app,
        policies=policies,
        clock=clock,
        subscriptions=subscriptions,
        internal_cache=internal_cache,
        external_cache=external_cache,
        named_values=named_values,
        **options,
    )
    return app, gateway, backends


class Serve:
    """The ``serve`` fixture: build an app with the gateway on it and start a client for it."""

    def __init__(self, aiohttp_client: AiohttpClient, clock: FakeClock) -> None:
        self._aiohttp_client = aiohttp_client
        self.clock = clock

    async def __call__(
        self,
        policies: PolicySource,
        *,
        subscriptions: aiohttp_apim.Subscriptions | None = None,
        internal_cache: Cache | None = None,
        external_cache: Cache | None = None,
        named_values: Mapping[str, str] | None = None,
        routes: Iterable[tuple[str, str | None]] = ROUTES,
        **options: Any,
    ) -> Served:
        app, gateway, backends = build_app(
            policies,
            clock=self.clock,
            subscriptions=subscriptions,
            internal_cache=internal_cache,
            external_cache=external_cache,
            named_values=named_values,
            routes=routes,
            **options,
        )
        client = await self._aiohttp_client(app)
        return Served(client, gateway, backends)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def serve(aiohttp_client: AiohttpClient, clock: FakeClock) -> Serve:
    return Serve(aiohttp_client, clock)


# --- policy text ----------------------------------------------------------------------------


def policies_xml(
    *,
    inbound: str = "",
    backend: str = "<forward-request />",
    outbound: str = "",
    on_error: str = "",
) -> str:
    """A whole ``<policies>`` document; each argument is the inner XML of its section.

    The default backend suits the global scope; documents of narrower scopes pass
    ``backend="<base />"`` and put ``<base />`` where they want it in the other sections.
    """
    return (
        "<policies>\n"
        f"  <inbound>{inbound}</inbound>\n"
        f"  <backend>{backend}</backend>\n"
        f"  <outbound>{outbound}</outbound>\n"
        f"  <on-error>{on_error}</on-error>\n"
        "</policies>\n"
    )


def set_header(name: str, *values: str, action: str = "override") -> str:
    """A ``set-header`` statement with one ``<value>`` per value (none for ``delete``)."""
    inner = "".join(f"<value>{value}</value>" for value in values)
    return f'<set-header name="{name}" exists-action="{action}">{inner}</set-header>'


LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
STORE = '<cache-store duration="60" />'
CACHED: dict[str, str] = {"policy.xml": policies_xml(inbound=LOOKUP, outbound=STORE)}
"""Every GET is cached for 60 seconds, keyed by path only."""

PROBE = '@(context.Request.Headers.GetValueOrDefault("X-Probe", ""))'
"""An expression echoing the request's X-Probe header: shows whether a statement ran for this
request (a statement replayed from the cache shows the X-Probe of the request that stored it)."""


def cache_control(answer: Answer) -> dict[str, str | None]:
    """The directives of the answer's Cache-Control header, lower-cased: {"max-age": "60", ...}."""
    directives: dict[str, str | None] = {}
    for line in answer.headers.getall("Cache-Control", []):
        for part in line.split(","):
            name, sep, value = part.strip().partition("=")
            if name:
                directives[name.lower()] = value.strip('"') if sep else None
    return directives


def header_values(answer: Answer, name: str) -> list[str]:
    """Every comma-separated value of a header, over all its lines, stripped."""
    return [v.strip() for line in answer.headers.getall(name, []) for v in line.split(",")]


# --- callers --------------------------------------------------------------------------------

SUBSCRIPTION_DATA: dict[str, Any] = {
    "users": {
        "alice": {
            "email": "alice@example.com",
            "first_name": "Alice",
            "last_name": "Archer",
            "groups": ["developers", "partners"],
        },
        # Carol is in the same groups as Alice (listed in another order), Bob is not.
        "carol": {
            "email": "carol@example.com",
            "first_name": "Carol",
            "groups": ["partners", "developers"],
        },
        "bob": {"email": "bob@example.com", "first_name": "Bob", "groups": ["developers"]},
    },
    "groups": {"partners": {"name": "Partners"}},
    "products": {
        "gold": {"name": "Gold", "apis": ["shop"]},
        "silver": {"name": "Silver", "apis": ["shop"]},
        "ledger": {"name": "Ledger", "apis": ["billing"]},
    },
    "subscriptions": [
        {"id": "alice-gold-1", "key": "k-alice-gold-1", "user": "alice", "scope": "product:gold"},
        {"id": "alice-gold-2", "key": "k-alice-gold-2", "user": "alice", "scope": "product:gold"},
        {"id": "alice-silver", "key": "k-alice-silver", "user": "alice", "scope": "product:silver"},
        {"id": "alice-api", "key": "k-alice-api", "user": "alice", "scope": "api:shop"},
        {"id": "alice-all", "key": "k-alice-all", "user": "alice", "scope": "all"},
        {"id": "bob-gold", "key": "k-bob-gold", "user": "bob", "scope": "product:gold"},
        {"id": "bob-ledger", "key": "k-bob-ledger", "user": "bob", "scope": "product:ledger"},
        {"id": "carol-gold", "key": "k-carol-gold", "user": "carol", "scope": "product:gold"},
    ],
}


def subscriptions(*, required: bool = False) -> aiohttp_apim.Subscriptions:
    return aiohttp_apim.Subscriptions.from_dict({**SUBSCRIPTION_DATA, "required": required})


def key(value: str) -> dict[str, str]:
    """Request headers carrying a subscription key."""
    return {"Ocp-Apim-Subscription-Key": value}
