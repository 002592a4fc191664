"""The external cache: Redis or Redis Cluster, on a well-kept client library -- valkey-glide
(the default of :meth:`RedisCache.from_url` when it is installed: the fastest on the hit path) or
redis.asyncio (a user's own client, or ``client="redis-py"``). Only this module and the
``redis_*`` modules beside it import a Redis client.

Layout in Redis: each entry is a plain string key, ``prefix + key`` (UTF-8, lone surrogates kept
with ``"surrogatepass"``), holding the value's bytes, with a millisecond TTL (``SET ... PX``).
Counters are the same kind of key, holding ASCII decimal (what ``INCRBY`` keeps).

Round trips. ``set`` is ``SET key value PX ms`` and ``delete`` is ``DEL``. Reads and counters run
two tiny Lua scripts (``EVALSHA``, loaded by the client where the server lacks them):

* the read script returns each key's value *and* its ``PTTL`` from one atomic step, so a hit's
  ``ttl_remaining`` always belongs to the value returned (a ``GET`` + ``PTTL`` pipeline could pair
  an old value with the TTL of a value written in between). ``get_many`` runs it once over all
  the keys on a standalone server, and once per hash slot on a cluster (concurrently);
* the counter script does ``INCRBY`` and sets the TTL only when the key did not exist before, in
  one atomic step on the server, so the counter's window opens at the first increment and no
  number of concurrent increments, from any number of processes, extends it or leaves a counter
  without a TTL. It returns the new value as a string: Lua would round a 64-bit integer reply
  through a double.

Time. An operation's budget is ``operation_timeout`` plus the time its bytes take at
``min_throughput`` (for a read, the largest value it could get: ``max_value_bytes``), so a large
value never times out where a small one would not. With glide the budget is its
``request_timeout``, measured in glide's own thread where the reply arrives: an event loop that is
busy elsewhere never turns a reply that came in time into a timeout. Connecting is bounded by
``connect_timeout``, apart from it, and with glide it happens in the background, never in a
request's time (:mod:`.redis_glide`).

Locks and change tracking. The cache also holds short locks for the processes sharing it
(:class:`~aiohttp_apim.cache.base.SupportsLocks`: ``SET NX PX`` with a random token, released by a
compare-and-delete script) and reports which of its keys change
(:class:`~aiohttp_apim.cache.base.SupportsTracking`, :mod:`.redis_tracking`), what a
:class:`~aiohttp_apim.cache.near.NearCache` in front of it needs.

Failures (:mod:`.redis_transport`). A call that finds no connection at all to a standalone server
(refused, or glide not connected yet) fails at once and opens the breaker at once: one outage,
counted once however many calls find it so. Redis's other failures (reset, closed, no answer in
time, a server that is loading) count toward a circuit breaker: the cache's for a standalone
server, the primary's own on a cluster, so a lost primary stops caching only for the keys of its
slots. A call that was already on its way when the last failure was counted fails of the same cause
(one reset fails every request in flight at once) and is not counted again. A call that could not
start for a reason of this process (no pooled connection free in time, too many requests in flight)
raises :class:`CacheBusy` and counts for nothing. An error *reply* about a key (a key of another
type, written by another tool) means the server is up: :class:`CacheUnavailable`, not counted. A
counter Redis will not add to raises :class:`ValueError`, as the :class:`Cache` protocol says.
No exception type of a client library leaves the cache.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import math
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Literal

try:
    from redis.asyncio import BlockingConnectionPool, Redis
    from redis.asyncio.cluster import RedisCluster
    from redis.asyncio.connection import AbstractConnection, Connection, SSLConnection, parse_url
    from redis.asyncio.retry import Retry
    from redis.backoff import AbstractBackoff, NoBackoff
    from redis.crc import key_slot
    from redis.exceptions import RedisClusterException
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"RedisCache needs redis-py >= 5.0.1: pip install 'aiohttp_apim[redis]' ({exc})"
    ) from exc

from aiohttp_apim.cache.base import (
    Cache,
    CacheBusy,
    CacheHit,
    CacheUnavailable,
    ChangeListener,
    SupportsLocks,
    SupportsTracking,
)
from aiohttp_apim.cache.breaker import BreakerState, CircuitBreaker
from aiohttp_apim.cache.redis_py import RedisPyTransport
from aiohttp_apim.cache.redis_tracking import Dialer, KeyTracker
from aiohttp_apim.cache.redis_transport import (
    Fault,
    LocalLimit,
    ReplyError,
    Transport,
    Unreachable,
)

__all__ = [
    "CLIENT_DEFAULTS",
    "DEFAULT_MAX_VALUE_BYTES",
    "DEFAULT_MIN_THROUGHPUT",
    "GLIDE",
    "ClientChoice",
    "RedisCache",
]

logger = logging.getLogger(__name__)

_glide: Any
try:
    import glide as _glide
except ImportError:  # pragma: no cover - depends on the installation
    _glide = None

GLIDE: Final = _glide is not None
"""Whether valkey-glide is installed (``pip install 'aiohttp_apim[glide]'``)."""

RedisClient = Redis | RedisCluster
ClientChoice = Literal["auto", "glide", "redis-py"]

CLIENT_DEFAULTS: Final[dict[str, Any]] = {
    "socket_connect_timeout": 1.0,
    "health_check_interval": 30,
    # Bytes in, bytes out.
    "decode_responses": False,
}
"""Options of the redis.asyncio client that :meth:`RedisCache.from_url` makes (with
``client="redis-py"``) unless told otherwise; besides ``retry`` (none: the breaker handles
outages) and ``socket_timeout``, derived from the cache's own budget so that it never fires
first."""

DEFAULT_MAX_VALUE_BYTES: Final = 4 * 1024 * 1024
"""The largest value a :class:`RedisCache` writes by default: twice the gateway's largest cached
response body (2 MiB, APIM's limit), so that such a response fits with its headers and envelope,
and so do values of ``cache-store-value``."""

DEFAULT_MIN_THROUGHPUT: Final = 32 * 1024 * 1024
"""Bytes per second a healthy Redis takes or sends at least: what an operation's budget grows by
with the size of its value."""

_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
# The largest PX accepted: Redis refuses an expiry time (now + PX, in ms) beyond 64 bits. 2**53 ms
# is 285,000 years; longer TTLs are kept this long, which no one can tell apart from longer.
_MAX_TTL_MS: Final = 2**53
_SLOTS: Final = 16384
# An entry written by set(): this tag, its expiry (ms since the Unix epoch, 8 bytes big-endian),
# then the value. The tag starts with NUL, which a counter's decimal never does.
_PACKED: Final = b"\x00apim\x01"
_HEADER: Final = len(_PACKED) + 8
_MAX_EXPIRY_MS: Final = 2**63 - 1
# What INCRBY takes as a counter: stored as it is, not packed.
_DECIMAL: Final = re.compile(rb"-?[1-9][0-9]{0,18}|0")
_REFRESH_INTERVAL: Final = 0.2

# Replies that mean the server cannot serve at all: they count toward its breaker.
_DOWN_CODES: Final = frozenset({"LOADING", "BUSY", "MASTERDOWN", "BUSYLOADINGERROR"})
# Replies that mean the cluster is reorganising: the operation fails, the slot map is learnt
# again, and the node is not blamed.
_STALE_CODES: Final = frozenset({"CLUSTERDOWN", "TRYAGAIN", "READONLY", "MOVED", "ASK"})

_CLUSTER_SCHEMES: Final = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
_PLAIN_SCHEMES: Final = frozenset({"redis", "rediss", "unix"})
# Options from_url can hand to glide; any other sends it to redis-py under client="auto".
_GLIDE_OPTIONS: Final = frozenset(
    {"client_name", "username", "password", "ssl_cert_reqs", "ssl_ca_certs", "db"}
)


class _Script:
    """A Lua script and its SHA-1 (what ``EVALSHA`` names it by)."""

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


# KEYS[1] is a lock; ARGV[1] the token that must hold it; ARGV[2] > 0: leave it held that many ms
# more at most, else remove it. Returns 1 when the token held it.
_RELEASE = _Script(
    """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
local hold = tonumber(ARGV[2])
if hold > 0 then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 or hold < left then
    redis.call('PEXPIRE', KEYS[1], hold)
  end
else
  redis.call('DEL', KEYS[1])
end
return 1
"""
)


class RedisCache(Cache, SupportsLocks, SupportsTracking):
    """The external cache on Redis or Redis Cluster (APIM's *external* cache).

    ``client`` is the client the cache sends its commands through, never closed by the cache: a
    :class:`redis.asyncio.Redis` or :class:`redis.asyncio.cluster.RedisCluster` made with
    ``decode_responses=False`` (the default), or a valkey-glide ``GlideClient`` or
    ``GlideClusterClient``. :meth:`from_url` makes one (valkey-glide when installed), which the
    cache owns and closes in :meth:`close`.

    ``prefix`` is put before every key (the gateway's keys are already namespaced, ``resp|...``
    and ``val:...``): caches with different prefixes on one Redis never see each other's
    entries, and processes with the same prefix share them. On a cluster, a prefix holding a
    hash tag (``{...}``) puts every entry in one slot, on one node.

    Time. ``operation_timeout`` (seconds) bounds the answer to each operation, plus the time its
    bytes take at ``min_throughput`` bytes per second (for a read: ``max_value_bytes`` of them).
    With a redis.asyncio client, waiting for a pooled connection may take ``operation_timeout``
    more, and a wait that runs out is a local limit (:class:`CacheBusy`), not a failure of Redis.
    A glide client's own ``request_timeout`` bounds its calls instead (the cache sets it on the
    clients it makes).

    Size. A value larger than ``max_value_bytes`` (default :data:`DEFAULT_MAX_VALUE_BYTES`, 4 MiB)
    is never written, and any older entry under its key is removed (the caller replaced it):
    counted in :attr:`oversize`.

    ``breaker`` (default: a :class:`CircuitBreaker` with its defaults: 3 consecutive failures, a
    1 s cool-down doubling up to 5 s) guards a standalone server. On a cluster it guards the
    cache until the slot map is known, and each primary then gets a breaker of its own with the
    same settings (:attr:`breakers`): a lost primary stops caching only for its own keys, and
    only until a replica has taken its slots over.

    :meth:`close` releases the connections of a client the cache made, and the cache stays
    usable (it connects again when used); an injected client is left alone.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "apim:",
        operation_timeout: float = 0.25,
        breaker: CircuitBreaker | None = None,
        connect_timeout: float = 1.0,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        min_throughput: int = DEFAULT_MIN_THROUGHPUT,
    ) -> None:
        if not isinstance(prefix, str):
            raise TypeError(f"prefix must be a str, not {type(prefix).__name__}")
        for name, seconds in (
            ("operation_timeout", operation_timeout),
            ("connect_timeout", connect_timeout),
        ):
            if not 0.0 < seconds < math.inf:
                raise ValueError(f"{name} must be a finite number of seconds > 0, got {seconds!r}")
        for name, number in (
            ("max_value_bytes", max_value_bytes),
            ("min_throughput", min_throughput),
        ):
            if not (type(number) is int and number > 0):
                raise ValueError(f"{name} must be an int > 0, got {number!r}")
        self._prefix = prefix.encode("utf-8", "surrogatepass")
        self._timeout = operation_timeout
        self._connect_timeout = connect_timeout
        self._max_value = max_value_bytes
        self._rate = float(min_throughput)
        self._transport: Transport = self._transport_for(client)
        self._client = client
        self._cluster = self._transport.cluster
        self._address = _describe(client)
        if breaker is None:
            breaker = CircuitBreaker()
        if not breaker.name:  # a breaker without a name of its own logs under the cache's
            breaker.name = self._label()
        self._breaker = breaker
        self._owns_client = False
        self.oversize = 0
        """Values not written because they were larger than ``max_value_bytes``."""
        self._shards = _Shards(self) if self._cluster else None
        self._last_counted: dict[int, float] = {}

    def _transport_for(self, client: Any) -> Transport:
        if isinstance(client, Redis | RedisCluster):
            if client.get_encoder().decode_responses:
                raise ValueError("RedisCache needs a client made with decode_responses=False")
            return RedisPyTransport(
                client,
                budget=self.budget,
                pool_wait=self._timeout,
                rate=self._rate,
            )
        if _glide is not None and isinstance(
            client, _glide.GlideClient | _glide.GlideClusterClient
        ):
            from aiohttp_apim.cache.redis_glide import GlideTransport

            return GlideTransport(
                None,
                request_timeout=self.budget,
                connect_timeout=self._connect_timeout,
                client=client,
            )
        if isinstance(client, _GlideUrl):
            from aiohttp_apim.cache.redis_glide import GlideTransport

            return GlideTransport(
                client.settings, request_timeout=self.budget, connect_timeout=self._connect_timeout
            )
        raise TypeError(
            "client must be a redis.asyncio.Redis or redis.asyncio.cluster.RedisCluster (or a "
            f"valkey-glide GlideClient or GlideClusterClient), not {type(client).__name__}"
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = "apim:",
        operation_timeout: float = 0.25,
        cluster: bool | None = None,
        breaker: CircuitBreaker | None = None,
        connect_timeout: float = 1.0,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
        min_throughput: int = DEFAULT_MIN_THROUGHPUT,
        client: ClientChoice = "auto",
        **client_options: Any,
    ) -> RedisCache:
        """Make a cache with a client of its own (closed by :meth:`close`) for ``url``.

        URLs: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://...`` (TLS) and
        ``unix://[[user]:password@]/path/to/socket[?db=N]`` for one server;
        ``redis+cluster://host:port`` and ``rediss+cluster://host:port`` for a Redis Cluster
        (any one node: the client finds the others). ``cluster=True`` makes a ``redis://`` or
        ``rediss://`` URL a cluster URL too. Query-string options of redis-py are accepted.

        ``client``: ``"glide"`` (valkey-glide, ``pip install 'aiohttp_apim[glide]'``),
        ``"redis-py"`` (redis.asyncio, with a ``BlockingConnectionPool``), or ``"auto"`` (the
        default): glide when it is installed and can do what the URL and ``client_options`` ask
        (TCP, with ``client_name``, ``username``, ``password``, ``ssl_ca_certs`` or
        ``ssl_cert_reqs`` only), else redis-py. ``client_options`` go to the redis-py client,
        over :data:`CLIENT_DEFAULTS`. Nothing connects yet: the client connects on first use
        (glide in the background: a Redis down at startup costs no request more than its budget).
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
        if client not in ("auto", "glide", "redis-py"):
            raise ValueError(f"client must be 'auto', 'glide' or 'redis-py', got {client!r}")
        options = {**parse_url(url), **client_options}
        options.pop("connection_class", None)
        glide_can = scheme != "unix" and set(options) <= _GLIDE_OPTIONS | {"host", "port"}
        if client == "glide":
            if _glide is None:
                raise ValueError(
                    "client='glide' needs valkey-glide: pip install 'aiohttp_apim[glide]'"
                )
            if not glide_can:
                unknown = sorted(set(options) - _GLIDE_OPTIONS - {"host", "port"})
                raise ValueError(
                    f"client='glide' cannot do {'a unix socket' if scheme == 'unix' else unknown}"
                )
        made: Any
        if client == "glide" or (client == "auto" and _glide is not None and glide_can):
            made = _GlideUrl(_glide_settings(url, options, cluster=bool(cluster)))
        else:
            made = _redis_py_client(
                url,
                client_options,
                cluster=bool(cluster),
                budget=operation_timeout + max_value_bytes / min_throughput,
                pool_wait=operation_timeout,
            )
        cache = cls(
            made,
            prefix=prefix,
            operation_timeout=operation_timeout,
            breaker=breaker,
            connect_timeout=connect_timeout,
            max_value_bytes=max_value_bytes,
            min_throughput=min_throughput,
        )
        cache._owns_client = True
        return cache

    # -- observation ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``"redis"``, or ``"redis-cluster"`` on a Redis Cluster."""
        return "redis-cluster" if self._cluster else "redis"

    @property
    def bounds_own_calls(self) -> bool:
        """True: every operation is bounded by its own budget and guarded by a breaker, so the
        gateway adds no timer of its own."""
        return True

    @property
    def client(self) -> Any:
        """The client the cache uses: a redis.asyncio client, or a glide client (``None`` for
        one :meth:`from_url` makes, until first use)."""
        if isinstance(self._client, _GlideUrl):
            return getattr(self._transport, "client", None)
        return self._client

    @property
    def library(self) -> str:
        """The client library: ``"valkey-glide"`` or ``"redis.asyncio"``."""
        return self._transport.library

    @property
    def owns_client(self) -> bool:
        """Whether the cache made its client (:meth:`from_url`) and so closes it."""
        return self._owns_client

    @property
    def breaker(self) -> CircuitBreaker:
        """The breaker of a standalone server; on a cluster, the one that guards the cache until
        the slot map is known (each primary then has its own: :attr:`breakers`)."""
        return self._breaker

    @property
    def breakers(self) -> dict[str, CircuitBreaker]:
        """Every breaker of the cache: ``{"": breaker}`` for a standalone server; on a cluster
        also each primary's, by ``"host:port"``."""
        found = {"": self._breaker}
        if self._shards is not None:
            found.update(self._shards.breakers)
        return found

    @property
    def prefix(self) -> str:
        return self._prefix.decode("utf-8", "surrogatepass")

    @property
    def operation_timeout(self) -> float:
        return self._timeout

    @property
    def budget(self) -> float:
        """The longest an operation waits for Redis's answer: ``operation_timeout`` plus
        ``max_value_bytes`` at ``min_throughput``."""
        return self._timeout + self._max_value / self._rate

    @property
    def max_value_bytes(self) -> int:
        return self._max_value

    def __repr__(self) -> str:
        return (
            f"<RedisCache {self._label()} prefix={self.prefix!r} "
            f"breaker={self._breaker.state.value}>"
        )

    # -- the Cache protocol -----------------------------------------------------------------

    async def get(self, key: str) -> CacheHit | None:
        """See :meth:`Cache.get`: one ``GET`` of the packed entry. A key of another type than
        string (set by another tool) raises :class:`CacheUnavailable`: it is neither an entry
        nor a miss."""
        name = self._key(key)
        reply = await self._call(name, self._transport.command, ("GET", name), 0)
        if reply is None:
            return None
        hit = _unpack(reply)
        if hit is not _FOREIGN:
            return hit
        return (await self._read_foreign([name]))[0]

    async def get_many(self, keys: Sequence[str]) -> list[CacheHit | None]:
        """See :meth:`Cache.get_many`: one ``MGET`` on a standalone server, one per hash slot
        on a cluster (concurrently)."""
        if isinstance(keys, str):
            raise TypeError("get_many() takes a sequence of keys, not a single str")
        if not keys:
            return []
        encoded = [self._key(key) for key in keys]
        command = self._transport.command
        if self._cluster:
            # One MGET per hash slot (a command's keys must share a slot).
            by_slot: dict[int, list[int]] = {}
            for index, name in enumerate(encoded):
                by_slot.setdefault(key_slot(name), []).append(index)
            groups = list(by_slot.values())
            replies = await asyncio.gather(
                *(
                    self._call(encoded[g[0]], command, ("MGET", *(encoded[i] for i in g)), 0)
                    for g in groups
                ),
                return_exceptions=True,
            )
            values: list[Any] = [None] * len(encoded)
            for group, reply in zip(groups, replies, strict=True):
                if isinstance(reply, BaseException):
                    raise reply
                if type(reply) is not list or len(reply) != len(group):
                    raise CacheUnavailable(
                        f"{self._label()}: unexpected reply to MGET: {reply!r:.200}"
                    )
                for index, value in zip(group, reply, strict=True):
                    values[index] = value
        else:
            values = await self._call(encoded[0], command, ("MGET", *encoded), 0)
            if type(values) is not list or len(values) != len(encoded):
                raise CacheUnavailable(
                    f"{self._label()}: unexpected reply to MGET: {values!r:.200}"
                )
        results: list[CacheHit | None] = []
        foreign: list[int] = []
        for index, value in enumerate(values):
            hit = None if value is None else _unpack(value)
            if hit is _FOREIGN:
                foreign.append(index)
                hit = None
            results.append(hit)
        for index in foreign:  # rare: keys another tool wrote, counters
            results[index] = (await self._read_foreign([encoded[index]]))[0]
        return results

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """See :meth:`Cache.set`: ``SET key entry PX ms``, the TTL rounded up to a millisecond,
        the entry the value packed with its expiry. A value larger than ``max_value_bytes`` is
        not written, and the key is deleted."""
        ms = _ttl_ms(ttl)
        if type(value) is not bytes:
            value = bytes(value)
        name = self._key(key)
        command = self._transport.command
        if len(value) > self._max_value:
            self.oversize += 1
            logger.debug(
                "%s: not storing a value of %d bytes (max_value_bytes=%d)",
                self._label(),
                len(value),
                self._max_value,
            )
            await self._call(name, command, ("DEL", name), 0)
            return
        if len(value) <= 20 and _DECIMAL.fullmatch(value):
            entry = value  # kept as it is, so that it can seed a counter (see increment)
        else:
            expires = min(_now_ms() + ms, _MAX_EXPIRY_MS)
            entry = b"".join((_PACKED, expires.to_bytes(8, "big"), value))
        await self._call(name, command, ("SET", name, entry, "PX", ms), len(entry))

    async def delete(self, key: str) -> bool:
        """See :meth:`Cache.delete`: ``DEL``."""
        name = self._key(key)
        removed = await self._call(name, self._transport.command, ("DEL", name), 0)
        if type(removed) is not int:
            raise CacheUnavailable(f"{self._label()}: unexpected reply to DEL: {removed!r}")
        return removed > 0

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        """See :meth:`Cache.increment`: ``INCRBY``, and ``PEXPIRE`` when the key is new, in one
        atomic script. A key of another type than string raises :class:`CacheUnavailable`."""
        ms = _ttl_ms(ttl)
        if not _INT64_MIN <= amount <= _INT64_MAX:
            raise ValueError(f"increment amount {amount} is outside the signed 64-bit range")
        name = self._key(key)
        reply = await self._call(
            name,
            self._transport.script,
            _INCREMENT.source,
            _INCREMENT.sha,
            (name,),
            (int(amount), ms),
        )
        try:
            return int(reply)
        except (TypeError, ValueError):
            raise CacheUnavailable(
                f"{self._label()}: unexpected reply to an increment: {reply!r}"
            ) from None

    async def close(self) -> None:
        """Close the connections of a client the cache made (:meth:`from_url`); leave an
        injected client alone. Safe to call any number of times.

        Like :meth:`MemoryCache.close`, this releases what the cache holds without ending it:
        a later operation connects again (and a later ``close()`` closes that connection
        too). So one cache shared by several apps or gateways survives the cleanup of the
        first one that stops.
        """
        if self._shards is not None:
            await self._shards.close()
        await self._transport.close()
        if self._owns_client and isinstance(self._client, Redis | RedisCluster):
            await _close_client(self._client)

    # -- locks (SupportsLocks) ----------------------------------------------------------------

    async def acquire_lock(self, name: str, ttl: float) -> str | None:
        """See :meth:`SupportsLocks.acquire_lock`: ``SET lock token NX PX ms``, the token 128
        random bits."""
        ms = _ttl_ms(ttl)
        token = secrets.token_hex(16)
        key = self._key(name)
        reply = await self._call(
            key, self._transport.command, ("SET", key, token, "NX", "PX", ms), len(token)
        )
        return None if reply is None else token

    async def release_lock(self, name: str, token: str, *, hold_for: float = 0.0) -> bool:
        """See :meth:`SupportsLocks.release_lock`: compare and delete (or shorten) in one
        script, so a lock that expired and was taken by another holder is never touched."""
        if not 0.0 <= hold_for < math.inf:
            raise ValueError(f"hold_for must be a finite number of seconds >= 0, got {hold_for!r}")
        hold_ms = _ttl_ms(hold_for) if hold_for > 0 else 0
        key = self._key(name)
        reply = await self._call(
            key, self._transport.script, _RELEASE.source, _RELEASE.sha, (key,), (token, hold_ms)
        )
        return bool(reply == 1)

    async def lock_held(self, name: str) -> bool:
        """See :meth:`SupportsLocks.lock_held`: ``EXISTS``."""
        key = self._key(name)
        reply = await self._call(key, self._transport.command, ("EXISTS", key), 0)
        if type(reply) is not int:
            raise CacheUnavailable(f"{self._label()}: unexpected reply to EXISTS: {reply!r}")
        return reply > 0

    # -- tracking (SupportsTracking) ---------------------------------------------------------

    async def fetch(self, keys: Sequence[str]) -> list[CacheHit | None]:
        """See :meth:`SupportsTracking.fetch`: the read script (each value with its ``PTTL``,
        atomically), once on a standalone server, once per hash slot on a cluster; each TTL
        less the time since the call began."""
        if isinstance(keys, str):
            raise TypeError("fetch() takes a sequence of keys, not a single str")
        if not keys:
            return []
        loop = asyncio.get_running_loop()
        started = loop.time()
        names = [self._key(key) for key in keys]
        groups = [list(range(len(names)))]
        if self._cluster:
            by_slot: dict[int, list[int]] = {}
            for index, name in enumerate(names):
                by_slot.setdefault(key_slot(name), []).append(index)
            groups = list(by_slot.values())
        replies = await asyncio.gather(
            *(self._read_foreign([names[index] for index in group]) for group in groups)
        )
        spent = loop.time() - started
        results: list[CacheHit | None] = [None] * len(names)
        for group, hits in zip(groups, replies, strict=True):
            for index, hit in zip(group, hits, strict=True):
                if hit is None:
                    continue
                value = hit.value
                if value.startswith(_PACKED) and len(value) >= _HEADER:
                    value = value[_HEADER:]
                ttl = hit.ttl_remaining
                if ttl is not None:
                    ttl -= spent
                    if ttl <= 0:
                        continue  # gone by the time the answer is read
                results[index] = CacheHit(value, ttl)
        return results

    def track(self, listener: ChangeListener) -> KeyTracker:
        """See :meth:`SupportsTracking.track`: Redis's own key tracking (``CLIENT TRACKING ...
        BCAST PREFIX <prefix>``) on connections of the feed's own, one per primary
        (:mod:`~aiohttp_apim.cache.redis_tracking`). Needs a client made by :meth:`from_url` or
        a redis.asyncio client (a glide client made elsewhere does not tell its address and
        credentials: :class:`TypeError`)."""
        return KeyTracker(
            self._dialer(),
            self._prefix,
            listener,
            label=self._label(),
            connect_timeout=self._connect_timeout,
        )

    def _dialer(self) -> Dialer:
        client = self._client
        ours: dict[str, Any] = {
            "protocol": 2,
            "socket_timeout": None,
            "socket_connect_timeout": self._connect_timeout,
            "health_check_interval": 0,
            "retry": Retry(_NO_BACKOFF(), 0),
            "decode_responses": False,
        }
        if isinstance(client, _GlideUrl):
            return _glide_dialer(client.settings, ours)
        if isinstance(client, RedisCluster):
            nodes = list(client.nodes_manager.startup_nodes.values())
            if not nodes:
                raise TypeError("the RedisCluster client names no node to track changes on")
            first = nodes[0]
            node_class: type[AbstractConnection] = first.connection_class

            def on_node(host: str, port: int) -> AbstractConnection:
                return node_class(**{**first.connection_kwargs, **ours, "host": host, "port": port})

            return Dialer([(str(node.host), int(node.port)) for node in nodes], True, on_node)
        if isinstance(client, Redis):
            pool = client.connection_pool
            kwargs = {**pool.connection_kwargs, **ours}
            pool_class: type[AbstractConnection] = pool.connection_class
            if "path" in kwargs:  # a unix socket: one server, no address to choose
                return Dialer([("", 0)], False, lambda host, port: pool_class(**kwargs))

            def on_server(host: str, port: int) -> AbstractConnection:
                return pool_class(**{**kwargs, "host": host, "port": port})

            return Dialer(
                [(str(kwargs.get("host", "localhost")), int(kwargs.get("port", 6379)))],
                False,
                on_server,
            )
        raise TypeError(
            "tracking changes needs a RedisCache made with from_url() or on a redis.asyncio "
            f"client: the address and credentials of a {type(client).__name__} made elsewhere "
            "are not known to the cache"
        )

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
        try:
            return await self._transport.delete_matching(_glob_escape(self._prefix) + b"*")
        except (Fault, LocalLimit, ReplyError) as exc:
            raise CacheUnavailable(f"{self._label()}: clear failed: {exc}") from exc

    # -- internals --------------------------------------------------------------------------

    def _key(self, key: str) -> bytes:
        return self._prefix + key.encode("utf-8", "surrogatepass")

    def _label(self) -> str:
        return f"{self.name} cache at {self._address}"

    async def _call(self, route: bytes, run: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``run(*args)`` behind the breaker of the server that holds ``route``; every failure
        becomes :class:`CacheUnavailable` (:class:`CacheBusy` for a local limit, ValueError for
        a counter Redis will not add to)."""
        shards = self._shards
        breaker = self._breaker if shards is None else shards.breaker_for(route)
        ticket = breaker.before_call()
        if ticket is None:
            if shards is not None:
                shards.refresh_soon()  # a promoted replica may serve these slots by now
            raise CacheUnavailable(
                f"{breaker.name} is unavailable: circuit open after repeated failures, "
                f"next probe in {breaker.retry_in():.1f} s"
            )
        # (time.monotonic, not the loop's time: get_running_loop costs a getpid system call,
        # and only these two readings are ever compared)
        started = time.monotonic()
        try:
            if ticket:  # the probe may wait for a connection being made, within its budget
                await self._transport.wait_connected(self.budget)
            reply = await run(*args)
        except asyncio.CancelledError:
            breaker.on_abandon(ticket)
            raise
        except LocalLimit as exc:
            breaker.on_abandon(ticket)
            raise CacheBusy(f"{self._label()}: {exc}") from None
        except Fault as fault:
            if isinstance(fault, Unreachable) and shards is None:
                # No connection at all to the one server: one outage, however many calls find
                # it so. (On a cluster, where a call may fall back to the cache's own breaker
                # while the slot map is learnt, it counts as any failure.)
                breaker.on_outage(ticket, str(fault))
            else:
                self._failed(breaker, ticket, started)
                if shards is not None:
                    shards.refresh_soon()
            raise CacheUnavailable(f"{breaker.name}: {fault}") from None
        except ReplyError as error:
            if error.code in _DOWN_CODES:
                self._failed(breaker, ticket, started)
            else:
                breaker.on_success(ticket)  # the server answered: it is up
            if shards is not None and error.code in _STALE_CODES:
                shards.refresh_soon()
            raise _reply_error(error, self._label()) from None
        breaker.on_success(ticket)
        return reply

    def _failed(self, breaker: CircuitBreaker, ticket: int, started: float) -> None:
        """Count a failure, once per outage: a call that was already on its way when the last
        failure was counted (every request in flight when a connection dropped, or when a
        server stopped answering) fails of the same cause, and is not counted again. A probe's
        outcome always counts."""
        key = id(breaker)
        if not ticket and started < self._last_counted.get(key, -math.inf):
            return
        self._last_counted[key] = time.monotonic()
        was_open = breaker.state is not BreakerState.CLOSED
        breaker.on_failure(ticket)
        if not was_open and breaker.state is BreakerState.OPEN and self._shards is None:
            # A connection to a server that stopped answering may never answer again: the
            # probe after the cool-down goes over a new one.
            self._transport.reset()

    async def _read_foreign(self, names: list[bytes]) -> list[CacheHit | None]:
        """Read keys that hold no packed entry (a counter, a key another tool wrote) with the
        read script: each value with its own ``PTTL``, atomically."""
        reply = await self._call(
            names[0], self._transport.script, _READ.source, _READ.sha, names, ()
        )
        return self._hits(reply, len(names))

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
            elif pttl == -1:
                hits.append(CacheHit(value, None))
            else:  # -2: no such key; 0: expiring this very millisecond
                hits.append(None)
        return hits


class _Shards:
    """Which primary holds each slot of a cluster, for counting failures per primary, and each
    primary's breaker. The client routes the commands itself; this only says whose breaker a
    failure belongs to: the primary the client sends the key to (redis.asyncio tells; for glide
    the map is learnt with ``CLUSTER SLOTS``). The map is learnt again in the background (at
    most every 0.2 s) whenever a failure, a redirection or an open breaker says it may be
    stale: once a replica has taken a lost primary's slots over, they get the new primary's
    breaker, closed, and their keys are served again."""

    def __init__(self, cache: RedisCache) -> None:
        self._cache = cache
        self._transport = cache._transport
        self._slots: list[str | None] = [None] * _SLOTS
        self.breakers: dict[str, CircuitBreaker] = {}
        self._task: asyncio.Task[None] | None = None
        self._last = -math.inf

    def breaker_for(self, key: bytes) -> CircuitBreaker:
        slot = key_slot(key)
        node = self._transport.node_of(slot) or self._slots[slot]
        if node is None:
            self.refresh_soon()
            return self._cache.breaker
        breaker = self.breakers.get(node)
        if breaker is None:
            breaker = self.breakers[node] = self._cache.breaker.clone(
                f"{self._cache.name} node {node}"
            )
        return breaker

    def refresh_soon(self) -> None:
        task = self._task
        if task is None or task.done():
            self._task = asyncio.get_running_loop().create_task(self._refresh())

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    async def _refresh(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._last + _REFRESH_INTERVAL - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        self._last = loop.time()
        try:
            ranges = await self._transport.learn_slots()
        except (Fault, LocalLimit, ReplyError, TypeError, ValueError, IndexError) as error:
            logger.debug("could not learn the cluster's slot map: %s", error)
            return
        if ranges is None:
            return
        slots: list[str | None] = [None] * _SLOTS
        for first, last, node in ranges:
            first, last = max(0, first), min(last, _SLOTS - 1)
            slots[first : last + 1] = [node] * (last - first + 1)
        self._slots = slots


class _GlideUrl:
    """What :meth:`RedisCache.from_url` hands the constructor for a glide client it will make
    on first use (making one connects, so not here)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings


def _glide_settings(url: str, options: dict[str, Any], *, cluster: bool) -> Any:
    from aiohttp_apim.cache.redis_glide import GlideSettings

    ca_path = options.get("ssl_ca_certs")
    ca_certs = None
    if ca_path:
        with open(ca_path, "rb") as file:
            ca_certs = file.read()
    db = int(options.get("db") or 0)
    if cluster and db:
        raise ValueError(f"db {db}: a Redis Cluster has only db 0 ({_redact(url)})")
    return GlideSettings(
        addresses=[(str(options.get("host", "localhost")), int(options.get("port", 6379)))],
        cluster=cluster,
        tls=url.lower().startswith("rediss://"),
        insecure_tls=str(options.get("ssl_cert_reqs", "required")).lower() == "none",
        ca_certs=ca_certs,
        username=options.get("username"),
        password=options.get("password"),
        db=db,
        client_name=options.get("client_name"),
    )


_NO_BACKOFF: Final[Callable[[], AbstractBackoff]] = NoBackoff
"""NoBackoff's constructor, typed (it is unannotated before redis-py 5.1)."""


def _glide_dialer(settings: Any, ours: dict[str, Any]) -> Dialer:
    """Connections for tracking to the servers a glide client made from a URL talks to."""
    common: dict[str, Any] = {
        **ours,
        "db": settings.db,
        "username": settings.username,
        "password": settings.password,
        "client_name": settings.client_name,
    }
    connection_class: type[Connection] = Connection
    if settings.tls:
        connection_class = SSLConnection
        common["ssl_cert_reqs"] = "none" if settings.insecure_tls else "required"
        if settings.insecure_tls:
            common["ssl_check_hostname"] = False
        if settings.ca_certs:
            common["ssl_ca_data"] = settings.ca_certs.decode()

    def make(host: str, port: int) -> AbstractConnection:
        return connection_class(host=host, port=port, **common)

    return Dialer(list(settings.addresses), settings.cluster, make)


def _redis_py_client(
    url: str, client_options: dict[str, Any], *, cluster: bool, budget: float, pool_wait: float
) -> RedisClient:
    no_retry = Retry(_NO_BACKOFF(), 0)
    options: dict[str, Any] = {
        **CLIENT_DEFAULTS,
        # Never before the cache's own budget: a socket timeout would cut a large value short.
        "socket_timeout": 2 * budget,
        "retry": no_retry,
    }
    options.update(client_options)
    if options["decode_responses"]:
        raise ValueError("RedisCache needs decode_responses=False")
    try:
        if cluster:
            return RedisCluster.from_url(url, **options)
        max_connections = options.pop("max_connections", 100)
        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=pool_wait, **options
        )
        return Redis.from_pool(pool)  # the client owns the pool: aclose() closes it
    except RedisClusterException as exc:  # e.g. a db other than 0 for a cluster
        raise ValueError(f"{exc} ({_redact(url)})") from exc


