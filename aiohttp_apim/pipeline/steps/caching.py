"""cache-lookup and cache-store: the I/O around the pure rules of ``cacherules``
(https://learn.microsoft.com/azure/api-management/cache-lookup-policy, https://learn.microsoft.com/azure/api-management/cache-store-policy).

The lookup's hit path is the one that must be cheap: every literal attribute is a constant, the
key's fixed part (:class:`~aiohttp_apim.pipeline.keys.KeyShape`) and the cache to use were chosen
at compile time, the in-process cache is read without a timer, an entry is opened and decoded
once (:class:`~aiohttp_apim.pipeline.responseentries.ResponseEntries`), and no expression
context is built unless an attribute is an expression.

A miss that may be stored asks the gateway's coalescer (stampede protection, see
:mod:`~aiohttp_apim.pipeline.stampede`) whether another request is filling the same key; if so
it waits for that one's entry instead of calling the backend too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from multidict import MultiMapping

from aiohttp_apim.cache.base import Cache, CacheHit, HoldsInProcess, ReadsInProcess
from aiohttp_apim.identity import Caller
from aiohttp_apim.pipeline.cacheio import (
    cache_get,
    cache_read,
    call_timeout,
    describe,
    discard_entry,
    write_entry,
)
from aiohttp_apim.pipeline.cacherules import (
    CACHE_REQUEST_HEADERS,
    CACHE_REQUEST_NAMES,
    downstream_cache_control,
    remaining_seconds,
    request_is_private,
    storable_headers,
    store_duration,
    unstorable_reason,
)
from aiohttp_apim.pipeline.cachesafety import CacheSafety
from aiohttp_apim.pipeline.exchange import (
    Exchange,
    HttpRequest,
    LookupRecord,
    Prefetched,
    Runtime,
    Signal,
)
from aiohttp_apim.pipeline.keys import (
    KEY_MEMO_MAX_CHARS,
    KeyShape,
    ValuesLookup,
    key_of,
    plain_key,
    remember_key,
)
from aiohttp_apim.pipeline.responsecodec import CodecError
from aiohttp_apim.pipeline.responseentries import CachedResponse
from aiohttp_apim.pipeline.runner import run_exchange
from aiohttp_apim.pipeline.stale import ERROR_STATUSES, StaleWindow
from aiohttp_apim.pipeline.stampede import Lead
from aiohttp_apim.pipeline.stats import ScopeCounts
from aiohttp_apim.pipeline.steps.base import (
    CacheEvent,
    CacheObserver,
    CacheOutcome,
    Step,
    StepMeta,
)
from aiohttp_apim.pipeline.values import Val
from aiohttp_apim.policy.model import DownstreamCachingType

__all__ = ["CacheLookupStep", "CacheStoreStep", "StaleCacheLookupStep"]

logger = logging.getLogger(__name__)

# What the steps report that never varies (made once, not per request).
_BYPASS_METHOD = CacheEvent("bypass", detail="method")
_BYPASS_AUTHORIZATION = CacheEvent("bypass", detail="authorization")
_BYPASS_UNAVAILABLE = CacheEvent("bypass", detail="cache-unavailable")
_NO_LOOKUP = CacheEvent("not-stored", detail="no-lookup: no cache-lookup missed for this request")


class _Values:
    """A request's query string or headers as the key reads them: every value of a name,
    straight from the request's multidict (nothing is copied for the key)."""

    __slots__ = ("_values",)

    def __init__(self, values: MultiMapping[str]) -> None:
        self._values = values

    def get(self, name: str, /) -> Sequence[str] | None:
        return self._values.getall(name, None)


class _PlainQuery:
    """A query string without percent-escapes as the key reads it: the values of one name,
    found by one scan of its fields, without the multidict ``request.query`` builds. The same
    values as that multidict's (``yarl``'s parse, which this is for such a string: ``+`` is a
    space, fields split on ``&``, empty fields skipped, a field without ``=`` an empty value;
    a test compares the two)."""

    __slots__ = ("_fields",)

    def __init__(self, query: str) -> None:
        self._fields = query.replace("+", " ").split("&")

    def get(self, name: str, /) -> Sequence[str] | None:
        values: list[str] | None = None
        for field in self._fields:
            if field:
                field_name, _, value = field.partition("=")
                if field_name == name:
                    if values is None:
                        values = [value]
                    else:
                        values.append(value)
        return values


