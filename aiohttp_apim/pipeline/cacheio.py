"""Talking to caches the way the pipeline must: best effort, bounded in time, never in the way.

* :func:`cache_get` turns every failure (an exception, a timeout) into a miss, logged.
* :class:`BackgroundWrites` runs cache writes as tasks the response never waits for, tracks them
  so that ``gateway.drain()`` can wait for them, and bounds how many may be pending: past the
  bound a write is dropped and counted rather than queued, so a slow cache cannot grow memory
  without limit.
* :class:`FailureLog` keeps a cache that is down from writing one log line per request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp_apim.cache.base import Cache, CacheHit
from aiohttp_apim.cache.memory import MemoryCache

__all__ = ["BackgroundWrites", "FailureLog", "cache_get", "cache_set", "needs_timeout"]

logger = logging.getLogger(__name__)


class FailureLog:
    """Logs cache failures at WARNING, at most once per ``interval`` seconds per operation and
    cache; the lines in between are counted and reported with the next one."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[tuple[str, str], float] = {}
        self._suppressed: dict[tuple[str, str], int] = {}

    def failed(self, operation: str, cache: Cache, error: BaseException) -> None:
        name = _cache_name(cache)
        slot = (operation, name)
        now = time.monotonic()
        last = self._last.get(slot)
        if last is not None and now - last < self.interval:
            self._suppressed[slot] = self._suppressed.get(slot, 0) + 1
            return
        self._last[slot] = now
        suppressed = self._suppressed.pop(slot, 0)
        logger.warning(
            "cache %s on %s failed, carrying on without the cache: %s%s",
            operation,
            name,
            _describe(error),
            f" ({suppressed} similar failures not logged)" if suppressed else "",
        )


def _cache_name(cache: Cache) -> str:
    try:
        return str(cache.name)
    except Exception:
        return type(cache).__name__


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"


def needs_timeout(cache: Cache) -> bool:
    """Whether calls to ``cache`` need a timeout. The in-process cache never waits for anything
    (its methods do not await), so a timer per lookup would only cost time on the hit path."""
    return type(cache) is not MemoryCache


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
        task.add_done_callback(self._tasks.discard)
        return True

    async def drain(self) -> None:
        """Wait until every write started so far (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
