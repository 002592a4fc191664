"""The Gateway: policies compiled into plans, the caches, the background cache writes, the HTTP
client of send-request, and the counters of what they all did (``stats()``).

Everything a request needs is decided when the gateway is built (policies loaded, validated and
compiled eagerly) or when the app starts (operation policies bound to routes, a plan compiled
per route and product); the middleware only looks plans up and runs them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Mapping
from types import ModuleType
from typing import Final, Unpack

from aiohttp import web
from aiohttp.typedefs import Middleware

from aiohttp_apim.cache.base import Cache, Clock, ClockBindable, SupportsLocks
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.identity import Subscriptions
from aiohttp_apim.pipeline.cacheio import BackgroundWrites, FailureLog, call_timeout
from aiohttp_apim.pipeline.cachesafety import CacheSafety
from aiohttp_apim.pipeline.cachestatus import CacheStatusHeader
from aiohttp_apim.pipeline.compiler import CompileOptions
from aiohttp_apim.pipeline.entryseal import EntrySeal
from aiohttp_apim.pipeline.exchange import Runtime
from aiohttp_apim.pipeline.exprcontext import ContextBuilder
from aiohttp_apim.pipeline.generations import Generations, ShapeRegistry
from aiohttp_apim.pipeline.observers import ObserverFactory, SpanMaker
from aiohttp_apim.pipeline.stampede import Coalescer, LocalCoalescer, SharedLockCoalescer
from aiohttp_apim.pipeline.stats import Counters, GatewayStats
from aiohttp_apim.policy.advice import setup_warnings
from aiohttp_apim.policy.scopes import PolicySet
from aiohttp_apim.policy.sources import PolicySource, load_policies
from aiohttp_apim.web.adapters import WebAdapter
from aiohttp_apim.web.callers import Callers
from aiohttp_apim.web.client import HttpSender
from aiohttp_apim.web.middleware import make_middleware
from aiohttp_apim.web.options import GatewayOptions, Settings
from aiohttp_apim.web.routes import Router

__all__ = ["GATEWAY", "Gateway"]

logger = logging.getLogger(__name__)


class Gateway:
    """APIM's request pipeline and response caching for aiohttp.

    ``policies`` is a policy folder, a mapping ``{relative path: XML text}`` (the same layout,
    keys are relative paths) or an already loaded :class:`~aiohttp_apim.policy.scopes.PolicySet`;
    every problem raises :class:`~aiohttp_apim.PolicyError` here, before any request.
    ``internal_cache`` defaults to a :class:`~aiohttp_apim.MemoryCache` the gateway owns (and
    closes); an internal cache passed in is never closed, an external one is closed when the
    last app using it stops (see :meth:`lifecycle`). ``clock`` (seconds, default
    :func:`time.time`) drives ``context.Timestamp`` and, when given, the expiry of an in-process
    cache. ``options`` are the tuning keywords of :class:`~aiohttp_apim.GatewayOptions`.

    Setups that load but never cache (``caching-type="external"`` with no external cache, a
    ``cache-store`` with no ``cache-lookup``...) are logged here, once each, at WARNING; they
    are also :attr:`warnings`.

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
        **options: Unpack[GatewayOptions],
    ) -> None:
        settings = Settings.of(options)
        self._settings = settings
        self._source: PolicySource | None = None
        if isinstance(policies, PolicySet):
            loaded = policies
            if settings.ignore_policies and settings.ignore_policies != loaded.ignored_policies:
                raise ValueError(
                    "ignore_policies must be given to load_policies() for a policy set loaded "
                    "already"
                )
        else:
            self._source = policies
            loaded = load_policies(
                policies, named_values=named_values, ignore_policies=settings.ignore_policies
            )
        if settings.watch:
            if not isinstance(self._source, str | os.PathLike):
                raise ValueError("watch needs a policy folder")
            _watchfiles()  # missing: said now, not from a task once the app runs
        self._named_values: Mapping[str, str] = dict(named_values or {})
        self._subscriptions = subscriptions
        self._owned_caches: list[Cache] = []
        if internal_cache is None:
            internal_cache = MemoryCache()
            self._owned_caches.append(internal_cache)
        self._internal_cache: Cache = internal_cache
        self._external_cache = external_cache
        if clock is not None:
            candidates: tuple[object, ...] = (internal_cache, external_cache)
            for cache in candidates:
                if isinstance(cache, ClockBindable):
                    cache.bind_clock(clock)
        self._clock: Clock = clock if clock is not None else time.time
        self._background = BackgroundWrites(settings.max_pending_writes)
        self._sender = HttpSender(max_body_bytes=settings.send_request_max_bytes)
        self._failures = FailureLog()
        self._counters = Counters()
        self._observers_made, self._spans = self._observers(settings)
        runtime = Runtime(
            adapter=WebAdapter(),
            clock=self._clock,
            background=self._background,
            failures=self._failures,
            cache_write_timeout=settings.cache_write_timeout,
            deployment=settings.deployment,
            contexts=ContextBuilder(),
            counters=self._counters,
            sender=self._sender,
            expression_budget=settings.expression_budget,
        )
        stale = settings.stale
        self._safety = CacheSafety(
            seal=EntrySeal(settings.signing_key),
            honor_backend=settings.backend_cache_control == "honor",
            vary_by_host=settings.vary_by_host,
            coalescer=_coalescer(settings, external_cache, self._background),
            stale=stale if stale.enabled else None,
        )
        self._generations = Generations()
        # Purge generations live in the cache every instance sharing entries reads.
        self._generation_cache: Cache = (
            external_cache if external_cache is not None else internal_cache
        )
        self._router = self._compile(loaded, self._generations.current)
        self._warnings = self._warnings_of(loaded)
        for warning in self._warnings:
            logger.warning("%s", warning)
        if settings.trace:
            logger.warning(
                "the development trace is on (aiohttp_apim.trace logger): it logs cache keys "
                "and variable values of every request; never in production"
            )
        self._middleware = make_middleware(self._router, runtime, Callers(subscriptions))

    def _observers(
        self, settings: Settings
    ) -> tuple[tuple[ObserverFactory, ...], SpanMaker | None]:
        """What observes the caching steps, per the options (none: no per-request cost), and
        the span maker when tracing is on."""
        observers: list[ObserverFactory] = []
        if settings.cache_status:
            observers.append(CacheStatusHeader())
        self._metrics_source: object = None
        if settings.metrics is not False:
            try:
                from aiohttp_apim.metrics import GatewayMetrics
            except ImportError as error:
                raise ValueError(f"metrics: {error}") from None
            metrics = GatewayMetrics.of(None if settings.metrics is True else settings.metrics)
            self._metrics_source = metrics.add(
                counters=self._counters,
                failures=self._failures,
                background=self._background,
                caches=(self._internal_cache, self._external_cache),
            )
            observers.append(metrics)
        spans: SpanMaker | None = None
        if settings.tracing is not False:
            try:
                from aiohttp_apim.pipeline.spans import Spans
            except ImportError:
                raise ValueError(
                    "tracing needs opentelemetry-api: pip install 'aiohttp_apim[otel]'"
                ) from None
            spans = Spans(None if settings.tracing is True else settings.tracing)
            observers.append(spans)
        return tuple(observers), spans

    def _compile(self, loaded: PolicySet, shapes: ShapeRegistry) -> Router:
        """A router for ``loaded``: every scope's plan compiled (``PolicyError`` otherwise)."""
        settings = self._settings
        return Router(
            loaded,
            CompileOptions(
                generation=loaded.generation,
                internal_cache=self._internal_cache,
                external_cache=self._external_cache,
                cache_timeout=settings.cache_timeout,
                max_response_bytes=settings.max_response_bytes,
                trace=settings.trace,
                counters=self._counters,
                observers=self._observers_made,
                spans=self._spans,
                safety=self._safety,
                shapes=shapes,
            ),
        )

    def _warnings_of(self, loaded: PolicySet) -> tuple[Problem, ...]:
        subscriptions = self._subscriptions
        return (
            *loaded.warnings,
            *setup_warnings(
                loaded,
                external_cache=self._external_cache is not None,
                subscriptions=subscriptions is not None and bool(subscriptions.by_key),
            ),
        )

    # --- what the gateway is ------------------------------------------------------------------

    @property
    def middleware(self) -> Middleware:
        """The ``@web.middleware`` running the policies (what :func:`setup` installs)."""
        return self._middleware

    @property
    def policies(self) -> PolicySet:
        """The policy set the gateway runs (loaded, validated and compiled)."""
        return self._router.policies

    @property
    def internal_cache(self) -> Cache:
        """The internal cache (``caching-type="internal"``)."""
        return self._internal_cache

    @property
    def external_cache(self) -> Cache | None:
        """The external cache, if one is configured."""
        return self._external_cache

    @property
    def settings(self) -> Settings:
        """The tuning options in effect (defaults filled in)."""
        return self._settings

    @property
    def named_values(self) -> Mapping[str, str]:
        """The named values the gateway was given (``check --app`` reads them)."""
        return self._named_values

    @property
    def subscriptions(self) -> Subscriptions | None:
        """The subscriptions that identify callers, if any."""
        return self._subscriptions

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """Problems of kind ``warning`` in the policies and the setup, as logged at startup:
        the policies run, but something can never do what it says."""
        return self._warnings

    def bind(self, app: web.Application) -> None:
        """Check that every operation policy binds to a named route of ``app`` (raises
        :class:`PolicyError`, kind ``binding``), and compile the plans of its routes.
        :func:`setup` calls it when the app starts."""
        self._router.bind(app)

    # --- purging and reloading ---------------------------------------------------------------

    async def purge(self, api: str | None = None, operation: str | None = None) -> None:
        """Drop the cached responses of an operation (``api`` and ``operation``), an API
        (``api``) or everything (neither), in the internal and the external cache and for every
        instance sharing the external cache, without scanning it: the scope's purge generation,
        a counter in the cache, is part of its response keys, so the old entries can no longer
        be reached and expire by themselves. This instance uses the new keys at once; other
        instances within ``purge_refresh`` seconds. Values (``cache-store-value``) and rate
        limits are not touched. Raises :class:`~aiohttp_apim.CacheUnavailable` (or the
        cache's own error) when the counter cannot be raised: nothing is purged then."""
        await self._generations.bump(
            self._generation_cache, api, operation, self._settings.cache_timeout
        )

    async def refresh_purges(self) -> bool:
        """Read the purge generations other instances may have raised now, rather than at the
        next ``purge_refresh``; whether any changed. Failures are the cache's errors."""
        return await self._generations.refresh(self._generation_cache, self._settings.cache_timeout)

    async def reload(self) -> None:
        """Read the policy folder again, validate and compile it, check it against the app's
        routes, and switch to it at once: a request runs wholly on the old policies or wholly
        on the new ones. On any problem the gateway keeps the policies it runs and raises
        :class:`~aiohttp_apim.PolicyError` (every problem with its file, line and column).
        Cached responses of the old policies are not reused (keys hold a policy generation);
        values and rate limits are. Only a gateway made from a folder or a mapping reloads
        (a mapping is read again as it is now)."""
        source = self._source
        if source is None:
            raise ValueError("a gateway made from a loaded PolicySet cannot reload")
        loaded = load_policies(
            source,
            named_values=self._named_values,
            ignore_policies=self._settings.ignore_policies,
        )
        generations = self._generations
        shapes = ShapeRegistry(generations)
        router = self._compile(loaded, shapes)
        app = self._router.app
        if app is not None:
            router.bind(app)
        warnings = self._warnings_of(loaded)
        # From here on, nothing awaits: the switch is atomic for the requests.
        generations.current = shapes
        shapes.retag()  # (a purge read meanwhile)
        self._router.adopt(router)
        self._warnings = warnings
        for warning in warnings:
            logger.warning("%s", warning)

    async def watch(self) -> None:
        """Reload the policy folder whenever a file in it changes, until cancelled. A change
        that does not load is logged (at ERROR, with file, line and column) and the policies
        running stay. Needs ``watchfiles`` (``pip install aiohttp_apim[watch]``);
        ``setup(..., watch=True)`` runs this while the app runs."""
        source = self._source
        if not isinstance(source, str | os.PathLike):
            raise ValueError("watch needs a policy folder")
        async for _changes in _watchfiles().awatch(os.fspath(source)):
            try:
                await self.reload()
            except PolicyError as error:
                logger.error(
                    "the policies in %s did not reload; still running the previous ones: %s",
                    source,
                    error,
                )
            else:
                logger.info("reloaded the policies in %s", source)

    async def _refresh_purges(self) -> None:
        """Every ``purge_refresh`` seconds, read the purges of other instances."""
        interval = self._settings.purge_refresh
        while True:
            await asyncio.sleep(interval)
            await self._refresh_quietly()

    async def _refresh_quietly(self) -> None:
        try:
            await self.refresh_purges()
        except Exception as error:  # logged like any cache failure; requests never saw it
            self._failures.failed("purge refresh", self._generation_cache, error)

    # --- lifecycle ----------------------------------------------------------------------------

    async def drain(self) -> None:
        """Wait until every pending background cache write has finished."""
        await self._background.drain()

    async def close(self) -> None:
        """Close send-request's HTTP session and the caches the gateway made itself (never
        those passed in)."""
        try:
            await self._sender.close()
        finally:
            owned, self._owned_caches = self._owned_caches, []
            for cache in owned:
                await cache.close()

    async def lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        """The app's ``cleanup_ctx``: bind at startup; on shutdown finish pending writes, close
        the caches the gateway made, and the external cache once no running app uses it.

        Shutdown has a deadline (``shutdown_timeout``): writes still pending then are cancelled,
        counted (``stats().dropped_writes``) and logged, and each close gets as long again at
        most, so a cache that hangs never holds the app's shutdown.

        Closing the external cache closes the client a ``RedisCache.from_url`` made; a
        ``RedisCache(client)`` leaves the client it was given open. An
        internal cache passed in is never closed: a MemoryCache's close() empties it, and
        another app may still be reading it."""
        self.bind(app)
        external = self._external_cache
        if external is not None:
            _EXTERNAL_USERS.acquire(external)
        tasks = []
        if self._generation_cache not in self._owned_caches:  # shared: others may purge
            await self._refresh_quietly()
            tasks.append(asyncio.create_task(self._refresh_purges()))
        if self._settings.watch:
            tasks.append(asyncio.create_task(self.watch()))
        yield
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        timeout = self._settings.shutdown_timeout
        try:
            await self._background.shutdown(timeout)
        finally:
            try:
                await _bounded(self.close(), timeout, "closing the gateway's caches")
            finally:
                if external is not None and _EXTERNAL_USERS.release(external):
                    await _bounded(external.close(), timeout, "closing the external cache")

    @property
    def dropped_writes(self) -> int:
        """Cache writes dropped because too many were pending, or cancelled at shutdown."""
        return self._background.dropped + self._background.abandoned

    def stats(self) -> GatewayStats:
        """What the caches, rate limits and send-request did since the gateway was made (a
        snapshot; see :class:`~aiohttp_apim.pipeline.stats.GatewayStats`)."""
        total = self._counters.total
        failures = self._failures
        background = self._background
        return GatewayStats(
            response_hits=total("response_hits"),
            response_misses=total("response_misses"),
            response_stores=total("response_stores"),
            response_collapsed=total("response_collapsed"),
            response_bypasses=total("bypass_method")
            + total("bypass_authorization")
            + total("bypass_unavailable"),
            value_hits=total("value_hits"),
            value_misses=total("value_misses"),
            value_stores=total("value_stores"),
            value_removes=total("value_removes"),
            pending_writes=background.pending,
            dropped_writes=background.dropped + background.abandoned,
            failed_writes=failures.count("write") + background.crashed,
            cache_errors=failures.count("read", "decode", "encode", "remove", "count"),
            rate_limited=total("rate_limited"),
            rate_limit_errors=total("rate_limit_errors"),
            send_requests=total("send_requests"),
            send_request_errors=total("send_request_errors"),
        )


