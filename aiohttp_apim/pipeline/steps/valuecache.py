"""cache-lookup-value, cache-store-value and cache-remove-value
(https://learn.microsoft.com/azure/api-management/cache-lookup-value-policy and its siblings).

Values are stored with :mod:`~aiohttp_apim.pipeline.valuecodec` (typed, no pickle) under
:func:`~aiohttp_apim.pipeline.keys.value_cache_key`: the policy's key in the ``val:`` namespace,
without the policy generation, so every policy version, gateway and process using a key on one
cache shares the value, as APIM's values are shared.

Every entry is sealed for its key (:mod:`~aiohttp_apim.pipeline.entryseal`: a checksum, or an
HMAC with the gateway's signing key) and decoded only when its seal opens; the decoder itself is
bounded in size, depth and work (:mod:`~aiohttp_apim.pipeline.valuecodec`). An entry that fails
either is a logged miss, and is removed (best effort).

Best effort: a cache that is down, slow or holds bytes that are not a value entry
makes a lookup a miss and a store a no-op, logged and counted; only ``cache-remove-value`` with
``fail-on-cache-removal-error="true"`` turns a failure into an error (Reason
``CacheRemovalFailure``). A caching type with no cache configured here (``external`` without an
external cache) is such an unavailable cache.

Writes: on the in-process cache at once; on any other cache a background write that
the response never waits for, bounded by the gateway's ``max_pending_writes``. Removals are made
on the request path, bounded by ``cache_timeout``: their outcome may decide the request, and an
invalidation should hold for the next request.
"""

from __future__ import annotations

from aiohttp_apim.cache.base import Cache
from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.pipeline.cacheio import (
    cache_delete,
    cache_get,
    cache_label,
    call_timeout,
    describe,
    discard_entry,
    write_entry,
)
from aiohttp_apim.pipeline.cacherules import store_duration
from aiohttp_apim.pipeline.entryseal import EntrySeal
from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.keys import value_cache_key
from aiohttp_apim.pipeline.stats import ScopeCounts
from aiohttp_apim.pipeline.steps.base import CacheEvent, CacheObserver, Step, StepMeta
from aiohttp_apim.pipeline.valuecodec import decode_value, encode_value
from aiohttp_apim.pipeline.values import Val

__all__ = [
    "CACHE_REMOVAL_FAILURE",
    "CacheLookupValueStep",
    "CacheRemoveValueStep",
    "CacheStoreValueStep",
]

CACHE_REMOVAL_FAILURE = "CacheRemovalFailure"
"""``LastError.Reason`` of a failed removal with ``fail-on-cache-removal-error="true"``."""


def _read_timeout(cache: Cache | None, timeout: float) -> float | None:
    return call_timeout(cache, timeout)


class CacheLookupValueStep(Step):
    """Hit: the variable gets the value with the type it was stored with. Miss: the variable
    gets ``default-value`` when there is one (a literal as a string, an expression's result
    with its type), else it is left as it was -- unset, or holding what it held."""

    __slots__ = ("cache", "counts", "default", "key", "observer", "seal", "timeout", "variable")

    def __init__(
        self,
        meta: StepMeta,
        *,
        key: Val[str],
        variable: str,
        default: Val[object] | None,
        cache: Cache | None,
        timeout: float,
        seal: EntrySeal | None = None,
    ) -> None:
        super().__init__(meta, is_async=True)
        self.key = key
        self.variable = variable
        self.default = default
        self.cache = cache
        self.timeout = _read_timeout(cache, timeout)
        self.observer: CacheObserver | None = None
        """Told each outcome when any observation is on (set at compile time)."""
        self.counts = ScopeCounts()
        """Where the step counts (the compiler gives the gateway's)."""
        self.seal = seal if seal is not None else EntrySeal()

    async def run_async(self, x: Exchange) -> Signal | None:
        key = self.key.get(x)
        runtime = x.runtime
        cache = self.cache
        if cache is not None:
            cache_key = value_cache_key(key)
            hit = await cache_get(cache, cache_key, self.timeout, runtime.failures)
            if hit is not None:
                data = hit.value
                try:
                    value = decode_value(memoryview(data)[: self.seal.open(cache_key, data)])
                except Exception as error:  # damaged, foreign, not signed: a miss
                    runtime.failures.failed("decode", cache, error)
                    await discard_entry(
                        runtime.background,
                        runtime.failures,
                        cache,
                        cache_key,
                        runtime.cache_write_timeout,
                    )
                else:
                    self.counts.value_hits += 1
                    x.variables.set(self.variable, value)
                    if self.observer is not None:
                        self.observer(x, CacheEvent("hit", key))
                    return None
        self.counts.value_misses += 1
        if self.observer is not None:
            self.observer(
                x, CacheEvent("miss", key, "" if cache is not None else "cache-unavailable")
            )
        default = self.default
        if default is not None:
            x.variables.set(self.variable, default.get(x))
        return None


