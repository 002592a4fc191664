"""The early lookup's synchronous read of what the process holds (``ReadsInProcess``): a hit a
memory cache or a near cache's near tier holds is read without awaiting ``get``. It must be
indistinguishable from awaiting ``get``: the same answers (status, headers, body), the same
gateway counts, the same cache counters.

The differential test runs one sequence of requests through two gateways with the same policy
over real aiohttp servers: one on the cache as it is, one on the same kind of cache with the
capability taken away (so every early lookup awaits ``get``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim.cache import Cache, MemoryCache, NearCache
from aiohttp_apim.cache.base import ReadsInProcess
from aiohttp_apim.testing import FakeClock
from tests.doubles import TrackedCache
from tests.web.test_scenario_miss_lane import (
    _POLICIES,
    Scripted,
    Seen,
    Step,
    answer_to,
    scripted_app,
    steps,
)


class AwaitingMemoryCache(MemoryCache):
    """A memory cache without the synchronous read: every lookup awaits ``get``."""

    get_in_process = None  # type: ignore[assignment]  # (a protocol member set to None: absent)
    get_now = None  # type: ignore[assignment]


class AwaitingNearCache(NearCache):
    """A near cache without the synchronous read."""

    get_in_process = None  # type: ignore[assignment]


def _memory(clock: FakeClock, fast: bool) -> Cache:
    return (MemoryCache if fast else AwaitingMemoryCache)(clock=clock)


def _near(clock: FakeClock, fast: bool) -> Cache:
    kind = NearCache if fast else AwaitingNearCache
    return kind(TrackedCache(clock=clock), MemoryCache(clock=clock))


_CACHES: list[Callable[[FakeClock, bool], Cache]] = [_memory, _near]


async def _run(
    policy: str, sequence: list[Step], make_cache: Callable[[FakeClock, bool], Cache], fast: bool
) -> tuple[list[Seen], dict[str, Any], Any, int, int]:
    """The answers, the gateway's counts, the in-process tier's counters, the handler's
    calls, and how many reads took the synchronous path."""
    clock = FakeClock()
    cache = make_cache(clock, fast)
    assert isinstance(cache, ReadsInProcess) is fast
    reads = 0
    if fast:  # count the synchronous reads, to know the test exercised them
        assert isinstance(cache, MemoryCache | NearCache)
        real = cache.get_in_process

        def counting(key: str) -> Any:
            nonlocal reads
            reads += 1
            return real(key)

        cache.get_in_process = counting  # type: ignore[method-assign]
    scripted = Scripted()
    app, gateway = scripted_app(scripted, policy, cache, clock, max_response_bytes=100)
    seen: list[Seen] = []
    async with TestClient(TestServer(app)) as client:
        for step in sequence:
            clock.advance(step.advance)
            scripted.step = step
            seen.append(await answer_to(client, step))
            await gateway.drain()
    tier = cache.local if isinstance(cache, NearCache) else cache
    assert isinstance(tier, MemoryCache)
    return seen, asdict(gateway.stats()), tier.stats(), scripted.calls, reads


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    policy=st.sampled_from(range(len(_POLICIES))),
    cache=st.sampled_from(range(len(_CACHES))),
    sequence=st.lists(steps(), min_size=1, max_size=12),
)
def test_a_hit_read_in_process_answers_and_counts_as_one_awaited(
    policy: int, cache: int, sequence: list[Step]
) -> None:
    async def both() -> tuple[Any, Any]:
        make = _CACHES[cache]
        return (
            await _run(_POLICIES[policy], sequence, make, True),
            await _run(_POLICIES[policy], sequence, make, False),
        )

    fast, slow = asyncio.run(both())
    for index, (one, other) in enumerate(zip(fast[0], slow[0], strict=True)):
        assert one == other, f"request {index} ({sequence[index]})"
    assert fast[1:4] == slow[1:4]


def test_the_differential_test_sees_reads_in_process() -> None:
    """(The comparison above means something: repeated GETs are served by the synchronous
    read, from a memory cache and from a near cache's near tier alike.)"""
    sequence = [Step("1"), Step("1"), Step("2"), Step("1")]
    # (The near tier keeps a copy from the first read of the shared cache: the second request
    # reads Redis's entry, the fourth the copy.)
    for make, held in ((_memory, 2), (_near, 1)):
        _answers, counted, tier, calls, reads = asyncio.run(
            _run(_POLICIES[0], sequence, make, True)
        )
        assert reads == 4
        assert calls == 2
        assert counted["response_hits"] == 2
        assert tier.hits == held
