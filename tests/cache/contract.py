"""The behaviour every :class:`~aiohttp_apim.cache.Cache` backend must have, written once.

A backend's test module subclasses :class:`CacheContract` (its name must start with ``Test`` for
pytest to collect it) and overrides two fixtures:

``cache``
    A fresh, empty backend that no other test sees (for Redis: its own key prefix), closed
    after the test. The contract calls ``close()`` itself in one test, so closing twice must work.
``advance``
    An async callable that makes ``seconds`` pass for that backend: step an injected clock
    (memory), or really wait (Redis, whose server keeps time).

and may set ``tick``: every TTL and every step of time in the suite is a multiple of it, so a
backend on real time (Redis) can run the expiry tests with short TTLs (e.g. ``tick = 0.1``: TTLs of
1 s), while one on an injected clock keeps the default. On real time, a busy machine only ever
adds time: so an entry expected gone is looked for at least a tick after its expiry, and one
expected still there at least 9 ticks before it (tests that let no time pass use TTLs of 100
ticks, :attr:`CacheContract.lasting`), so that real-time backends are not flaky.
"""

from __future__ import annotations

import asyncio
import math
import unicodedata
from collections.abc import Awaitable, Callable
from typing import ClassVar

import pytest

from aiohttp_apim.cache import Cache, CacheHit

Advance = Callable[[float], Awaitable[None]]
"""Makes the given number of seconds pass for a backend."""

INT64_MAX = 2**63 - 1

# Keys a policy can produce from request data: unicode, whitespace, control characters, the
# empty string, a long key, two spellings of "é" that only Unicode normalisation would merge,
# and a lone surrogate (what undecodable request bytes become).
KEYS = [
    "plain",
    "",
    " ",
    "with space",
    "tab\tand\nnewline",
    "nul\x00inside",
    "ключ",
    "🔑 emoji",
    "\u00e9",  # é, one code point (NFC)
    "e\u0301",  # é, e + combining acute (NFD)
    "Case",
    "case",
    "lone\ud800surrogate",
    "long:" + "x" * 10_000,
]
assert unicodedata.normalize("NFC", KEYS[9]) == KEYS[8]

VALUES = [
    b"\x00",
    b"\x00" * 16,
    b"a\x00b\x00",
    bytes(range(256)),
    b"\xff\xfe\xfd",
    b"\r\n\r\n",
    bytes(i % 251 for i in range(1024 * 1024)),
]


