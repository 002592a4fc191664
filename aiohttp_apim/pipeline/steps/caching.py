"""cache-lookup and cache-store (spec 4-5): the I/O around the pure rules of ``cacherules``.

The lookup's hit path is the one that must be cheap: every literal attribute is a constant, the
key's fixed part (:class:`~aiohttp_apim.pipeline.keys.KeyShape`) and the cache to use were chosen
at compile time, the in-process cache is read without a timer, and no expression context is
built unless an attribute is an expression.
"""

from __future__ import annotations

from collections.abc import Sequence

from multidict import CIMultiDict

from aiohttp_apim.cache.base import Cache
from aiohttp_apim.pipeline.cacheio import cache_get, call_timeout, write_entry
from aiohttp_apim.pipeline.cacherules import (
    CACHE_REQUEST_HEADERS,
    downstream_cache_control,
    remaining_seconds,
    storable_headers,
    store_duration,
)
from aiohttp_apim.pipeline.exchange import Exchange, LookupRecord, Signal
from aiohttp_apim.pipeline.keys import KeyShape, response_cache_key
from aiohttp_apim.pipeline.responsecodec import CodecError, decode_response, encode_response
from aiohttp_apim.pipeline.steps.base import CacheObserver, Step, StepMeta
from aiohttp_apim.pipeline.values import Val
from aiohttp_apim.policy.model import DownstreamCachingType

__all__ = ["CacheLookupStep", "CacheStoreStep"]


class _Query:
    """The request's query string as the key reads it (every value of a name)."""

    __slots__ = ("_query",)

    def __init__(self, x: Exchange) -> None:
        self._query = x.http.query

    def get(self, name: str, /) -> Sequence[str] | None:
        return self._query.getall(name, None)


class _NoQuery:
    @staticmethod
    def get(name: str, /) -> Sequence[str] | None:
        return None


_NO_QUERY = _NoQuery()

# The decoded entries a lookup keeps (see ``CacheLookupStep._decode``): at most this many, of
# at most this many bytes in all, each at most _MEMO_ENTRY_BYTES (decoding a large entry costs
# little next to sending it). Every plan has its own steps, so this is per (scope, lookup): kept
# small, since with a shared cache the memo holds copies.
_MEMO_ENTRIES = 64
_MEMO_BYTES = 1024 * 1024
_MEMO_ENTRY_BYTES = 64 * 1024


class _Decoded:
    """A stored entry decoded once: its bytes (to recognise it), and what a hit needs to
    make a response -- the header lines (without ``Cache-Control``, which a hit sets) as a
    multidict that each response copies, so every response stays independent."""

    __slots__ = ("body", "headers", "marker", "reason", "status", "value")

    def __init__(self, value: bytes) -> None:
        snapshot = decode_response(value)
        self.value = value
        self.status = snapshot.status
        self.reason = snapshot.reason
        headers: CIMultiDict[str] = CIMultiDict(snapshot.headers)
        headers.popall("Cache-Control", None)
        self.headers = headers
        self.body = snapshot.body
        self.marker = snapshot.marker