class _NotAnEntry(enum.Enum):
    """`_unpack`'s answer for a value that is not a packed entry (an enum, so that mypy narrows
    ``hit is _FOREIGN``)."""

    FOREIGN = enum.auto()


_FOREIGN: Final = _NotAnEntry.FOREIGN


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _unpack(entry: Any) -> CacheHit | Literal[_NotAnEntry.FOREIGN] | None:
    """The hit in a packed entry; ``None`` when its expiry has passed (by this process's
    clock); :data:`_FOREIGN` when ``entry`` is not one (a counter, another tool's key)."""
    if type(entry) is not bytes or not entry.startswith(_PACKED) or len(entry) < _HEADER:
        return _FOREIGN
    expires = int.from_bytes(entry[len(_PACKED) : _HEADER], "big")
    remaining = expires - _now_ms()
    if remaining <= 0:
        return None  # Redis is about to expire it (or the writer's clock is ahead)
    return CacheHit(entry[_HEADER:], remaining / 1000)


def _ttl_ms(ttl: float) -> int:
    # Written so that NaN fails too.
    if not 0.0 < ttl < math.inf:
        raise ValueError(f"ttl must be a finite number of seconds > 0, got {ttl!r}")
    return min(max(math.ceil(ttl * 1000), 1), _MAX_TTL_MS)