def _query_values(http: HttpRequest) -> ValuesLookup:
    """The request's query values for the key: scanned from the raw query string when it has no
    percent-escape to decode (:class:`_PlainQuery`), else read from ``request.query``."""
    query = http.rel_url.raw_query_string
    return _Values(http.query) if "%" in query else _PlainQuery(query)


class _NoQuery:
    @staticmethod
    def get(name: str, /) -> Sequence[str] | None:
        return None


_NO_QUERY = _NoQuery()


def _memo_target(http: HttpRequest, shape: KeyShape) -> str | None:
    """What the key of ``http`` depends on when the shape does not vary by the caller, as one
    string: the raw request target (the path and query string as the client sent them, which
    the key's path and query values are parsed from), then the host and each vary-by header's
    value when the shape varies by them, each after a NUL (a field that holds none, so the
    string names one request alone; "\x00" alone marks an absent header, "\x00=" prefixes a
    present value). None when the request is not to be remembered: a long target or value, a
    NUL in one, a repeated header."""
    target = http.raw_path
    if len(target) > KEY_MEMO_MAX_CHARS:
        return None
    if not shape.host and not shape.header_parts:
        return target
    if "\x00" in target:
        return None
    if shape.host:
        host = http.host
        if len(host) > KEY_MEMO_MAX_CHARS or "\x00" in host:
            return None
        target += "\x00" + host
    if shape.header_parts:
        headers = http.headers
        for name, _, _ in shape.header_parts:
            values = headers.getall(name, None)
            if values is None:
                target += "\x00"
            elif len(values) == 1:
                value = values[0]
                if len(value) > KEY_MEMO_MAX_CHARS or "\x00" in value:
                    return None
                target += "\x00=" + value
            else:
                return None
    return target


class EarlyHit:
    """A hit an early lookup served without an exchange: the entry and the downstream
    ``Cache-Control`` the response gets."""

    __slots__ = ("cache_control", "entry")

    def __init__(self, entry: CachedResponse, cache_control: str) -> None:
        self.entry = entry
        self.cache_control = cache_control


