"""MemoryCache beyond the backend contract: byte accounting, LRU, the sweep, stats, clocks."""

from __future__ import annotations

import dataclasses
import gc
import json
import string
import subprocess
import sys
import tracemalloc
from collections import OrderedDict
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aiohttp_apim.cache import Cache, ClockBindable, MemoryCache, MemoryCacheStats
from aiohttp_apim.cache.memory import _SWEEP_BATCH, ENTRY_OVERHEAD
from tests.cache.contract import ManualClock

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a MemoryCache coroutine to completion without an event loop.

    MemoryCache's operations never suspend (that is what makes them atomic among tasks), so one
    ``send`` finishes them; a coroutine that suspends fails here instead of hanging.
    """
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coro.close()
    raise AssertionError("a MemoryCache operation suspended")


def size(key: str, value: bytes) -> int:
    return len(key.encode("utf-8", "surrogatepass")) + len(value) + ENTRY_OVERHEAD


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def make(clock: ManualClock, entries: int, value_len: int = 10) -> MemoryCache:
    """A cache with room for exactly ``entries`` entries of one-character keys."""
    return MemoryCache(max_bytes=entries * size("k", b"x" * value_len), clock=clock)


# -- construction -----------------------------------------------------------------------------


@pytest.mark.parametrize(("max_bytes", "max_entry_bytes"), [(0, 1), (-1, 1), (1, 0), (1, -5)])
def test_limits_must_be_positive(max_bytes: int, max_entry_bytes: int) -> None:
    with pytest.raises(ValueError, match="must be > 0"):
        MemoryCache(max_bytes, max_entry_bytes)


def test_is_a_cache_named_memory_that_binds_clocks() -> None:
    cache = MemoryCache()
    assert isinstance(cache, Cache)
    assert isinstance(cache, ClockBindable)
    assert cache.name == "memory"
    assert repr(cache) == f"<MemoryCache entries=0 bytes=0/{64 * 1024 * 1024}>"


def test_operations_never_suspend(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    run(cache.set("k", b"v", 10))
    assert run(cache.get("k")) is not None
    assert run(cache.get_many(["k", "x"]))[1] is None
    assert run(cache.increment("n", 1, 10)) == 1
    assert run(cache.delete("k")) is True
    run(cache.close())


# -- byte accounting --------------------------------------------------------------------------


async def test_an_entry_counts_its_utf8_key_its_value_and_the_overhead(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("ключ", b"12345", 10)
    assert cache.stats().current_bytes == 8 + 5 + ENTRY_OVERHEAD
    await cache.set("ascii", b"", 10)
    assert cache.stats().current_bytes == 8 + 5 + 5 + 2 * ENTRY_OVERHEAD


async def test_bytes_follow_overwrite_delete_expiry_and_increment(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("a", b"x" * 10, 10)
    await cache.set("a", b"x" * 30, 10)
    assert cache.stats().current_bytes == size("a", b"x" * 30)
    await cache.set("b", b"y", 5)
    assert await cache.delete("a")
    assert cache.stats().current_bytes == size("b", b"y")
    clock.advance(5)
    assert await cache.get("b") is None
    assert cache.stats().current_bytes == 0
    await cache.increment("n", 9, 10)
    await cache.increment("n", 1, 10)
    assert cache.stats().current_bytes == size("n", b"10")


def test_entry_overhead_covers_what_python_really_spends() -> None:
    # Keys and values exist before they are stored; what the cache adds is its containers, plus
    # the str and bytes object headers it keeps alive (their characters are counted already).
    n = 20_000
    keys = [f"key:{i:08d}" for i in range(n)]
    values = [b"%010d" % i for i in range(n)]
    headers = sum(sys.getsizeof(k) - len(k) for k in keys)
    headers += sum(sys.getsizeof(v) - len(v) for v in values)
    cache = MemoryCache(max_bytes=1 << 40, clock=ManualClock())
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for key, value in zip(keys, values, strict=True):
            run(cache.set(key, value, 60))
        # Overwrite half again: the stale heap items this leaves are as many as the heap keeps.
        for key, value in zip(keys[: n // 2], values[: n // 2], strict=True):
            run(cache.set(key, value, 120))
        gc.collect()
        spent = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    per_entry = (spent + headers) / n
    assert ENTRY_OVERHEAD / 2 < per_entry <= ENTRY_OVERHEAD


# -- LRU and the byte budget ------------------------------------------------------------------


async def test_least_recently_used_entry_is_evicted_first(clock: ManualClock) -> None:
    cache = make(clock, entries=3)
    for key in "abc":
        await cache.set(key, b"x" * 10, 100)
    assert await cache.get("a") is not None  # a is now the most recently used
    await cache.set("d", b"x" * 10, 100)
    assert await cache.get("b") is None
    for key in "acd":
        assert await cache.get(key) is not None
    assert cache.stats().evictions == 1


async def test_overwrite_and_increment_count_as_use(clock: ManualClock) -> None:
    cache = make(clock, entries=3, value_len=1)
    await cache.set("a", b"1", 100)
    await cache.set("b", b"1", 100)
    await cache.set("c", b"1", 100)
    await cache.set("a", b"2", 100)
    assert await cache.increment("b", 1, 100) == 2
    await cache.set("d", b"1", 100)
    assert await cache.get("c") is None
    for key in "abd":
        assert await cache.get(key) is not None


async def test_budget_is_never_exceeded(clock: ManualClock) -> None:
    cache = MemoryCache(max_bytes=10_000, clock=clock)
    for i in range(500):
        await cache.set(f"key-{i}", b"v" * (i % 97), 100)
        assert cache.stats().current_bytes <= 10_000
    stats = cache.stats()
    assert stats.evictions == 500 - stats.entries
    assert stats.current_bytes > 10_000 - size("key-499", b"v" * 96)  # full, not over-evicted


async def test_expired_entries_make_room_before_live_ones(clock: ManualClock) -> None:
    # More expired entries than one write's sweep batch, and a write that needs more room than
    # the batch frees: it must go on dropping expired entries rather than evict the live one.
    short_keys = string.ascii_letters[: _SWEEP_BATCH + 8]
    cache = make(clock, entries=len(short_keys) + 1)
    await cache.set("0", b"x" * 10, 100)  # the least recently used, but alive
    for key in short_keys:
        await cache.set(key, b"x" * 10, 1)
    clock.advance(2)
    big = b"x" * (size("k", b"x" * 10) * (_SWEEP_BATCH + 4) - ENTRY_OVERHEAD - 1)
    await cache.set("1", big, 100)
    assert await cache.get("0") is not None
    assert await cache.get("1") is not None
    stats = cache.stats()
    assert (stats.evictions, stats.expired) == (0, _SWEEP_BATCH + 4)


async def test_counter_growth_evicts_within_budget(clock: ManualClock) -> None:
    cache = MemoryCache(max_bytes=size("a", b"x") + size("n", b"9"), clock=clock)
    await cache.set("a", b"x", 100)
    await cache.increment("n", 9, 100)
    assert await cache.increment("n", 1, 100) == 10  # one byte more than the budget holds
    assert await cache.get("a") is None
    assert cache.stats().current_bytes == size("n", b"10")


# -- oversize entries -------------------------------------------------------------------------


async def test_an_entry_over_max_entry_bytes_is_not_stored(clock: ManualClock) -> None:
    limit = size("k", b"x" * 100)
    cache = MemoryCache(max_entry_bytes=limit, clock=clock)
    await cache.set("k", b"x" * 100, 10)  # exactly at the limit: kept
    assert await cache.get("k") is not None
    await cache.set("k", b"x" * 101, 10)
    # The newer value replaced the older one for the caller, so the older one is gone too.
    assert await cache.get("k") is None
    stats = cache.stats()
    assert (stats.stores, stats.oversize, stats.entries, stats.current_bytes) == (1, 1, 0, 0)


async def test_max_entry_bytes_above_max_bytes_is_capped(clock: ManualClock) -> None:
    cache = MemoryCache(max_bytes=size("a", b"x" * 10), max_entry_bytes=1 << 20, clock=clock)
    await cache.set("a", b"x" * 10, 10)
    await cache.set("big", b"x" * 1000, 10)  # fits max_entry_bytes, not the whole cache
    assert await cache.get("a") is not None  # nothing evicted for an entry that cannot fit
    assert cache.stats().oversize == 1


async def test_a_counter_under_an_oversize_key_raises(clock: ManualClock) -> None:
    cache = MemoryCache(max_entry_bytes=ENTRY_OVERHEAD + 100, clock=clock)
    with pytest.raises(ValueError, match="key too large"):
        await cache.increment("k" * 100, 1, 10)


# -- expiry and the sweep ---------------------------------------------------------------------


async def test_an_entry_expires_exactly_at_its_ttl(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("k", b"v", 10)
    clock.advance(9.5)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.ttl_remaining == 0.5
    clock.advance(0.5)
    assert await cache.get("k") is None
    assert cache.stats().expired == 1


async def test_sweep_removes_expired_entries_without_reads(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    for i in range(100):
        await cache.set(f"old-{i}", b"v", 1)
    clock.advance(2)
    for i in range(4):  # 4 writes x a batch of 32 covers the 100 expired entries
        await cache.set(f"new-{i}", b"v", 100)
    stats = cache.stats()
    assert (stats.entries, stats.expired, stats.hits, stats.misses) == (4, 100, 0, 0)
    assert stats.current_bytes == sum(size(f"new-{i}", b"v") for i in range(4))


async def test_sweep_per_write_is_bounded(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    for i in range(1000):
        await cache.set(f"old-{i}", b"v", 1)
    clock.advance(2)
    await cache.set("new", b"v", 100)
    assert cache.stats().expired == _SWEEP_BATCH


async def test_rewrites_do_not_grow_the_expiry_heap(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("other", b"v", 1e6)
    for i in range(10_000):
        await cache.set("hot", b"v", 1000 + i)  # each rewrite leaves a stale heap item
    assert len(cache._heap) <= 100  # rebuilt, not 10_000 long


async def test_ttl_remaining_is_exact_on_the_injected_clock(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("k", b"v", 2.5)
    clock.advance(1.25)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.ttl_remaining == 1.25


# -- values -----------------------------------------------------------------------------------


async def test_a_hit_returns_the_stored_object_itself(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    value = b"x" * 1000
    await cache.set("k", value, 10)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.value is value


async def test_a_mutable_value_is_copied_on_store(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    buffer = bytearray(b"before")
    await cache.set("k", buffer, 10)  # type: ignore[arg-type]  # an untyped caller's mistake
    buffer[:] = b"after!"
    hit = await cache.get("k")
    assert hit is not None
    assert hit.value == b"before"
    assert type(hit.value) is bytes


# -- stats ------------------------------------------------------------------------------------


async def test_stats_count_what_happened(clock: ManualClock) -> None:
    cache = MemoryCache(max_bytes=2 * size("a", b"v"), max_entry_bytes=size("a", b"v"), clock=clock)
    await cache.set("a", b"v", 10)
    await cache.get("a")
    await cache.get("missing")
    await cache.set("b", b"v", 1)
    await cache.set("c", b"toolarge", 10)
    clock.advance(1)
    await cache.get("b")
    await cache.set("d", b"v", 10)
    await cache.set("e", b"v", 10)
    assert cache.stats() == MemoryCacheStats(
        hits=1,
        misses=2,
        stores=4,
        evictions=1,
        expired=1,
        oversize=1,
        entries=2,
        current_bytes=2 * size("a", b"v"),
        max_bytes=2 * size("a", b"v"),
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        cache.stats().hits = 0  # type: ignore[misc]


async def test_close_empties_the_cache_which_stays_usable(clock: ManualClock) -> None:
    cache = MemoryCache(clock=clock)
    await cache.set("k", b"v", 10)
    await cache.close()
    assert (cache.stats().entries, cache.stats().current_bytes) == (0, 0)
    assert await cache.get("k") is None
    await cache.set("k", b"v", 10)
    assert await cache.get("k") is not None


# -- clocks -----------------------------------------------------------------------------------


async def test_default_clock_is_monotonic_real_time() -> None:
    cache = MemoryCache()
    await cache.set("k", b"v", 100)
    hit = await cache.get("k")
    assert hit is not None
    assert hit.ttl_remaining is not None
    assert 99 < hit.ttl_remaining <= 100


async def test_bind_clock_takes_over_and_keeps_time_left(clock: ManualClock) -> None:
    cache = MemoryCache()
    await cache.set("before", b"v", 100)
    assert cache.bind_clock(clock) is True
    hit = await cache.get("before")
    assert hit is not None
    assert hit.ttl_remaining is not None
    assert 99 < hit.ttl_remaining <= 100
    await cache.set("after", b"v", 50)
    clock.advance(60)
    assert await cache.get("after") is None
    assert await cache.get("before") is not None
    clock.advance(41)
    assert await cache.get("before") is None


async def test_an_explicit_clock_is_kept(clock: ManualClock) -> None:
    other = ManualClock()
    cache = MemoryCache(clock=clock)
    assert cache.bind_clock(other) is False
    assert cache.bind_clock(clock) is True  # the one it follows
    await cache.set("k", b"v", 10)
    other.advance(100)
    assert await cache.get("k") is not None
    clock.advance(10)
    assert await cache.get("k") is None


class _TimeSource:
    def __init__(self) -> None:
        self.now = 5.0

    def time(self) -> float:
        return self.now


def test_binding_the_same_clock_again_is_a_no_op_and_another_is_an_error() -> None:
    source = _TimeSource()
    cache = MemoryCache()
    # Two gateways given the same clock pass two equal (not identical) bound methods.
    assert cache.bind_clock(source.time) is True
    assert cache.bind_clock(source.time) is True
    with pytest.raises(ValueError, match="another gateway's clock"):
        cache.bind_clock(ManualClock())


# -- a model-based test -----------------------------------------------------------------------

MAX_ENTRY = ENTRY_OVERHEAD + 120
MAX_BYTES = 4 * ENTRY_OVERHEAD + 300  # room for about four entries: evictions are frequent
MODEL_KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f", "ключ", "🔑", "", "a b"])
MODEL_VALUES = st.one_of(
    st.binary(max_size=140),  # some exceed MAX_ENTRY
    st.integers(-(10**6), 10**6).map(lambda n: b"%d" % n),  # counters to increment
)
TTLS = st.sampled_from([0.5, 1.0, 2.0, 3.5, 10.0])


def _as_counter(value: bytes) -> int | None:
    """The model's reading of a counter: canonical decimal, as Redis writes and reads them."""
    try:
        n = int(value.decode("ascii"))
    except ValueError:
        return None
    return n if b"%d" % n == value else None


