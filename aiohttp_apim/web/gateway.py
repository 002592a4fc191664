"""The Gateway: policies compiled into plans, the caches, the background cache writes, the HTTP
client of send-request, and the counters of what they all did (``stats()``).

Everything a request needs is decided when the gateway is built (policies loaded, validated and
compiled eagerly) or when the app starts (operation policies bound to routes, a plan compiled
per route and product); the middleware only looks plans up and runs them.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Mapping

from aiohttp import web

from aiohttp_apim.cache.base import Cache, Clock, ClockBindable
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.errors import PolicyError
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.identity import Subscriptions
from aiohttp_apim.pipeline.cacheio import BackgroundWrites, FailureLog
from aiohttp_apim.pipeline.compiler import CompileOptions, compile_plan
from aiohttp_apim.pipeline.exchange import Runtime
from aiohttp_apim.pipeline.exprcontext import IdentityViews
from aiohttp_apim.pipeline.plan import Plan
from aiohttp_apim.pipeline.stats import Counters, GatewayStats
from aiohttp_apim.policy.scopes import PolicySet, ScopeKey
from aiohttp_apim.policy.sources import PolicySource, load_policies
from aiohttp_apim.web.adapters import WebAdapter
from aiohttp_apim.web.binding import (
    binding_problems,
    named_resources,
    operation_of,
    route_names,
)
from aiohttp_apim.web.callers import Callers
from aiohttp_apim.web.client import DEFAULT_SEND_REQUEST_MAX_BYTES, HttpSender
from aiohttp_apim.web.middleware import make_middleware

__all__ = ["GATEWAY", "Gateway", "RouteBinding"]


DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024
"""APIM's largest cached response (spec 3.3)."""


class RouteBinding:
    """A route's operation and its plans, one per product (compiled on first need)."""

    __slots__ = ("_gateway", "api", "method", "operation", "plans", "url_template")

    def __init__(
        self,
        gateway: Gateway,
        api: str | None,
        operation: str | None,
        method: str = "",
        url_template: str = "",
    ) -> None:
        self._gateway = gateway
        self.api = api
        self.operation = operation
        self.method = method
        self.url_template = url_template
        self.plans: dict[str | None, Plan] = {}

    def plan(self, product: str | None) -> Plan:
        plan = self.plans.get(product)
        if plan is None:
            plan = self.plans[product] = self._gateway.plan(
                (product, self.api, self.operation), self.method, self.url_template
            )
        return plan


