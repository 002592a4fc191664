"""A near cache: an in-process copy of a shared cache's entries, in front of it, kept correct
across the processes sharing it.

A read is served from the in-process tier (a :class:`~aiohttp_apim.cache.memory.MemoryCache`)
when it holds the key: what a memory hit costs, no I/O. Otherwise it goes to the shared cache,
and a hit is kept in process until the moment it expires there (the TTL the shared cache itself
has left for it, less the time the answer took: never a writer's estimate, which its clock
could skew). Writes go to the shared cache, and drop the process's own copy first.

Correctness across processes rests on the shared cache reporting every change of its keys
(:class:`~aiohttp_apim.cache.base.SupportsTracking`: Redis's own key tracking, see
:mod:`~aiohttp_apim.cache.redis_tracking`), whoever makes it: a reported key leaves the near tier
at once. The rules that keep a stale copy out:

* a copy is kept only while the feed of changes is live, and only when no change of its key
  (reported, or a write of this process) overlapped the read that fetched it: a read answered
  with the old value just before a change must not land after the change's report (concurrent
  reads do not spoil each other: a hot key is kept under any load);
* when the feed (re)connects, every copy is dropped: changes made while it was down were never
  reported (so is a flush of the whole store);
* counters (values in canonical decimal, what :meth:`Cache.increment` keeps) are never kept:
  they change on every increment;
* entries without an expiry (keys another tool wrote) are never kept.

A process's own writes are reported back to it too, and drop the copy a later read made: one
extra read of the shared cache per write, the price of never serving a copy the feed has not
vouched for.

When the shared cache cannot be reached, the copies held keep being served until they expire
(reads of anything else fail as the shared cache fails); nothing new is kept until the feed is
live again, and then everything is dropped once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Final

from aiohttp_apim.cache.base import (
    Cache,
    CacheHit,
    CacheUnavailable,
    ReportsBreakers,
    SupportsLocks,
    SupportsTracking,
    Tracking,
)
from aiohttp_apim.cache.breaker import CircuitBreaker
from aiohttp_apim.cache.memory import MemoryCache, MemoryCacheStats

__all__ = ["DEFAULT_NEAR_BYTES", "NearCache"]

DEFAULT_NEAR_BYTES: Final = 16 * 1024 * 1024
"""The near tier's bound when :class:`NearCache` makes it: 16 MiB per process."""

_COUNTER: Final = re.compile(rb"-?[0-9]{1,20}")


class _Flight:
    """The operations under way on one key: ``changes`` counts the changes (writes of this
    process, reports) that happened while any ran. A read may keep what it fetched only if the
    count did not move while it ran: concurrent reads never spoil each other."""

    __slots__ = ("changes", "count")

    def __init__(self) -> None:
        self.count = 0
        self.changes = 0