class CacheLookupStep(Step):
    extra_ttl = 0.0
    """Seconds entries are kept past their duration (see :class:`StaleCacheLookupStep`)."""

    __slots__ = (
        "_cache_control",
        "_constants",
        "_get_now",
        "_local",
        "_read_now",
        "allow_private",
        "cache",
        "coalescer",
        "counts",
        "downstream",
        "entries",
        "honor_backend",
        "must_revalidate",
        "observer",
        "shape",
        "timeout",
        "varied",
        "vary_by_developer",
        "vary_by_groups",
    )

    def __init__(
        self,
        meta: StepMeta,
        *,
        shape: KeyShape,
        cache: Cache | None,
        timeout: float,
        vary_by_developer: Val[bool],
        vary_by_groups: Val[bool],
        downstream: Val[DownstreamCachingType],
        must_revalidate: Val[bool],
        allow_private: Val[bool],
        safety: CacheSafety | None = None,
    ) -> None:
        super().__init__(meta, is_async=True)
        safety = safety if safety is not None else CacheSafety()
        self.shape = shape
        self.cache = cache
        self.timeout = call_timeout(cache, timeout)
        self._local = cache is not None and cache.in_process
        """Whether entries are read from a cache that keeps them in this process's memory."""
        self._read_now = cache.get_in_process if isinstance(cache, ReadsInProcess) else None
        """The cache's read of what this process holds, without an await (the early lookup's)."""
        self._get_now: Callable[[str], CacheHit | None] | None = (
            cache.get_now if isinstance(cache, HoldsInProcess) else None
        )
        """The whole cache's read without an await, when it holds everything in this process:
        what a miss of the read above costs then (the early lookup's)."""
        self.vary_by_developer = vary_by_developer
        self.vary_by_groups = vary_by_groups
        self.downstream = downstream
        self.must_revalidate = must_revalidate
        self.allow_private = allow_private
        self.honor_backend = safety.honor_backend
        self.entries = safety.responses
        self.coalescer = None if safety.coalescer is None else safety.coalescer.for_cache(cache)
        self.varied = shape.varied_headers
        self._constants = (
            (
                vary_by_developer.get_constant(),
                vary_by_groups.get_constant(),
                downstream.get_constant(),
                must_revalidate.get_constant(),
                allow_private.get_constant(),
            )
            if vary_by_developer.is_constant
            and vary_by_groups.is_constant
            and downstream.is_constant
            and must_revalidate.is_constant
            and allow_private.is_constant
            else None
        )
        """The attributes' values when every one is a constant (the early lookup's)."""
        self._cache_control: tuple[DownstreamCachingType, bool, int, str] | None = None
        self.observer: CacheObserver | None = None
        """Told each outcome when any observation is on (set at compile time)."""
        self.counts = ScopeCounts()
        """Where hits, misses and bypasses are counted (the compiler gives the gateway's)."""

    def _downstream_header(
        self, downstream: DownstreamCachingType, must_revalidate: bool, max_age: int
    ) -> str:
        last = self._cache_control
        if (
            last is not None
            and last[2] == max_age
            and last[0] is downstream
            and last[1] is must_revalidate
        ):
            return last[3]
        text = downstream_cache_control(downstream, must_revalidate, max_age)
        self._cache_control = (downstream, must_revalidate, max_age, text)
        return text

    @property
    def early(self) -> bool:
        """Whether the lookup can run before an exchange exists (:meth:`lookup_early`): every
        attribute a constant, a cache to read, and no trace to tell."""
        return (
            self.cache is not None
            and self.observer is None
            and self._constants is not None
            and not self.extra_ttl  # (a stale window decides per hit: the whole path)
        )

    def _key(
        self,
        http: HttpRequest,
        headers: ValuesLookup,
        caller: Caller,
        vary_by_developer: bool,
        vary_by_groups: bool,
    ) -> str:
        """The key of this request: the shape, and what of the request it varies by."""
        shape = self.shape
        user = caller.user
        return key_of(
            shape,
            # APIM keys by the backend URL; that is the app's own route here, the same for every
            # process and port serving the app: the path names the resource, so apps sharing a
            # cache share entries; the host name splits them by site.
            http.rel_url.raw_path,
            headers,
            _query_values(http) if shape.query else _NO_QUERY,
            http.host if shape.host else "",
            vary_by_developer,
            None if user is None else user.id,
            vary_by_groups,
            () if user is None or not vary_by_groups else user.group_ids,
        )

    async def lookup_early(
        self, http: HttpRequest, caller: Caller, runtime: Runtime, resumes: frozenset[int]
    ) -> EarlyHit | Prefetched | None:
        """The lookup of a plan that starts with it (:attr:`early`), made before any exchange:
        an :class:`EarlyHit` when the cache holds an intact entry whose ``cache-store`` has
        nothing after it in outbound (``resumes``: the markers for which that holds) -- the
        whole answer; :class:`Prefetched` for what the lookup step must take from there (a
        miss, a bad entry, an entry with outbound left to run); None when the request may not
        be looked up at all (the step then says so itself).

        The same rules as :meth:`run_async`, in the same order; every attribute is a
        constant, read once here."""
        if http.method != "GET":
            return None
        constants = self._constants
        assert constants is not None
        vary_by_developer, vary_by_groups, downstream, must_revalidate, allow_private = constants
        if request_is_private(http.headers, honor_backend=self.honor_backend) and not allow_private:
            return None
        cache = self.cache
        assert cache is not None
        shape = self.shape
        # A key that is a function of the request alone (not of the caller) is remembered by
        # what it is made of (_memo_target) once it finds an entry: a repeated request skips
        # parsing and escaping.
        target = None if vary_by_developer or vary_by_groups else _memo_target(http, shape)
        key = None if target is None else shape.memo.get(target)
        if key is None:
            if target is not None:  # (not by the caller: perhaps straight from the target)
                key = plain_key(shape, http.raw_path, http.host if shape.host else "")
        else:
            target = None  # (remembered already)
        if key is None:
            key = self._key(
                http,
                _Values(http.headers) if shape.header_parts else _NO_QUERY,
                caller,
                vary_by_developer,
                vary_by_groups,
            )
        read_now = self._read_now
        try:  # (cache_get's rule, without its frame when there is no timer)
            # What this process holds needs no await; the rest is the cache's to answer.
            hit = None if read_now is None else read_now(key)
            if hit is None:
                get_now = self._get_now
                if get_now is not None:  # (the whole cache is here: the miss is counted)
                    hit = get_now(key)
                elif self.timeout is None:
                    hit = await cache.get(key)
                else:
                    async with asyncio.timeout(self.timeout):
                        hit = await cache.get(key)
        except Exception as error:
            runtime.failures.failed("read", cache, error)
            hit = None
        if hit is None:
            return Prefetched(key, None)
        if target is not None:  # only a key that found an entry: a miss has no later hit to speed
            remember_key(shape.memo, target, key)
        try:
            entry = self.entries.read(key, hit.value, self._local)
        except Exception:  # the lookup step finds it bad again, and says so
            return Prefetched(key, hit)
        if entry.marker not in resumes:
            return Prefetched(key, hit)
        self.counts.response_hits += 1
        return EarlyHit(
            entry,
            self._downstream_header(
                downstream, must_revalidate, remaining_seconds(hit.ttl_remaining)
            ),
        )

    async def run_async(self, x: Exchange) -> Signal | None:
        prefetched = x.prefetched
        if prefetched is not None:  # looked up early: carry on from what the cache said
            x.prefetched = None
            constants = self._constants
            cache = self.cache
            assert constants is not None
            assert cache is not None
            return await self._found(
                x,
                cache,
                prefetched.key,
                prefetched.hit,
                constants[2],
                constants[3],
                None,
                "",
                prefetched.joined,
            )
        # Eligibility, as APIM's: GET only, and a request carrying credentials only when
        # the policy allows private responses. (Websocket upgrades never get here: the
        # middleware hands them to their handler.)
        observer = self.observer
        if x.method != "GET":
            self.counts.bypass_method += 1
            if observer is not None:
                observer(x, _BYPASS_METHOD)
            return None
        headers = x.request_headers
        if request_is_private(
            headers, honor_backend=self.honor_backend
        ) and not self.allow_private.get(x):
            self.counts.bypass_authorization += 1
            if observer is not None:
                observer(x, _BYPASS_AUTHORIZATION)
            return None
        vary_by_developer = self.vary_by_developer.get(x)
        vary_by_groups = self.vary_by_groups.get(x)
        downstream = self.downstream.get(x)
        must_revalidate = self.must_revalidate.get(x)
        cache = self.cache
        if cache is None:  # no such cache configured: cache-store does nothing
            self.counts.bypass_unavailable += 1
            x.lookup = LookupRecord(None, "", downstream, must_revalidate)
            _strip_cache_headers(x)
            if observer is not None:
                observer(x, _BYPASS_UNAVAILABLE)
            return None
        key = self._key(x.http, headers, x.caller, vary_by_developer, vary_by_groups)
        runtime = x.runtime
        if observer is None:
            hit = await cache_get(cache, key, self.timeout, runtime.failures)
            seconds, why = None, ""
        else:  # timed, and a failure is told to the observers (as cache_get, a miss)
            started = time.perf_counter()
            try:
                hit, why = await cache_read(cache, key, self.timeout), ""
            except Exception as error:
                runtime.failures.failed("read", cache, error)
                hit, why = None, f"cache-error: {describe(error)}"
            seconds = time.perf_counter() - started
        return await self._found(x, cache, key, hit, downstream, must_revalidate, seconds, why)

    async def _found(
        self,
        x: Exchange,
        cache: Cache,
        key: str,
        hit: CacheHit | None,
        downstream: DownstreamCachingType,
        must_revalidate: bool,
        seconds: float | None,
        why: str,
        joined: tuple[Lead | CacheHit | None] | None = None,
    ) -> Signal | None:
        """The lookup after the cache answered ``hit`` for ``key``: serve it, or miss
        (``joined``: what stampede protection already answered, see :meth:`_miss`)."""
        runtime = x.runtime
        if hit is not None:
            entry = self._read(x, cache, key, hit)
            if entry is not None:
                return self._serve(x, key, entry, hit, downstream, must_revalidate, seconds)
            why = "bad-entry: the entry found is damaged or not ours (removed)"
            await discard_entry(
                runtime.background, runtime.failures, cache, key, runtime.cache_write_timeout
            )
        return await self._miss(x, cache, key, downstream, must_revalidate, seconds, why, joined)

    async def _miss(
        self,
        x: Exchange,
        cache: Cache,
        key: str,
        downstream: DownstreamCachingType,
        must_revalidate: bool,
        seconds: float | None,
        why: str,
        already: tuple[Lead | CacheHit | None] | None = None,
    ) -> Signal | None:
        """No entry to answer with: join stampede protection, else go on to the handler with a
        record of the key for cache-store. ``already``: what the coalescer answered when the
        early miss lane joined for this request before handing it over (it is not joined
        twice)."""
        lead = None
        coalescer = self.coalescer
        if coalescer is not None:
            joined = await coalescer.join(key) if already is None else already[0]
            if isinstance(joined, CacheHit):  # another request filled the entry meanwhile
                entry = self._read(x, cache, key, joined)
                if entry is not None:
                    self.counts.response_collapsed += 1
                    signal = self._serve(
                        x, key, entry, joined, downstream, must_revalidate, seconds, "collapsed"
                    )
                    if signal is not None:
                        return signal
            else:
                lead = joined
        self.counts.response_misses += 1
        x.lookup = LookupRecord(
            cache,
            key,
            downstream,
            must_revalidate,
            varied=self.varied,
            lead=lead,
            extra_ttl=self.extra_ttl,
        )
        if lead is not None:
            x.add_finisher(_settle_lead)
        _strip_cache_headers(x)
        observer = self.observer
        if observer is not None:
            observer(x, CacheEvent("miss", key, why, seconds=seconds))
        return None

    def _read(self, x: Exchange, cache: Cache, key: str, hit: CacheHit) -> CachedResponse | None:
        """The entry in ``hit``, or None (logged, counted) when it is not an intact entry of
        ours for ``key``: damaged, foreign, or written by someone without the signing key."""
        try:
            return self.entries.read(key, hit.value, self._local)
        except Exception as error:
            x.runtime.failures.failed("decode", cache, error)
            return None

    def _serve(
        self,
        x: Exchange,
        key: str,
        entry: CachedResponse,
        hit: CacheHit,
        downstream: DownstreamCachingType,
        must_revalidate: bool,
        seconds: float | None,
        outcome: CacheOutcome = "hit",
    ) -> Signal | None:
        """Answer from ``entry`` (None: do not, go to the handler)."""
        runtime = x.runtime
        response = runtime.adapter.new_response(
            entry.status, entry.reason, entry.headers, entry.body
        )
        response.headers.set(
            "Cache-Control",
            (
                self._downstream_header(
                    downstream, must_revalidate, remaining_seconds(hit.ttl_remaining)
                ),
            ),
        )
        x.set_response(response)
        x.resume = entry.marker
        self.counts.response_hits += 1
        observer = self.observer
        if observer is not None:
            observer(x, CacheEvent(outcome, key, ttl=hit.ttl_remaining, seconds=seconds))
        return Signal.HIT


