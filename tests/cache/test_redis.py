"""RedisCache beyond the backend contract, against real redis-server processes: construction and
URLs, key layout and TTLs in Redis, prefixes, many cache objects on one Redis, client ownership,
keys of other types, the cluster's slots, and failures: a server that is down, frozen or slow,
and its recovery behind the circuit breaker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import redis.exceptions
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot

from aiohttp_apim.cache import Cache, CacheBusy, CacheHit, CacheUnavailable
from aiohttp_apim.cache.breaker import BreakerState, CircuitBreaker
from aiohttp_apim.cache.redis import _MAX_TTL_MS, GLIDE, ClientChoice, RedisCache, _ttl_ms
from tests.cache.contract import ManualClock
from tests.conftest import RedisServerFactory
from tests.faultproxy import FaultProxy
from tests.redis_server import RedisClusterServers, RedisServer, admin, free_port

# Slack for "fails within operation_timeout" on a busy machine.
SLACK = 0.25
# The operation timeout of tests that are not about time: generous, for a busy machine (and
# a cluster client's first operation, which discovers the nodes).
RELAXED = 2.0


@pytest.fixture
async def cache(
    redis_server: RedisServer, redis_prefix: str, library: ClientChoice
) -> AsyncIterator[RedisCache]:
    cache = RedisCache.from_url(
        redis_server.url, prefix=redis_prefix, operation_timeout=RELAXED, client=library
    )
    yield cache
    await cache.close()


@pytest.fixture
async def raw(redis_server: RedisServer) -> AsyncIterator[Redis]:
    """A plain client on the session server, to look at what the cache wrote."""
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def cluster_cache(
    redis_cluster: RedisClusterServers, redis_prefix: str, library: ClientChoice
) -> AsyncIterator[RedisCache]:
    cache = RedisCache.from_url(
        f"redis+cluster://127.0.0.1:{redis_cluster.ports[0]}",
        prefix=redis_prefix,
        operation_timeout=RELAXED,
        client=library,
    )
    yield cache
    await cache.close()


def state(breaker: CircuitBreaker) -> BreakerState:
    """The breaker's state (a call, so that mypy does not narrow it from one assert to the next)."""
    return breaker.state


async def command(client: Redis, *args: Any) -> Any:
    """Send one command (typed alike in every redis-py version, unlike the command methods)."""
    run: Callable[..., Awaitable[Any]] = client.execute_command
    return await run(*args)


def commandstats(server: RedisServer) -> dict[str, int]:
    """Calls per command on ``server`` so far."""
    info: dict[str, Any] = server.command("INFO", "commandstats")
    return {
        name.removeprefix("cmdstat_"): int(stats["calls"])
        for name, stats in info.items()
        if name.startswith("cmdstat_")
    }


def client_names(server: RedisServer) -> list[str]:
    with admin(server.port) as client:
        return [str(entry.get("name", "")) for entry in client.client_list()]


