"""Which keys of a :class:`~aiohttp_apim.cache.redis.RedisCache` change, whoever changes them:
Redis's server-assisted client-side caching (``CLIENT TRACKING`` in broadcasting mode), on
connections of our own.

Each connection asks its server to report every change of a key under the cache's prefix to the
connection itself (``CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <prefix>``) and
subscribes to ``__redis__:invalidate``, where the reports arrive (RESP2 style: Redis >= 6 or Valkey,
whichever client library the cache uses; valkey-glide's own client-side cache keeps entries for a
fixed time rather than their Redis TTL, and redis.asyncio has none). The server reports writes,
deletions, expiry and eviction made by any client -- other instances, instances without a near
cache, other tools -- and ``FLUSHDB``/``FLUSHALL`` as "everything". A change is reported by the
server that holds the key, so there is one connection per primary: the server, or every primary of
a cluster (learnt with ``CLUSTER SLOTS``, and checked again every few seconds, since a failover or
a resharding moves keys to a server not watched yet).

The feed is *live* once every connection is subscribed; the listener is then told that everything
may have changed (:meth:`~aiohttp_apim.cache.base.ChangeListener.all_changed`): reports made
before, or while a connection was down, are lost. A connection that fails, or that answers no
``PING`` for :data:`_SILENCE` seconds at two looks in a row (a server that vanished without
closing anything), ends the session: the feed is not live until all are back (retried with a
backoff from 50 ms up to 2 s). Failures are logged once per outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError

from aiohttp_apim.cache.base import ChangeListener

_CONNECT: Final[Callable[[AbstractConnection], Awaitable[None]]] = AbstractConnection.connect
"""``connect()``, typed (it is unannotated before redis-py 5.1)."""

__all__ = ["Dialer", "KeyTracker"]

logger = logging.getLogger(__name__)

_CHANNEL: Final = b"__redis__:invalidate"
_PING_INTERVAL: Final = 0.5
# A connection silent this long (no report, no answer to the PINGs sent every interval) is dead.
_SILENCE: Final = 2.0
_FIRST_RETRY: Final = 0.05
_MAX_RETRY: Final = 2.0
# How often a cluster's primaries are checked for a change (a failover, a resharding).
_TOPOLOGY_INTERVAL: Final = 2.0


@dataclass(frozen=True, slots=True)
class Dialer:
    """How to reach the servers whose keys are tracked: ``seeds`` (host, port) to start from,
    whether they form a cluster, and ``make(host, port)`` -- an unconnected redis.asyncio
    connection to one of them, with the cache's credentials and TLS settings, speaking RESP2,
    without socket timeout or retries of its own."""

    seeds: Sequence[tuple[str, int]]
    cluster: bool
    make: Callable[[str, int], AbstractConnection]


class _Lost(Exception):
    """A tracking connection ended (or went silent): the session is over."""


class _Link:
    """One tracking connection and when it was last heard from."""

    __slots__ = ("connection", "heard", "name", "suspect")

    def __init__(self, connection: AbstractConnection, name: str, now: float) -> None:
        self.connection = connection
        self.name = name
        self.heard = now
        self.suspect = False


class _Session:
    """The connections of one live session: one per primary, and on a cluster a control
    connection that checks the primaries now and then."""

    __slots__ = ("control", "control_host", "links", "primaries")

    def __init__(self) -> None:
        self.links: list[_Link] = []
        self.control: AbstractConnection | None = None
        self.control_host = ""
        self.primaries: set[tuple[str, int]] = set()

    async def close(self) -> None:
        for link in self.links:
            await _disconnect(link.connection)
        if self.control is not None:
            await _disconnect(self.control)


class KeyTracker:
    """A :class:`~aiohttp_apim.cache.base.Tracking` on one cache's servers, reporting the keys
    under ``prefix`` (without it) to ``listener``."""

    def __init__(
        self,
        dialer: Dialer,
        prefix: bytes,
        listener: ChangeListener,
        *,
        label: str,
        connect_timeout: float,
    ) -> None:
        self._dialer = dialer
        self._prefix = prefix
        self._listener = listener
        self._label = label
        self._connect_timeout = connect_timeout
        self._task: asyncio.Task[None] | None = None
        self._live = False
        self._sessions = 0
        self._known: list[tuple[str, int]] = []

    @property
    def live(self) -> bool:
        """Whether every change is being reported now."""
        return self._live

    @property
    def sessions(self) -> int:
        """How many times the feed has become live (diagnostics)."""
        return self._sessions

    def start(self) -> None:
        task = self._task
        if task is None or task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        task, self._task = self._task, None
        self._live = False
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait([task])

    # -- internals --------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = _FIRST_RETRY
        reported = False  # this outage was logged
        while True:
            before = self._sessions
            try:
                await self._session()
            except (
                _Lost,
                RedisError,
                OSError,
                TimeoutError,
                TypeError,
                ValueError,
                IndexError,
            ) as error:
                if self._sessions != before:
                    reported = False  # it was live: a new outage
                if not reported:
                    reported = True
                    logger.warning(
                        "%s: changes are not tracked until tracking is back (near cache "
                        "entries are kept, none are added): %s",
                        self._label,
                        str(error) or type(error).__name__,
                    )
            if self._sessions != before:
                delay = _FIRST_RETRY
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY)

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        primaries = await self._primaries()
        session = _Session()
        try:
            for host, port in primaries:
                connection = await self._subscribe(host, port)
                session.links.append(_Link(connection, f"{host}:{port}", loop.time()))
            if self._dialer.cluster:
                session.control = await self._connect(*primaries[0])
                session.control_host = primaries[0][0]
                session.primaries = set(primaries)
            await self._listener.all_changed()
            self._live = True
            self._sessions += 1
            logger.info("%s: tracking changes on %d server(s)", self._label, len(primaries))
            await self._serve(session)
        finally:
            self._live = False
            await session.close()

    async def _primaries(self) -> list[tuple[str, int]]:
        if not self._dialer.cluster:
            return list(self._dialer.seeds[:1])
        error: Exception = _Lost("no node of the cluster answered")
        # Every node seen so far, replicas too: after a failover the seed may be the node lost.
        for host, port in [*self._known, *self._dialer.seeds]:
            try:
                connection = await self._connect(host, port)
            except (RedisError, OSError, TimeoutError) as failure:
                error = failure
                continue
            try:
                return await self._cluster_primaries(connection, host)
            finally:
                await _disconnect(connection)
        raise error

    async def _cluster_primaries(
        self, connection: AbstractConnection, asked: str
    ) -> list[tuple[str, int]]:
        """The primaries ``CLUSTER SLOTS`` names (every node it names is remembered)."""
        async with asyncio.timeout(self._connect_timeout):
            await connection.send_command("CLUSTER", "SLOTS")
            reply = await connection.read_response()
        primaries: set[tuple[str, int]] = set()
        nodes: dict[tuple[str, int], None] = {}
        for entry in reply:
            for index, node in enumerate(entry[2:]):
                host = node[0].decode() if isinstance(node[0], bytes) else str(node[0])
                address = (host or asked, int(node[1]))  # "" means the node asked
                nodes[address] = None
                if index == 0:
                    primaries.add(address)
        if not primaries:
            raise _Lost("the cluster has no slots assigned")
        self._known = list(nodes)
        return sorted(primaries)

    async def _connect(self, host: str, port: int) -> AbstractConnection:
        connection = self._dialer.make(host, port)
        try:
            async with asyncio.timeout(self._connect_timeout):
                await _CONNECT(connection)
        except BaseException:
            await _disconnect(connection)
            raise
        return connection

    async def _subscribe(self, host: str, port: int) -> AbstractConnection:
        connection = await self._connect(host, port)
        try:
            async with asyncio.timeout(self._connect_timeout):
                await connection.send_command("CLIENT", "ID")
                own = await connection.read_response()
                command: list[Any] = ["CLIENT", "TRACKING", "ON", "REDIRECT", own, "BCAST"]
                if self._prefix:
                    command += ["PREFIX", self._prefix]
                await connection.send_command(*command)
                await connection.read_response()
                await connection.send_command("SUBSCRIBE", _CHANNEL)
                await connection.read_response()
        except BaseException:
            await _disconnect(connection)
            raise
        return connection

    async def _serve(self, session: _Session) -> None:
        tasks = [asyncio.ensure_future(self._read(link)) for link in session.links]
        tasks.append(asyncio.ensure_future(self._watch(session)))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in done:
            task.result()  # raises what ended the session
        raise _Lost("tracking stopped")

    async def _read(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        listener, prefix = self._listener, self._prefix
        skip = len(prefix)
        while True:
            message = await link.connection.read_response()
            link.heard = loop.time()
            if type(message) is not list or len(message) < 3 or message[0] != b"message":
                continue  # a PING's answer, or a subscription's confirmation
            keys = message[2]
            if keys is None:  # FLUSHDB, FLUSHALL
                await listener.all_changed()
                continue
            changed = [
                key[skip:].decode("utf-8", "surrogatepass")
                for key in keys
                if type(key) is bytes and key.startswith(prefix)
            ]
            if changed:
                await listener.keys_changed(changed)

    async def _watch(self, session: _Session) -> None:
        """PING every connection now and then, and end the session when one has been silent for
        too long (a PING is answered on the connection's own stream, which :meth:`_read`
        reads), or when a cluster's primaries have changed."""
        loop = asyncio.get_running_loop()
        next_topology = loop.time() + _TOPOLOGY_INTERVAL
        while True:
            await asyncio.sleep(_PING_INTERVAL)
            now = loop.time()
            for link in session.links:
                if now - link.heard > _SILENCE:
                    if link.suspect:
                        raise _Lost(f"{link.name} stopped answering")
                    # Silent at one look: perhaps only this loop was busy, and the answer
                    # waits in the socket. Dead if still silent at the next look.
                    link.suspect = True
                else:
                    link.suspect = False
                await link.connection.send_command("PING")
            control = session.control
            if control is not None and now >= next_topology:
                next_topology = now + _TOPOLOGY_INTERVAL
                seen = set(await self._cluster_primaries(control, session.control_host))
                if seen != session.primaries:
                    raise _Lost("the cluster's primaries changed")


async def _disconnect(connection: AbstractConnection) -> None:
    with contextlib.suppress(Exception):
        await connection.disconnect()
