"""The cache's transport on valkey-glide: a client with a Rust core that multiplexes one connection
per server, keeps the cluster's topology itself (``MOVED``, failovers) and times every request in
its own thread.

Why it is the default: on the cache's hit path it reads 1.9-2.4x as many values per second as
``redis.asyncio`` (``benchmarks/redis_clients.py``), and its design answers the cache's needs
directly: one multiplexed connection has no pool to run out of in a burst, and a request's time is
measured where the bytes arrive, not on an event loop that may be busy, so a late loop never turns
a reply into a timeout.

Connecting happens in the background, never in a request's time. The client is made with
``lazy_connect`` (making one otherwise blocks the event loop until it has connected), and a task
of the transport's own sends it a ``PING`` until one is answered: each attempt bounded by
``connect_timeout``, a short pause between attempts. Calls made in the first operation budget
after connecting began wait for the connection until that budget is over (a healthy Redis
connects well within it, so the first requests are cached and nothing is counted as failing),
and so may the breaker's probe, within its budget, unless the last attempt failed; every other
call while there is no connection fails at once with
:class:`~aiohttp_apim.cache.redis_transport.Unreachable`, and the cache counts the outage once
and carries on without it. Not sending the calls is the point: glide queues the commands of a
client that is not connected behind its connection attempts, one ``connect_timeout`` each, so a
burst of requests to a Redis that is down would wait one after another. :meth:`reset` (the
breaker gave up on the connection) retires the client and connects a new one the same way.
Once connected, glide reconnects by itself, and each request is bounded by glide's
``request_timeout``: the cache's operation budget for the largest value it writes.

Logging. glide's Rust core prints its own log (every failed connection attempt) to stderr,
outside Python's logging. Unless the application has set glide's logger up first
(``glide.Logger.set_logger_config(...)``), the transport turns it off before it makes its first
client, and reports instead on this module's logger: one WARNING when connecting fails, again at
most once a minute while it keeps failing, and INFO once connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from glide import (
    AdvancedGlideClientConfiguration,
    AdvancedGlideClusterClientConfiguration,
    ClosingError,
    ClusterScanCursor,
    GlideClient,
    GlideClientConfiguration,
    GlideClusterClient,
    GlideClusterClientConfiguration,
    GlideError,
    Logger,
    LogLevel,
    NodeAddress,
    ProtocolVersion,
    RequestError,
    Script,
    ServerCredentials,
    TlsAdvancedConfiguration,
)
from glide import ConnectionError as GlideConnectionError
from glide import TimeoutError as GlideTimeoutError

from aiohttp_apim.cache.redis_transport import Arg, Fault, LocalLimit, ReplyError, Unreachable

__all__ = ["GlideSettings", "GlideTransport"]

logger = logging.getLogger(__name__)

# Requests one client may have in flight; past it glide refuses at once (a local limit). Well
# above what the gateway can have pending (reads of concurrent requests plus its bounded writes).
_INFLIGHT: Final = 100_000
# Replies that glide wraps in its own words; the server's own code comes after this.
_SIGNALLED: Final = "An error was signalled by the server: - "
_ERROR_KINDS: Final = {"NoScriptError": "NOSCRIPT", "ResponseError": "ERR"}
_SERVER_CODE: Final = re.compile(r"([A-Z][A-Z_]+):? ")
# Pauses between connection attempts (seconds): short, for each attempt already waits up to
# connect_timeout when Redis does not answer.
_FIRST_PAUSE: Final = 0.05
_LAST_PAUSE: Final = 0.5
# While connecting keeps failing, a WARNING at most this often (seconds); DEBUG in between.
_WARN_EVERY: Final = 60.0


@dataclass(frozen=True, slots=True)
class GlideSettings:
    """How to reach Redis with glide (from a URL)."""

    addresses: list[tuple[str, int]]
    cluster: bool = False
    tls: bool = False
    insecure_tls: bool = False
    ca_certs: bytes | None = None
    username: str | None = None
    password: str | None = None
    db: int = 0
    client_name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class GlideTransport:
    """A :class:`~aiohttp_apim.cache.redis_transport.Transport` on one glide client, connected in
    the background from first use on (and again after :meth:`reset`)."""

    def __init__(
        self,
        settings: GlideSettings | None,
        *,
        request_timeout: float,
        connect_timeout: float,
        client: GlideClient | GlideClusterClient | None = None,
    ) -> None:
        # Without settings, ``client`` is a user's own client: used as it is, never remade.
        if settings is None and client is None:
            raise ValueError("GlideTransport needs settings or a client")
        self._settings = settings
        self._request_ms = max(1, math.ceil(request_timeout * 1000))
        self._connect_ms = max(1, math.ceil(connect_timeout * 1000))
        self._client: GlideClient | GlideClusterClient | None = client
        # The client that calls go to: a user's client at once, ours once it answered a PING.
        self._live = client
        self._connecting: asyncio.Task[None] | None = None
        self._up: asyncio.Event | None = None  # set when the attempts under way succeed
        self._began = -math.inf  # when connecting began (loop time)
        self._down = False  # an attempt failed, or the breaker gave up on the connection
        self._failing = False  # the last attempt to connect failed
        self._why = "not connected yet"
        self._scripts: dict[str, Script] = {}
        self._retired: set[asyncio.Task[None]] = set()

    @property
    def library(self) -> str:
        return "valkey-glide"

    @property
    def cluster(self) -> bool:
        if self._settings is None:
            return isinstance(self._client, GlideClusterClient)
        return self._settings.cluster

    @property
    def client(self) -> GlideClient | GlideClusterClient | None:
        """The glide client (``None`` until first use)."""
        return self._client

    @property
    def ready(self) -> bool:
        """Whether the client is connected, so that calls are sent (not while it connects)."""
        return self._live is not None

    async def command(self, args: Sequence[Arg], size: int) -> Any:
        client = self._live or await self._connection()
        try:
            return await client.custom_command(_encode(args))
        except GlideError as error:
            raise _translate(error) from None

    async def script(
        self, source: bytes, sha: str, keys: Sequence[bytes], args: Sequence[Arg]
    ) -> Any:
        client = self._live or await self._connection()
        script = self._scripts.get(sha)
        if script is None:
            script = self._scripts[sha] = _new_script(source)
        try:
            return await client.invoke_script(script, keys=list(keys), args=_encode(args))
        except GlideError as error:
            raise _translate(error) from None

    def node_of(self, slot: int) -> str | None:
        return None  # glide keeps its slot map to itself

    async def learn_slots(self) -> list[tuple[int, int, str]] | None:
        reply = await self.command(["CLUSTER", "SLOTS"], 0)
        ranges = []
        for entry in reply:
            primary = entry[2]
            host = primary[0].decode() if isinstance(primary[0], bytes) else str(primary[0])
            ranges.append((int(entry[0]), int(entry[1]), f"{host}:{int(primary[1])}"))
        return ranges

    async def delete_matching(self, pattern: bytes) -> int:
        client = self._live or await self._connection(admin=True)
        deleted = 0
        try:
            if isinstance(client, GlideClusterClient):
                cursor = _new_cursor()
                while not cursor.is_finished():
                    reply = await client.scan(cursor, match=pattern, count=1000)
                    cursor, keys = _scanned(reply, ClusterScanCursor)
                    if keys:
                        deleted += await client.delete(keys)
                return deleted
            position = b"0"
            while True:
                position, found = _scanned(
                    await client.scan(position, match=pattern, count=1000), bytes
                )
                if found:
                    deleted += await client.delete(found)
                if int(position) == 0:
                    return deleted
        except GlideError as error:
            raise _translate(error) from None

    async def wait_connected(self, patience: float) -> None:
        if self._live is not None or self._failing:
            return  # nothing to wait for, or no reason to think the attempt will succeed
        self._start_connecting()
        up = self._up
        if up is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(patience):
                    await up.wait()

    def reset(self) -> None:
        if self._settings is None:
            return  # a user's client: theirs to manage
        client, self._client = self._client, None
        self._live = None
        self._down = True
        self._why = "reconnecting"
        if client is not None:
            closing = asyncio.get_running_loop().create_task(_close(client))
            self._retired.add(closing)
            closing.add_done_callback(self._retired.discard)
        connecting, self._connecting = self._connecting, None
        if connecting is not None and not connecting.done():
            connecting.cancel()  # it may be waiting on the client just retired
        self._start_connecting()

    async def close(self) -> None:
        if self._settings is None:
            return  # a user's client is never closed by the cache
        task, self._connecting = self._connecting, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])
        client, self._client = self._client, None
        self._live = None
        self._down = self._failing = False
        self._why = "not connected yet"
        if client is not None:
            await _close(client)
        if self._retired:
            await asyncio.wait(list(self._retired))

    # -- internals --------------------------------------------------------------------------

    async def _connection(self, *, admin: bool = False) -> GlideClient | GlideClusterClient:
        """The client, for a call made while it is not connected: connecting if nobody is, and
        waiting for it only in the first operation budget after connecting began (longer for
        administration) and only while no attempt has failed; else :class:`Unreachable`."""
        self._start_connecting()
        if not self._down:
            if admin:
                patience = (self._connect_ms + self._request_ms) / 1000
            else:
                patience = self._began + self._request_ms / 1000 - asyncio.get_running_loop().time()
            if patience > 0:
                await self.wait_connected(patience)
        client = self._live
        if client is None:
            if not self._down:
                # Connecting for the first time, and no attempt has failed yet: a slow start (a
                # busy event loop, a far server) is not Redis's failure, and must not open the
                # breaker of a healthy Redis. A local limit: this call misses, a rate limit
                # waits. (After a failure, or once the breaker gave up on a connection, it is.)
                raise LocalLimit(f"still connecting to Redis ({self._why})")
            raise Unreachable(f"no connection to Redis: {self._why}")
        return client

    def _start_connecting(self) -> None:
        task = self._connecting
        if (task is None or task.done()) and self._settings is not None:
            loop = asyncio.get_running_loop()
            self._began = loop.time()
            self._up = asyncio.Event()
            self._connecting = loop.create_task(self._connect())

    async def _connect(self) -> None:
        """Make the client and PING it until it answers, then let calls through."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        warned_at = -math.inf
        attempts = 0
        pause = _FIRST_PAUSE
        # glide bounds each attempt by connect_timeout itself; this is a backstop only.
        backstop = 2 * (self._connect_ms + self._request_ms) / 1000
        while True:
            attempts += 1
            try:
                client = self._client
                if client is None:
                    client = self._client = await self._create()
                await asyncio.wait_for(client.custom_command(["PING"]), backstop)
            except Exception as error:  # any: a connector that ended would leave no connection
                self._down = self._failing = True
                why = _why_not(error)
                self._why = " ".join(why.split())  # glide's messages may end in a newline
                now = loop.time()
                if now - warned_at >= _WARN_EVERY:
                    warned_at = now
                    logger.warning(
                        "cannot connect to Redis at %s (%s); cache calls fail at once while "
                        "the connection is retried in the background (attempt %d, %.1f s)",
                        self._where(),
                        self._why,
                        attempts,
                        now - began,
                    )
                else:
                    logger.debug("connecting to Redis at %s failed: %s", self._where(), self._why)
                await asyncio.sleep(pause)
                pause = min(2 * pause, _LAST_PAUSE)
                continue
            self._live = client
            self._down = self._failing = False
            if self._up is not None:
                self._up.set()
            if warned_at > -math.inf:
                logger.info(
                    "connected to Redis at %s after %.1f s (%d attempts)",
                    self._where(),
                    loop.time() - began,
                    attempts,
                )
            return

    def _where(self) -> str:
        s = self._settings
        return ",".join(f"{host}:{port}" for host, port in s.addresses) if s else "?"

    async def _create(self) -> GlideClient | GlideClusterClient:
        s = self._settings
        assert s is not None
        _quiet_glide_log()
        addresses = [NodeAddress(host, port) for host, port in s.addresses]
        credentials = (
            ServerCredentials(password=s.password, username=s.username)
            if s.password is not None
            else None
        )
        tls = None
        if s.tls and (s.insecure_tls or s.ca_certs):
            tls = TlsAdvancedConfiguration(
                use_insecure_tls=s.insecure_tls or None, root_pem_cacerts=s.ca_certs
            )
        common: dict[str, Any] = {
            "use_tls": s.tls,
            "credentials": credentials,
            "request_timeout": self._request_ms,
            "client_name": s.client_name,
            "protocol": ProtocolVersion.RESP2,
            "inflight_requests_limit": _INFLIGHT,
            "lazy_connect": True,
        }
        client: GlideClient | GlideClusterClient
        if s.cluster:
            client = await GlideClusterClient.create(
                GlideClusterClientConfiguration(
                    addresses,
                    advanced_config=AdvancedGlideClusterClientConfiguration(
                        connection_timeout=self._connect_ms, tls_config=tls
                    ),
                    **common,
                )
            )
        else:
            client = await GlideClient.create(
                GlideClientConfiguration(
                    addresses,
                    database_id=s.db or None,
                    advanced_config=AdvancedGlideClientConfiguration(
                        connection_timeout=self._connect_ms, tls_config=tls
                    ),
                    **common,
                )
            )
        return client


