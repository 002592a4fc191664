"""The response-cache decisions that are plain functions of plain data (spec 4-5), so they are
tested without a server (the hishel way); the steps in ``pipeline.steps.caching`` only drive I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from aiohttp_apim.pipeline.headers import HOP_BY_HOP
from aiohttp_apim.policy.model import DownstreamCachingType

__all__ = [
    "CACHE_REQUEST_HEADERS",
    "MAX_DURATION",
    "downstream_cache_control",
    "remaining_seconds",
    "storable_headers",
    "store_duration",
]

CACHE_REQUEST_HEADERS = (
    "Cache-Control",
    "Pragma",
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
    "If-Range",
)
"""Request headers removed before the backend on a miss, so that it answers in full (a 304 or a
412 would be useless to store); spec 4.6 step 3."""

MAX_DURATION = 2**31 - 1
"""The largest duration APIM accepts (seconds); longer ones are clamped to it (spec 3.3)."""

# Never part of a stored entry: hop-by-hop headers describe the backend's connection, the length
# is recomputed from the body, and a cookie set for one caller must not be replayed to another
# (spec 13 leaves Set-Cookie open; a shared cache replaying it would leak sessions).
_NOT_STORED = HOP_BY_HOP | {"content-length", "set-cookie"}


def storable_headers(lines: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The header lines a cache entry keeps, in order."""
    return [(name, value) for name, value in lines if name.lower() not in _NOT_STORED]


def store_duration(duration: int) -> int | None:
    """The TTL to store with, or None when ``cache-store`` must not store (``<= 0``)."""
    if duration <= 0:
        return None
    return min(duration, MAX_DURATION)


def remaining_seconds(ttl_remaining: float | None) -> int:
    """``max-age`` on a hit: the entry's remaining lifetime in whole seconds, never more."""
    if ttl_remaining is None or ttl_remaining <= 0:
        return 0
    return min(math.floor(ttl_remaining), MAX_DURATION)


_NO_CACHE = "no-cache"


def downstream_cache_control(
    kind: DownstreamCachingType, must_revalidate: bool, max_age: int
) -> str:
    """The ``Cache-Control`` a cached (or just stored) response goes out with (spec 4.7)."""
    if kind is DownstreamCachingType.NONE:
        return _NO_CACHE
    text = f"{kind.value}, max-age={max_age}"
    return text + ", must-revalidate" if must_revalidate else text
