"""The coalescers on their own: who leads, what waiters get, and that a lead never settled
cannot hold a key for longer than the timeout -- in one process, and across processes sharing a
real Redis (the HTTP behaviour is in tests/web/test_scenario_stampede.py and
test_scenario_stampede_redis.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from aiohttp_apim.cache.base import CacheHit
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.cache.redis import RedisCache
from aiohttp_apim.pipeline.cacheio import BackgroundWrites
from aiohttp_apim.pipeline.stampede import Lead, LocalCoalescer, SharedLockCoalescer
from tests.conftest import RedisServerFactory
from tests.redis_server import RedisServer

ENTRY = CacheHit(b"entry", 60.0)


async def test_the_first_leads_the_others_get_what_it_settles_with() -> None:
    coalescer = LocalCoalescer(30)
    lead = await coalescer.join("k")
    assert not isinstance(lead, CacheHit)
    assert lead is not None
    waiters = [asyncio.ensure_future(coalescer.join("k")) for _ in range(3)]
    other = await coalescer.join("other")  # another key: a lead of its own, at once
    assert other is not None
    assert not isinstance(other, CacheHit)
    await asyncio.sleep(0)
    assert not any(waiter.done() for waiter in waiters)
    lead.settle(ENTRY)
    lead.settle(None)  # only the first settle counts
    assert await asyncio.gather(*waiters) == [ENTRY] * 3
    assert list(coalescer.flights) == ["other"]


async def test_lead_answers_at_once_what_join_would_answer_with_a_lead() -> None:
    # The miss lane asks lead() first and awaits join() only when it says None.
    coalescer = LocalCoalescer(30)
    lead = coalescer.lead("k")
    assert lead is not None
    assert list(coalescer.flights) == ["k"]
    assert coalescer.lead("k") is None  # k is being filled: join() is the one to wait
    waiter = asyncio.ensure_future(coalescer.join("k"))
    await asyncio.sleep(0)
    lead.settle(ENTRY)
    assert await waiter == ENTRY
    again = coalescer.lead("k")  # settled: the next miss leads again
    assert again is not None
    assert again is not lead


async def test_a_lead_settled_with_nothing_sends_its_waiters_to_the_backend() -> None:
    coalescer = LocalCoalescer(30)
    lead = await coalescer.join("k")
    waiter = asyncio.ensure_future(coalescer.join("k"))
    await asyncio.sleep(0)
    assert lead is not None
    assert not isinstance(lead, CacheHit)
    lead.settle(None)
    assert await waiter is None
    assert coalescer.flights == {}


async def test_a_cancelled_waiter_leaves_the_others_waiting() -> None:
    coalescer = LocalCoalescer(30)
    lead = await coalescer.join("k")
    gone, staying = (asyncio.ensure_future(coalescer.join("k")) for _ in range(2))
    await asyncio.sleep(0)
    gone.cancel()
    assert lead is not None
    assert not isinstance(lead, CacheHit)
    lead.settle(ENTRY)
    assert await staying == ENTRY
    assert gone.cancelled()


async def test_a_lead_never_settled_is_replaced_after_the_timeout() -> None:
    coalescer = LocalCoalescer(0.01)
    stale = await coalescer.join("k")
    assert await coalescer.join("k") is None  # waited out the stale lead's time
    fresh = await coalescer.join("k")  # and the next miss leads in its place
    assert fresh is not None
    assert fresh is not stale
    assert stale is not None
    assert not isinstance(stale, CacheHit)
    stale.settle(None)  # late: does not disturb the new flight
    assert "k" in coalescer.flights


@pytest.mark.parametrize("timeout", [0, -1, float("inf"), float("nan")])
def test_the_timeout_must_be_a_positive_number_of_seconds(timeout: float) -> None:
    with pytest.raises(ValueError, match="seconds"):
        LocalCoalescer(timeout)


# -- across processes: SharedLockCoalescer on a real Redis ---------------------------------------
#
# Two coalescers on two RedisCache objects with one prefix stand for two processes.


@pytest.fixture
async def processes(
    redis_server: RedisServer, redis_prefix: str
) -> AsyncIterator[Callable[..., tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]]]:
    made: list[tuple[RedisCache, BackgroundWrites]] = []

    def make(timeout: float = 30) -> tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]:
        cache = RedisCache.from_url(redis_server.url, prefix=redis_prefix, operation_timeout=2.0)
        background = BackgroundWrites()
        made.append((cache, background))
        coalescer = SharedLockCoalescer(
            LocalCoalescer(60), cache, timeout=timeout, call_timeout=None, background=background
        )
        return coalescer, cache, background

    yield make
    for cache, background in made:
        await background.drain()
        await cache.close()


def lead_of(joined: object) -> Lead:
    assert joined is not None
    assert not isinstance(joined, CacheHit)
    return joined  # type: ignore[return-value]


async def test_only_the_cache_shared_by_the_processes_is_coordinated_across_them(
    processes: Callable[..., tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]],
) -> None:
    coalescer, cache, _ = processes()
    assert coalescer.for_cache(cache) is coalescer
    assert coalescer.lead("k") is None  # (its leads have the shared lock to take: join)
    assert coalescer.for_cache(MemoryCache()) is coalescer.local
    assert coalescer.for_cache(None) is coalescer.local
    with pytest.raises(TypeError, match="holds no locks"):
        SharedLockCoalescer(
            LocalCoalescer(1),
            MemoryCache(),
            timeout=1,
            call_timeout=None,
            background=BackgroundWrites(),
        )


async def test_a_process_waits_for_the_entry_another_one_stores(
    processes: Callable[..., tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]],
) -> None:
    first, cache, _ = processes()
    second, _, _ = processes()
    holder = lead_of(await first.join("resp|k"))
    waiter = asyncio.ensure_future(second.join("resp|k"))
    follower = asyncio.ensure_future(second.join("resp|k"))  # waits on its own process's leader
    while second.waiting == 0:
        await asyncio.sleep(0.001)
    holder.settle(ENTRY)  # the entry's write is still on its way...
    for _ in range(5):
        await asyncio.sleep(0.01)
        assert not waiter.done()  # ...and the lock, held a little longer, keeps them waiting
    await cache.set("resp|k", b"entry", 60)
    hit = await waiter
    assert isinstance(hit, CacheHit)
    assert hit.value == b"entry"
    assert await follower == hit


async def test_a_holder_that_stores_nothing_lets_every_process_go(
    processes: Callable[..., tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]],
) -> None:
    first, _, _ = processes()
    second, _, _ = processes()
    holder = lead_of(await first.join("resp|k"))
    waiter = asyncio.ensure_future(second.join("resp|k"))
    follower = asyncio.ensure_future(second.join("resp|k"))
    while second.waiting == 0:
        await asyncio.sleep(0.001)
    holder.settle(None)
    assert await waiter is None
    assert await follower is None


async def test_a_holder_that_died_frees_the_others_when_its_lock_expires(
    processes: Callable[..., tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]],
) -> None:
    first, _, _ = processes(timeout=0.2)
    second, _, _ = processes(timeout=30)
    lead_of(await first.join("resp|k"))  # never settled: its process died
    assert await second.join("resp|k") is None  # the lock expired; nobody stored anything


async def test_a_wait_longer_than_the_timeout_fills_the_entry_itself(
    processes: Callable[..., tuple[SharedLockCoalescer, RedisCache, BackgroundWrites]],
) -> None:
    first, _, _ = processes(timeout=30)
    second, _, _ = processes(timeout=0.1)
    holder = lead_of(await first.join("resp|k"))
    lead = lead_of(await second.join("resp|k"))  # gave up waiting: it leads its own process
    follower = asyncio.ensure_future(second.join("resp|k"))
    await asyncio.sleep(0)
    lead.settle(ENTRY)
    assert await follower == ENTRY
    holder.settle(None)


async def test_a_lock_that_cannot_be_taken_leaves_the_protection_within_the_process(
    redis_server_factory: RedisServerFactory,
) -> None:
    server = redis_server_factory()
    cache = RedisCache.from_url(server.url, operation_timeout=0.25, connect_timeout=0.2)
    background = BackgroundWrites()
    coalescer = SharedLockCoalescer(
        LocalCoalescer(60), cache, timeout=30, call_timeout=None, background=background
    )
    try:
        server.stop()
        lead = lead_of(await coalescer.join("resp|k"))
        follower = asyncio.ensure_future(coalescer.join("resp|k"))
        await asyncio.sleep(0)
        lead.settle(ENTRY)
        assert await follower == ENTRY
        await background.drain()
    finally:
        await cache.close()
