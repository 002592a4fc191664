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

:class:`LocalCoalescer` coordinates the requests of one process. A coalescer across processes
(a short lock in a shared cache: ``SET key token NX PX ...``, the other instances waiting for
the entry to appear, bounded by the same timeout) implements the same protocol around a local
one, so that each process sends at most one request to the shared lock; the lookup step does
not change.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiohttp_apim.cache.base import CacheHit

__all__ = ["Coalescer", "Lead", "LocalCoalescer"]


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

    async def join(self, key: str) -> Lead | CacheHit | None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        flight = self.flights.get(key)
        if flight is None or now - flight.started >= self.timeout:
            flight = self.flights[key] = _Flight(self, key, now)
            return flight
        future = flight.future
        if future is None:
            future = flight.future = loop.create_future()
        try:
            async with asyncio.timeout_at(flight.started + self.timeout):
                # shield: a waiter cancelled (its client gone) must not cancel the others' future
                return await asyncio.shield(future)
        except TimeoutError:
            return None