class StaleCacheLookupStep(CacheLookupStep):
    """A cache-lookup in a scope with stale windows (``stale_while_revalidate``,
    ``stale_if_error``): its entries are kept ``window.extra`` seconds past their duration, and
    a hit tells from its remaining lifetime whether it is fresh, or how long past expiry.

    Past expiry, within ``while_revalidate``: answered from the entry with ``max-age=0``, and
    one background run of the request's plan (at most one per key at a time) goes to the
    handler and stores a fresh entry; ``gateway.drain()`` waits for it. Within ``if_error``:
    the request goes to the handler, and if the answer is a 500, 502, 503 or 504 (a failing
    handler's included), the expired entry answers instead. Past both: a miss."""

    __slots__ = ("extra_ttl", "revalidating", "window")

    def __init__(self, meta: StepMeta, *, window: StaleWindow, **kwargs: Any) -> None:
        super().__init__(meta, **kwargs)
        self.window = window
        self.extra_ttl = window.extra
        safety: CacheSafety | None = kwargs.get("safety")
        self.revalidating = set() if safety is None else safety.revalidating

    def _serve(
        self,
        x: Exchange,
        key: str,
        entry: CachedResponse,
        hit: CacheHit,
        downstream: DownstreamCachingType,
        must_revalidate: bool,
        seconds: float | None,
        outcome: CacheOutcome = "hit",
    ) -> Signal | None:
        window = self.window
        remaining = hit.ttl_remaining
        extra = window.extra
        if remaining is None or remaining > extra:  # fresh: its own lifetime downstream
            fresh = CacheHit(hit.value, None if remaining is None else remaining - extra)
            return super()._serve(
                x, key, entry, fresh, downstream, must_revalidate, seconds, outcome
            )
        if x.revalidating:  # the refresh itself: to the handler
            x.lookup = LookupRecord(self.cache, key, downstream, must_revalidate, deferred=True)
            return None
        expired_for = extra - remaining
        if expired_for < window.while_revalidate:
            self._revalidate(x, key)
            # (max-age=0 downstream; the ttl observers see is how long past expiry, negative)
            stale = CacheHit(hit.value, -expired_for)
            return super()._serve(
                x, key, entry, stale, downstream, must_revalidate, seconds, "stale"
            )
        if expired_for < window.if_error:
            x.add_finisher(
                _StaleIfError(entry, downstream, must_revalidate, self.observer, key, expired_for)
            )
        # A miss after all: run_async joins stampede protection (this cannot wait).
        x.lookup = LookupRecord(self.cache, key, downstream, must_revalidate, deferred=True)
        return None

    async def run_async(self, x: Exchange) -> Signal | None:
        signal = await super().run_async(x)
        record = x.lookup
        if signal is None and record is not None and record.deferred and record.cache is not None:
            x.lookup = None
            return await self._miss(
                x, record.cache, record.key, record.downstream, record.must_revalidate, None, ""
            )
        return signal

    def _revalidate(self, x: Exchange, key: str) -> None:
        """Start the one background refresh of ``key`` (unless one is running)."""
        running = self.revalidating
        if key in running:
            return
        running.add(key)
        if not x.runtime.background.start(lambda: _refresh(x.revalidation(), key, running)):
            running.discard(key)


