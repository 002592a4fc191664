"""The in-process coalescer on its own: who leads, what waiters get, and that a lead never
settled cannot hold a key for longer than the timeout (the HTTP behaviour is in
tests/web/test_scenario_stampede.py)."""

from __future__ import annotations

import asyncio

import pytest

from aiohttp_apim.cache.base import CacheHit
from aiohttp_apim.pipeline.stampede import LocalCoalescer

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
