"""The early miss lane: the pipeline's part of a miss answered without an exchange.

A plan that is exactly an early cache-lookup (:attr:`~aiohttp_apim.pipeline.plan.Plan.early_lookup`),
a backend that only forwards (literal timeout, never failing on the status) and an outbound that
only stores (literal attributes), with nothing observing any of them, has nothing to do on a
miss but call the handler and store its answer. The web layer does that for such a plan
(``aiohttp_apim.web.misslane``) with what this module gives it: the coalescer to join, the
handler's time limit, and :meth:`MissLane.store`, which applies ``cache-store``'s rules through
the step itself (:meth:`~aiohttp_apim.pipeline.steps.caching.CacheStoreStep.entry`), writes
without an await (a cache that holds everything in process at once, any other in the
background) and counts as the two steps count. Whatever the lane does not handle goes to the
pipeline, which stays the one definition of what a miss does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from multidict import CIMultiDictProxy

from aiohttp_apim.cache.base import Cache, CacheHit, HoldsInProcess
from aiohttp_apim.pipeline.cacheio import start_write
from aiohttp_apim.pipeline.cacherules import (
    CACHE_REQUEST_NAMES,
    downstream_cache_control,
    store_duration,
)
from aiohttp_apim.pipeline.exchange import Runtime
from aiohttp_apim.pipeline.stampede import Coalescer, Lead
from aiohttp_apim.pipeline.stats import ScopeCounts
from aiohttp_apim.pipeline.steps.backend import ForwardRequestStep
from aiohttp_apim.pipeline.steps.base import Step
from aiohttp_apim.pipeline.steps.caching import CacheLookupStep, CacheStoreStep
from aiohttp_apim.policy.model import DownstreamCachingType

__all__ = ["MissLane"]


class MissLane:
    """What the early miss lane of one plan needs, decided when the plan is compiled
    (:meth:`of`)."""

    __slots__ = (
        "_any_status",
        "_cache",
        "_cache_control",
        "_downstream",
        "_local",
        "_must_revalidate",
        "_set_now",
        "_store",
        "_ttl",
        "_varied",
        "coalescer",
        "counts",
        "timeout",
    )

    def __init__(
        self, lookup: CacheLookupStep, store: CacheStoreStep, cache: Cache, timeout: float | None
    ) -> None:
        assert store.constants is not None
        self._any_status, duration = store.constants
        self._ttl = store_duration(duration)
        self._downstream: DownstreamCachingType = lookup.downstream.get_constant()
        self._must_revalidate: bool = lookup.must_revalidate.get_constant()
        self._cache_control = (
            None
            if self._ttl is None
            else downstream_cache_control(self._downstream, self._must_revalidate, self._ttl)
        )
        """The ``Cache-Control`` a stored response goes out with (the same for every one)."""
        self._cache = cache
        self._local = cache.in_process
        """Whether the cache keeps entries in this process (written at once, sealed locally)."""
        self._set_now: Callable[[str, bytes, float], None] | None = (
            cache.set_now if isinstance(cache, HoldsInProcess) else None
        )
        """The cache's write without an await, when it holds everything in this process."""
        self._varied = lookup.varied
        self._store = store
        self.coalescer: Coalescer | None = lookup.coalescer
        """Stampede protection, joined before the handler is called (None: none)."""
        self.counts: ScopeCounts = lookup.counts
        self.timeout = timeout
        """The handler's time limit (forward-request's; None: none)."""

    @classmethod
    def of(
        cls,
        lookup: CacheLookupStep | None,
        inbound: tuple[Step, ...],
        backend: tuple[Step, ...],
        outbound: tuple[Step, ...],
    ) -> MissLane | None:
        """The lane of a plan with these sections and early lookup, when it has one: the lookup
        alone in inbound, one forward-request with a literal timeout that never fails on the
        status, one cache-store of literal attributes, and nothing observing either step (what
        keeps the lookup from running early keeps the lane off too)."""
        if lookup is None or inbound != (lookup,) or len(backend) != 1 or len(outbound) != 1:
            return None
        forward, store = backend[0], outbound[0]
        if (
            not isinstance(forward, ForwardRequestStep)
            or not forward.constant_timeout
            or not forward.fail_on_error_status_code.is_constant
            or forward.fail_on_error_status_code.get_constant()
            or not isinstance(store, CacheStoreStep)
            or store.observer is not None
            or store.constants is None
            or lookup.cache is None
            # (an in-process cache is written at once: without set_now that takes an await,
            # which only the pipeline's store makes)
            or (lookup.cache.in_process and not isinstance(lookup.cache, HoldsInProcess))
        ):
            return None
        return cls(lookup, store, lookup.cache, forward.constant_seconds())

    @staticmethod
    def conditional(headers: CIMultiDictProxy[str]) -> bool:
        """Whether the request carries headers the pipeline removes before the handler on a
        miss (its conditions, its range): such a request takes the pipeline."""
        # (The keys of a case-insensitive multidict match the lower-cased names in any case:
        # eight lookups cost less than lower-casing every header of the request.)
        return not headers.keys().isdisjoint(CACHE_REQUEST_NAMES)

    def store(
        self,
        runtime: Runtime,
        key: str,
        lead: Lead | None,
        status: int,
        reason: str,
        lines: Iterable[tuple[str, str]],
        body: bytes,
    ) -> str | None:
        """The miss is counted and the handler's answer stored under ``key`` as the lookup and
        the store steps would (``lead`` settled with what was stored, however it ends): the
        ``Cache-Control`` the answer goes out with when it was stored, else None. Nothing here
        awaits (see :meth:`of`)."""
        self.counts.response_misses += 1
        stored: CacheHit | None = None
        try:
            if status != 200 and not self._any_status:
                return None
            store, cache, ttl = self._store, self._cache, self._ttl
            data = store.entry(
                runtime, cache, key, self._varied, ttl, status, reason, lines, body, self._local
            )
            if isinstance(data, str):
                return None
            assert ttl is not None  # (else entry() said why not)
            set_now = self._set_now
            if set_now is not None:  # (write_entry's rule: at once, a failure loses the write)
                try:
                    set_now(key, data, ttl)
                except Exception as error:
                    runtime.failures.failed("write", cache, error)
            elif not start_write(
                runtime.background,
                runtime.failures,
                cache,
                key,
                data,
                ttl,
                runtime.cache_write_timeout,
            ):
                return None
            store.counts.response_stores += 1
            if lead is not None:
                stored = CacheHit(data, float(ttl))
            return self._cache_control
        finally:
            if lead is not None:
                lead.settle(stored)
