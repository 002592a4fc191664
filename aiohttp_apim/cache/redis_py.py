"""The cache's transport on redis.asyncio (redis-py): a user's own ``Redis`` or ``RedisCluster``
client, or one :meth:`RedisCache.from_url` makes with ``client="redis-py"``.

Each call is bounded by an asyncio timer: the time a pooled connection may take to become free
(``pool_wait``) plus the operation budget. Waiting for a connection is a local limit, never a
failure of Redis: a ``BlockingConnectionPool`` whose own ``timeout`` runs out raises "No connection
available", and redis-py's default pool refuses a call beyond its ``max_connections`` at once
("Too many connections"); both become :class:`LocalLimit`. The pools :meth:`RedisCache.from_url`
makes are blocking, with ``timeout`` the operation budget, so a burst larger than the pool waits
for a connection instead of failing; a user's client with a plain pool should be given a
``max_connections`` above its peak concurrency.

A connection that is refused (or a host name that does not resolve) fails the call at once as
:class:`~aiohttp_apim.cache.redis_transport.Unreachable`: nothing listens there, which the cache
counts as one outage, opening its breaker at once. A server that accepts connections and never
answers costs the calls in flight their budget until the breaker has counted enough failures.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Protocol

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import (
    ConnectionError as RedisConnectionError,
)
from redis.exceptions import (
    NoScriptError,
    RedisClusterException,
    RedisError,
    ResponseError,
)

from aiohttp_apim.cache.redis_transport import Arg, Fault, LocalLimit, ReplyError, Unreachable

__all__ = ["RedisPyTransport"]

# What redis-py says when a call found no free pooled connection (a local limit).
_POOL_EXHAUSTED: Final = ("Too many connections", "No connection available")


class RedisPyTransport:
    """A :class:`~aiohttp_apim.cache.redis_transport.Transport` on a redis.asyncio client."""

    def __init__(
        self, client: Redis | RedisCluster, *, budget: float, pool_wait: float, rate: float
    ) -> None:
        self._client = client
        self._budget = budget
        self._pool_wait = pool_wait
        self._rate = rate
        self._init_task: asyncio.Future[Any] | None = None

    @property
    def library(self) -> str:
        return "redis.asyncio"

    @property
    def cluster(self) -> bool:
        return isinstance(self._client, RedisCluster)

    @property
    def client(self) -> Redis | RedisCluster:
        return self._client

    async def command(self, args: Sequence[Arg], size: int) -> Any:
        return await self._run(args, size, args[1] if len(args) > 1 else None)

    async def script(
        self, source: bytes, sha: str, keys: Sequence[bytes], args: Sequence[Arg]
    ) -> Any:
        try:
            return await self._run(("EVALSHA", sha, len(keys), *keys, *args), 0, keys[0])
        except ReplyError as error:
            if error.code != "NOSCRIPT":
                raise
        # First use on this server (or node) since it started: EVAL runs and caches it.
        return await self._run(("EVAL", source, len(keys), *keys, *args), 0, keys[0])

    def node_of(self, slot: int) -> str | None:
        client = self._client
        if not isinstance(client, RedisCluster) or getattr(client, "_initialize", True):
            return None
        try:
            node = client.nodes_manager.get_node_from_slot(slot)
        except (RedisError, RedisClusterException, LookupError):
            return None
        return str(node.name)

    async def learn_slots(self) -> list[tuple[int, int, str]] | None:
        """Have redis-py learn its slot map again (its own routing follows it at once)."""
        client = self._client
        assert isinstance(client, RedisCluster)
        try:
            async with asyncio.timeout(self._budget + self._pool_wait):
                await client.nodes_manager.initialize()
        except TimeoutError:
            raise Fault("the cluster's slot map could not be learnt in time") from None
        except (RedisError, RedisClusterException, OSError) as error:
            raise Fault(f"{type(error).__name__}: {error}") from None
        return None

    async def delete_matching(self, pattern: bytes) -> int:
        client = self._client
        try:
            if isinstance(client, RedisCluster):
                _ = await client.initialize()  # (it returns the client, an awaitable)
                deleted = 0
                for node in client.get_primaries():
                    deleted += await _delete_on(node.execute_command, pattern)
                return deleted
            return await _delete_on(client.execute_command, pattern)
        except ResponseError as error:
            raise ReplyError(str(error)) from None
        except (RedisError, RedisClusterException, OSError) as error:
            raise Fault(f"{type(error).__name__}: {error}") from None

    async def wait_connected(self, patience: float) -> None:
        """redis-py connects as it sends: nothing to wait for."""

    def reset(self) -> None:
        """redis-py disconnects a connection whose call failed; nothing more to drop."""

    async def close(self) -> None:
        task, self._init_task = self._init_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    # -- internals --------------------------------------------------------------------------

    async def _run(self, args: Sequence[Arg], size: int, route: Arg | None = None) -> Any:
        client = self._client
        timeout = self._pool_wait + self._budget + size / self._rate
        call: Awaitable[Any]
        if isinstance(client, RedisCluster):
            call = self._on_node(client, route, args)
        else:
            run: Callable[..., Awaitable[Any]] = client.execute_command
            call = run(*args)
        try:
            return await _within(call, timeout)
        except TimeoutError:  # ours; redis-py's own is a RedisError
            raise Fault(f"no answer within {timeout:.3g} s") from None
        except NoScriptError as error:
            raise ReplyError(str(error), "NOSCRIPT") from None
        except ResponseError as error:
            raise ReplyError(str(error)) from None
        except RedisConnectionError as error:
            if any(text in str(error) for text in _POOL_EXHAUSTED):
                raise LocalLimit(str(error)) from None
            if isinstance(error.__cause__, ConnectionRefusedError | socket.gaierror):
                # Nothing listens there (or the name does not resolve): down, not slow.
                raise Unreachable(f"{type(error).__name__}: {error}") from None
            raise Fault(f"{type(error).__name__}: {error}") from None
        except (RedisError, RedisClusterException, OSError) as error:
            raise Fault(f"{type(error).__name__}: {error}") from None

    async def _on_node(self, client: RedisCluster, route: Arg | None, args: Sequence[Arg]) -> Any:
        """Send the command straight to the primary that redis-py's slot map names for
        ``route``. Not through ``RedisCluster.execute_command``: on a connection error that
        closes the connections to *every* node and learns the map anew, failing the calls in
        flight to the healthy primaries too, so one lost primary would stop caching for every
        key. A redirection (``MOVED``) fails this call and has the map learnt again."""
        await self._ready(client)
        node: _Node
        if route is None:
            node = client.get_random_node()
        else:
            key = route if isinstance(route, bytes) else str(route).encode()
            node = client.nodes_manager.get_node_from_slot(key_slot(key))
        return await node.execute_command(*args)

    async def _ready(self, client: RedisCluster) -> None:
        """Make sure the cluster client knows the topology before it sends a command.

        redis-py learns it on the first command (and again after a failure made it forget),
        but commands sent concurrently to a client that has not learnt it yet get routed at
        random, and the MOVED storm that follows makes redis-py close connections that other
        commands are using. So the cache learns it first, once, in a task of its own that
        every operation waits for: shielded, so that an operation that times out does not
        cancel it.
        """
        # redis-py's own flag (private, present since the asyncio cluster client exists):
        # True until the topology is known. Without it, always go through the task.
        if not getattr(client, "_initialize", True):
            return
        task = self._init_task
        if task is None or task.done():
            task = self._init_task = asyncio.ensure_future(client.initialize())
            task.add_done_callback(_retrieve_exception)
        await asyncio.shield(task)


class _Node(Protocol):
    """What the cache calls on a cluster node (redis-py before 5.1 leaves it unannotated)."""

    async def execute_command(self, *args: Any) -> Any: ...


async def _within(call: Awaitable[Any], timeout: float) -> Any:
    """``await call``, giving up after ``timeout`` seconds (TimeoutError).

    Not ``asyncio.timeout``: when the loop is busy, a reply can arrive in the very loop
    iteration in which the timer fires, and the timer's cancellation then throws away an
    answer that came in time. Here the call runs as a task of its own, and when the time is up
    it gets one more turn of the loop to finish with what has arrived before it is given up.
    (redis.asyncio reads replies on the event loop, so a loop that is busy for longer than the
    budget still turns replies into timeouts; glide reads them in a thread of its own.)"""
    task = asyncio.ensure_future(call)
    task.add_done_callback(_retrieve_exception)
    try:
        await asyncio.wait((task,), timeout=timeout)
        if not task.done():
            await asyncio.sleep(0)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not task.done():
        task.cancel()
        await asyncio.wait((task,))
        raise TimeoutError
    return task.result()


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def _delete_on(run: Any, pattern: bytes) -> int:
    """SCAN one server for ``pattern`` and delete what it finds, a DEL per hash slot (a cluster
    node refuses a DEL of keys in different slots)."""
    deleted, cursor = 0, 0
    while True:
        cursor, keys = await run("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
        by_slot: dict[int, list[bytes]] = {}
        for key in keys:
            by_slot.setdefault(key_slot(key), []).append(key)
        for group in by_slot.values():
            deleted += int(await run("DEL", *group))
        if int(cursor) == 0:
            return deleted