class CacheLookupStep(Step):
    __slots__ = (
        "_cache_control",
        "_memo",
        "_memo_bytes",
        "allow_private",
        "cache",
        "downstream",
        "must_revalidate",
        "observer",
        "shape",
        "timeout",
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
    ) -> None:
        super().__init__(meta, is_async=True)
        self.shape = shape
        self.cache = cache
        self.timeout = call_timeout(cache, timeout)
        self.vary_by_developer = vary_by_developer
        self.vary_by_groups = vary_by_groups
        self.downstream = downstream
        self.must_revalidate = must_revalidate
        self.allow_private = allow_private
        self._memo: dict[str, _Decoded] = {}
        self._memo_bytes = 0
        self._cache_control: tuple[DownstreamCachingType, bool, int, str] | None = None
        self.observer: CacheObserver | None = None
        """Told each outcome when the plan is traced (set at compile time)."""

    def _decode(self, key: str, value: bytes) -> _Decoded:
        """The entry ``value`` under ``key``, decoded: the in-process cache hands out the very
        same bytes object on every hit (and a shared one equal bytes), so it is decoded once
        and then recognised. Raises what :func:`decode_response` raises."""
        memo = self._memo
        decoded = memo.get(key)
        if decoded is not None:
            if decoded.value == value:  # identical objects compare without reading them
                return decoded
            del memo[key]
            self._memo_bytes -= len(decoded.value)
        decoded = _Decoded(value)
        size = len(value)
        if size <= _MEMO_ENTRY_BYTES:
            while memo and (len(memo) >= _MEMO_ENTRIES or self._memo_bytes + size > _MEMO_BYTES):
                oldest = memo.pop(next(iter(memo)))
                self._memo_bytes -= len(oldest.value)
            memo[key] = decoded
            self._memo_bytes += size
        return decoded

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

    async def run_async(self, x: Exchange) -> Signal | None:
        # Eligibility (spec 4.6 step 1): GET only, and a request carrying credentials only when
        # the policy allows private responses. (Websocket upgrades never get here: the
        # middleware hands them to their handler.)
        if x.method != "GET":
            if self.observer is not None:
                self.observer(x, "bypass", "", "method")
            return None
        headers = x.request_headers
        if "Authorization" in headers and not self.allow_private.get(x):
            if self.observer is not None:
                self.observer(x, "bypass", "", "authorization")
            return None
        vary_by_developer = self.vary_by_developer.get(x)
        vary_by_groups = self.vary_by_groups.get(x)
        downstream = self.downstream.get(x)
        must_revalidate = self.must_revalidate.get(x)
        cache = self.cache
        if cache is None:  # no such cache configured: a miss, and cache-store does nothing
            x.runtime.counters.response_misses += 1
            x.lookup = LookupRecord(None, "", downstream, must_revalidate)
            _strip_cache_headers(x)
            if self.observer is not None:
                self.observer(x, "miss", "", "no cache of this caching-type is configured")
            return None
        user = x.caller.user
        http = x.http
        key = response_cache_key(
            self.shape,
            # The backend URL of spec 4.5 is the app's own route here, the same for every process
            # and port serving the app: the path names the resource, so apps sharing a cache
            # share entries (api.md section 5). Vary by Host explicitly to split by host.
            url=http.rel_url.raw_path,
            headers=headers,
            query=_Query(x) if self.shape.query else _NO_QUERY,
            vary_by_developer=vary_by_developer,
            developer=None if user is None else user.id,
            vary_by_groups=vary_by_groups,
            groups=() if user is None or not vary_by_groups else user.group_ids,
        )
        runtime = x.runtime
        hit = await cache_get(cache, key, self.timeout, runtime.failures)
        if hit is not None:
            try:
                entry = self._decode(key, hit.value)
                max_age = remaining_seconds(hit.ttl_remaining)
            except Exception as error:  # someone else's bytes, a damaged entry: a miss
                runtime.failures.failed("decode", cache, error)
            else:
                response = runtime.adapter.new_response(
                    entry.status, entry.reason, entry.headers, entry.body
                )
                response.headers.set(
                    "Cache-Control",
                    (self._downstream_header(downstream, must_revalidate, max_age),),
                )
                x.set_response(response)
                x.resume = entry.marker
                runtime.counters.response_hits += 1
                if self.observer is not None:
                    self.observer(x, "hit", key)
                return Signal.HIT
        runtime.counters.response_misses += 1
        x.lookup = LookupRecord(cache, key, downstream, must_revalidate)
        _strip_cache_headers(x)
        if self.observer is not None:
            self.observer(x, "miss", key)
        return None


def _strip_cache_headers(x: Exchange) -> None:
    """On a miss the backend must answer in full, not 304/412 to the client's conditions."""
    headers = x.request_headers
    for name in CACHE_REQUEST_HEADERS:
        if name in headers:
            headers.remove(name)


class CacheStoreStep(Step):
    __slots__ = ("cache_response", "duration", "marker", "max_bytes")

    def __init__(
        self, meta: StepMeta, *, duration: Val[int], cache_response: Val[bool], max_bytes: int
    ) -> None:
        super().__init__(meta, is_async=True)
        self.duration = duration
        self.cache_response = cache_response
        self.max_bytes = max_bytes
        self.marker = 0
        """Set by the compiler: this store's index among the plan's resume points."""

    async def run_async(self, x: Exchange) -> Signal | None:
        record = x.lookup
        if record is None or record.stored or x.method != "GET":
            return None
        response = x.response
        if response is None or x.passthrough is not None:
            return None
        # Spec 5.4 steps 3-5, in order.
        cache_response = self.cache_response.get(x)
        if response.status != 200 and not cache_response:
            return None
        ttl = store_duration(self.duration.get(x))
        cache = record.cache
        if ttl is None or cache is None:
            return None
        body = response.body
        if len(body) > self.max_bytes:
            return None
        runtime = x.runtime
        try:
            data = encode_response(
                response.status,
                response.reason,
                storable_headers(response.headers.items()),
                body,
                marker=self.marker,
            )
        except CodecError as error:
            runtime.failures.failed("encode", cache, error)
            return None
        record.stored = True
        if await write_entry(
            runtime.background,
            runtime.failures,
            cache,
            record.key,
            data,
            ttl,
            runtime.cache_write_timeout,
        ):
            # Applied after the snapshot: the stored copy keeps the backend's header (spec 4.7).
            response.headers.set(
                "Cache-Control",
                (downstream_cache_control(record.downstream, record.must_revalidate, ttl),),
            )
        return None