async def _refresh(again: Exchange, key: str, running: set[str]) -> None:
    try:
        await run_exchange(again)
    except Exception:  # the runner answers every failure; this would be a bug of ours
        logger.exception("refreshing the stale entry %r failed", key)
    finally:
        running.discard(key)


class _StaleIfError:
    """A finisher: the expired entry answers instead of a failing handler's answer."""

    __slots__ = ("downstream", "entry", "expired_for", "key", "must_revalidate", "observer")

    def __init__(
        self,
        entry: CachedResponse,
        downstream: DownstreamCachingType,
        must_revalidate: bool,
        observer: CacheObserver | None,
        key: str,
        expired_for: float,
    ) -> None:
        self.entry = entry
        self.downstream = downstream
        self.must_revalidate = must_revalidate
        self.observer = observer
        self.key = key
        self.expired_for = expired_for

    async def __call__(self, x: Exchange) -> None:
        failed = x.response
        if failed is None or x.passthrough is not None or failed.status not in ERROR_STATUSES:
            return
        entry = self.entry
        response = x.runtime.adapter.new_response(
            entry.status, entry.reason, entry.headers, entry.body
        )
        response.headers.set(
            "Cache-Control",
            (downstream_cache_control(self.downstream, self.must_revalidate, 0),),
        )
        for name, value in x.extra_headers or ():
            response.headers.set(name, (value,))
        x.set_response(response)
        logger.info("answered from an expired entry: the handler answered %d", failed.status)
        observer = self.observer
        if observer is not None:
            # The lookup reported a miss; the answer is the stale entry after all (Cache-Status
            # says ``hit; stale``, the trace and spans see it too).
            detail = f"if-error: the handler answered {failed.status}"
            observer(x, CacheEvent("stale", self.key, detail=detail, ttl=-self.expired_for))