class NearCache(Cache, SupportsLocks):
    """An in-process tier (``local``, default a :class:`MemoryCache` of
    :data:`DEFAULT_NEAR_BYTES`) in front of a shared cache that reports changes of its keys
    (``remote``: a :class:`~aiohttp_apim.RedisCache`), for response entries and values alike::

        external_cache=aiohttp_apim.NearCache(aiohttp_apim.RedisCache.from_url(url))

    A hit from the near tier costs what a memory hit costs; copies never outlive their entry in
    the shared cache, and a change made through any process drops them everywhere (see the
    module's documentation for the rules). ``local`` keeps time with its own clock (never
    give it a gateway's test clock: the shared cache's TTLs run in real time) and is bounded in
    bytes like any :class:`MemoryCache`; its :meth:`~MemoryCache.stats` are the near tier's hits
    and misses. Every process sharing the remote cache may use a near cache or not: changes are
    reported by the server, whoever makes them.

    Locks (:class:`~aiohttp_apim.cache.base.SupportsLocks`) are the remote cache's; calls that
    cannot reach it fail as the remote cache fails, and the capabilities the pipeline reads
    (:attr:`bounds_own_calls`) are the remote cache's. :meth:`close` stops the feed, empties
    the near tier and closes the remote cache.
    """

    def __init__(self, remote: Cache, local: MemoryCache | None = None) -> None:
        if not isinstance(remote, SupportsTracking):
            raise TypeError(
                f"a near cache needs a shared cache that reports changes of its keys (such as "
                f"RedisCache), not {type(remote).__name__}"
            )
        self._remote = remote
        self._tracked: SupportsTracking = remote  # the same object, by its capability
        self._local = local if local is not None else MemoryCache(max_bytes=DEFAULT_NEAR_BYTES)
        self._locks = remote if isinstance(remote, SupportsLocks) else None
        self._flights: dict[str, _Flight] = {}
        self._tracking: Tracking = self._tracked.track(_Invalidator(self))

    # -- what it is ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The remote cache's name with ``+near``, e.g. ``"redis+near"``."""
        return f"{self._remote.name}+near"

    @property
    def bounds_own_calls(self) -> bool:
        """The remote cache's: a near hit never waits, a miss waits as the remote cache does."""
        return self._remote.bounds_own_calls

    @property
    def remote(self) -> Cache:
        """The shared cache behind the near tier."""
        return self._remote

    @property
    def local(self) -> MemoryCache:
        """The near tier (its ``stats()`` count the near hits and misses)."""
        return self._local

    @property
    def breakers(self) -> Mapping[str, CircuitBreaker]:
        """The remote cache's breakers (:class:`~aiohttp_apim.cache.base.ReportsBreakers`),
        if it has any."""
        remote = self._remote
        return remote.breakers if isinstance(remote, ReportsBreakers) else {}

    def stats(self) -> MemoryCacheStats:
        """The near tier's :meth:`MemoryCache.stats` (what it holds in this process)."""
        return self._local.stats()

    @property
    def live(self) -> bool:
        """Whether the remote cache's changes are being reported now (copies are added only
        then)."""
        return self._tracking.live

    def __repr__(self) -> str:
        return f"<NearCache {self._local!r} in front of {self._remote!r}>"

    # -- the Cache protocol -------------------------------------------------------------------

    async def get(self, key: str) -> CacheHit | None:
        """See :meth:`Cache.get`: the near tier's copy, else the remote cache's entry (kept
        near when the rules allow)."""
        hit = await self._local.get(key)
        if hit is not None:
            return hit
        tracking = self._tracking
        tracking.start()
        flight, seen = self._begin(key)
        try:
            # While the feed is live, with the TTL the remote cache itself has left (what a
            # copy may live); else nothing will be kept: the plain read.
            if tracking.live:
                hit = (await self._tracked.fetch((key,)))[0]
            else:
                hit = await self._remote.get(key)
        finally:
            clean = self._end(key, flight, seen)
        if hit is not None and clean and tracking.live:
            await self._keep(key, hit)
        return hit

    def get_in_process(self, key: str) -> CacheHit | None:
        """See :meth:`~aiohttp_apim.cache.base.ReadsInProcess.get_in_process`: the near tier's
        copy (what :meth:`get` returns first), else None: :meth:`get` then asks the remote
        cache."""
        return self._local.get_in_process(key)

    async def get_many(self, keys: Sequence[str]) -> list[CacheHit | None]:
        """See :meth:`Cache.get_many`: the near tier's copies, and the rest from the remote
        cache in one call."""
        if isinstance(keys, str):
            raise TypeError("get_many() takes a sequence of keys, not a single str")
        local = self._local
        results = [await local.get(key) for key in keys]
        missing = [index for index, hit in enumerate(results) if hit is None]
        if not missing:
            return results
        self._tracking.start()
        names = [keys[index] for index in missing]
        flights = [self._begin(name) for name in names]
        try:
            if self._tracking.live:
                fetched = await self._tracked.fetch(names)
            else:
                fetched = await self._remote.get_many(names)
        finally:
            cleans = [
                self._end(name, flight, seen)
                for name, (flight, seen) in zip(names, flights, strict=True)
            ]
        live = self._tracking.live
        for index, name, hit, clean in zip(missing, names, fetched, cleans, strict=True):
            results[index] = hit
            if hit is not None and clean and live:
                await self._keep(name, hit)
        return results

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """See :meth:`Cache.set`: written to the remote cache; the near copy is dropped (the
        next read fetches the new entry)."""
        _check_ttl(ttl)
        flight = self._change(key)
        try:
            await self._local.delete(key)
            await self._remote.set(key, value, ttl)
        finally:
            self._changed(key, flight)

    async def delete(self, key: str) -> bool:
        """See :meth:`Cache.delete`: removed from the remote cache and the near tier."""
        flight = self._change(key)
        try:
            await self._local.delete(key)
            return await self._remote.delete(key)
        finally:
            self._changed(key, flight)

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        """See :meth:`Cache.increment`: the remote cache's counter (counters are never kept
        near)."""
        return await self._remote.increment(key, amount, ttl)

    async def close(self) -> None:
        """Stop the feed of changes, empty the near tier and close the remote cache. The cache
        stays usable (the feed starts again on the next read that misses)."""
        try:
            await self._tracking.close()
            await self._local.close()
        finally:
            await self._remote.close()

    # -- locks: the remote cache's ------------------------------------------------------------

    async def acquire_lock(self, name: str, ttl: float) -> str | None:
        """See :meth:`SupportsLocks.acquire_lock` (the remote cache's locks)."""
        return await self._lock_holder().acquire_lock(name, ttl)

    async def release_lock(self, name: str, token: str, *, hold_for: float = 0.0) -> bool:
        """See :meth:`SupportsLocks.release_lock`."""
        return await self._lock_holder().release_lock(name, token, hold_for=hold_for)

    async def lock_held(self, name: str) -> bool:
        """See :meth:`SupportsLocks.lock_held`."""
        return await self._lock_holder().lock_held(name)

    # -- internals ----------------------------------------------------------------------------

    def _lock_holder(self) -> SupportsLocks:
        if self._locks is None:
            raise CacheUnavailable(f"{self._remote.name} holds no locks")
        return self._locks

    def _begin(self, key: str) -> tuple[_Flight, int]:
        """Register a read of ``key``: its flight, and the changes seen so far."""
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight()
        flight.count += 1
        return flight, flight.changes

    def _end(self, key: str, flight: _Flight, seen: int) -> bool:
        """Unregister an operation; whether no change happened since ``seen``."""
        flight.count -= 1
        if flight.count == 0 and self._flights.get(key) is flight:
            del self._flights[key]
        return flight.changes == seen

    def _change(self, key: str) -> _Flight:
        """Register a write of this process: every read under way, or starting before it ends,
        may fetch what it replaces."""
        flight, _ = self._begin(key)
        flight.changes += 1
        return flight

    def _changed(self, key: str, flight: _Flight) -> None:
        flight.changes += 1
        self._end(key, flight, 0)

    async def _keep(self, key: str, hit: CacheHit) -> None:
        ttl = hit.ttl_remaining
        value = hit.value
        if ttl is None or ttl <= 0:
            return  # no expiry: a key another tool wrote, which no TTL bounds here
        if len(value) <= 21 and _COUNTER.fullmatch(value):
            return  # a counter: it changes on every increment
        await self._local.set(key, value, ttl)

    async def _forget(self, keys: Sequence[str]) -> None:
        flights, local = self._flights, self._local
        for key in keys:
            flight = flights.get(key)
            if flight is not None:
                flight.changes += 1
            await local.delete(key)

    async def _forget_all(self) -> None:
        for flight in self._flights.values():
            flight.changes += 1
        await self._local.close()


class _Invalidator:
    """The near cache's listener for the remote cache's changes (kept off its public API)."""

    __slots__ = ("_near",)

    def __init__(self, near: NearCache) -> None:
        self._near = near

    async def keys_changed(self, keys: Sequence[str]) -> None:
        await self._near._forget(keys)

    async def all_changed(self) -> None:
        await self._near._forget_all()


def _check_ttl(ttl: float) -> None:
    # Written so that NaN fails too.
    if not 0.0 < ttl < math.inf:
        raise ValueError(f"ttl must be a finite number of seconds > 0, got {ttl!r}")
