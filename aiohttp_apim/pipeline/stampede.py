"""Stampede protection: concurrent misses of one response key wait for the first one's answer.

Without it, N requests arriving together for an entry that is not (or no longer) cached all
run the backend, N times the work at the worst moment (a cold start, a popular entry expiring).
APIM has no such protection; nginx (``proxy_cache_lock``) and cashews do.

The cache-lookup step asks a :class:`Coalescer` on every miss that may be stored, and gets one
of three answers:

* a :class:`Lead`: this request fills the entry. Its ``cache-store`` settles the lead with the
  entry it stored, or with None when it stored nothing (the response was not storable, failed,
  or never reached a ``cache-store``); the exchange settles it with None when it ends in any
  other way, so a lead is always settled.
* a :class:`~aiohttp_apim.cache.base.CacheHit`: another request filled the entry meanwhile;
  this one is served from it, as a hit.
* None: go to the backend yourself -- the first request failed or was not storable (every
  waiter then runs its own backend call, none is failed on its account), or the wait took
  longer than the coalescer's timeout.

:class:`LocalCoalescer` coordinates the requests of one process. :class:`SharedLockCoalescer`
coordinates the processes sharing a cache that holds locks (Redis), in front of the local one,
so that each process sends at most one request per key to the shared lock: the local leader
takes a short lock (``SET NX PX`` with a random token); the leader of every other process polls
for the entry to appear (with a backoff from 5 to 50 ms), and hands it to its own waiters. When
the holder's response is not stored, it releases the lock, and every waiter everywhere goes to
the backend itself; a holder that stored its entry leaves the lock to expire soon after, so a
waiter keeps polling until the entry's write has landed. Whatever goes wrong with the lock (the
cache down, slow, its breaker open) only falls back to the local protection, and no wait lasts
longer than the lock's timeout. The lookup step does not change: it asks
:meth:`Coalescer.for_cache` once, when the plan is compiled, for the coalescer of its cache.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Final, Protocol, TypeVar

from aiohttp_apim.cache.base import Cache, CacheHit, SupportsLocks
from aiohttp_apim.pipeline.cacheio import BackgroundWrites, describe

__all__ = ["LOCK_NAMESPACE", "Coalescer", "Lead", "LocalCoalescer", "SharedLockCoalescer"]

logger = logging.getLogger(__name__)

LOCK_NAMESPACE: Final = "lock|"
"""What a response key's shared lock is named by: this, then the key (response keys begin with
``resp|``, so no entry has such a name)."""

# The backoff of a process waiting for another one's entry: first poll, longest pause.
_FIRST_POLL: Final = 0.005
_MAX_POLL: Final = 0.05

T = TypeVar("T")


class Lead(Protocol):
    """The request that fills an entry, for the requests waiting on it."""

    def settle(self, entry: CacheHit | None) -> None:
        """Hand the waiters ``entry`` (the stored bytes and their TTL), or None to let them go
        to the backend themselves. Only the first call counts; later ones do nothing."""
        ...


class Coalescer(Protocol):
    """Decides which of the concurrent misses of one key runs the backend."""

    async def join(self, key: str) -> Lead | CacheHit | None:
        """A :class:`Lead` (this request fills ``key``), the entry another request filled, or
        None (go to the backend without filling for others)."""
        ...

    def lead(self, key: str) -> Lead | None:
        """What :meth:`join` answers when it can answer at once with a :class:`Lead` (no other
        request fills ``key``, and nothing else needs asking); else None, and the caller
        awaits :meth:`join`. (A lone miss, the common case, then costs no coroutine.)"""
        ...

    def for_cache(self, cache: Cache | None) -> Coalescer:
        """The coalescer for the misses of entries in ``cache`` (asked once per lookup, when
        the plan is compiled): coordination across processes applies only to the cache they
        share."""
        ...


class _Flight:
    """One key being filled in this process: when it started and, once a request waits on it,
    the waiters' future (made only then: a lone miss pays for no future)."""

    __slots__ = ("_coalescer", "future", "key", "settled", "started")

    def __init__(self, coalescer: LocalCoalescer, key: str, started: float) -> None:
        self._coalescer = coalescer
        self.key = key
        self.started = started
        self.future: asyncio.Future[CacheHit | None] | None = None
        self.settled = False

    def settle(self, entry: CacheHit | None) -> None:
        if self.settled:
            return
        self.settled = True
        flights = self._coalescer.flights
        if flights.get(self.key) is self:
            del flights[self.key]
        future = self.future
        if future is not None and not future.done():
            future.set_result(entry)


class LocalCoalescer:
    """Coalesces the misses of one process. A key's lead has ``timeout`` seconds to settle:
    its waiters wait until then at most, and go to the backend themselves; a lead not settled
    by then (its request is slow, or ended in a way that never settled it) is replaced by the
    next request that misses."""

    __slots__ = ("flights", "timeout")

    def __init__(self, timeout: float) -> None:
        if not 0 < timeout < float("inf"):
            raise ValueError(
                f"the stampede timeout must be a number of seconds > 0, got {timeout!r}"
            )
        self.timeout = timeout
        self.flights: dict[str, _Flight] = {}
        """The keys being filled (for tests and diagnostics: read only)."""

    def for_cache(self, cache: Cache | None) -> LocalCoalescer:
        return self

    def lead(self, key: str) -> Lead | None:
        # time.monotonic, not the loop's time: finding the loop costs a getpid system call,
        # and a lone miss (the common case) needs no loop at all.
        now = time.monotonic()
        flight = self.flights.get(key)
        if flight is None or now - flight.started >= self.timeout:
            flight = self.flights[key] = _Flight(self, key, now)
            return flight
        return None

    async def join(self, key: str) -> Lead | CacheHit | None:
        lead = self.lead(key)
        if lead is not None:
            return lead
        now = time.monotonic()
        flight = self.flights[key]
        future = flight.future
        if future is None:
            future = flight.future = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(flight.started + self.timeout - now):
                # shield: a waiter cancelled (its client gone) must not cancel the others' future
                return await asyncio.shield(future)
        except TimeoutError:
            return None


