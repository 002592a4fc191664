"""How much memory a full MemoryCache really takes: the process's resident memory growth against
the cache's ``max_bytes``.

``python -m benchmarks.memory [--scale S]`` fills a ``MemoryCache(max_bytes=64 MiB)`` with
200k distinct 1 KiB entries, then with 2k distinct 256 KiB entries (which evict the small ones),
and prints, as JSON, the growth of the resident set size over the empty cache after each phase,
as a multiple of ``max_bytes``. ``--scale`` shrinks the bound and both counts (a quick check).
It runs in a process of its own, so that nothing else has touched its heap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

from aiohttp_apim.cache.memory import MemoryCache

__all__ = ["main", "measure"]

SMALL, SMALL_COUNT = 1024, 200_000
LARGE, LARGE_COUNT = 256 * 1024, 2_000
BOUND = 64 * 1024 * 1024


def rss() -> int:
    """The resident set size of this process, in bytes."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


async def measure(scale: float = 1.0) -> dict[str, float]:
    bound = int(BOUND * scale)
    cache = MemoryCache(max_bytes=bound)
    base = rss()
    for i in range(int(SMALL_COUNT * scale)):
        # Each value distinct (as responses are), made here as a request's body would be.
        await cache.set(f"small:{i}", i.to_bytes(8, "little") * (SMALL // 8), 3600)
    small = rss() - base
    for i in range(int(LARGE_COUNT * scale)):
        await cache.set(f"large:{i}", i.to_bytes(8, "little") * (LARGE // 8), 3600)
    large = rss() - base
    stats = cache.stats()
    return {
        "max_bytes": bound,
        "after_small": small / bound,
        "after_large": large / bound,
        "entries": stats.entries,
        "current_bytes": stats.current_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.scale))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