def _reply_error(error: ReplyError, label: str) -> Exception:
    """The exception for an error reply: ValueError for a counter Redis will not add to."""
    message = str(error)
    if "not an integer" in message:
        return ValueError("the value stored under this key is not a 64-bit decimal integer")
    if "overflow" in message:
        return ValueError("the counter would leave the signed 64-bit integer range")
    return CacheUnavailable(
        f"{label}: {error.code + ': ' if error.code not in message else ''}{message}"
    )


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


def _describe(client: Any) -> str:
    """Where the client connects, for log messages (no credentials)."""
    try:
        if isinstance(client, _GlideUrl):
            host, port = client.settings.addresses[0]
            return f"{host}:{port}" + ("" if client.settings.cluster else f"/{client.settings.db}")
        if isinstance(client, RedisCluster):
            nodes = getattr(client.nodes_manager, "startup_nodes", {})
            return ",".join(sorted(nodes)) or "a Redis Cluster"
        if isinstance(client, Redis):
            kwargs = client.connection_pool.connection_kwargs
            if kwargs.get("path"):
                return f"unix:{kwargs['path']}"
            return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"
        return type(client).__name__
    except Exception:  # description only: never fail construction over it
        return "Redis"


def _redact(url: str) -> str:
    """``url`` without its password."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = "***@" + authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"