async def wait_until(condition: Any, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


# -- construction -----------------------------------------------------------------------------


async def test_is_a_cache_named_redis_with_its_defaults(cache: RedisCache) -> None:
    assert isinstance(cache, Cache)
    assert cache.name == "redis"
    default = RedisCache.from_url("redis://127.0.0.1:1/0")
    assert default.prefix == "apim:"
    assert default.operation_timeout == 0.25
    assert state(default.breaker) is BreakerState.CLOSED
    assert default.breaker.cooldown == 1.0
    assert "127.0.0.1:1/0" in repr(default)
    await default.close()


def test_from_url_builds_redis_py_clients_that_fail_fast_and_wait_for_a_connection() -> None:
    cache = RedisCache.from_url("redis://127.0.0.1:1/3", client="redis-py")
    client = cache.client
    assert isinstance(client, Redis)
    assert cache.library == "redis.asyncio"
    pool = client.connection_pool
    # A burst beyond the pool waits for a connection (at most operation_timeout), not fails.
    assert isinstance(pool, BlockingConnectionPool)
    assert pool.timeout == 0.25
    kwargs = pool.connection_kwargs
    assert kwargs["db"] == 3
    # Never before the cache's own budget (0.25 s + 4 MiB at 32 MiB/s).
    assert kwargs["socket_timeout"] == 2 * cache.budget == 0.75
    assert kwargs["socket_connect_timeout"] == 1.0
    assert kwargs["health_check_interval"] == 30
    assert kwargs["retry"]._retries == 0  # no retries: the breaker handles outages
    assert kwargs["decode_responses"] is False
    # The budget follows operation_timeout: above 1 s it is not cut short by the socket.
    slow = RedisCache.from_url("redis://127.0.0.1:1", client="redis-py", operation_timeout=3.0)
    assert isinstance(slow.client, Redis)
    assert slow.client.connection_pool.connection_kwargs["socket_timeout"] > 6
    # The caller's options win over the defaults.
    tuned = RedisCache.from_url("redis://127.0.0.1:1", socket_timeout=3.0, client_name="me")
    assert isinstance(tuned.client, Redis)  # socket_timeout: not a glide option
    assert tuned.client.connection_pool.connection_kwargs["socket_timeout"] == 3.0
    assert tuned.client.connection_pool.connection_kwargs["client_name"] == "me"


def test_from_url_picks_glide_when_it_can() -> None:
    for url in ("redis://127.0.0.1:1", "rediss://u:p@127.0.0.1:1/2?client_name=x"):
        cache = RedisCache.from_url(url)
        assert cache.library == ("valkey-glide" if GLIDE else "redis.asyncio"), url
    # What glide cannot do goes to redis-py under "auto", and is refused under "glide".
    assert RedisCache.from_url("unix:///tmp/redis.sock").library == "redis.asyncio"
    odd = RedisCache.from_url("redis://127.0.0.1:1", socket_keepalive=True)
    assert odd.library == "redis.asyncio"
    if GLIDE:
        with pytest.raises(ValueError, match="unix socket"):
            RedisCache.from_url("unix:///tmp/redis.sock", client="glide")
        with pytest.raises(ValueError, match="socket_keepalive"):
            RedisCache.from_url("redis://127.0.0.1:1", client="glide", socket_keepalive=True)
    with pytest.raises(ValueError, match="client must be"):
        RedisCache.from_url("redis://127.0.0.1:1", client="hiredis")  # type: ignore[arg-type]


def test_from_url_picks_the_redis_py_client_from_the_url() -> None:
    tls = RedisCache.from_url("rediss://127.0.0.1:1", client="redis-py")
    assert isinstance(tls.client, Redis)
    assert "SSL" in tls.client.connection_pool.connection_class.__name__
    cases: list[tuple[str, dict[str, Any]]] = [
        ("redis+cluster://127.0.0.1:1", {}),
        ("REDIS+CLUSTER://127.0.0.1:1", {}),
        ("redis://127.0.0.1:1", {"cluster": True}),
        ("redis+cluster://127.0.0.1:1", {"cluster": True}),
    ]
    for url, kwargs in cases:
        cache = RedisCache.from_url(url, client="redis-py", **kwargs)
        assert isinstance(cache.client, RedisCluster), url
        assert cache.name == "redis-cluster"
        glide_cache = RedisCache.from_url(url, **kwargs)
        assert glide_cache.name == "redis-cluster"
    tls_cluster = RedisCache.from_url("rediss+cluster://127.0.0.1:1", client="redis-py")
    assert isinstance(tls_cluster.client, RedisCluster)
    assert "SSL" in str(tls_cluster.client.get_connection_kwargs()["connection_class"])
    plain = RedisCache.from_url("redis://127.0.0.1:1", cluster=False, client="redis-py")
    assert isinstance(plain.client, Redis)


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("http://127.0.0.1:1", {}, "unsupported Redis URL"),
        ("127.0.0.1:6379", {}, "unsupported Redis URL"),
        ("redis+sentinel://127.0.0.1:1", {}, "unsupported Redis URL"),
        ("redis+cluster://127.0.0.1:1", {"cluster": False}, "contradicts"),
        ("unix:///tmp/redis.sock", {"cluster": True}, "unix"),
        ("redis+cluster://127.0.0.1:1/2", {}, "db"),
        ("redis+cluster://127.0.0.1:1/2", {"client": "redis-py"}, "db"),
        ("redis://127.0.0.1:1", {"decode_responses": True}, "decode_responses"),
    ],
)
def test_from_url_refuses_what_it_cannot_do(url: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RedisCache.from_url(url, **kwargs)


def test_from_url_errors_do_not_show_the_password() -> None:
    with pytest.raises(ValueError, match="unsupported") as info:
        RedisCache.from_url("http://user:s3cret@example.com:6379/0")
    assert "s3cret" not in str(info.value)
    assert "***@example.com:6379" in str(info.value)


async def test_the_constructor_checks_its_arguments(raw: Redis) -> None:
    with pytest.raises(TypeError, match=r"redis\.asyncio\.Redis"):
        RedisCache(object())
    decoding = Redis(decode_responses=True)
    with pytest.raises(ValueError, match="decode_responses=False"):
        RedisCache(decoding)
    await decoding.aclose()
    for timeout in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="operation_timeout"):
            RedisCache(raw, operation_timeout=timeout)
        with pytest.raises(ValueError, match="connect_timeout"):
            RedisCache(raw, connect_timeout=timeout)
    for size in (0, -1, 1.5):
        with pytest.raises(ValueError, match="max_value_bytes"):
            RedisCache(raw, max_value_bytes=size)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="min_throughput"):
            RedisCache(raw, min_throughput=size)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="prefix"):
        RedisCache(raw, prefix=b"apim:")  # type: ignore[arg-type]


def test_ttls_become_milliseconds_rounded_up() -> None:
    assert _ttl_ms(0.0001) == 1
    assert _ttl_ms(0.001) == 1
    assert _ttl_ms(0.5) == 500
    assert _ttl_ms(1.0001) == 1001
    assert _ttl_ms(2_147_483_647) == 2_147_483_647_000
    assert _ttl_ms(1e300) == _MAX_TTL_MS


