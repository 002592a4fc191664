"""The external cache: Redis or Redis Cluster, on ``redis.asyncio`` (redis-py). The only module
of the package that imports redis.

Layout in Redis: each entry is a plain string key, ``prefix + key`` (UTF-8, lone surrogates kept
with ``"surrogatepass"``), holding the value's bytes, with a millisecond TTL (``SET ... PX``).
Counters are the same kind of key, holding ASCII decimal (what ``INCRBY`` keeps).

Round trips. ``set`` is ``SET key value PX ms`` and ``delete`` is ``DEL``. Reads and counters run
two tiny Lua scripts (``EVALSHA``, falling back to ``EVAL`` once when the server has not seen the
script yet, e.g. after a restart):

* the read script returns each key's value *and* its ``PTTL`` from one atomic step, so a hit's
  ``ttl_remaining`` always belongs to the value returned (a ``GET`` + ``PTTL`` pipeline could pair
  an old value with the TTL of a value written in between), in one command and one reply: the
  cheapest shape for the client on the hot path (measured on loopback: about 190 us per
  ``get`` with the breaker and the timeout, against 205 us for a bare ``GET`` + ``PTTL``
  pipeline and 260 us for it in ``MULTI``/``EXEC``). ``get_many`` runs it once over all the keys on
  a standalone server (one round trip), and once per hash slot on a cluster, every slot's call in
  one cluster pipeline (a round trip per node, in parallel);
* the counter script does ``INCRBY`` and sets the TTL only when the key did not exist before, in
  one atomic step on the server, so the counter's window opens at the first increment and no
  number of concurrent increments, from any number of processes, extends it or leaves a counter
  without a TTL. It returns the new value as a string: Lua would round a 64-bit integer reply
  through a double.

Each script touches one key, or keys of one slot, so it runs on one cluster node.

Failures. Every operation is bounded by ``operation_timeout`` (connecting included) and every
error of the client, the network or the server is raised as :class:`CacheUnavailable`; no redis
exception type leaves this module. A :class:`~aiohttp_apim.cache.breaker.CircuitBreaker` stands in
front: after a few consecutive failures (unreachable, timed out, cluster down), operations fail at
once, without touching the network, until a probe after the cool-down finds Redis back. An error
*reply* about a key (a key of another type, written by another tool) means the server is up: it
raises :class:`CacheUnavailable` for that operation but does not count toward opening the breaker.
A counter Redis will not add to (not a decimal integer, or beyond 64 bits) raises
:class:`ValueError`, as the :class:`Cache` protocol says.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

try:
    from redis.asyncio import Redis
    from redis.asyncio.cluster import RedisCluster
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.crc import key_slot
    from redis.exceptions import (
        AskError,
        ClusterDownError,
        NoScriptError,
        RedisClusterException,
        ResponseError,
        TryAgainError,
    )
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"RedisCache needs redis-py >= 5.0.1: pip install 'aiohttp_apim[redis]' ({exc})"
    ) from exc

from aiohttp_apim.cache.base import Cache, CacheHit, CacheUnavailable
from aiohttp_apim.cache.breaker import CircuitBreaker

__all__ = ["CLIENT_DEFAULTS", "RedisCache"]

T = TypeVar("T")

RedisClient = Redis | RedisCluster
"""The clients :class:`RedisCache` works with."""

CLIENT_DEFAULTS: Final[dict[str, Any]] = {
    # Backstops only: operation_timeout (much shorter) bounds every operation of the cache.
    "socket_connect_timeout": 1.0,
    "socket_timeout": 1.0,
    # PING a connection that sat idle this long before using it again.
    "health_check_interval": 30,
    # Bytes in, bytes out.
    "decode_responses": False,
}
"""Client options :meth:`RedisCache.from_url` uses unless told otherwise (besides ``retry``: no
retries, made anew for each client). A cache fails fast and lets its circuit breaker handle
outages; retrying inside a short per-operation timeout would only use it up."""

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
# The largest PX accepted: Redis refuses an expiry time (now + PX, in ms) beyond 64 bits. 2**53 ms
# is 285,000 years; longer TTLs are kept this long, which no one can tell apart from longer.
_MAX_TTL_MS: Final = 2**53

# Replies that mean the server or the cluster cannot serve at all, not that one key is bad: they
# count as failures for the circuit breaker, like a refused connection or a timeout.
_SERVER_DOWN_REPLIES = (ClusterDownError, TryAgainError, AskError)

_CLUSTER_SCHEMES: Final = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
_PLAIN_SCHEMES: Final = frozenset({"redis", "rediss", "unix"})


class _Script:
    """A Lua script, run with ``EVALSHA`` and loaded by ``EVAL`` where the server lacks it."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source.encode()
        self.sha = hashlib.sha1(self.source, usedforsecurity=False).hexdigest()


