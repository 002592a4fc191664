"""Talking to caches the way the pipeline must: best effort, bounded in time, never in the way.

* :func:`cache_get` turns every failure (an exception, a timeout) into a miss, logged.
* :class:`BackgroundWrites` runs cache writes as tasks the response never waits for, tracks them
  so that ``gateway.drain()`` can wait for them, and bounds how many may be pending: past the
  bound a write is dropped and counted rather than queued, so a slow cache cannot grow memory
  without limit.
* :class:`FailureLog` keeps a cache that is down from writing one log line per request, and
  counts every failure (``gateway.stats()``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp_apim.cache.base import Cache, CacheHit
from aiohttp_apim.pipeline.throttle import LogThrottle

__all__ = [
    "BackgroundWrites",
    "FailureLog",
    "cache_delete",
    "cache_get",
    "cache_increment",
    "cache_label",
    "cache_read",
    "cache_set",
    "call_timeout",
    "describe",
    "discard_entry",
    "write_entry",
]

logger = logging.getLogger(__name__)


class FailureLog:
    """Logs cache failures at WARNING, at most once per ``interval`` seconds per operation and
    cache; the lines in between are counted and reported with the next one. ``counts`` keeps
    the number of failures per operation (``"read"``, ``"write"``, ``"decode"``...), logged or
    not."""

    def __init__(self, interval: float = 10.0) -> None:
        self.counts: dict[str, int] = {}
        self.by_cache: dict[tuple[str, str], int] = {}
        """Failures per (operation, cache name): what the metrics label them with."""
        self.throttle = LogThrottle(interval)
        """Shared with the other failures a request can meet (the policies' own errors)."""

    @property
    def interval(self) -> float:
        return self.throttle.interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        self.throttle.interval = seconds

    def count(self, *operations: str) -> int:
        """How many failures of these operations there were."""
        counts = self.counts
        return sum(counts.get(operation, 0) for operation in operations)

    def failed(self, operation: str, cache: Cache | None, error: BaseException) -> None:
        self.counts[operation] = self.counts.get(operation, 0) + 1
        label = "" if cache is None else cache_label(cache)
        by_cache = self.by_cache
        by_cache[operation, label] = by_cache.get((operation, label), 0) + 1
        name = label or "the cache"
        suppressed = self.throttle.admit(("cache", operation, name))
        if suppressed is None:
            return
        logger.warning(
            "cache %s on %s failed, carrying on without the cache: %s%s",
            operation,
            name,
            describe(error),
            LogThrottle.note(suppressed),
        )


def cache_label(cache: Cache) -> str:
    """The cache's name for messages (never raises: it may be a user's backend)."""
    try:
        return str(cache.name)
    except Exception:
        return type(cache).__name__


def describe(error: BaseException) -> str:
    """A failure in a few words for a log line or a LastError message."""
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"


def call_timeout(cache: Cache | None, configured: float) -> float | None:
    """The timeout the pipeline puts around a call to ``cache`` (None: no timer), from what the
    cache declares it is (:attr:`Cache.in_process`, :attr:`Cache.bounds_own_calls`).

    An in-process cache never waits, so a timer would only cost time on the hit path. A cache
    that bounds its own calls must be the one to time out: it counts its timeouts towards its
    circuit breaker, while a call cancelled from outside counts as abandoned, so a hung server
    would never open the breaker and would cost a timeout on every request."""
    if cache is None or cache.in_process or cache.bounds_own_calls:
        return None
    return configured


async def cache_get(
    cache: Cache, key: str, timeout: float | None, failures: FailureLog
) -> CacheHit | None:
    """``cache.get(key)``, or None on a miss, an error or a timeout (logged)."""
    try:
        if timeout is None:
            return await cache.get(key)
        async with asyncio.timeout(timeout):
            return await cache.get(key)
    except Exception as error:
        failures.failed("read", cache, error)
        return None


async def cache_read(cache: Cache, key: str, timeout: float | None) -> CacheHit | None:
    """``cache.get(key)`` bounded by ``timeout``; failures are the caller's to handle (unlike
    :func:`cache_get`)."""
    if timeout is None:
        return await cache.get(key)
    async with asyncio.timeout(timeout):
        return await cache.get(key)


async def cache_delete(cache: Cache, key: str, timeout: float | None) -> bool:
    """``cache.delete(key)`` bounded by ``timeout``; failures are the caller's to handle
    (cache-remove-value decides whether they fail the request)."""
    if timeout is None:
        return await cache.delete(key)
    async with asyncio.timeout(timeout):
        return await cache.delete(key)


async def cache_increment(
    cache: Cache, key: str, amount: int, ttl: float, timeout: float | None
) -> int:
    """``cache.increment(...)`` bounded by ``timeout``; failures are the caller's to handle."""
    if timeout is None:
        return await cache.increment(key, amount, ttl)
    async with asyncio.timeout(timeout):
        return await cache.increment(key, amount, ttl)


async def cache_set(
    cache: Cache, key: str, value: bytes, ttl: float, timeout: float | None, failures: FailureLog
) -> None:
    """``cache.set(...)``; a failure or a timeout is logged and otherwise ignored."""
    try:
        if timeout is None:
            await cache.set(key, value, ttl)
        else:
            async with asyncio.timeout(timeout):
                await cache.set(key, value, ttl)
    except Exception as error:
        failures.failed("write", cache, error)


class BackgroundWrites:
    """The cache writes of a gateway that are still running."""

    def __init__(self, limit: int = 1000) -> None:
        if limit < 1:
            raise ValueError(f"the bound on pending cache writes must be >= 1, got {limit!r}")
        self.limit = limit
        self.dropped = 0
        """Writes not started because ``limit`` writes were already pending."""
        self.crashed = 0
        """Writes whose coroutine raised (a bug: writes handle their own errors); logged."""
        self.abandoned = 0
        """Writes cancelled because they were still running at the shutdown deadline."""
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        return len(self._tasks)

    def start(self, write: Callable[[], Coroutine[Any, Any, None]]) -> bool:
        """Run ``write()`` in the background; False (and counted) when too many are pending.

        ``write`` is a factory so that a dropped write never creates a coroutine that is never
        awaited. The coroutine must handle its own errors (``cache_set`` does)."""
        if len(self._tasks) >= self.limit:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning(
                    "%d cache writes pending; dropped %d so far (the cache is slower than the "
                    "traffic)",
                    len(self._tasks),
                    self.dropped,
                )
            return False
        task = asyncio.get_running_loop().create_task(write())
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return True

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:  # never lost silently (nor as "exception never retrieved")
            self.crashed += 1
            logger.error("a background cache write failed unexpectedly", exc_info=error)

    async def drain(self) -> None:
        """Wait until every write started so far (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def shutdown(self, timeout: float) -> int:
        """Drain for at most ``timeout`` seconds, then cancel the writes still running, count
        them in :attr:`abandoned` and log how many. Returns how many were cancelled."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await asyncio.wait(set(self._tasks), timeout=remaining)
        left = list(self._tasks)
        if not left:
            return 0
        for task in left:
            task.cancel()
        # Let the cancellations run (bounded: a backend that swallows them is not waited for).
        await asyncio.wait(left, timeout=timeout)
        self.abandoned += len(left)
        logger.warning(
            "shutting down with %d cache writes still pending after %s seconds: cancelled, "
            "those entries are not stored",
            len(left),
            timeout,
        )
        return len(left)


async def write_entry(
    background: BackgroundWrites,
    failures: FailureLog,
    cache: Cache,
    key: str,
    data: bytes,
    ttl: float,
    timeout: float,
) -> bool:
    """Store ``data`` the way the pipeline writes -- response entries and values alike: at once
    in an in-process cache (it never waits, and the next request sees the entry), else as a
    background write that the response never waits for. False when the write was dropped
    (too many pending)."""
    if cache.in_process:
        try:  # (cache_set's rule, without a frame of its own: this is every miss's store)
            await cache.set(key, data, ttl)
        except Exception as error:
            failures.failed("write", cache, error)
        return True
    return start_write(background, failures, cache, key, data, ttl, timeout)


def start_write(
    background: BackgroundWrites,
    failures: FailureLog,
    cache: Cache,
    key: str,
    data: bytes,
    ttl: float,
    timeout: float,
) -> bool:
    """:func:`write_entry` for a cache that is not in process: the background write started,
    without an await; False when it was dropped (too many pending)."""
    bounded = call_timeout(cache, timeout)
    return background.start(lambda: cache_set(cache, key, data, ttl, bounded, failures))


async def discard_entry(
    background: BackgroundWrites,
    failures: FailureLog,
    cache: Cache,
    key: str,
    timeout: float,
) -> None:
    """Remove an entry found bad (damaged, foreign, not ours), best effort: at once from an
    in-process cache (before this request's own store can land there), else in the background
    like a write. A failure is logged and counted as a failed removal."""
    if cache.in_process:
        await _delete_quietly(cache, key, None, failures)
        return
    bounded = call_timeout(cache, timeout)
    background.start(lambda: _delete_quietly(cache, key, bounded, failures))


async def _delete_quietly(
    cache: Cache, key: str, timeout: float | None, failures: FailureLog
) -> None:
    try:
        await cache_delete(cache, key, timeout)
    except Exception as error:
        failures.failed("remove", cache, error)
