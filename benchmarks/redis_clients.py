"""Which Redis client serves a cache hit fastest: redis.asyncio (with and without hiredis, with
its default and its blocking pool), coredis and valkey-glide, on the hit path of the cache.

A hit is one read of one stored value. Two shapes are measured for each client: a plain ``GET``
(what ``RedisCache.get`` sends: the entry's expiry is packed into it) and ``EVALSHA`` of a read
script returning the value and its ``PTTL`` in one atomic step (what it sent before). Then
``RedisCache.get`` itself on each library (breaker, packing and all). 50 tasks read concurrently, for 1 KiB and 1 MiB values, against a private
``redis-server`` on loopback; each client runs several alternating rounds and the median of its
reads per second is printed, with its ratio to redis.asyncio (hiredis, default pool) on ``GET``.

Measured (2026-12, a shared 2-core x86-64 machine under load ~3, loopback redis-server 7.0,
redis-py 8.2 + hiredis 3.5, coredis 6.9, valkey-glide 2.6; median of 3 rounds of 1 s; reads/s and
ratio to redis.asyncio with hiredis on GET):

    client                                  value   GET           EVALSHA
    redis.asyncio (hiredis)                 1 KiB    9785 1.00     9097 0.93
    redis.asyncio (hiredis, blocking pool)  1 KiB    6281 0.64     6284 0.64
    redis.asyncio (pure Python parser)      1 KiB    8865 0.91     7569 0.77
    coredis                                 1 KiB   10000 1.02     6725 0.69
    valkey-glide                            1 KiB   29635 3.03    25535 2.61
    RedisCache.get (valkey-glide)           1 KiB   15944 1.63
    RedisCache.get (redis.asyncio)          1 KiB    7492 0.77
    redis.asyncio (hiredis)                 1 MiB     367 1.00      208 0.57
    redis.asyncio (hiredis, blocking pool)  1 MiB     446 1.22      208 0.57
    redis.asyncio (pure Python parser)      1 MiB     442 1.21      185 0.50
    coredis                                 1 MiB     254 0.69      151 0.41
    valkey-glide                            1 MiB     624 1.70      217 0.59
    RedisCache.get (valkey-glide)           1 MiB     456 1.24
    RedisCache.get (redis.asyncio)          1 MiB     360 0.98

What it decided: valkey-glide reads 1.7-3.0x as fast as redis.asyncio (>= 1.3x), so it is the
default client of ``RedisCache.from_url``; ``RedisCache.get`` on it is 2.1x (1 KiB) and 1.3x
(1 MiB) ``RedisCache.get`` on redis.asyncio. coredis is no faster than redis.asyncio. The read
script costs 10-40% at 1 KiB and about half at 1 MiB (the server copies the value into Lua and
back), so an entry keeps its expiry inside the value and a hit is one ``GET``. An earlier run on a
quieter machine gave redis.asyncio 14.8k, glide 35.9k (2.4x) reads/s at 1 KiB; numbers move with
the machine's load, ratios much less.

Usage: python benchmarks/redis_clients.py [--seconds 2] [--rounds 3] [--concurrency 50]
Needs redis-server on PATH; clients that are not installed are skipped
(pip install hiredis coredis valkey-glide).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp_apim.cache.redis import _READ

# The cache's own read script (value and PTTL in one atomic step).
READ_SCRIPT = _READ.source
READ_SHA = _READ.sha

Read = Callable[[bytes], Awaitable[Any]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def redis_server() -> Any:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not on PATH")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            for _ in range(200):
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                    break
                time.sleep(0.02)
            yield port
        finally:
            process.kill()
            process.wait()


@contextlib.asynccontextmanager
async def redis_py(port: int, *, hiredis: bool, blocking: bool) -> AsyncIterator[tuple[Read, Read]]:
    from redis._parsers import _AsyncHiredisParser, _AsyncRESP2Parser
    from redis.asyncio import BlockingConnectionPool, ConnectionPool, Redis

    parser = _AsyncHiredisParser if hiredis else _AsyncRESP2Parser
    pool_class = BlockingConnectionPool if blocking else ConnectionPool
    pool = pool_class(host="127.0.0.1", port=port, parser_class=parser, max_connections=100)
    client = Redis(connection_pool=pool)
    run: Callable[..., Awaitable[Any]] = client.execute_command

    async def get(key: bytes) -> Any:
        return await run("GET", key)

    async def evalsha(key: bytes) -> Any:
        return await run("EVALSHA", READ_SHA, 1, key)

    try:
        yield get, evalsha
    finally:
        await client.aclose()


@contextlib.asynccontextmanager
async def coredis_client(port: int) -> AsyncIterator[tuple[Read, Read]]:
    # Optional: only this comparison needs it (not a dependency of the project, nor of its tests).
    coredis: Any = importlib.import_module("coredis")

    client: Any = coredis.Redis(host="127.0.0.1", port=port, decode_responses=False)

    async def get(key: bytes) -> Any:
        return await client.get(key)

    async def evalsha(key: bytes) -> Any:
        return await client.evalsha(READ_SHA, keys=[key])

    async with client:
        yield get, evalsha


@contextlib.asynccontextmanager
async def glide_client(port: int) -> AsyncIterator[tuple[Read, Read]]:
    from glide import GlideClient, GlideClientConfiguration, NodeAddress

    config = GlideClientConfiguration([NodeAddress("127.0.0.1", port)], request_timeout=5000)
    client = await GlideClient.create(config)

    async def get(key: bytes) -> Any:
        return await client.get(key)

    async def evalsha(key: bytes) -> Any:
        return await client.custom_command([b"EVALSHA", READ_SHA.encode(), b"1", key])

    try:
        yield get, evalsha
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def cache_on(port: int, library: str) -> AsyncIterator[tuple[Read, Read | None]]:
    """RedisCache's own hit path: ``get()`` of an entry it stored (one packed GET)."""
    from aiohttp_apim.cache.redis import RedisCache

    cache = RedisCache.from_url(f"redis://127.0.0.1:{port}/0", client=library)  # type: ignore[arg-type]
    stored: set[bytes] = set()

    async def get(key: bytes) -> Any:
        if key not in stored:
            size = 1024 if key.endswith(b"KiB") else 1024 * 1024
            await cache.set(key.decode(), b"x" * size, 3600)
            stored.add(key)
        hit = await cache.get(key.decode())
        assert hit is not None
        return hit

    try:
        yield get, None
    finally:
        await cache.close()