async def test_unix_socket_urls(redis_server_factory: RedisServerFactory, tmp_path: Path) -> None:
    socket_path = tmp_path / "redis.sock"
    redis_server_factory("--unixsocket", str(socket_path), "--unixsocketperm", "700")
    cache = RedisCache.from_url(f"unix://{socket_path}?db=2", operation_timeout=RELAXED)
    assert f"unix:{socket_path}" in repr(cache)
    await cache.set("k", b"over a socket", 10)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.value == b"over a socket"
    await cache.close()


# -- what the cache writes in Redis -----------------------------------------------------------


async def test_keys_are_the_prefix_and_the_utf8_key(cache: RedisCache, raw: Redis) -> None:
    prefix = cache.prefix.encode()
    await cache.set("ключ", b"v1", 10)
    await cache.set("lone\ud800surrogate", b"v2", 10)
    await cache.set("", b"v3", 10)
    assert unpacked(await raw.get(prefix + "ключ".encode())) == b"v1"
    assert unpacked(await raw.get(prefix + b"lone\xed\xa0\x80surrogate")) == b"v2"
    assert unpacked(await raw.get(prefix)) == b"v3"
    assert await raw.type(prefix + "ключ".encode()) == b"string"


def unpacked(entry: bytes | str | None) -> bytes:
    """The value in an entry as set() writes it: a tag, the expiry (8 bytes), the value."""
    assert isinstance(entry, bytes)
    assert entry.startswith(b"\x00apim\x01")
    return entry[6 + 8 :]


async def test_an_entry_is_its_value_packed_with_its_expiry(cache: RedisCache, raw: Redis) -> None:
    # One GET serves a hit with its remaining time: the expiry is kept in the entry.
    name = cache.prefix.encode() + b"k"
    before = time.time()
    await cache.set("k", b"value", 30)
    entry = await raw.get(name)
    assert isinstance(entry, bytes)
    assert unpacked(entry) == b"value"
    expires = int.from_bytes(entry[6:14], "big") / 1000
    assert before + 30 - 0.001 <= expires <= time.time() + 30  # (millisecond precision)
    assert 29_000 < await raw.pttl(name) <= 30_000  # Redis expires it too
    # Decimals are kept as they are, so that they can seed a counter.
    await cache.set("n", b"41", 30)
    assert await raw.get(cache.prefix.encode() + b"n") == b"41"
    assert await cache.increment("n", 1, 30) == 42
    hit = await cache.get("n")
    assert hit is not None
    assert hit.value == b"42"
    assert hit.ttl_remaining is not None
    assert 29 < hit.ttl_remaining <= 30
    # An entry whose expiry has passed by this process's clock is a miss, even if Redis
    # still holds it (a writer whose clock is ahead).
    await raw.set(name, b"\x00apim\x01" + (int(time.time() * 1000) - 1).to_bytes(8, "big") + b"x")
    assert await cache.get("k") is None


async def test_set_uses_a_millisecond_ttl(cache: RedisCache, raw: Redis) -> None:
    key = cache.prefix.encode() + b"k"
    await cache.set("k", b"v", 1.5)
    assert 1400 < await raw.pttl(key) <= 1500
    await cache.set("k", b"v", 1e300)  # kept "forever" (285,000 years)
    assert await raw.pttl(key) > 2**52
    await cache.set("k", b"v", 0.001)
    await asyncio.sleep(0.01)
    assert await cache.get("k") is None


async def test_set_accepts_bytes_like_values(cache: RedisCache) -> None:
    await cache.set("a", bytearray(b"array"), 10)  # type: ignore[arg-type]
    await cache.set("m", memoryview(b"view"), 10)  # type: ignore[arg-type]
    assert [hit.value for hit in await cache.get_many(["a", "m"]) if hit] == [b"array", b"view"]


async def test_ttl_remaining_follows_the_server(cache: RedisCache, raw: Redis) -> None:
    await cache.set("k", b"v", 10)
    first = await cache.get("k")
    assert first is not None
    assert first.ttl_remaining is not None
    assert 9.8 < first.ttl_remaining <= 10
    await asyncio.sleep(0.2)
    later = await cache.get("k")
    assert later is not None
    assert later.ttl_remaining is not None
    assert later.ttl_remaining <= first.ttl_remaining - 0.19
    # A key another tool wrote without an expiry: a hit without a TTL.
    await raw.set(cache.prefix.encode() + b"forever", b"x")
    assert await cache.get("forever") == CacheHit(b"x", None)
    many = await cache.get_many(["forever", "k", "none"])
    assert many[0] == CacheHit(b"x", None)
    assert many[1] is not None
    assert many[1].ttl_remaining is not None
    assert 9.5 < many[1].ttl_remaining < 10
    assert many[2] is None