@settings(stateful_step_count=40, deadline=None, database=None)
class MemoryCacheModel(RuleBasedStateMachine):
    """MemoryCache against a plain model: an ordered dict of live entries, least recent first,
    that forgets expired entries and evicts the least recent live ones when over budget."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.cache = MemoryCache(MAX_BYTES, MAX_ENTRY, clock=self.clock)
        self.model: OrderedDict[str, tuple[bytes, float]] = OrderedDict()

    def _live(self) -> OrderedDict[str, tuple[bytes, float]]:
        now = self.clock()
        for key in [k for k, (_, expires) in self.model.items() if expires <= now]:
            del self.model[key]
        return self.model

    def _fit(self, need: int) -> None:
        model = self._live()
        while sum(size(k, v) for k, (v, _) in model.items()) + need > MAX_BYTES:
            model.popitem(last=False)

    @rule(key=MODEL_KEYS, value=MODEL_VALUES, ttl=TTLS)
    def set(self, key: str, value: bytes, ttl: float) -> None:
        run(self.cache.set(key, value, ttl))
        self._live().pop(key, None)
        if size(key, value) <= MAX_ENTRY:
            self._fit(size(key, value))
            self.model[key] = (value, self.clock() + ttl)

    @rule(key=MODEL_KEYS)
    def get(self, key: str) -> None:
        hit = run(self.cache.get(key))
        model = self._live()
        if key not in model:
            assert hit is None
            return
        value, expires = model[key]
        assert hit is not None
        assert (hit.value, hit.ttl_remaining) == (value, expires - self.clock())
        model.move_to_end(key)

    @rule(keys=st.lists(MODEL_KEYS, max_size=4))
    def get_many(self, keys: list[str]) -> None:
        hits = run(self.cache.get_many(keys))
        model = self._live()
        for key, hit in zip(keys, hits, strict=True):
            assert (hit.value if hit is not None else None) == (
                model[key][0] if key in model else None
            )
            if key in model:
                model.move_to_end(key)

    @rule(key=MODEL_KEYS)
    def delete(self, key: str) -> None:
        assert run(self.cache.delete(key)) == (self._live().pop(key, None) is not None)

    @rule(key=MODEL_KEYS, amount=st.integers(-5, 5), ttl=TTLS)
    def increment(self, key: str, amount: int, ttl: float) -> None:
        model = self._live()
        if key not in model:
            assert run(self.cache.increment(key, amount, ttl)) == amount
            self._fit(size(key, b"%d" % amount))
            model[key] = (b"%d" % amount, self.clock() + ttl)
            return
        value, expires = model[key]
        current = _as_counter(value)
        if current is None:
            with pytest.raises(ValueError, match="integer"):
                run(self.cache.increment(key, amount, ttl))
            return
        assert run(self.cache.increment(key, amount, ttl)) == current + amount
        model[key] = (b"%d" % (current + amount), expires)
        model.move_to_end(key)
        self._fit(0)

    @rule(seconds=st.sampled_from([0.25, 0.5, 1.0, 3.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @precondition(lambda self: len(self.model) > 0)
    @rule()
    def close(self) -> None:
        run(self.cache.close())
        self.model.clear()

    @invariant()
    def accounting_holds(self) -> None:
        entries = self.cache._entries  # the accounting is internal; so is this check
        stats = self.cache.stats()
        assert stats.current_bytes <= MAX_BYTES
        # (an entry is a tuple: value, expires at, size)
        assert stats.current_bytes == sum(e[2] for e in entries.values())
        assert all(e[2] == size(k, e[0]) for k, e in entries.items())
        assert len(self.cache._heap) <= 3 * len(entries) // 2 + 64 + 1

    @invariant()
    def live_entries_match_the_model_in_recency_order(self) -> None:
        now = self.clock()
        live = [k for k, e in self.cache._entries.items() if e[1] > now]
        assert live == list(self._live())


TestMemoryCacheModel = MemoryCacheModel.TestCase


def test_resident_memory_stays_near_the_bound_when_large_entries_replace_small_ones() -> None:
    """64 MiB of 1 KiB entries, then of 256 KiB ones that evict them: the process's resident
    memory grows by at most 1.25x the bound after each (freed memory is given back and reused).
    Measured in a process of its own, whose heap nothing else has touched."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory"],
        cwd=Path(__file__).resolve().parent.parent.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    growth = json.loads(result.stdout)
    assert growth["after_small"] <= 1.25
    assert growth["after_large"] <= 1.25