class CacheStoreValueStep(Step):
    """Store ``value`` under ``key`` for ``duration`` seconds (replacing any entry and its TTL).
    Nothing is stored for a null value (any entry stays), a duration <= 0, or a caching type
    with no cache here; a duration beyond int32 is clamped to it."""

    __slots__ = ("cache", "counts", "duration", "key", "observer", "seal", "value")

    def __init__(
        self,
        meta: StepMeta,
        *,
        key: Val[str],
        value: Val[object],
        duration: Val[int],
        cache: Cache | None,
        seal: EntrySeal | None = None,
    ) -> None:
        super().__init__(meta, is_async=True)
        self.key = key
        self.value = value
        self.duration = duration
        self.cache = cache
        self.observer: CacheObserver | None = None
        """Told each outcome when any observation is on (set at compile time)."""
        self.counts = ScopeCounts()
        """Where the step counts (the compiler gives the gateway's)."""
        self.seal = seal if seal is not None else EntrySeal()

    async def run_async(self, x: Exchange) -> Signal | None:
        key = self.key.get(x)
        value = self.value.get(x)
        ttl = store_duration(self.duration.get(x))
        cache = self.cache
        if value is None or ttl is None or cache is None:
            if self.observer is not None:
                self.observer(
                    x, CacheEvent("not-stored", key, "null value, duration <= 0 or no such cache")
                )
            return None
        runtime = x.runtime
        cache_key = value_cache_key(key)
        try:
            data = self.seal.seal(cache_key, (encode_value(value),))
        except Exception as error:  # a type that cannot be cached, or too large: best effort
            runtime.failures.failed("encode", cache, error)
            return None
        if await write_entry(
            runtime.background,
            runtime.failures,
            cache,
            cache_key,
            data,
            ttl,
            runtime.cache_write_timeout,
        ):
            self.counts.value_stores += 1
            if self.observer is not None:
                self.observer(x, CacheEvent("stored", key))
        return None


class CacheRemoveValueStep(Step):
    """Remove ``key`` (a missing key is no error). A failure -- the cache down, slow, or no
    such cache configured -- is logged and ignored, unless ``fail-on-cache-removal-error``
    is true: then the request goes to on-error with Reason ``CacheRemovalFailure``."""

    __slots__ = ("cache", "caching_type", "counts", "fail_on_error", "key", "timeout")

    def __init__(
        self,
        meta: StepMeta,
        *,
        key: Val[str],
        fail_on_error: Val[bool],
        cache: Cache | None,
        caching_type: str,
        timeout: float,
    ) -> None:
        super().__init__(meta, is_async=True)
        self.key = key
        self.fail_on_error = fail_on_error
        self.cache = cache
        self.caching_type = caching_type
        self.timeout = _read_timeout(cache, timeout)
        self.counts = ScopeCounts()
        """Where removals are counted (the compiler gives the gateway's)."""

    async def run_async(self, x: Exchange) -> Signal | None:
        key = self.key.get(x)
        fail = self.fail_on_error.get(x)
        runtime = x.runtime
        cache = self.cache
        if cache is None:
            if fail:
                raise PolicyRuntimeError(
                    f"The value '{key}' could not be removed: no cache of caching-type "
                    f"'{self.caching_type}' is configured",
                    reason=CACHE_REMOVAL_FAILURE,
                )
            return None
        try:
            await cache_delete(cache, value_cache_key(key), self.timeout)
        except Exception as error:
            runtime.failures.failed("remove", cache, error)
            if fail:
                raise PolicyRuntimeError(
                    f"The value '{key}' could not be removed from the cache "
                    f"({cache_label(cache)}): {describe(error)}",
                    reason=CACHE_REMOVAL_FAILURE,
                ) from error
            return None
        self.counts.value_removes += 1
        return None