def _strip_cache_headers(x: Exchange) -> None:
    """On a miss the backend must answer in full, not 304/412 to the client's conditions nor
    206 to its range."""
    headers = x.request_headers
    present = headers.multidict
    if present is not None and len(present) < len(CACHE_REQUEST_HEADERS):
        # Fewer lines than names (the usual request): look at each line once.
        found = {name.lower() for name in present} & CACHE_REQUEST_NAMES
        if not found:
            return
    for name in CACHE_REQUEST_HEADERS:
        if name in headers:
            headers.remove(name)


async def _settle_lead(x: Exchange) -> None:
    """When the request ends: a lead its cache-store did not settle lets its waiters go."""
    record = x.lookup
    if record is not None and record.lead is not None:
        lead, record.lead = record.lead, None
        lead.settle(None)


DROPPED = "dropped: too many background writes pending"
"""Why an entry was not stored when its background write could not start."""

_HEAD_MEMO_ENTRIES = 64
"""The most response heads a cache-store remembers (cleared when full: heads made up per
response cannot grow it)."""
_HEAD_MEMO_BYTES = 4096
"""Heads longer than this are encoded each time, never remembered."""


class CacheStoreStep(Step):
    __slots__ = (
        "_heads",
        "cache_response",
        "constants",
        "counts",
        "duration",
        "entries",
        "honor_backend",
        "marker",
        "max_bytes",
        "observer",
    )

    def __init__(
        self,
        meta: StepMeta,
        *,
        duration: Val[int],
        cache_response: Val[bool],
        max_bytes: int,
        safety: CacheSafety | None = None,
    ) -> None:
        super().__init__(meta, is_async=True)
        safety = safety if safety is not None else CacheSafety()
        self.duration = duration
        self.cache_response = cache_response
        self.max_bytes = max_bytes
        self.honor_backend = safety.honor_backend
        self.entries = safety.responses
        self.marker = 0
        """Set by the compiler: this store's index among the plan's resume points."""
        self._heads: dict[
            tuple[int, str, tuple[tuple[str, str], ...], frozenset[str]], bytes | str | CodecError
        ] = {}
        self.observer: CacheObserver | None = None
        """Told each outcome when any observation is on (set at compile time)."""
        self.counts = ScopeCounts()
        """Where stores are counted (the compiler gives the gateway's)."""
        self.constants = (
            (cache_response.get_constant(), duration.get_constant())
            if cache_response.is_constant and duration.is_constant
            else None
        )
        """(cache-response, duration) when both are constants (the early miss lane's)."""

    def _head(
        self, status: int, reason: str, lines: Iterable[tuple[str, str]], varied: frozenset[str]
    ) -> bytes | str | CodecError:
        """What the rules say of a response with these status, reason and header lines: the
        head of its entry (:meth:`ResponseEntries.head`), why it may not be stored, or why it
        cannot be encoded. A backend answers with the same few heads over and over, so the
        answers are remembered (a bounded few, small heads only)."""
        memo_key = (status, reason, tuple(lines), varied)
        heads = self._heads
        known = heads.get(memo_key)
        if known is not None:
            return known
        refused = unstorable_reason(status, lines, varied=varied, honor_backend=self.honor_backend)
        answer: bytes | str | CodecError
        if refused is not None:
            answer = refused
        else:
            try:
                answer = self.entries.head(status, reason, storable_headers(lines), self.marker)
            except CodecError as error:
                answer = error
        if not isinstance(answer, bytes) or len(answer) <= _HEAD_MEMO_BYTES:
            if len(heads) >= _HEAD_MEMO_ENTRIES:
                heads.clear()
            heads[memo_key] = answer
        return answer

    async def run_async(self, x: Exchange) -> Signal | None:
        record = x.lookup
        if record is None or record.stored or x.method != "GET":
            if self.observer is not None and record is None:
                self.observer(x, _NO_LOOKUP)
            return None
        lead = record.lead
        stored = None
        observer = self.observer
        started = 0.0 if observer is None else time.perf_counter()
        why = ""
        try:
            stored, why = await self._store(x, record)
        finally:
            if lead is not None:  # settled at once, however the store ended
                record.lead = None
                lead.settle(stored)
        if observer is not None:
            if stored is None:
                observer(x, CacheEvent("not-stored", record.key, why))
            else:
                observer(x, CacheEvent("stored", record.key, seconds=time.perf_counter() - started))
        return None

    async def _store(self, x: Exchange, record: LookupRecord) -> tuple[CacheHit | None, str]:
        """Store the current response as APIM's cache-store does: what was stored (or None,
        and why)."""
        response = x.response
        if response is None or x.passthrough is not None:
            return None, "streamed: the handler streamed its response"
        # APIM's order: the status (200 unless cache-response), the duration, the size; then
        # what the backend said about sharing it.
        cache_response = self.cache_response.get(x)
        status = response.status
        if status != 200 and not cache_response:
            return None, f"status: {status} is stored only with cache-response"
        ttl = store_duration(self.duration.get(x))
        cache = record.cache
        headers = response.headers
        data = self.entry(
            x.runtime,
            cache,
            record.key,
            record.varied,
            ttl,
            status,
            response.reason,
            headers.items(),
            response.body,
            cache is not None and cache.in_process,
        )
        if isinstance(data, str):
            return None, data
        assert cache is not None  # (else entry() said why not)
        assert ttl is not None
        runtime = x.runtime
        record.stored = True
        kept = ttl + record.extra_ttl  # past its duration, an entry serves only stale
        if not await write_entry(
            runtime.background,
            runtime.failures,
            cache,
            record.key,
            data,
            kept,
            runtime.cache_write_timeout,
        ):
            return None, DROPPED
        self.counts.response_stores += 1
        # Applied after the snapshot: the stored copy keeps the backend's header, as APIM's.
        headers.set(
            "Cache-Control",
            (downstream_cache_control(record.downstream, record.must_revalidate, ttl),),
        )
        return CacheHit(data, float(kept)), ""

    def entry(
        self,
        runtime: Runtime,
        cache: Cache | None,
        key: str,
        varied: frozenset[str],
        ttl: int | None,
        status: int,
        reason: str,
        lines: Iterable[tuple[str, str]],
        body: bytes,
        local: bool,
    ) -> bytes | str:
        """The rest of the rules once the status passed and the duration is known (the early
        miss lane applies them too): the cache, the duration, the size, the response's own
        caching headers. The sealed entry to write for ``key``, or why there is none
        (``local``: ``cache`` is in-process, see :meth:`ResponseEntries.write_with_head`)."""
        if cache is None:
            return "cache-unavailable: no cache of the lookup's caching-type"
        if ttl is None:
            return "duration: the duration is not > 0"
        if len(body) > self.max_bytes:
            return f"size: {len(body)} bytes, over max_response_bytes"
        head = self._head(status, reason, lines, varied)
        if isinstance(head, str):
            logger.debug("not storing the response for %r: %s", key, head)
            return f"not-storable: {head}"
        if not isinstance(head, bytes):
            runtime.failures.failed("encode", cache, head)
            return "encode-failed: the entry could not be encoded"
        return self.entries.write_with_head(key, head, body, local)