async def test_increment_sets_the_ttl_only_on_the_key_it_creates(
    cache: RedisCache, raw: Redis
) -> None:
    key = cache.prefix.encode() + b"c"
    assert await cache.increment("c", 5, 10) == 5
    assert 9000 < await raw.pttl(key) <= 10000
    assert await cache.increment("c", 1, 1000) == 6
    assert await raw.pttl(key) <= 10000
    # A counter another tool made without an expiry keeps having none.
    await raw.set(cache.prefix.encode() + b"persistent", b"41")
    assert await cache.increment("persistent", 1, 10) == 42
    assert await raw.pttl(cache.prefix.encode() + b"persistent") == -1


async def test_increment_refuses_amounts_beyond_64_bits(cache: RedisCache) -> None:
    with pytest.raises(ValueError, match="64-bit"):
        await cache.increment("c", 2**63, 10)
    with pytest.raises(ValueError, match="64-bit"):
        await cache.increment("c", -(2**63) - 1, 10)
    assert await cache.get("c") is None


async def test_a_hit_is_one_get_and_get_many_one_mget(
    redis_server_factory: RedisServerFactory, library: ClientChoice
) -> None:
    server = redis_server_factory()
    cache = RedisCache.from_url(server.url, operation_timeout=RELAXED, client=library)
    for i in range(0, 20, 2):
        await cache.set(f"k{i}", b"v%d" % i, 10)
    before = commandstats(server)
    assert await cache.get("k0") is not None
    results = await cache.get_many([f"k{i}" for i in range(20)])
    after = commandstats(server)
    assert [hit.value if hit else None for hit in results] == [
        b"v%d" % i if i % 2 == 0 else None for i in range(20)
    ]
    assert after["get"] == before.get("get", 0) + 1
    assert after["mget"] == before.get("mget", 0) + 1
    assert after.get("evalsha", 0) == before.get("evalsha", 0)
    await cache.close()


async def test_scripts_are_loaded_again_after_a_script_flush(
    cache: RedisCache, redis_server: RedisServer
) -> None:
    await cache.set("k", b"v", 10)
    assert await cache.increment("c", 1, 10) == 1
    redis_server.command("SCRIPT", "FLUSH")
    assert (await cache.get_many(["k"]))[0] is not None
    assert await cache.increment("c", 1, 10) == 2
    hit = await cache.get("k")
    assert hit is not None
    assert hit.value == b"v"


# -- prefixes and sharing ---------------------------------------------------------------------