class _Outcome:
    """The result of waiting for another process when there is no entry to hand out."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


_FILL: Final = _Outcome("fill it yourself")


class SharedLockCoalescer:
    """Coalesces the misses of every process sharing ``cache`` (a cache that holds locks), in
    front of this process's own ``local`` coalescer; see the module's documentation.

    ``timeout`` (seconds) is both the lock's TTL and the longest a process waits for another
    one's entry. ``call_timeout`` bounds each call to the cache (None: the cache bounds its own
    calls). Releases run in ``background`` (the gateway's writes: ``drain()`` waits for them).
    """

    __slots__ = ("_background", "_cache", "_call_timeout", "_local", "_locks", "timeout", "waiting")

    def __init__(
        self,
        local: LocalCoalescer,
        cache: Cache,
        *,
        timeout: float,
        call_timeout: float | None,
        background: BackgroundWrites,
    ) -> None:
        if not isinstance(cache, SupportsLocks):
            raise TypeError(f"the cache {cache.name!r} holds no locks")
        if not 0 < timeout < float("inf"):
            raise ValueError(
                f"the stampede lock timeout must be a number of seconds > 0, got {timeout!r}"
            )
        self._local = local
        self._cache = cache
        self._locks: SupportsLocks = cache
        self._call_timeout = call_timeout
        self._background = background
        self.timeout = timeout
        self.waiting = 0
        """How many leaders of this process wait for another process's entry now (for tests
        and diagnostics: read only)."""

    @property
    def local(self) -> LocalCoalescer:
        """The coalescer of this process's own requests."""
        return self._local

    def for_cache(self, cache: Cache | None) -> Coalescer:
        return self if cache is self._cache else self._local

    def lead(self, key: str) -> Lead | None:
        return None  # (a lead of this process still has the shared lock to take)

    async def join(self, key: str) -> Lead | CacheHit | None:
        joined = await self._local.join(key)
        if joined is None or isinstance(joined, CacheHit):
            return joined  # another request of this process led, and is done
        name = LOCK_NAMESPACE + key
        try:
            token = await self._call(self._locks.acquire_lock(name, self.timeout))
        except Exception as error:
            logger.debug("stampede lock %r not taken: %s", name, describe(error))
            return joined  # protected in this process only
        if token is not None:
            return _LockedLead(self, joined, name, token)
        self.waiting += 1
        try:
            outcome = await self._wait(key, name)
        finally:
            self.waiting -= 1
        if outcome is _FILL:
            return joined
        assert not isinstance(outcome, _Outcome)
        joined.settle(outcome)  # this process's waiters get what this leader got
        return outcome

    async def _wait(self, key: str, name: str) -> CacheHit | _Outcome | None:
        """Poll until another process's entry appears (a hit), its lock goes without one
        (None: everyone to the backend), or the time is up (fill it yourself)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        delay = _FIRST_POLL
        cache, locks = self._cache, self._locks
        try:
            while True:
                left = deadline - loop.time()
                if left <= 0:
                    return _FILL
                await asyncio.sleep(min(delay, left))
                delay = min(2 * delay, _MAX_POLL)
                hit = await self._call(cache.get(key))
                if hit is not None:
                    return hit
                if not await self._call(locks.lock_held(name)):
                    # Released without an entry, or expired with its holder; an entry that
                    # landed just before is still taken.
                    return await self._call(cache.get(key))
        except Exception as error:
            logger.debug("waiting on stampede lock %r failed: %s", name, describe(error))
            return _FILL

    async def _call(self, call: Awaitable[T]) -> T:
        if self._call_timeout is None:
            return await call
        async with asyncio.timeout(self._call_timeout):
            return await call

    def _release(self, name: str, token: str, hold_for: float) -> None:
        self._background.start(lambda: self._released(name, token, hold_for))

    async def _released(self, name: str, token: str, hold_for: float) -> None:
        try:
            await self._call(self._locks.release_lock(name, token, hold_for=hold_for))
        except Exception as error:  # it expires by itself
            logger.debug("stampede lock %r not released: %s", name, describe(error))


class _LockedLead:
    """The lead of a process holding the shared lock: settles its local waiters, then releases
    the lock -- at once when nothing was stored, after a grace otherwise (the entry's write may
    still be on its way, and the other processes' leaders poll for it)."""

    __slots__ = ("_lead", "_name", "_owner", "_settled", "_token")

    def __init__(self, owner: SharedLockCoalescer, lead: Lead, name: str, token: str) -> None:
        self._owner = owner
        self._lead = lead
        self._name = name
        self._token = token
        self._settled = False

    def settle(self, entry: CacheHit | None) -> None:
        if self._settled:
            return
        self._settled = True
        self._lead.settle(entry)
        owner = self._owner
        hold = 0.0
        if entry is not None:
            ttl = entry.ttl_remaining
            hold = owner.timeout if ttl is None else min(ttl, owner.timeout)
        owner._release(self._name, self._token, hold)
