"""A pipeline without a server: a fake web adapter whose backend is a plain function, and
helpers to compile plans and run requests through them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus

from aiohttp.test_utils import make_mocked_request
from multidict import CIMultiDict

from aiohttp_apim.cache.base import Cache
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.identity import ANONYMOUS, Caller
from aiohttp_apim.pipeline.cacheio import BackgroundWrites, FailureLog
from aiohttp_apim.pipeline.compiler import CompileOptions, compile_plan
from aiohttp_apim.pipeline.exchange import Exchange, ResponseState, Runtime
from aiohttp_apim.pipeline.exprcontext import ContextBuilder
from aiohttp_apim.pipeline.headers import HeaderStore
from aiohttp_apim.pipeline.plan import Plan
from aiohttp_apim.pipeline.runner import run_exchange
from aiohttp_apim.policy.scopes import ScopeKey
from aiohttp_apim.policy.sources import load_policies

Backend = Callable[[Exchange], tuple[int, list[tuple[str, str]], bytes]]


def doc(
    inbound: str = "", backend: str = "<forward-request />", outbound: str = "", on_error: str = ""
) -> str:
    return (
        f"<policies><inbound>{inbound}</inbound><backend>{backend}</backend>"
        f"<outbound>{outbound}</outbound><on-error>{on_error}</on-error></policies>"
    )


class FakeAdapter:
    """Responses over plain CIMultiDicts; the backend is a function of the exchange."""

    def __init__(self, backend: Backend | None = None) -> None:
        self.backend: Backend = backend or (lambda x: (200, [("X-Backend", "yes")], b"backend"))
        self.calls = 0
        self.seen_headers: list[list[tuple[str, str]]] = []

    def new_response(
        self,
        status: int,
        reason: str | None,
        headers: Iterable[tuple[str, str]] | CIMultiDict[str],
        body: bytes,
    ) -> ResponseState:
        phrase = reason if reason is not None else HTTPStatus(status).phrase
        return ResponseState(
            status, phrase, HeaderStore(CIMultiDict(headers), owned=True), body, None
        )

    async def forward(self, x: Exchange, timeout: float | None) -> None:
        self.calls += 1
        self.seen_headers.append(x.request_headers.items())
        status, headers, body = self.backend(x)
        x.set_response(self.new_response(status, None, headers, body))


class Pipeline:
    """Plans of one policy set over one fake adapter, a MemoryCache and a settable clock."""

    def __init__(
        self,
        policies: Mapping[str, str],
        *,
        backend: Backend | None = None,
        external_cache: Cache | None = None,
    ) -> None:
        self.now = 1_000.0
        self.policies = load_policies(policies)
        self.adapter = FakeAdapter(backend)
        self.cache = MemoryCache(clock=lambda: self.now)
        self.background = BackgroundWrites()
        self.runtime = Runtime(
            adapter=self.adapter,
            clock=lambda: self.now,
            background=self.background,
            failures=FailureLog(),
            cache_write_timeout=1.0,
            deployment=ctx.Deployment(),
            contexts=ContextBuilder(),
        )
        self.options = CompileOptions(
            generation=self.policies.generation,
            internal_cache=self.cache,
            external_cache=external_cache,
            cache_timeout=0.25,
            max_response_bytes=2 * 1024 * 1024,
        )

    def plan(self, key: ScopeKey = (None, "shop", "list")) -> Plan:
        return compile_plan(self.policies, key, self.options)

    async def run(
        self,
        *,
        method: str = "GET",
        path: str = "/shop/items",
        headers: Mapping[str, str] | None = None,
        key: ScopeKey = (None, "shop", "list"),
        caller: Caller = ANONYMOUS,
    ) -> Exchange:
        request = make_mocked_request(method, path, headers=dict(headers or {}))
        x = Exchange(self.runtime, self.plan(key), request, None, caller, {})
        await run_exchange(x)
        await self.background.drain()
        return x
