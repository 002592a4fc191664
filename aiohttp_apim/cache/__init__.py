"""Cache backends behind one async, bytes-based interface (:class:`Cache`).

``base`` holds the interface and its types, ``memory`` the in-process cache. Redis lives in its
own module, the only one that imports redis, so it is not imported here.
"""

from __future__ import annotations

from aiohttp_apim.cache.base import (
    Cache,
    CacheBusy,
    CacheHit,
    CacheUnavailable,
    Clock,
    ClockBindable,
)
from aiohttp_apim.cache.memory import MemoryCache, MemoryCacheStats

__all__ = [
    "Cache",
    "CacheBusy",
    "CacheHit",
    "CacheUnavailable",
    "Clock",
    "ClockBindable",
    "MemoryCache",
    "MemoryCacheStats",
]