def _quiet_glide_log() -> None:
    """Turn glide's own log (printed to stderr by its Rust core) off, unless the application
    has set it up already: ``Logger.init`` changes nothing then. The transport logs what
    matters on Python's logging instead."""
    with contextlib.suppress(GlideError):  # a log that cannot be set up must not stop caching
        Logger.init(LogLevel.OFF)


def _why_not(error: Exception) -> str:
    """Why an attempt to connect failed, for the log."""
    if isinstance(error, GlideError):
        return str(_translate(error))
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"


async def _close(client: GlideClient | GlideClusterClient) -> None:
    with contextlib.suppress(GlideError):
        await client.close()


def _encode(args: Sequence[Arg]) -> list[bytes | str]:
    """glide takes str and bytes only."""
    return [arg if isinstance(arg, (bytes, str)) else b"%d" % arg for arg in args]


# glide's constructors, typed: the classes leave their ``__init__`` unannotated
_new_script: Final[Callable[[bytes], Script]] = Script
_new_cursor: Final[Callable[[], ClusterScanCursor]] = ClusterScanCursor

_Cursor = TypeVar("_Cursor")


def _scanned(reply: Sequence[object], cursor: type[_Cursor]) -> tuple[_Cursor, list[bytes]]:
    """SCAN's reply, checked: the next cursor and the keys found."""
    if len(reply) == 2:
        after, keys = reply
        if isinstance(after, cursor) and isinstance(keys, list):
            return after, keys
    raise Fault(f"SCAN answered {reply!r:.100}")


def _translate(error: GlideError) -> Exception:
    """glide's exception as a Fault, a LocalLimit or a ReplyError."""
    message = str(error)
    if isinstance(error, GlideTimeoutError):
        return Fault(f"no answer in time ({message})")
    if isinstance(error, GlideConnectionError | ClosingError):
        return Fault(message)
    if isinstance(error, RequestError):
        if "inflight requests" in message.lower():
            return LocalLimit(message)
        if message.startswith(_SIGNALLED):
            kind, _, text = message[len(_SIGNALLED) :].partition(": ")
            return ReplyError(text or kind, _ERROR_KINDS.get(kind, kind.upper()))
        code = _SERVER_CODE.match(message)
        if code is not None:  # the server's own error reply, e.g. "WRONGTYPE: Operation ..."
            return ReplyError(message, code.group(1))
        # Anything else is glide's own account of a failure (e.g. "Failed to create initial
        # connections - IoError: ... Connection refused").
        return Fault(message)
    return Fault(f"{type(error).__name__}: {message}")