async def test_caches_with_different_prefixes_do_not_see_each_other(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    one = RedisCache.from_url(
        redis_server.url, prefix=redis_prefix + "one:", operation_timeout=RELAXED
    )
    two = RedisCache.from_url(
        redis_server.url, prefix=redis_prefix + "two:", operation_timeout=RELAXED
    )
    await one.set("k", b"one", 10)
    assert await two.get("k") is None
    await two.set("k", b"two", 10)
    assert await two.delete("k") is True
    hit = await one.get("k")
    assert hit is not None
    assert hit.value == b"one"
    assert await one.increment("c", 1, 10) == 1
    assert await two.increment("c", 1, 10) == 1
    await one.close()
    await two.close()


async def test_caches_with_one_prefix_share_entries_and_counters(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    # Two cache objects with clients of their own: two app processes on one Redis.
    one = RedisCache.from_url(redis_server.url, prefix=redis_prefix, operation_timeout=RELAXED)
    two = RedisCache.from_url(redis_server.url, prefix=redis_prefix, operation_timeout=RELAXED)
    await one.set("shared", b"from one", 10)
    hit = await two.get("shared")
    assert hit is not None
    assert hit.value == b"from one"
    assert await two.delete("shared") is True
    assert await one.get("shared") is None
    results = await asyncio.gather(
        *(cache.increment("hits", 1, 10) for _ in range(50) for cache in (one, two))
    )
    assert sorted(results) == list(range(1, 101))
    await one.close()
    await two.close()


async def test_clear_deletes_only_its_own_prefix(
    redis_server: RedisServer, redis_prefix: str, raw: Redis
) -> None:
    # "*" and "[" in a prefix are glob characters to SCAN: they must match only themselves.
    mine = RedisCache.from_url(
        redis_server.url, prefix=redis_prefix + "a*[", operation_timeout=RELAXED
    )
    other = RedisCache.from_url(
        redis_server.url, prefix=redis_prefix + "ab", operation_timeout=RELAXED
    )
    for i in range(1500):  # more than one SCAN batch
        await mine.set(f"k{i}", b"v", 30)
    await other.set("k", b"v", 30)
    assert await mine.clear() == 1500
    assert await mine.get("k0") is None
    assert await other.get("k") is not None
    assert await mine.clear() == 0
    await mine.close()
    await other.close()
    everything = RedisCache.from_url(redis_server.url, prefix="")
    with pytest.raises(ValueError, match="every key"):
        await everything.clear()


# -- client ownership -------------------------------------------------------------------------


async def test_an_injected_client_is_not_closed(redis_server: RedisServer) -> None:
    client = Redis.from_url(redis_server.url, client_name="injected-client")
    cache = RedisCache(client, operation_timeout=RELAXED)
    assert not cache.owns_client
    await cache.set("injected", b"v", 10)
    await cache.close()
    await cache.close()
    assert "injected-client" in client_names(redis_server)
    assert await client.ping()
    assert await cache.get("injected") is not None
    await client.aclose()
    await wait_until(lambda: "injected-client" not in client_names(redis_server))


async def test_an_injected_glide_client_is_used_and_not_closed(redis_server: RedisServer) -> None:
    glide = pytest.importorskip("glide", reason="valkey-glide is not installed")
    client = await glide.GlideClient.create(
        glide.GlideClientConfiguration(
            [glide.NodeAddress("127.0.0.1", redis_server.port)],
            client_name="injected-glide",
            lazy_connect=True,
        )
    )
    cache = RedisCache(client, operation_timeout=RELAXED)
    assert cache.library == "valkey-glide"
    assert cache.client is client
    assert not cache.owns_client
    await cache.set("injected", b"v", 10)
    await cache.close()
    assert "injected-glide" in client_names(redis_server)
    hit = await cache.get("injected")
    assert hit is not None
    assert hit.value == b"v"
    await client.close()


async def test_a_client_made_by_from_url_is_closed_by_close(redis_server: RedisServer) -> None:
    cache = RedisCache.from_url(
        redis_server.url, client_name="owned-client", operation_timeout=RELAXED
    )
    assert cache.owns_client
    await cache.set("owned", b"v", 10)
    assert "owned-client" in client_names(redis_server)
    await cache.close()
    await wait_until(lambda: "owned-client" not in client_names(redis_server))
    await cache.close()
    # Closing released the connections, not the cache: one shared by two apps outlives the
    # cleanup of the first; it connects again, and the next close() closes that too.
    assert await cache.get("owned") is not None
    assert "owned-client" in client_names(redis_server)
    await cache.close()
    await wait_until(lambda: "owned-client" not in client_names(redis_server))


async def test_a_cluster_client_made_by_from_url_is_closed_by_close(
    redis_cluster: RedisClusterServers,
) -> None:
    cache = RedisCache.from_url(
        redis_cluster.url, cluster=True, client_name="owned-cluster", operation_timeout=RELAXED
    )
    await cache.get_many([f"k{i}" for i in range(30)])  # touches every node
    servers = redis_cluster.servers
    assert all("owned-cluster" in client_names(server) for server in servers)
    await cache.close()
    await wait_until(lambda: not any("owned-cluster" in client_names(server) for server in servers))
    assert await cache.get_many([f"k{i}" for i in range(30)]) == [None] * 30
    await cache.close()
    await wait_until(lambda: not any("owned-cluster" in client_names(server) for server in servers))


# -- keys written by other tools --------------------------------------------------------------


async def test_a_key_of_another_type_is_unavailable_not_a_miss(
    cache: RedisCache, raw: Redis
) -> None:
    listed = cache.prefix.encode() + b"list"
    await command(raw, "RPUSH", listed, b"a", b"b")
    await cache.set("fine", b"v", 10)
    for _ in range(5):
        with pytest.raises(CacheUnavailable, match="WRONGTYPE"):
            await cache.get("list")
        # MGET answers nil for a key that is not a string: a miss.
        assert [hit is not None for hit in await cache.get_many(["fine", "list"])] == [
            True,
            False,
        ]
        with pytest.raises(CacheUnavailable, match="WRONGTYPE"):
            await cache.increment("list", 1, 10)
    # The server answered every time: the breaker stays closed, other keys work.
    assert state(cache.breaker) is BreakerState.CLOSED
    assert await cache.get("fine") is not None
    # Writes replace it; delete removes it.
    await cache.set("list", b"mine now", 10)
    hit = await cache.get("list")
    assert hit is not None
    assert hit.value == b"mine now"
    await command(raw, "RPUSH", listed + b"2", b"a")
    assert await cache.delete("list2") is True


class _GarbageRedis(Redis):
    """A client whose server answers nonsense (a proxy gone wrong)."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        return {"EVALSHA": [b"v"], "DEL": b"yes"}.get(str(args[0]), "nonsense")


async def test_garbled_replies_are_unavailable() -> None:
    client = _GarbageRedis()
    cache = RedisCache(client)
    with pytest.raises(CacheUnavailable, match="unexpected reply"):
        await cache.get("k")
    with pytest.raises(CacheUnavailable, match="unexpected reply"):
        await cache.get_many(["k", "l"])
    with pytest.raises(CacheUnavailable, match="unexpected reply"):
        await cache.delete("k")
    with pytest.raises(CacheUnavailable, match="unexpected reply"):
        await cache.increment("k", 1, 10)
    await client.aclose()


# -- the cluster ------------------------------------------------------------------------------


def keys_on_every_node(cluster: RedisClusterServers, prefix: str, per_node: int) -> list[str]:
    """Keys whose slots lie on each of the cluster's nodes, ``per_node`` of each."""
    found: dict[int, list[str]] = {port: [] for port in cluster.ports}
    i = 0
    while any(len(keys) < per_node for keys in found.values()):
        key = f"key{i}"
        node = cluster.node_for_slot(key_slot((prefix + key).encode()))
        if len(found[node.port]) < per_node:
            found[node.port].append(key)
        i += 1
    return [key for keys in zip(*found.values(), strict=True) for key in keys]


async def test_cluster_get_many_spans_every_node_in_order(
    cluster_cache: RedisCache, redis_cluster: RedisClusterServers
) -> None:
    assert cluster_cache.name == "redis-cluster"
    keys = keys_on_every_node(redis_cluster, cluster_cache.prefix, 4)
    stored = keys[::2]
    for key in stored:
        await cluster_cache.set(key, key.encode(), 10)
    # Two keys of one slot (a hash tag) share one script call.
    await cluster_cache.set("{tag}a", b"A", 10)
    await cluster_cache.set("{tag}b", b"B", 10)
    wanted = [*keys, "{tag}b", "missing", "{tag}a", keys[0]]
    results = await cluster_cache.get_many(wanted)
    expected = [key.encode() if key in stored else None for key in keys]
    assert [hit.value if hit else None for hit in results] == [
        *expected,
        b"B",
        None,
        b"A",
        keys[0].encode(),
    ]
    for hit in results:
        assert hit is None or (hit.ttl_remaining is not None and 9 < hit.ttl_remaining <= 10)


async def test_cluster_get_many_runs_one_mget_per_slot(
    cluster_cache: RedisCache, redis_cluster: RedisClusterServers
) -> None:
    keys = keys_on_every_node(redis_cluster, cluster_cache.prefix, 3)
    await cluster_cache.get_many(keys)
    before = [commandstats(server).get("mget", 0) for server in redis_cluster.servers]
    await cluster_cache.get_many([*keys, "{t}1", "{t}2", "{t}3"])
    after = [commandstats(server).get("mget", 0) for server in redis_cluster.servers]
    slots = {key_slot((cluster_cache.prefix + key).encode()) for key in [*keys, "{t}1"]}
    assert sum(after) - sum(before) == len(slots)
    assert all(a > b for a, b in zip(after, before, strict=True))


async def test_cluster_scripts_are_loaded_again_after_a_script_flush(
    cluster_cache: RedisCache, redis_cluster: RedisClusterServers
) -> None:
    keys = keys_on_every_node(redis_cluster, cluster_cache.prefix, 1)
    for key in keys:
        await cluster_cache.set(key, b"v", 10)
    assert all(await cluster_cache.get_many(keys))
    for server in redis_cluster.servers:
        server.command("SCRIPT", "FLUSH")
    assert all(await cluster_cache.get_many(keys))
    for server in redis_cluster.servers:
        server.command("SCRIPT", "FLUSH")
    assert await cluster_cache.increment("counter", 1, 10) == 1
    assert await cluster_cache.get(keys[2]) is not None


async def test_cluster_caches_share_counters_and_clear_their_prefix(
    redis_cluster: RedisClusterServers, redis_prefix: str
) -> None:
    one = RedisCache.from_url(
        redis_cluster.url, prefix=redis_prefix, cluster=True, operation_timeout=RELAXED
    )
    two = RedisCache.from_url(
        redis_cluster.url, prefix=redis_prefix, cluster=True, operation_timeout=RELAXED
    )
    # Not redis_prefix + "...": clear() deletes every key that starts with its prefix.
    other = RedisCache.from_url(
        redis_cluster.url, prefix=redis_prefix[:-1] + "-", cluster=True, operation_timeout=RELAXED
    )
    results = await asyncio.gather(
        *(cache.increment("hits", 1, 10) for _ in range(30) for cache in (one, two))
    )
    assert sorted(results) == list(range(1, 61))
    keys = keys_on_every_node(redis_cluster, redis_prefix, 5)
    for key in keys:
        await one.set(key, b"v", 30)
    await other.set("kept", b"v", 30)
    assert await two.clear() == len(keys) + 1  # and "hits"
    assert not any(await one.get_many(keys))
    assert await other.get("kept") is not None
    for cache in (one, two, other):
        await cache.close()


async def test_an_unreachable_cluster_is_unavailable() -> None:
    cache = RedisCache.from_url(f"redis+cluster://127.0.0.1:{free_port()}")
    for _ in range(3):
        with pytest.raises(CacheUnavailable) as info:
            await cache.get("k")
        assert type(info.value) is CacheUnavailable
    assert state(cache.breaker) is BreakerState.OPEN
    await cache.close()


# -- failures and recovery --------------------------------------------------------------------


async def timed(operation: Any) -> tuple[float, BaseException | None]:
    """Await ``operation``; return how long it took and what it raised."""
    start = time.perf_counter()
    try:
        await operation
    except Exception as exc:
        return time.perf_counter() - start, exc
    return time.perf_counter() - start, None


async def test_a_server_that_goes_down_fails_fast_then_recovers(
    redis_server_factory: RedisServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp_apim.cache.breaker")
    server = redis_server_factory()
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, cooldown=5.0, max_cooldown=60.0)
    cache = RedisCache.from_url(server.url, operation_timeout=0.2, breaker=breaker)
    await cache.set("k", b"v", 60)
    server.stop()

    # The first failures each cost at most the operation timeout (here: a refused connection).
    for operation in (cache.get("k"), cache.set("k", b"v", 1), cache.increment("n", 1, 1)):
        elapsed, error = await timed(operation)
        assert type(error) is CacheUnavailable
        assert not isinstance(error, redis.exceptions.RedisError)
        assert elapsed < 0.2 + SLACK
    assert state(breaker) is BreakerState.OPEN

    # Then nothing touches the network until the cool-down has passed.
    start = time.perf_counter()
    for _ in range(200):
        with pytest.raises(CacheUnavailable, match="circuit open"):
            await cache.get_many(["k", "l"])
    assert time.perf_counter() - start < 0.1

    server.restart()  # same port, empty
    with pytest.raises(CacheUnavailable, match="circuit open"):
        await cache.get("k")  # still cooling down
    clock.advance(5)
    assert await cache.get("k") is None  # the probe: back, and empty
    assert state(breaker) is BreakerState.CLOSED
    await cache.set("k", b"again", 60)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.value == b"again"
    await cache.close()

    levels = [record.levelno for record in caplog.records]
    assert levels == [logging.WARNING, logging.INFO]


async def test_a_hung_server_costs_a_timeout_only_until_the_breaker_opens(
    redis_server_factory: RedisServerFactory, library: ClientChoice
) -> None:
    server = redis_server_factory()
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, cooldown=5.0, max_cooldown=60.0)
    cache = RedisCache.from_url(
        server.url, operation_timeout=0.2, breaker=breaker, client=library, max_value_bytes=1024
    )
    await cache.set("k", b"v", 60)
    server.freeze()  # accepts connections, answers nothing
    budget = cache.budget  # 0.2 s + 1 KiB at 32 MiB/s

    # Each call waits at most its budget (plus, with redis-py, a connection's wait); each that
    # started after the previous one failed counts, so three in a row open the breaker.
    for _ in range(3):
        elapsed, error = await timed(cache.get("k"))
        assert type(error) is CacheUnavailable
        assert elapsed < 2 * budget + SLACK
    assert state(breaker) is BreakerState.OPEN
    elapsed, error = await timed(cache.get("k"))
    assert type(error) is CacheUnavailable
    assert elapsed < 0.05  # no network: refused at once

    # A probe against the hung server fails too, and the cool-down doubles.
    clock.advance(5)
    elapsed, error = await timed(cache.get("k"))
    assert type(error) is CacheUnavailable
    assert elapsed >= 0.2
    assert breaker.cooldown == 10

    server.thaw()
    clock.advance(10)
    for _ in range(5):  # the probe may meet the backlog of the frozen connection
        with contextlib.suppress(CacheUnavailable):
            hit = await cache.get("k")
            assert hit is not None
            assert hit.value == b"v"
            break
        clock.advance(breaker.cooldown)
    assert state(breaker) is BreakerState.CLOSED
    await cache.close()


async def test_requests_in_flight_when_a_connection_drops_count_once(
    redis_server: RedisServer, redis_prefix: str, library: ClientChoice
) -> None:
    proxy = await FaultProxy(redis_server.port).start()
    cache = RedisCache.from_url(
        proxy.url, prefix=redis_prefix, client=library, operation_timeout=RELAXED
    )
    await cache.set("k", b"v", 60)
    proxy.pause()  # 200 reads on their way...
    reads = [asyncio.ensure_future(cache.get("k")) for _ in range(200)]
    await asyncio.sleep(0.05)
    proxy.reset()  # ...when the connection is reset
    proxy.resume()
    results = await asyncio.gather(*reads, return_exceptions=True)
    assert any(isinstance(result, CacheUnavailable) for result in results)
    # One outage, not 200 (nor 3: the breaker stays closed).
    assert cache.breaker.failures <= 1
    assert state(cache.breaker) is BreakerState.CLOSED
    hit = await cache.get("k")
    assert hit is not None
    await cache.close()
    await proxy.close()


async def test_a_burst_beyond_a_plain_pool_is_busy_not_an_outage(
    redis_server: RedisServer, redis_prefix: str
) -> None:
    # A user's client with redis-py's default (non-blocking) pool, smaller than the burst:
    # the calls that find no free connection are a local limit, never counted against Redis.
    client = Redis.from_url(redis_server.url, max_connections=4)
    cache = RedisCache(client, prefix=redis_prefix, operation_timeout=RELAXED)
    await cache.set("k", b"v", 60)
    results = await asyncio.gather(*(cache.get("k") for _ in range(100)), return_exceptions=True)
    busy = [result for result in results if isinstance(result, Exception)]
    assert busy
    assert all(type(result) is CacheBusy for result in busy)
    assert all(isinstance(result, CacheHit) for result in results if result not in busy)
    assert cache.breaker.failures == 0
    await cache.close()
    await client.aclose()


async def test_a_value_above_the_maximum_is_never_written(cache: RedisCache, raw: Redis) -> None:
    small = RedisCache.from_url(
        _url_of(raw),
        client="glide" if cache.library == "valkey-glide" else "redis-py",
        prefix=cache.prefix,
        max_value_bytes=1000,
        operation_timeout=RELAXED,
    )
    await small.set("k", b"old", 60)
    await small.set("k", b"x" * 1001, 60)  # would replace it: the old one goes too
    assert await small.get("k") is None
    assert await raw.exists(cache.prefix.encode() + b"k") == 0
    assert small.oversize == 1
    await small.set("k", b"x" * 1000, 60)
    hit = await small.get("k")
    assert hit is not None
    assert len(hit.value) == 1000
    assert small.breaker.failures == 0
    # By default, a response of the gateway's largest size (2 MiB) and its headers fit.
    assert cache.max_value_bytes == 4 * 1024 * 1024
    await cache.set("big", b"x" * (2 * 1024 * 1024 + 65536), 60)
    assert await cache.get("big") is not None
    await cache.set("huge", b"x" * (cache.max_value_bytes + 1), 60)
    assert await cache.get("huge") is None
    assert cache.oversize == 1
    await small.close()


def _url_of(raw: Redis) -> str:
    kwargs = raw.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/0"


async def test_a_cancelled_probe_lets_the_next_call_probe(
    redis_server_factory: RedisServerFactory,
) -> None:
    server = redis_server_factory()
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, failure_threshold=1)
    cache = RedisCache.from_url(server.url, operation_timeout=0.2, breaker=breaker)
    await cache.set("k", b"v", 60)
    server.freeze()
    with pytest.raises(CacheUnavailable):
        await cache.get("k")
    assert state(breaker) is BreakerState.OPEN
    clock.advance(breaker.cooldown)
    probe = asyncio.create_task(cache.get("k"))
    await asyncio.sleep(0.02)
    assert state(breaker) is BreakerState.HALF_OPEN
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe
    server.thaw()
    assert breaker.retry_in() == 0
    assert await cache.get("k") is not None
    assert state(breaker) is BreakerState.CLOSED
    await cache.close()