def _coalescer(
    settings: Settings, external_cache: Cache | None, background: BackgroundWrites
) -> Coalescer | None:
    """The stampede protection the options ask for (None: none)."""
    if not settings.stampede_protection:
        return None
    local = LocalCoalescer(settings.stampede_timeout)
    if not settings.stampede_lock:
        return local
    if external_cache is None or not isinstance(external_cache, SupportsLocks):
        raise ValueError(
            "stampede_lock needs an external cache that holds locks (RedisCache, or a "
            "NearCache in front of one)"
        )
    return SharedLockCoalescer(
        local,
        external_cache,
        timeout=settings.stampede_lock_timeout,
        call_timeout=call_timeout(external_cache, settings.cache_timeout),
        background=background,
    )


def _watchfiles() -> ModuleType:
    """The optional ``watchfiles`` module (``RuntimeError`` saying what to install)."""
    try:
        import watchfiles
    except ImportError as missing:
        raise RuntimeError(
            "watching the policy folder needs watchfiles: pip install aiohttp_apim[watch]"
        ) from missing
    return watchfiles


async def _bounded(closing: Awaitable[None], timeout: float, what: str) -> None:
    """Await ``closing`` for at most ``timeout`` seconds; past that, give up on it (logged)."""
    try:
        async with asyncio.timeout(timeout):
            await closing
    except TimeoutError:
        logger.warning("%s took longer than %s seconds; shutting down without it", what, timeout)


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

GATEWAY: Final = web.AppKey("aiohttp_apim.gateway", Gateway)
"""Where :func:`aiohttp_apim.setup` keeps the gateway: ``app[aiohttp_apim.GATEWAY]``."""
