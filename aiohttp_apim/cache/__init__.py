"""Cache backends behind one async, bytes-based interface (:class:`Cache`).

``base`` holds the interface, its types and the capability protocols beside it (locks, change
tracking, sizes and breakers to report), ``memory`` the in-process cache, ``near`` the near cache (an in-process tier in front
of a shared cache). Redis lives in its own modules, the only ones that import redis, so they are
not imported here.
"""

from __future__ import annotations

from aiohttp_apim.cache.base import (
    Cache,
    CacheBusy,
    CacheHit,
    CacheUnavailable,
    ChangeListener,
    Clock,
    ClockBindable,
    ReportsBreakers,
    ReportsUsage,
    SupportsLocks,
    SupportsTracking,
    Tracking,
)
from aiohttp_apim.cache.memory import MemoryCache, MemoryCacheStats
from aiohttp_apim.cache.near import NearCache

__all__ = [
    "Cache",
    "CacheBusy",
    "CacheHit",
    "CacheUnavailable",
    "ChangeListener",
    "Clock",
    "ClockBindable",
    "MemoryCache",
    "MemoryCacheStats",
    "NearCache",
    "ReportsBreakers",
    "ReportsUsage",
    "SupportsLocks",
    "SupportsTracking",
    "Tracking",
]