async def test_a_slow_server_fails_within_the_operation_timeout(
    redis_server_factory: RedisServerFactory,
) -> None:
    server = redis_server_factory()
    cache = RedisCache.from_url(server.url, operation_timeout=0.1)
    await cache.set("k", b"v", 60)
    server.command("CLIENT", "PAUSE", 400)  # every other client waits 400 ms for an answer
    elapsed, error = await timed(cache.get("k"))
    assert type(error) is CacheUnavailable
    assert 0.1 <= elapsed < 0.1 + SLACK
    assert state(cache.breaker) is BreakerState.CLOSED  # one failure is not an outage
    await asyncio.sleep(0.4)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.value == b"v"
    await cache.close()


async def test_a_cluster_node_that_goes_down_stops_caching_only_for_its_keys(
    private_redis_cluster: RedisClusterServers, library: ClientChoice
) -> None:
    cluster = private_redis_cluster
    clock = ManualClock()
    breaker = CircuitBreaker(clock=clock, cooldown=5.0, max_cooldown=60.0)
    cache = RedisCache.from_url(
        cluster.url, cluster=True, operation_timeout=0.5, breaker=breaker, client=library
    )
    keys = keys_on_every_node(cluster, cache.prefix, 1)
    for key in keys:
        await cache.set(key, b"v", 60)
    deadline = time.monotonic() + 5
    while len(cache.breakers) < 4:  # the cache's, and one per primary once the map is known
        assert time.monotonic() < deadline
        await cache.get_many(keys)
        await asyncio.sleep(0.05)
    down = cluster.servers[1]
    assert cluster.node_for_slot(key_slot((cache.prefix + keys[1]).encode())) is down
    down.stop()

    for _ in range(3):
        elapsed, error = await timed(cache.get(keys[1]))
        assert type(error) is CacheUnavailable
        assert elapsed < 2 * cache.budget + SLACK
    lost = cache.breakers[f"127.0.0.1:{down.port}"]
    assert state(lost) is BreakerState.OPEN
    elapsed, error = await timed(cache.get(keys[1]))
    assert type(error) is CacheUnavailable
    assert elapsed < 0.05  # no network: refused at once
    # The other primaries' keys are served all along.
    for key in (keys[0], keys[2]):
        hit = await cache.get(key)
        assert hit is not None
    assert state(breaker) is BreakerState.CLOSED

    down.start()  # same port, same node identity and slots, no data
    await asyncio.to_thread(cluster.wait_ok)
    clock.advance(5)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the client reconnects with a backoff of its own
        with contextlib.suppress(CacheUnavailable):
            assert await cache.get(keys[1]) is None
            break
        clock.advance(lost.cooldown)
        await asyncio.sleep(0.2)
    assert state(lost) is BreakerState.CLOSED
    results = await cache.get_many(keys)
    assert [hit is not None for hit in results] == [True, False, True]
    await cache.set(keys[1], b"back", 60)
    hit = await cache.get(keys[1])
    assert hit is not None
    assert hit.value == b"back"
    await cache.close()
