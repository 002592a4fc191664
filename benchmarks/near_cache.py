"""What one hit costs in process: ``cache.get`` of a 1 KiB entry from a MemoryCache, from a
NearCache's near tier, and from Redis (a RedisCache on a private redis-server), in µs per call
(best of a few runs). The same hit through the whole gateway under load is the ``apim-hit``,
``apim-redis-near-hit`` and ``apim-redis-hit`` rows of ``python -m benchmarks``.

Usage: python -m benchmarks.near_cache
"""

from __future__ import annotations

import asyncio
import time

import aiohttp_apim
from aiohttp_apim.cache import Cache
from benchmarks.load import RedisServer

KEY = "k"
VALUE = b"x" * 1024


async def per_call(cache: Cache, count: int, runs: int = 3) -> float:
    """µs per ``cache.get(KEY)``, the best of ``runs``."""
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(count):
            await cache.get(KEY)
        best = min(best, (time.perf_counter() - started) / count * 1e6)
    return best


async def measure(redis_url: str) -> dict[str, float]:
    memory = aiohttp_apim.MemoryCache()
    redis = aiohttp_apim.RedisCache.from_url(redis_url, prefix="bench:get:")
    near = aiohttp_apim.NearCache(aiohttp_apim.RedisCache.from_url(redis_url, prefix="bench:get:"))
    try:
        await memory.set(KEY, VALUE, 300)
        await redis.set(KEY, VALUE, 300)
        while await near.local.get(KEY) is None:  # kept once the feed of changes is live
            await near.get(KEY)
            await asyncio.sleep(0.01)
        return {
            "memory": await per_call(memory, 50_000),
            "near": await per_call(near, 50_000),
            "redis": await per_call(redis, 2_000),
        }
    finally:
        await near.close()
        await redis.close()


def main() -> int:
    server = RedisServer(())
    try:
        costs = asyncio.run(measure(server.url))
    finally:
        server.stop()
    for name, micros in costs.items():
        print(f"{name:<7} {micros:8.2f} µs per cache.get hit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
