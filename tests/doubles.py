"""Cache test doubles, shared by every test that needs a cache other than the two real ones.

:class:`DictCache` is a third backend written from the :class:`~aiohttp_apim.cache.Cache`
protocol's docstrings alone (a dict with TTLs on a clock, optionally slow): it passes the backend
contract suite (``tests/cache/test_contract_dict.py``) and serves gateways in the scenario tests,
which shows that the pipeline relies on the protocol only. It declares itself *not* in process,
like any remote store, so the gateway times its calls and writes to it in the background.

The fault doubles build on it: :class:`GatedCache` (writes wait for a gate), :class:`FailingCache`
(chosen operations raise), :class:`HangingCache` (chosen operations never answer).
:class:`TrackedCache` reports changes of its keys when the test says so (a shared cache with a
change feed, for the near cache's rules), and can hold its reads' answers.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence

from aiohttp_apim.cache import Cache, CacheHit, CacheUnavailable, ChangeListener

__all__ = ["DictCache", "FailingCache", "GatedCache", "HangingCache", "TrackedCache"]

_CANONICAL = re.compile(rb"-?[1-9][0-9]*|0")
_INT64 = (-(2**63), 2**63 - 1)


class DictCache(Cache):
    """A remote-like cache in a dict: every call takes ``latency`` seconds (0: it still yields
    to the loop once, as a network client would)."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, latency: float = 0.0
    ) -> None:
        self.clock = clock
        self.latency = latency
        self.entries: dict[str, tuple[bytes, float]] = {}
        self.closes = 0

    @property
    def name(self) -> str:
        return "dict"

    async def _wait(self) -> None:
        await asyncio.sleep(self.latency)

    @staticmethod
    def _check_ttl(ttl: float) -> None:
        if not 0 < ttl < math.inf:
            raise ValueError(f"ttl must be finite and > 0, got {ttl!r}")

    def _live(self, key: str) -> tuple[bytes, float] | None:
        entry = self.entries.get(key)
        if entry is not None and entry[1] <= self.clock():
            del self.entries[key]
            return None
        return entry

    async def get(self, key: str) -> CacheHit | None:
        await self._wait()
        entry = self._live(key)
        return None if entry is None else CacheHit(entry[0], entry[1] - self.clock())

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._check_ttl(ttl)
        await self._wait()
        self.entries[key] = (bytes(value), self.clock() + ttl)

    async def delete(self, key: str) -> bool:
        await self._wait()
        return self._live(key) is not None and self.entries.pop(key, None) is not None

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        self._check_ttl(ttl)
        await self._wait()
        entry = self._live(key)
        if entry is None:
            value, expires = 0, self.clock() + ttl
        else:
            if not _CANONICAL.fullmatch(entry[0]) or not _INT64[0] <= int(entry[0]) <= _INT64[1]:
                raise ValueError("not a 64-bit decimal integer")
            value, expires = int(entry[0]), entry[1]
        value += amount
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError("outside the signed 64-bit range")
        self.entries[key] = (str(value).encode(), expires)
        return value

    async def close(self) -> None:
        self.closes += 1


class GatedCache(DictCache):
    """Writes wait for ``gate`` (a cache slower than the traffic); counts writes started and
    finished."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self.gate = asyncio.Event()
        self.started = 0
        self.finished = 0

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self.started += 1
        await self.gate.wait()
        await super().set(key, value, ttl)
        self.finished += 1


class FailingCache(DictCache):
    """The operations named in ``failing`` raise ``error`` (default: the cache is down)."""

    def __init__(
        self,
        failing: Iterable[str] = ("get", "set", "delete", "increment"),
        *,
        clock: Callable[[], float] = time.monotonic,
        error: Exception | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.failing = set(failing)
        self.error = error if error is not None else CacheUnavailable("connection refused")

    def _fail(self, operation: str) -> None:
        if operation in self.failing:
            raise self.error

    async def get(self, key: str) -> CacheHit | None:
        self._fail("get")
        return await super().get(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        self._fail("set")
        await super().set(key, value, ttl)

    async def delete(self, key: str) -> bool:
        self._fail("delete")
        return await super().delete(key)

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        self._fail("increment")
        return await super().increment(key, amount, ttl)


class HangingCache(DictCache):
    """The operations named in ``hanging`` never answer (a cache that stopped responding)."""

    def __init__(
        self,
        hanging: Iterable[str] = ("get", "set", "delete", "increment"),
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(clock=clock)
        self.hanging = set(hanging)

    async def _hang(self, operation: str) -> None:
        if operation in self.hanging:
            await asyncio.Event().wait()

    async def get(self, key: str) -> CacheHit | None:
        await self._hang("get")
        return await super().get(key)

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        await self._hang("set")
        await super().set(key, value, ttl)

    async def delete(self, key: str) -> bool:
        await self._hang("delete")
        return await super().delete(key)

    async def increment(self, key: str, amount: int, ttl: float) -> int:
        await self._hang("increment")
        return await super().increment(key, amount, ttl)


class _Feed:
    """TrackedCache's feed of changes: live when the test says so."""

    def __init__(self) -> None:
        self.live = True
        self.starts = 0

    def start(self) -> None:
        self.starts += 1

    async def close(self) -> None:
        self.live = False


class TrackedCache(DictCache):
    """A shared cache with a change feed driven by the test: :meth:`report` and
    :meth:`report_all` tell the listener (as the server would), ``feed.live`` says whether
    changes are being reported. A read looks its entry up at once and answers when ``answers``
    is set (cleared: the answer is on its way -- the moment a change can overtake it)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(clock=clock)
        self.feed = _Feed()
        self.listener: ChangeListener | None = None
        self.answers = asyncio.Event()
        self.answers.set()
        self.reads = 0

    def track(self, listener: ChangeListener) -> _Feed:
        self.listener = listener
        return self.feed

    async def report(self, *keys: str) -> None:
        assert self.listener is not None
        await self.listener.keys_changed(list(keys))

    async def report_all(self) -> None:
        assert self.listener is not None
        await self.listener.all_changed()

    async def get(self, key: str) -> CacheHit | None:
        self.reads += 1
        entry = self._live(key)
        hit = None if entry is None else CacheHit(entry[0], entry[1] - self.clock())
        await self.answers.wait()
        return hit

    async def get_many(self, keys: Sequence[str]) -> list[CacheHit | None]:
        return [await self.get(key) for key in keys]

    async def fetch(self, keys: Sequence[str]) -> list[CacheHit | None]:
        return await self.get_many(keys)  # the TTLs are the store's own