class Gateway:
    """APIM's request pipeline and response caching for aiohttp.

    ``policies`` is a policy folder, a mapping ``{relative path: XML text}`` (api.md section 2)
    or an already loaded :class:`~aiohttp_apim.policy.scopes.PolicySet`; every problem raises
    :class:`~aiohttp_apim.PolicyError` here, before any request. ``internal_cache`` defaults to
    a :class:`~aiohttp_apim.MemoryCache` the gateway owns (and closes); an internal cache passed
    in is never closed, an external one is closed when the last app using it stops (see
    :meth:`lifecycle`). ``clock`` (seconds, default :func:`time.time`) drives
    ``context.Timestamp`` and, when given, the expiry of an in-process cache.

    Tuning (keyword-only): ``cache_timeout`` bounds each cache read, removal and rate-limit
    count on the request path (seconds; a slow cache is a miss), ``cache_write_timeout`` each
    background write, ``max_response_bytes`` the largest body stored (APIM: 2 MiB),
    ``max_pending_writes`` how many background writes may wait before more are dropped (and
    counted), ``send_request_max_bytes`` the largest answer send-request reads,
    ``deployment`` what ``context.Deployment`` says.

    send-request calls go through one ``aiohttp.ClientSession`` that the gateway makes on first
    use and closes in :meth:`close` (which :func:`aiohttp_apim.setup` runs on app cleanup).

    Use :func:`aiohttp_apim.setup` to install it on an app, or :attr:`middleware` directly.
    """

    def __init__(
        self,
        policies: PolicySource | PolicySet,
        *,
        internal_cache: Cache | None = None,
        external_cache: Cache | None = None,
        subscriptions: Subscriptions | None = None,
        named_values: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        cache_timeout: float = 0.25,
        cache_write_timeout: float = 2.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_pending_writes: int = 1000,
        send_request_max_bytes: int = DEFAULT_SEND_REQUEST_MAX_BYTES,
        deployment: ctx.Deployment | None = None,
    ) -> None:
        for name, seconds in (
            ("cache_timeout", cache_timeout),
            ("cache_write_timeout", cache_write_timeout),
        ):
            if not 0 < seconds < math.inf:
                raise ValueError(f"{name} must be a number of seconds > 0, got {seconds!r}")
        if max_response_bytes < 0:
            raise ValueError(f"max_response_bytes must be >= 0, got {max_response_bytes!r}")
        if isinstance(policies, PolicySet):
            self.policies = policies
        else:
            self.policies = load_policies(policies, named_values=named_values)
        self._owned_caches: list[Cache] = []
        if internal_cache is None:
            internal_cache = MemoryCache()
            self._owned_caches.append(internal_cache)
        self.internal_cache: Cache = internal_cache
        self.external_cache = external_cache
        if clock is not None:
            candidates: tuple[object, ...] = (internal_cache, external_cache)
            for cache in candidates:
                if isinstance(cache, ClockBindable):
                    cache.bind_clock(clock)
        self.clock: Clock = clock if clock is not None else time.time
        self.subscriptions = subscriptions
        self.background = BackgroundWrites(max_pending_writes)
        self.sender = HttpSender(max_body_bytes=send_request_max_bytes)
        self._failures = FailureLog()
        self._counters = Counters()
        self.runtime = Runtime(
            adapter=WebAdapter(),
            clock=self.clock,
            background=self.background,
            failures=self._failures,
            cache_write_timeout=cache_write_timeout,
            deployment=deployment if deployment is not None else ctx.Deployment(),
            identities=IdentityViews(),
            counters=self._counters,
            sender=self.sender,
        )
        self._options = CompileOptions(
            generation=self.policies.generation,
            internal_cache=internal_cache,
            external_cache=external_cache,
            cache_timeout=cache_timeout,
            max_response_bytes=max_response_bytes,
        )
        self.callers = Callers(subscriptions)
        # Eager: every combination a policy document defines compiles now, so that nothing
        # can fail later; a route's plans are made when the app starts (see bind()) or, for a
        # product first seen on a request, then -- once.
        self._plans: dict[tuple[ScopeKey, str, str], Plan] = {}
        for key in self.policies.scope_keys():
            self.plan(key)
        self._outside = RouteBinding(self, None, None)
        self._routes: dict[str, RouteBinding] = {}
        self.bound = False
        self.binding_error: PolicyError | None = None
        self.middleware = make_middleware(self)
        """The ``@web.middleware`` running the policies (what :func:`setup` installs)."""

    # --- plans and routes ---------------------------------------------------------------------

    def plan(self, key: ScopeKey, method: str = "", url_template: str = "") -> Plan:
        """The plan of ``key`` (product, API, operation), compiled on first need."""
        memo = (key, method, url_template)
        plan = self._plans.get(memo)
        if plan is None:
            plan = self._plans[memo] = compile_plan(
                self.policies,
                key,
                self._options,
                operation_method=method,
                url_template=url_template,
            )
        return plan

    def route(self, name: str | None, route: web.AbstractRoute | None = None) -> RouteBinding:
        """The binding of the route named ``name`` (made on first sight)."""
        if name is None:
            return self._outside
        binding = self._routes.get(name)
        if binding is not None:
            return binding
        api, operation = operation_of(name)
        if api is None:  # a route outside every API: the global (and product) scope only
            binding = self._routes[name] = self._outside
            return binding
        method = url_template = ""
        if route is not None:
            method = route.method
            resource = route.resource
            url_template = "" if resource is None else resource.canonical
        binding = self._routes[name] = RouteBinding(self, api, operation, method, url_template)
        return binding

    def bind(self, app: web.Application) -> None:
        """Check that every operation policy binds to a named route of ``app`` (raises
        :class:`PolicyError`, kind ``binding``), and compile the plans of its routes."""
        names = route_names(app)
        problems = binding_problems(self.policies, names)
        if problems:
            raise PolicyError(problems)
        # The plans without a product now; a product's the first time one of its callers comes
        # (routes x products can be many, and most pairs may never be called).
        for resource in named_resources(app):
            for route in resource:
                self.route(resource.name, route).plan(None)
                break  # one binding per name; its first route gives the method
        self.bound = True

    # --- lifecycle ----------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait until every pending background cache write has finished."""
        await self.background.drain()

    async def close(self) -> None:
        """Close send-request's HTTP session and the caches the gateway made itself (never
        those passed in)."""
        try:
            await self.sender.close()
        finally:
            owned, self._owned_caches = self._owned_caches, []
            for cache in owned:
                await cache.close()

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """The app's ``cleanup_ctx``: bind at startup; on shutdown finish pending writes, close
        the caches the gateway made, and the external cache once no running app uses it.

        Closing the external cache is what api.md promises for ``RedisCache.from_url`` (its
        client is closed); a ``RedisCache(client)`` leaves the client it was given open. An
        internal cache passed in is never closed: a MemoryCache's close() empties it, and
        another app may still be reading it."""
        self.bind(app)
        external = self.external_cache
        if external is not None:
            _EXTERNAL_USERS.acquire(external)
        yield
        try:
            await self.drain()
        finally:
            try:
                await self.close()
            finally:
                if external is not None and _EXTERNAL_USERS.release(external):
                    await external.close()

    @property
    def dropped_writes(self) -> int:
        """Cache writes dropped because too many were pending."""
        return self.background.dropped

    def stats(self) -> GatewayStats:
        """What the caches, rate limits and send-request did since the gateway was made (a
        snapshot; see :class:`~aiohttp_apim.pipeline.stats.GatewayStats`)."""
        counters = self._counters
        failures = self._failures
        background = self.background
        return GatewayStats(
            response_hits=counters.response_hits,
            response_misses=counters.response_misses,
            value_hits=counters.value_hits,
            value_misses=counters.value_misses,
            value_stores=counters.value_stores,
            value_removes=counters.value_removes,
            pending_writes=background.pending,
            dropped_writes=background.dropped,
            failed_writes=failures.count("write") + background.crashed,
            cache_errors=failures.count("read", "decode", "encode", "remove", "count"),
            rate_limited=counters.rate_limited,
            rate_limit_errors=counters.rate_limit_errors,
            send_requests=counters.send_requests,
            send_request_errors=counters.send_request_errors,
        )


class _Users:
    """How many running apps use each cache object (one cache may serve several apps)."""

    def __init__(self) -> None:
        self._counts: dict[int, tuple[Cache, int]] = {}

    def acquire(self, cache: Cache) -> None:
        _, count = self._counts.get(id(cache), (cache, 0))
        self._counts[id(cache)] = (cache, count + 1)

    def release(self, cache: Cache) -> bool:
        """Whether that was the last user."""
        _, count = self._counts.get(id(cache), (cache, 1))
        if count <= 1:
            self._counts.pop(id(cache), None)
            return True
        self._counts[id(cache)] = (cache, count - 1)
        return False


_EXTERNAL_USERS = _Users()

GATEWAY = web.AppKey("aiohttp_apim.gateway", Gateway)
"""Where :func:`aiohttp_apim.setup` keeps the gateway: ``app[aiohttp_apim.GATEWAY]``."""
