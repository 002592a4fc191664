"""A pytest plugin for testing your policies: your app and its policy folder served on a fake
clock, with in-memory caches in place of Redis, and assertions on what the cache did.

Installed with the package (a ``pytest11`` entry point), so the fixtures are there in any project
that has ``aiohttp_apim`` and ``pytest-aiohttp``:

``apim_clock``
    A :class:`FakeClock` (seconds): ``apim_clock.advance(61)`` expires entries; nothing sleeps.
``apim_cache``
    A :class:`RecordingCache` on that clock: a :class:`~aiohttp_apim.MemoryCache` that
    remembers the response entries written to it; pass it as ``external_cache`` where the app
    would use Redis.
``apim_serve``
    ``await apim_serve(app, policies, **options)`` sets the gateway up on ``app`` with the clock
    and ``apim_cache`` as both caches, starts a test client and returns an :class:`ApimClient`;
    ``await apim_serve(app)`` serves an app that called :func:`aiohttp_apim.setup` itself
    (give it ``apim_clock`` and ``apim_cache`` for the same control).

Requests through :class:`ApimClient` wait for the gateway's background work
(``gateway.drain()``) before they return, so the next request sees what the previous one
stored. Each :class:`ApimResponse` says whether the cache answered it (:func:`assert_hit`,
:func:`assert_miss`) and whether it was stored (:func:`assert_stored`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, Unpack, runtime_checkable

import pytest
from aiohttp import web
from multidict import CIMultiDictProxy

import aiohttp_apim
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.pipeline.keys import RESPONSE_NAMESPACE
from aiohttp_apim.policy.scopes import PolicySet
from aiohttp_apim.policy.sources import PolicySource
from aiohttp_apim.web.options import GatewayOptions

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from pytest_aiohttp import AiohttpClient

__all__ = [
    "ApimClient",
    "ApimResponse",
    "FakeClock",
    "RecordingCache",
    "Serve",
    "apim_cache",
    "apim_clock",
    "apim_serve",
    "assert_hit",
    "assert_miss",
    "assert_stored",
]

CacheOutcome = Literal["hit", "miss", "none"]
"""What the response cache did for a request: answered it, looked and missed, or nothing (no
cache-lookup ran, or the request was not eligible)."""


class FakeClock:
    """A clock for ``setup(clock=...)``: seconds that move only when told."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@runtime_checkable
class RecordsStores(Protocol):
    """A cache that counts the response entries written to it (:class:`RecordingCache`)."""

    @property
    def response_stores(self) -> int: ...


class RecordingCache(MemoryCache):
    """A :class:`~aiohttp_apim.MemoryCache` that counts the response entries written to it
    (``response_stores``) and remembers their keys (``stored_keys``)."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        super().__init__(clock=clock)
        self.stored_keys: list[str] = []

    @property
    def response_stores(self) -> int:
        return len(self.stored_keys)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await super().set(key, value, ttl)
        self._record(key)

    def set_now(self, key: str, value: bytes, ttl: float) -> None:
        super().set_now(key, value, ttl)
        self._record(key)

    def _record(self, key: str) -> None:
        if key.startswith(RESPONSE_NAMESPACE):
            self.stored_keys.append(key)


@dataclass(frozen=True)
class ApimResponse:
    """A response as the client received it, fully read, with what the cache did for it."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    cache: CacheOutcome
    stored: bool | None
    """Whether a response entry was written for it (None: no :class:`RecordingCache` to
    tell)."""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ApimClient:
    """An app served for a test: ``client`` (pytest-aiohttp's), ``gateway``, ``clock``."""

    client: TestClient[web.Request, web.Application]
    gateway: aiohttp_apim.Gateway
    clock: FakeClock | None
    _recorders: tuple[RecordsStores, ...] = field(default=())

    async def request(self, method: str, path: str, **kwargs: Any) -> ApimResponse:
        """Send one request (``kwargs`` as for aiohttp's ``client.request``), read the answer
        and wait for the gateway's background work (cache writes, refreshes)."""
        gateway = self.gateway
        before = gateway.stats()
        stores = self._stores()
        async with self.client.request(method, path, **kwargs) as response:
            status, headers, body = response.status, response.headers, await response.read()
        await gateway.drain()
        after = gateway.stats()
        outcome: CacheOutcome = "none"
        if after.response_hits > before.response_hits:
            outcome = "hit"
        elif after.response_misses > before.response_misses:
            outcome = "miss"
        stored = None if not self._recorders else self._stores() > stores
        return ApimResponse(status, headers, body, outcome, stored)

    async def get(self, path: str, **kwargs: Any) -> ApimResponse:
        return await self.request("GET", path, **kwargs)

    def advance(self, seconds: float) -> None:
        """Move the fake clock (entries expire; nothing sleeps)."""
        if self.clock is None:
            raise RuntimeError("this app was served without apim_clock")
        self.clock.advance(seconds)

    async def drain(self) -> None:
        await self.gateway.drain()

    def _stores(self) -> int:
        return sum(recorder.response_stores for recorder in self._recorders)


def assert_hit(response: ApimResponse) -> None:
    """The response cache answered this request (the handler did not run for it)."""
    assert response.cache == "hit", f"expected a cache hit, the cache said {response.cache!r}"


def assert_miss(response: ApimResponse) -> None:
    """The response cache was looked up and had no entry (the handler answered)."""
    assert response.cache == "miss", f"expected a cache miss, the cache said {response.cache!r}"


def assert_stored(response: ApimResponse) -> None:
    """cache-store wrote this response to the cache."""
    if response.stored is None:
        raise AssertionError(
            "cannot tell whether it was stored: serve the app with apim_cache as its caches"
        )
    assert response.stored, "expected the response to be stored, and it was not"


Serve = Callable[..., Awaitable[ApimClient]]
"""The type of the ``apim_serve`` fixture, for annotations."""


@pytest.fixture
def apim_clock() -> FakeClock:
    """A fake clock: ``apim_clock.advance(seconds)``."""
    return FakeClock()


@pytest.fixture
def apim_cache(apim_clock: FakeClock) -> RecordingCache:
    """An in-memory cache on ``apim_clock``, for ``external_cache`` in place of Redis."""
    return RecordingCache(clock=apim_clock)


@pytest.fixture
def apim_serve(
    aiohttp_client: AiohttpClient, apim_clock: FakeClock, apim_cache: RecordingCache
) -> Serve:
    """``await apim_serve(app, policies=None, **options)``: an :class:`ApimClient`."""

    async def serve(
        app: web.Application,
        policies: PolicySource | PolicySet | None = None,
        *,
        named_values: Mapping[str, str] | None = None,
        subscriptions: aiohttp_apim.Subscriptions | None = None,
        **options: Unpack[GatewayOptions],
    ) -> ApimClient:
        clock: FakeClock | None = apim_clock
        if policies is not None:
            gateway = aiohttp_apim.setup(
                app,
                policies,
                internal_cache=apim_cache,
                external_cache=apim_cache,
                named_values=named_values,
                subscriptions=subscriptions,
                clock=apim_clock,
                **options,
            )
        elif aiohttp_apim.GATEWAY in app:
            gateway = app[aiohttp_apim.GATEWAY]
        else:
            raise ValueError("give the policies, or an app that called aiohttp_apim.setup()")
        recorders: dict[int, RecordsStores] = {}
        caches: tuple[object, ...] = (gateway.internal_cache, gateway.external_cache)
        for cache in caches:
            if isinstance(cache, RecordsStores):
                recorders[id(cache)] = cache
        client = await aiohttp_client(app)
        return ApimClient(client, gateway, clock, tuple(recorders.values()))

    return serve