class ManualClock:
    """A clock that only moves when told to; for backends that take an injectable clock.

    It starts far from zero so that code assuming time starts at 0 fails.
    """

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CacheContract:
    """The contract suite. Subclass it, override the ``cache`` and ``advance`` fixtures."""

    tick: ClassVar[float] = 1.0
    """The unit of time (seconds) of every TTL and step in the suite."""

    @property
    def lasting(self) -> float:
        """The TTL of the entries of tests that let no time pass (100 ticks): far longer than
        any stall of a busy machine between a write and the read after it, on a real-time
        backend."""
        return 100 * self.tick

    @pytest.fixture
    def cache(self) -> Cache:
        raise NotImplementedError("a backend's contract test must override the cache fixture")

    @pytest.fixture
    def advance(self) -> Advance:
        raise NotImplementedError("a backend's contract test must override the advance fixture")

    async def _hit(self, cache: Cache, key: str) -> CacheHit:
        hit = await cache.get(key)
        assert hit is not None, f"expected a hit for {key!r}"
        return hit

    # -- identity -----------------------------------------------------------------------------

    def test_is_a_cache_with_a_name(self, cache: Cache) -> None:
        assert isinstance(cache, Cache)
        assert isinstance(cache.name, str)
        assert cache.name

    # -- get / set ----------------------------------------------------------------------------

    async def test_missing_key_is_a_miss(self, cache: Cache) -> None:
        assert await cache.get("never-stored") is None

    async def test_stored_value_comes_back_with_its_remaining_ttl(self, cache: Cache) -> None:
        ttl = self.lasting
        await cache.set("k", b"value", ttl)
        hit = await self._hit(cache, "k")
        assert hit.value == b"value"
        assert type(hit.value) is bytes
        assert hit.ttl_remaining is not None
        assert 0 < hit.ttl_remaining <= ttl

    async def test_stored_empty_value_is_a_hit_not_a_miss(self, cache: Cache) -> None:
        await cache.set("empty", b"", self.lasting)
        hit = await cache.get("empty")
        assert hit is not None
        assert hit.value == b""

    async def test_set_overwrites_value_and_restarts_ttl(
        self, cache: Cache, advance: Advance
    ) -> None:
        await cache.set("k", b"old", 10 * self.tick)
        await advance(6 * self.tick)
        await cache.set("k", b"new", self.lasting)
        await advance(6 * self.tick)  # 12 ticks after the first set: only the new TTL keeps it
        assert (await self._hit(cache, "k")).value == b"new"

    async def test_overwrite_can_shorten_the_ttl(self, cache: Cache, advance: Advance) -> None:
        await cache.set("k", b"long", 100 * self.tick)
        await cache.set("k", b"short", 2 * self.tick)
        await advance(3 * self.tick)
        assert await cache.get("k") is None

    @pytest.mark.parametrize("key", KEYS, ids=range(len(KEYS)))
    async def test_any_string_is_a_key(self, cache: Cache, key: str) -> None:
        await cache.set(key, b"v:" + key.encode("utf-8", "surrogatepass"), self.lasting)
        hit = await self._hit(cache, key)
        assert hit.value == b"v:" + key.encode("utf-8", "surrogatepass")

    async def test_different_strings_are_different_keys(self, cache: Cache) -> None:
        for i, key in enumerate(KEYS):
            await cache.set(key, b"%d" % i, self.lasting)
        for i, key in enumerate(KEYS):
            assert (await self._hit(cache, key)).value == b"%d" % i, key[:20]

    @pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
    async def test_binary_values_round_trip_byte_for_byte(self, cache: Cache, value: bytes) -> None:
        await cache.set("bin", value, self.lasting)
        assert (await self._hit(cache, "bin")).value == value

    @pytest.mark.parametrize("ttl", [0.0, -1.0, math.nan, math.inf])
    async def test_a_ttl_that_is_not_positive_and_finite_is_rejected(
        self, cache: Cache, ttl: float
    ) -> None:
        await cache.set("k", b"kept", self.lasting)
        with pytest.raises(ValueError, match="ttl"):
            await cache.set("k", b"replaced", ttl)
        with pytest.raises(ValueError, match="ttl"):
            await cache.increment("counter", 1, ttl)
        assert (await self._hit(cache, "k")).value == b"kept"
        assert await cache.get("counter") is None

    # -- expiry -------------------------------------------------------------------------------

    async def test_entry_expires_after_its_ttl(self, cache: Cache, advance: Advance) -> None:
        await cache.set("k", b"v", 10 * self.tick)
        await advance(self.tick)
        hit = await self._hit(cache, "k")
        assert hit.ttl_remaining is not None
        # At least a tick has passed; allow a millisecond for backends that round to ms.
        assert 0 < hit.ttl_remaining <= 9 * self.tick + 0.001
        await advance(10 * self.tick)
        assert await cache.get("k") is None

    async def test_an_expired_entry_can_be_stored_again(
        self, cache: Cache, advance: Advance
    ) -> None:
        await cache.set("k", b"first", 2 * self.tick)
        await advance(3 * self.tick)
        await cache.set("k", b"second", self.lasting)
        assert (await self._hit(cache, "k")).value == b"second"

    # -- delete -------------------------------------------------------------------------------

    async def test_delete_removes_and_reports_it(self, cache: Cache) -> None:
        await cache.set("k", b"v", self.lasting)
        assert await cache.delete("k") is True
        assert await cache.get("k") is None
        assert await cache.delete("k") is False

    async def test_delete_of_a_missing_key_is_false(self, cache: Cache) -> None:
        assert await cache.delete("never-stored") is False

    async def test_delete_of_an_expired_key_is_false(self, cache: Cache, advance: Advance) -> None:
        await cache.set("k", b"v", 2 * self.tick)
        await advance(3 * self.tick)
        assert await cache.delete("k") is False

    async def test_delete_of_a_stored_empty_value_is_true(self, cache: Cache) -> None:
        await cache.set("k", b"", self.lasting)
        assert await cache.delete("k") is True

    # -- get_many -----------------------------------------------------------------------------

    async def test_get_many_keeps_order_and_marks_misses(self, cache: Cache) -> None:
        await cache.set("a", b"A", self.lasting)
        await cache.set("b", b"", self.lasting)
        results = await cache.get_many(["b", "missing", "a", "b"])
        assert [r.value if r is not None else None for r in results] == [b"", None, b"A", b""]

    async def test_get_many_of_nothing_is_empty(self, cache: Cache) -> None:
        assert await cache.get_many([]) == []

    async def test_get_many_refuses_a_single_str(self, cache: Cache) -> None:
        with pytest.raises(TypeError):
            await cache.get_many("abc")

    # -- increment ----------------------------------------------------------------------------

    async def test_increment_counts_and_reads_back_as_decimal(self, cache: Cache) -> None:
        assert await cache.increment("c", 1, self.lasting) == 1
        assert await cache.increment("c", 1, self.lasting) == 2
        assert await cache.increment("c", 5, self.lasting) == 7
        assert await cache.increment("c", -10, self.lasting) == -3
        assert (await self._hit(cache, "c")).value == b"-3"

    async def test_increment_by_zero_creates_the_counter(self, cache: Cache) -> None:
        assert await cache.increment("c", 0, self.lasting) == 0
        hit = await self._hit(cache, "c")
        assert hit.value == b"0"
        assert hit.ttl_remaining is not None

    async def test_increment_window_opens_at_first_increment_and_is_never_extended(
        self, cache: Cache, advance: Advance
    ) -> None:
        await cache.increment("c", 1, 10 * self.tick)
        await advance(self.tick)
        # A later increment, even with a longer ttl, does not move the window's end.
        assert await cache.increment("c", 1, 100 * self.tick) == 2
        await advance(10 * self.tick)
        assert await cache.get("c") is None
        assert await cache.increment("c", 1, 10 * self.tick) == 1

    async def test_increment_of_a_stored_decimal_keeps_its_ttl(
        self, cache: Cache, advance: Advance
    ) -> None:
        await cache.set("c", b"41", 10 * self.tick)
        assert await cache.increment("c", 1, 100 * self.tick) == 42
        await advance(11 * self.tick)
        assert await cache.get("c") is None

    @pytest.mark.parametrize(
        "stored",
        [
            *(b"abc", b"", b"1.5", b" 1", b"1 ", b"+1", b"01", b"-0", b"\x001", b"1e3"),
            *(b"9223372036854775808", b"-9223372036854775809"),  # beyond signed 64 bits
        ],
    )
    async def test_increment_of_a_value_that_is_not_a_decimal_integer_raises(
        self, cache: Cache, stored: bytes
    ) -> None:
        await cache.set("c", stored, self.lasting)
        with pytest.raises(ValueError, match="integer"):
            await cache.increment("c", 1, self.lasting)
        assert (await self._hit(cache, "c")).value == stored

    async def test_increment_stays_within_signed_64_bits(self, cache: Cache) -> None:
        assert await cache.increment("c", INT64_MAX, self.lasting) == INT64_MAX
        with pytest.raises(ValueError, match="64-bit"):
            await cache.increment("c", 1, self.lasting)
        assert (await self._hit(cache, "c")).value == b"%d" % INT64_MAX
        assert await cache.increment("c", -INT64_MAX - 1, self.lasting) == -1

    async def test_concurrent_increments_are_atomic(self, cache: Cache) -> None:
        results = await asyncio.gather(*(cache.increment("c", 1, self.lasting) for _ in range(50)))
        assert sorted(results) == list(range(1, 51))
        assert (await self._hit(cache, "c")).value == b"50"

    # -- close --------------------------------------------------------------------------------

    async def test_close_is_idempotent(self, cache: Cache) -> None:
        await cache.close()
        await cache.close()
