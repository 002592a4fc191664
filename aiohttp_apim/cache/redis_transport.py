"""What :class:`~aiohttp_apim.cache.redis.RedisCache` needs from a Redis client, and the three
ways a call can fail.

A transport wraps one well-kept client library (``valkey-glide``: :mod:`.redis_glide`;
``redis.asyncio``: :mod:`.redis_py`) and turns each of its failures into one of:

* :class:`Fault` -- Redis, or the network to it, failed (refused, reset, closed, no answer in
  time, a reply that is not RESP): it counts toward the circuit breaker of the server concerned;
  :class:`Unreachable`, a kind of Fault, says that there is no connection at all (refused, or the
  transport is still connecting in the background): the call was not sent, and on a standalone
  server the whole outage counts once, opening the breaker at once;
* :class:`LocalLimit` -- the call could not start in time for a reason of this process (every
  pooled connection busy, too many requests in flight): it says nothing about Redis and counts for
  nothing;
* :class:`ReplyError` -- Redis answered with an error (``WRONGTYPE``, ``NOSCRIPT``, a counter
  that is not a number): the server is up.

No exception type of a client library leaves a transport.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["Fault", "LocalLimit", "ReplyError", "Transport", "Unreachable"]

Arg = bytes | str | int


class Fault(Exception):
    """Redis, or the network to it, failed."""


class Unreachable(Fault):
    """There is no connection to Redis (it refused one, or the transport has not connected
    yet): the call failed at once, without reaching the network."""


class LocalLimit(Exception):
    """The call could not start in time for a reason of this process."""


class ReplyError(Exception):
    """An error reply from Redis. ``code`` is its first word (``"WRONGTYPE"``, ``"NOSCRIPT"``,
    ``"ERR"``...), as far as the client tells it."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code or (message.split(" ", 1)[0] if message else "")


class Transport(Protocol):
    """One client library, as the cache uses it."""

    @property
    def library(self) -> str:
        """The client library, for messages: ``"valkey-glide"`` or ``"redis.asyncio"``."""
        ...

    @property
    def cluster(self) -> bool: ...

    async def command(self, args: Sequence[Arg], size: int) -> Any:
        """Run one command whose first key (if any) routes it; ``size`` is the bytes it carries
        (the budget grows with them). Returns the reply."""
        ...

    async def script(
        self, source: bytes, sha: str, keys: Sequence[bytes], args: Sequence[Arg]
    ) -> Any:
        """Run a Lua script (loading it where the server lacks it), routed by its keys."""
        ...

    def node_of(self, slot: int) -> str | None:
        """The primary (``"host:port"``) that the client sends ``slot``'s commands to, when the
        client tells (redis.asyncio does); ``None`` when it does not, or does not know yet."""
        ...

    async def learn_slots(self) -> list[tuple[int, int, str]] | None:
        """Learn the cluster's slot map again: ``(first, last, "host:port")`` per range, or
        ``None`` when the client keeps it and :meth:`node_of` tells (a cluster only)."""
        ...

    async def delete_matching(self, pattern: bytes) -> int:
        """``SCAN`` every primary for ``pattern`` and delete what it finds (administration:
        not bounded by the operation budget)."""
        ...

    async def wait_connected(self, patience: float) -> None:
        """Wait up to ``patience`` seconds for a connection that is being made (the breaker's
        probe may: one call per cool-down); return at once when there is one, or when the
        client connects on its own as it sends (then the call itself tells)."""
        ...

    def reset(self) -> None:
        """Drop the connections (a server that stopped answering may have left a connection
        that will never answer again); the next call opens new ones."""
        ...

    async def close(self) -> None:
        """Release the connections; the transport connects again when used."""
        ...