# For each key: its value and its PTTL (ms; -1: no expiry), or '' and -2 for a miss. Not nil or
# false for a miss: in a Lua array a nil ends the reply, and RESP3 turns false into a boolean.
_READ = _Script(
    """
local out = {}
for i = 1, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value then
    out[2 * i - 1] = value
    out[2 * i] = redis.call('PTTL', KEYS[i])
  else
    out[2 * i - 1] = ''
    out[2 * i] = -2
  end
end
return out
"""
)

# KEYS[1] += ARGV[1]; a key created by this increment expires in ARGV[2] ms. INCRBY checks the
# stored value (a canonical 64-bit decimal) and the result's range, and writes nothing on error.
_INCREMENT = _Script(
    """
local created = redis.call('EXISTS', KEYS[1]) == 0
redis.call('INCRBY', KEYS[1], ARGV[1])
if created then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('GET', KEYS[1])
"""
)


class RedisCache(Cache):
    """The external cache on Redis or Redis Cluster (APIM's *external* cache).

    ``client`` is a :class:`redis.asyncio.Redis` or :class:`redis.asyncio.cluster.RedisCluster`,
    made with ``decode_responses=False`` (the default). A client passed in is never closed by
    the cache; :meth:`from_url` makes one that the cache owns and closes in :meth:`close`.

    ``prefix`` is put before every key (the gateway's keys are already namespaced, ``resp|...``
    and ``val:...``): caches with different prefixes on one Redis never see each other's
    entries, and processes with the same prefix share them. On a cluster, a prefix holding a
    hash tag (``{...}``) puts every entry in one slot, on one node.

    ``operation_timeout`` (seconds) bounds each operation, connecting included, so it must leave
    room for a new connection (a TLS handshake to a distant Redis); a cluster client's first
    discovery of the nodes goes on in the background when an operation gives up waiting for
    it. ``breaker`` (default: a :class:`CircuitBreaker` with its defaults: 3 consecutive
    failures, a 5 s cool-down doubling up to 60 s) makes a Redis that is down or hung cost no
    timeout per operation. One breaker per cache.

    :meth:`close` releases the connections of a client the cache made, and the cache stays
    usable (it connects again when used); an injected client is left alone.
    """

    def __init__(
        self,
        client: RedisClient,
        *,
        prefix: str = "apim:",
        operation_timeout: float = 0.25,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if not isinstance(client, Redis | RedisCluster):
            raise TypeError(
                "client must be a redis.asyncio.Redis or redis.asyncio.cluster.RedisCluster, "
                f"not {type(client).__name__}"
            )
        if client.get_encoder().decode_responses:
            raise ValueError("RedisCache needs a client made with decode_responses=False")
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {type(prefix).__name__}")
        if not 0.0 < operation_timeout < math.inf:
            raise ValueError(
                "operation_timeout must be a finite number of seconds > 0, "
                f"got {operation_timeout!r}"
            )
        self._client = client
        self._cluster_client = client if isinstance(client, RedisCluster) else None
        self._cluster = self._cluster_client is not None
        self._prefix = prefix.encode("utf-8", "surrogatepass")
        self._timeout = operation_timeout
        self._address = _describe(client)
        if breaker is None:
            breaker = CircuitBreaker()
        if not breaker.name:  # a breaker without a name of its own logs under the cache's
            breaker.name = self._label()
        self._breaker = breaker
        self._owns_client = False
        self._init_task: asyncio.Future[Any] | None = None

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "apim:",
        operation_timeout: float = 0.25,
        cluster: bool | None = None,
        breaker: CircuitBreaker | None = None,
        **client_options: Any,
    ) -> RedisCache:
        """Make a cache with a client of its own (closed by :meth:`close`) for ``url``.

        URLs: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS) and
        ``unix://[[user]:password@]/path/to/socket[?db=N]`` for one server;
        ``redis+cluster://host:port`` and ``rediss+cluster://host:port`` for a Redis Cluster
        (any one node: the client finds the others). ``cluster=True`` makes a ``redis://`` or
        ``rediss://`` URL a cluster URL too. Query-string options of redis-py are accepted.

        ``client_options`` go to the redis-py client, over :data:`CLIENT_DEFAULTS` and over no
        retries (a ``retry`` object of your own replaces that). Nothing connects yet: the client
        connects on first use.
        """
        scheme, sep, rest = url.partition("://")
        scheme = scheme.lower()
        if not sep or scheme not in _PLAIN_SCHEMES | _CLUSTER_SCHEMES.keys():
            raise ValueError(
                f"unsupported Redis URL {_redact(url)!r}: use redis://, rediss://, unix://, "
                "redis+cluster:// or rediss+cluster://"
            )
        if scheme in _CLUSTER_SCHEMES:
            if cluster is False:
                raise ValueError(f"cluster=False contradicts the URL scheme {scheme}://")
            url = f"{_CLUSTER_SCHEMES[scheme]}://{rest}"
            cluster = True
        elif scheme == "unix" and cluster:
            raise ValueError("a Redis Cluster cannot be reached over a unix:// socket")
        # (NoBackoff is untyped before redis-py 5.1.)
        no_retry = Retry(NoBackoff(), 0)  # type: ignore[no-untyped-call,unused-ignore]
        options: dict[str, Any] = {**CLIENT_DEFAULTS, "retry": no_retry}
        options.update(client_options)
        if options["decode_responses"]:
            raise ValueError("RedisCache needs decode_responses=False")
        client: RedisClient
        try:
            if cluster:
                client = RedisCluster.from_url(url, **options)
            else:
                client = Redis.from_url(url, **options)
        except RedisClusterException as exc:  # e.g. a db other than 0 for a cluster
            raise ValueError(f"{exc} ({_redact(url)})") from exc
        cache = cls(client, prefix=prefix, operation_timeout=operation_timeout, breaker=breaker)
        cache._owns_client = True
        return cache

    # -- observation ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``"redis"``, or ``"redis-cluster"`` on a Redis Cluster."""
        return "redis-cluster" if self._cluster else "redis"

    @property
    def bounds_own_calls(self) -> bool:
        """True: every operation is bounded by ``operation_timeout`` and guarded by the
        breaker, so the gateway adds no timer of its own."""
        return True

    @property
    def client(self) -> RedisClient:
        """The redis-py client the cache uses."""
        return self._client

    @property
    def owns_client(self) -> bool:
        """Whether the cache made its client (:meth:`from_url`) and so closes it."""
        return self._owns_client

    @property
    def breaker(self) -> CircuitBreaker:
        """The circuit breaker in front of the client."""
        return self._breaker

    @property
    def prefix(self) -> str:
        return self._prefix.decode("utf-8", "surrogatepass")

    @property
    def operation_timeout(self) -> float:
        return self._timeout

    def __repr__(self) -> str:
        return (
            f"<RedisCache {self._label()} prefix={self.prefix!r} "
            f"breaker={self._breaker.state.value}>"
        )

    # -- the Cache protocol -----------------------------------------------------------------

    async def get(self, key: str) -> CacheHit | None:
        """See :meth:`Cache.get`. A key of another type than string (set by another tool)
        raises :class:`CacheUnavailable`: it is neither an entry nor a miss."""
        reply = await self._run(self._eval, _READ, (self._key(key),), ())
        return self._hits(reply, 1)[0]

    async def get_many(self, keys: Sequence[str]) -> list[CacheHit | None]:
        """See :meth:`Cache.get_many`: one round trip on a standalone server, one per node
        (in parallel) on a cluster. Every key is read atomically with its TTL."""
        if isinstance(keys, str):
            raise TypeError("get_many() takes a sequence of keys, not a single str")
        if not keys:
            return []
        encoded = [self._key(key) for key in keys]
        if not self._cluster:
            return self._hits(await self._run(self._eval, _READ, encoded, ()), len(encoded))
        # One script call per hash slot (a script's keys must share a slot), all in one pipeline.
        by_slot: dict[int, list[int]] = {}
        for index, name in enumerate(encoded):
            by_slot.setdefault(key_slot(name), []).append(index)
        groups = list(by_slot.values())
        replies = await self._run(self._read_slots, [[encoded[i] for i in g] for g in groups])
        results: list[CacheHit | None] = [None] * len(encoded)
        if not isinstance(replies, list) or len(replies) != len(groups):
            raise CacheUnavailable(f"{self._label()}: unexpected reply to a cluster read")
        for group, reply in zip(groups, replies, strict=True):
            for index, hit in zip(group, self._hits(reply, len(group)), strict=True):
                results[index] = hit
        return results

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """See :meth:`Cache.set`: ``SET key value PX ms``, the TTL rounded up to a millisecond."""
        ms = _ttl_ms(ttl)
        if type(value) is not bytes:
            value = bytes(value)  # redis-py sends bytes and memoryview only
        await self._run(self._client.execute_command, "SET", self._key(key), value, "PX", ms)

    async def delete(self, key: str) -> bool:
        """See :meth:`Cache.delete`: ``DEL``."""
        removed = await self._run(self._client.execute_command, "DEL", self._key(key))
        if type(removed) is not int:
            raise CacheUnavailable(f"{self._label()}: unexpected reply to DEL: {removed!r}")
        return removed > 0

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        """See :meth:`Cache.increment`: ``INCRBY``, and ``PEXPIRE`` when the key is new, in one
        atomic script. A key of another type than string raises :class:`CacheUnavailable`."""
        ms = _ttl_ms(ttl)
        if not _INT64_MIN <= amount <= _INT64_MAX:
            raise ValueError(f"increment amount {amount} is outside the signed 64-bit range")
        reply = await self._run(self._eval, _INCREMENT, (self._key(key),), (int(amount), ms))
        try:
            return int(reply)
        except (TypeError, ValueError):
            raise CacheUnavailable(
                f"{self._label()}: unexpected reply to an increment: {reply!r}"
            ) from None

    async def close(self) -> None:
        """Close the client's connections if the cache made the client (:meth:`from_url`);
        leave an injected client alone. Safe to call any number of times.

        Like :meth:`MemoryCache.close`, this releases what the cache holds without ending it:
        a later operation connects again (and a later ``close()`` closes that connection
        too). So one cache shared by several apps or gateways survives the cleanup of the
        first one that stops.
        """
        task, self._init_task = self._init_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        if self._owns_client:
            await _close_client(self._client)

    # -- administration ---------------------------------------------------------------------

    async def clear(self) -> int:
        """Delete every key under this cache's prefix; return how many were deleted.

        For tests and operators, not for a request path: it walks the keyspace with ``SCAN``
        (never ``KEYS``), on every primary of a cluster, and is not bounded by
        ``operation_timeout`` nor guarded by the breaker. Errors raise :class:`CacheUnavailable`.
        Every key that starts with the prefix goes, so also the entries of a cache whose
        prefix extends this one (``"apim:"`` clears ``"apim:v2:..."``): end prefixes with a
        separator. A cache with an empty prefix refuses (:class:`ValueError`): that would be
        every key of the database.
        """
        if not self._prefix:
            raise ValueError("clear() needs a prefix: with none it would delete every key")
        pattern = _glob_escape(self._prefix) + b"*"
        try:
            if isinstance(self._client, RedisCluster):
                await self._client.initialize()  # type: ignore[unused-awaitable]  # returns self
                deleted = 0
                for node in self._client.get_primaries():
                    deleted += await _clear_node(node.execute_command, pattern)
                return deleted
            return await _clear_node(self._client.execute_command, pattern)
        except Exception as exc:
            raise CacheUnavailable(f"{self._label()}: clear failed: {exc!r}") from exc

    # -- internals --------------------------------------------------------------------------

    def _key(self, key: str) -> bytes:
        return self._prefix + key.encode("utf-8", "surrogatepass")

    def _label(self) -> str:
        return f"{self.name} cache at {self._address}"

    async def _run(self, operation: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Run ``operation(*args)`` on Redis behind the breaker, within the timeout, mapping
        every failure to :class:`CacheUnavailable` (or :class:`ValueError` for a counter)."""
        breaker = self._breaker
        ticket = breaker.before_call()
        if ticket is None:
            raise CacheUnavailable(
                f"{self._label()} is unavailable: circuit open after repeated failures, "
                f"next probe in {breaker.retry_in():.1f} s"
            )
        try:
            async with asyncio.timeout(self._timeout):
                if self._cluster_client is not None:
                    await self._cluster_ready(self._cluster_client)
                result = await operation(*args)
        except asyncio.CancelledError:
            breaker.on_abandon(ticket)
            raise
        except TimeoutError as exc:  # asyncio.timeout's; redis-py's own is a RedisError
            breaker.on_failure(ticket)
            raise CacheUnavailable(f"{self._label()}: no answer within {self._timeout} s") from exc
        except ResponseError as exc:
            if isinstance(exc, _SERVER_DOWN_REPLIES):
                breaker.on_failure(ticket)
            else:
                breaker.on_success(ticket)  # the server answered: it is up
            raise _reply_error(exc, self._label()) from exc
        except Exception as exc:
            # ConnectionError, redis-py's TimeoutError, OSError, RedisClusterException (not a
            # RedisError), and whatever else the client raises: never let its types out.
            breaker.on_failure(ticket)
            raise CacheUnavailable(f"{self._label()}: {type(exc).__name__}: {exc}") from exc
        breaker.on_success(ticket)
        return result

    def _hits(self, reply: Any, count: int) -> list[CacheHit | None]:
        """Read the read script's reply for ``count`` keys."""
        if type(reply) is not list or len(reply) != 2 * count:
            raise CacheUnavailable(f"{self._label()}: unexpected reply to a read: {reply!r:.200}")
        hits: list[CacheHit | None] = []
        for i in range(0, 2 * count, 2):
            value, pttl = reply[i], reply[i + 1]
            if type(pttl) is not int or type(value) is not bytes:
                raise CacheUnavailable(
                    f"{self._label()}: unexpected reply to a read: {reply!r:.200}"
                )
            if pttl > 0:
                hits.append(CacheHit(value, pttl / 1000))
            elif pttl == -1:  # a key without expiry: not ours, but a value all the same
                hits.append(CacheHit(value, None))
            else:  # -2: no such key; 0: expiring this very millisecond
                hits.append(None)
        return hits

    async def _cluster_ready(self, client: RedisCluster) -> None:
        """Make sure the cluster client knows the topology before it sends a command.

        redis-py learns it on the first command (and again after a failure made it forget),
        but commands sent concurrently to a client that has not learnt it yet get routed at
        random, and the MOVED storm that follows makes redis-py close connections that other
        commands are using. So the cache learns it first, once, in a task of its own that
        every operation waits for: shielded, so that an operation that times out does not
        cancel it, and a slow first discovery (connecting to the nodes, and parsing
        ``COMMAND``, takes tens of ms in pure Python) still completes for the next ones.
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

    async def _eval(self, script: _Script, keys: Sequence[bytes], args: Sequence[int]) -> Any:
        run = self._client.execute_command
        try:
            return await run("EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            # First use on this server (or node) since it started: EVAL runs and caches it.
            return await run("EVAL", script.source, len(keys), *keys, *args)

    async def _read_slots(self, groups: list[list[bytes]]) -> Any:
        assert isinstance(self._client, RedisCluster)
        for command, script in (("EVALSHA", _READ.sha), ("EVAL", _READ.source)):
            pipe = self._client.pipeline()
            for keys in groups:
                # Queues the command; the pipeline object it returns is only for chaining.
                pipe.execute_command(command, script, len(keys), *keys)  # type: ignore[unused-awaitable]
            try:
                return await pipe.execute()
            except NoScriptError:
                if command == "EVAL":
                    raise
        raise AssertionError("unreachable")


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    # The operations awaiting the task see its exception; this keeps asyncio from logging it
    # again as never retrieved when they all timed out before it ended.
    if not task.cancelled():
        task.exception()


def _ttl_ms(ttl: float) -> int:
    # Written so that NaN fails too.
    if not 0.0 < ttl < math.inf:
        raise ValueError(f"ttl must be a finite number of seconds > 0, got {ttl!r}")
    return min(max(math.ceil(ttl * 1000), 1), _MAX_TTL_MS)


def _reply_error(exc: ResponseError, label: str) -> Exception:
    """The exception for an error reply: ValueError for a counter Redis will not add to."""
    message = str(exc)
    if "not an integer" in message:
        return ValueError("the value stored under this key is not a 64-bit decimal integer")
    if "overflow" in message:
        return ValueError("the counter would leave the signed 64-bit integer range")
    return CacheUnavailable(f"{label}: {message}")


async def _clear_node(run: Callable[..., Awaitable[Any]], pattern: bytes) -> int:
    """SCAN one server for ``pattern`` and delete what it finds, a DEL per hash slot (a
    cluster node refuses a DEL of keys in different slots)."""
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


def _glob_escape(prefix: bytes) -> bytes:
    out = bytearray()
    for byte in prefix:
        if byte in b"*?[]\\":
            out += b"\\"
        out.append(byte)
    return bytes(out)


async def _close_client(client: RedisClient) -> None:
    # redis-py >= 5.0.1 has aclose() (close() is its deprecated alias).
    closer = getattr(client, "aclose", None)
    if closer is None:
        closer = client.close
    await closer()


def _describe(client: RedisClient) -> str:
    """Where the client connects, for log messages (no credentials)."""
    try:
        if isinstance(client, RedisCluster):
            nodes = getattr(client.nodes_manager, "startup_nodes", {})
            return ",".join(sorted(nodes)) or "a Redis Cluster"
        kwargs = client.connection_pool.connection_kwargs
        if kwargs.get("path"):
            return f"unix:{kwargs['path']}"
        return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
    except Exception:  # description only: never fail construction over it
        return "Redis"


def _redact(url: str) -> str:
    """``url`` without its password."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"