Client = Callable[[int], contextlib.AbstractAsyncContextManager[tuple[Read, Read | None]]]
CLIENTS: dict[str, Client] = {
    "redis.asyncio (hiredis)": lambda port: redis_py(port, hiredis=True, blocking=False),
    "redis.asyncio (hiredis, blocking pool)": lambda port: redis_py(
        port, hiredis=True, blocking=True
    ),
    "redis.asyncio (pure Python parser)": lambda port: redis_py(
        port, hiredis=False, blocking=False
    ),
    "coredis": coredis_client,
    "valkey-glide": glide_client,
    "RedisCache.get (valkey-glide)": lambda port: cache_on(port, "glide"),
    "RedisCache.get (redis.asyncio, hiredis)": lambda port: cache_on(port, "redis-py"),
}


def available(name: str) -> bool:
    module = {"coredis": "coredis", "valkey-glide": "glide"}.get(name)
    if "valkey-glide" in name:
        module = "glide"
    if name.endswith("(hiredis)") or "hiredis," in name:
        module = "hiredis"
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


async def measure(read: Read, key: bytes, seconds: float, concurrency: int) -> float:
    """Reads per second with ``concurrency`` tasks reading for ``seconds``."""
    done = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < stop:
            await read(key)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - start)


async def run(port: int, seconds: float, rounds: int, concurrency: int) -> None:
    import redis

    setup = redis.Redis(host="127.0.0.1", port=port)
    sizes = {"1 KiB": 1024, "1 MiB": 1024 * 1024}
    for label, size in sizes.items():
        setup.set(b"bench:" + label.encode(), b"x" * size, px=3_600_000)
    setup.script_load(READ_SCRIPT)
    names = [name for name in CLIENTS if available(name)]
    results: dict[tuple[str, str, str], list[float]] = {}
    for _ in range(rounds):
        for name in names:
            async with CLIENTS[name](port) as (get, evalsha):
                for label in sizes:
                    key = b"bench:" + label.encode()
                    for shape, read in (("GET", get), ("EVALSHA", evalsha)):
                        if read is None:
                            continue
                        await read(key)  # connect, warm up
                        rate = await measure(read, key, seconds, concurrency)
                        results.setdefault((name, label, shape), []).append(rate)
    setup.close()
    base = {
        (label, shape): statistics.median(results[("redis.asyncio (hiredis)", label, "GET")])
        for label in sizes
        for shape in ("GET", "EVALSHA")
        if ("redis.asyncio (hiredis)", label, "GET") in results
    }
    print(f"{concurrency} concurrent reads, median of {rounds} rounds of {seconds:g} s")
    print(f"{'client':42} {'value':6} {'shape':8} {'reads/s':>9} {'ratio':>6}")
    for (name, label, shape), rates in results.items():
        median = statistics.median(rates)
        reference = base.get((label, shape))
        ratio = f"{median / reference:.2f}" if reference else "-"
        print(f"{name:42} {label:6} {shape:8} {median:9.0f} {ratio:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    with redis_server() as port:
        asyncio.run(run(port, args.seconds, args.rounds, args.concurrency))


if __name__ == "__main__":
    main()
