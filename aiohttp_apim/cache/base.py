"""The interface every cache backend implements, and the types it speaks in.

The pipeline talks to caches only through :class:`Cache`: an async, bytes-in/bytes-out store with
per-entry TTLs and an atomic counter. Encoding values (responses, typed variables) to bytes is the
pipeline's job (its codecs), not the backend's, so a backend never interprets what it stores
(except the decimal counters that :meth:`Cache.increment` keeps, which Redis also keeps as
decimal text).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, final, runtime_checkable

from aiohttp_apim.cache.breaker import CircuitBreaker
from aiohttp_apim.errors import CacheBusy, CacheUnavailable

__all__ = [
    "Cache",
    "CacheBusy",
    "CacheHit",
    "CacheUnavailable",
    "CacheUsage",
    "ChangeListener",
    "Clock",
    "ClockBindable",
    "HoldsInProcess",
    "ReadsInProcess",
    "ReportsBreakers",
    "ReportsUsage",
    "SupportsLocks",
    "SupportsTracking",
    "Tracking",
]

Clock = Callable[[], float]
"""A zero-argument callable returning the current time in seconds (only differences matter)."""


@final
# Not frozen on purpose: a frozen dataclass's __init__ costs ~2.5x a plain one, and this object
# is made on every hit. Each hit gets its own CacheHit, so mutating one cannot reach the cache.
@dataclass(slots=True)
class CacheHit:
    """A value found in a cache.

    ``value`` is the stored bytes exactly (possibly ``b""``: a stored empty value is a hit, which is
    why a miss is ``None`` and not an empty value). ``ttl_remaining`` is the number of seconds
    before the entry expires, or ``None`` when the entry has no expiry (possible only for entries a
    backend did not write itself, e.g. a Redis key set by another tool).
    """

    value: bytes
    ttl_remaining: float | None


@runtime_checkable
class Cache(Protocol):
    """An async key-value store with per-entry time-to-live: what every cache backend implements.

    Keys are any ``str`` (unicode, spaces, control characters, empty, long, even lone surrogates
    that undecodable request bytes can leave); a backend that needs bytes encodes them as UTF-8
    with ``"surrogatepass"``, and two different strings are always two different keys. Values
    are ``bytes`` and come back byte for byte. A TTL is in seconds, finite and ``> 0``; anything
    else raises :class:`ValueError` and changes nothing (the pipeline decides what a zero or
    negative ``duration`` means before it gets here). Entries may disappear before their TTL
    (eviction, restarts): a cache is never the only copy of anything.

    **Failure contract.** A backend raises :class:`CacheUnavailable` when it cannot do what was
    asked for a reason of its own (connection refused, timeout, protocol error), and
    :class:`ValueError` for arguments it will never accept. The caller, the pipeline, treats *any*
    exception from a cache as "a miss" for reads and "done" for writes, logs it, and carries on,
    and it bounds every call with a short timeout. So a backend must not retry for long, nor hide
    a failure as a miss itself: the pipeline logs failures, and ``cache-remove-value`` with
    ``fail-on-cache-removal-error="true"`` must see them. A backend that gave up for a reason of
    this process (no connection ready within the budget) raises :class:`CacheBusy`, a kind of
    :class:`CacheUnavailable`: a rate limit then waits and tries again instead of letting the
    call through uncounted.

    **Concurrency.** Every method is safe to call concurrently from tasks of one event loop; one
    cache object may serve several gateways at once. ``increment`` is atomic.

    Backends should subclass ``Cache`` explicitly: that makes a missing method an error where the
    backend is defined, and gives them the defaults of :meth:`get_many` and of the capability
    properties (:attr:`in_process`, :attr:`bounds_own_calls`), which a backend overrides to
    declare what it is.
    """

    @property
    def name(self) -> str:
        """A short name for logs and metrics, e.g. ``"memory"`` or ``"redis"``."""
        ...

    # -- capabilities: what the pipeline may assume about the backend ------------------------

    @property
    def in_process(self) -> bool:
        """Whether every operation completes without waiting for I/O (an in-process store).

        The pipeline then calls the cache without a timer and writes to it on the request path
        (a store is visible to the very next request, no background task is made), and, as the
        values live in this process's memory and come back as the objects stored, it binds a
        response entry to its key without checksumming it (a gateway with a signing key still
        signs it). A backend whose values leave the process (a file, shared memory, a server)
        must not declare this. Default: False -- calls are timed and writes run in the
        background.
        """
        return False

    @property
    def bounds_own_calls(self) -> bool:
        """Whether the backend bounds every operation in time itself, and keeps its own count
        of failures (a circuit breaker).

        The pipeline then adds no timer of its own: a call cancelled from outside would count
        as abandoned rather than failed, so a hung server would never open the backend's
        breaker. Default: False -- the gateway bounds each call (``cache_timeout``,
        ``cache_write_timeout``), and a backend must then not retry for long.
        """
        return False

    async def get(self, key: str) -> CacheHit | None:
        """Return the entry stored under ``key``, or ``None`` when there is none (or it expired)."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[CacheHit | None]:
        """Return one result per key, in the order given (``None`` for each miss).

        The default calls :meth:`get` once per key; backends with a round-trip per call (Redis)
        override it to fetch everything at once.
        """
        if isinstance(keys, str):
            # A str is a Sequence[str] to the type checker; one key passed alone is a bug.
            raise TypeError("get_many() takes a sequence of keys, not a single str")
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any entry (and its TTL).

        A backend may decline to keep a value it considers too large; it then also drops any
        older entry under ``key``, so a later read never returns a value the caller replaced.
        """
        ...

    async def delete(self, key: str) -> bool:
        """Remove ``key``; return whether an (unexpired) entry was there."""
        ...

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        """Atomically add ``amount`` to the counter under ``key`` and return the new value.

        An absent (or expired) key starts from 0 and gets ``ttl``: the counter's window opens at
        its first increment, and later increments never extend it (``ttl`` is used only when the
        key is created). The counter is stored as ASCII decimal bytes, so :meth:`get` returns e.g.
        ``b"3"`` and :meth:`set` may seed it. Raises :class:`ValueError` when the stored value is
        not a canonical decimal integer or the result leaves the signed 64-bit range (Redis's
        limits, kept by every backend so that they behave the same).
        """
        ...

    async def close(self) -> None:
        """Release what the backend holds (connections, memory). Idempotent.

        Whoever created a cache closes it: the gateway closes only the caches it made itself.
        """
        ...


@runtime_checkable
class ReadsInProcess(Protocol):
    """A cache that holds entries in this process (all of them, or copies of some) and can read
    them there without awaiting (:class:`~aiohttp_apim.MemoryCache`, a
    :class:`~aiohttp_apim.NearCache`'s near tier).

    A hit costs a memory hit's work, and awaiting :meth:`Cache.get` for it would add a coroutine
    to every hit: the pipeline reads here first, and awaits :meth:`Cache.get` only for what this
    process does not hold.
    """

    def get_in_process(self, key: str) -> CacheHit | None:
        """What :meth:`Cache.get` returns for ``key`` when this process holds an unexpired entry
        for it (counted as a hit, as :meth:`Cache.get` counts it); else None, which is not a
        miss: the entry may be elsewhere, and :meth:`Cache.get` must then answer (and count
        the miss). Never waits for I/O, never raises for a key :meth:`Cache.get` accepts."""
        ...


@runtime_checkable
class HoldsInProcess(Protocol):
    """A cache that holds every entry in this process (:class:`~aiohttp_apim.MemoryCache`), so
    that its reads and writes need no await: :meth:`get_now` and :meth:`set_now` are
    :meth:`Cache.get` and :meth:`Cache.set` as plain calls -- the same results, counts, checks
    and errors.

    A request that misses reads once and stores once; on an in-process cache, awaiting each of
    those costs a coroutine (about 1,200 instructions) for nothing that can wait. A cache whose
    :meth:`Cache.get` or :meth:`Cache.set` does more than these (a subclass that counts or fails
    them) must not declare this, or must do the same here.
    """

    def get_now(self, key: str) -> CacheHit | None:
        """What :meth:`Cache.get` returns for ``key``, without awaiting (None: a miss)."""
        ...

    def set_now(self, key: str, value: bytes, ttl: float) -> None:
        """What :meth:`Cache.set` does, without awaiting."""
        ...


@runtime_checkable
class ClockBindable(Protocol):
    """A cache that keeps time itself (an in-process cache) and can follow a gateway's clock.

    ``setup(clock=...)`` calls :meth:`bind_clock` on such a cache so that tests stepping the clock
    step cache expiry too. A backend whose server keeps time (Redis) does not implement this.
    """

    def bind_clock(self, clock: Clock) -> bool:
        """Follow ``clock`` from now on, unless the cache was given its own clock explicitly.

        Returns whether the cache now follows ``clock``.
        """
        ...


@runtime_checkable
class SupportsLocks(Protocol):
    """A cache shared by several processes that can also hold short locks for them (Redis).

    A lock is named like an entry and lives in the same key space, so callers keep lock names
    apart from their entries' (the gateway's are ``lock|`` followed by the entry's key). A lock
    expires by itself after its TTL, so one whose holder died frees itself; only the holder,
    identified by the token :meth:`acquire_lock` gave it, releases it. Failures follow the
    :class:`Cache` contract: :class:`CacheUnavailable` when the backend cannot answer.
    """

    async def acquire_lock(self, name: str, ttl: float) -> str | None:
        """Take the lock ``name`` for ``ttl`` seconds (finite, > 0) if no one holds it: the
        holder's token, or None when it is held already."""
        ...

    async def release_lock(self, name: str, token: str, *, hold_for: float = 0.0) -> bool:
        """Release the lock ``name`` if ``token`` still holds it; return whether it did.

        ``hold_for`` > 0 leaves the lock held that many seconds more (never longer than it had
        left) instead of removing it: the holder is done, and others must still wait a little,
        e.g. for a write it started to land."""
        ...

    async def lock_held(self, name: str) -> bool:
        """Whether anyone holds the lock ``name`` now."""
        ...


class ChangeListener(Protocol):
    """What :meth:`SupportsTracking.track` reports to: keys that changed (from any process)."""

    async def keys_changed(self, keys: Sequence[str]) -> None:
        """``keys`` were written, removed or expired since they were last read."""
        ...

    async def all_changed(self) -> None:
        """Any key may have changed: reports may have been missed (the feed was connected, or
        connected again after a gap), or the whole store was flushed."""
        ...


class Tracking(Protocol):
    """A feed of changes (what :meth:`SupportsTracking.track` returns)."""

    def start(self) -> None:
        """Connect in the background, on the running event loop, unless running already: cheap
        enough to call before every read that may be kept. Also after :meth:`close`."""
        ...

    @property
    def live(self) -> bool:
        """Whether every change is being reported now. False before the feed has connected and
        while it is reconnecting: a change made then may never be reported (the listener is
        told :meth:`ChangeListener.all_changed` once it is live again)."""
        ...

    async def close(self) -> None:
        """Stop the feed and release its connections (:meth:`start` runs it again).
        Idempotent."""
        ...


@runtime_checkable
class SupportsTracking(Protocol):
    """A shared cache that tells which of its keys change, whoever changes them: what an
    in-process copy of its entries (:class:`~aiohttp_apim.cache.near.NearCache`) needs to stay
    correct."""

    async def fetch(self, keys: Sequence[str]) -> list[CacheHit | None]:
        """The entries under ``keys`` (None for each miss), each with the time the store itself
        has left for it, less the time its answer took to come back: how long a copy may live
        (a hit from :meth:`Cache.get` may carry a writer's estimate, off by the writer's clock)."""
        ...

    def track(self, listener: ChangeListener) -> Tracking:
        """A feed reporting changes of this cache's keys to ``listener``, from
        :meth:`Tracking.start` on. Raises :class:`TypeError` when this cache cannot track
        (e.g. over a client whose address it does not know)."""
        ...


class CacheUsage(Protocol):
    """How much an in-process cache holds now."""

    @property
    def entries(self) -> int: ...

    @property
    def current_bytes(self) -> int: ...


@runtime_checkable
class ReportsUsage(Protocol):
    """A cache that holds entries in this process and says how many, in how many bytes
    (:class:`~aiohttp_apim.MemoryCache`, a :class:`~aiohttp_apim.NearCache`'s near tier):
    what the metrics' memory gauges read."""

    def stats(self) -> CacheUsage:
        """A snapshot with at least ``entries`` and ``current_bytes``."""
        ...


@runtime_checkable
class ReportsBreakers(Protocol):
    """A cache guarded by circuit breakers (:class:`~aiohttp_apim.RedisCache`: one, or one per
    cluster primary), whose state changes the metrics count."""

    @property
    def breakers(self) -> Mapping[str, CircuitBreaker]:
        """Every breaker, by the node it guards (``""`` for the cache as a whole)."""
        ...
