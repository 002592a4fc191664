"""rate-limit-by-key: at most ``calls`` counted calls per ``counter-key`` value in a window of
``renewal-period`` seconds; beyond that, APIM's 429 through on-error.

Where the counters live. One counter per ``counter-key`` value, in the ``rl:`` namespace, for
every scope and policy that uses the value (APIM: "a single counter is used for all scopes").
It is kept in the external cache when one is configured, else in the internal one
(prefer-external): APIM keeps rate-limit counts per gateway, synchronised among the gateway's
units (and, for self-hosted gateways, among the instances of one deployment); processes serving
one app are such units, so with a shared Redis they share one limit, and with the in-process
cache each process has its own. Counting is one atomic ``Cache.increment`` per call.

The window. ``Cache.increment`` gives a counter its TTL when the counter is created, so the
window opens with the first counted call of a key and lasts ``renewal-period`` seconds; then
the count starts again from zero. APIM calls its window "sliding" and warns that, being
distributed, the limit is never exact; a window per key that opens with its first call is what
one atomic increment on any cache can keep, across any number of processes, without their
clocks having to agree. ``Retry-After`` is the time left in the window (at least 1 s).

When a call counts. With ``increment-condition`` and ``increment-count`` literal (or absent),
the call is counted when the policy runs, in inbound: it is refused when the count, with it,
exceeds ``calls``, and its increment is then taken back. When either is an expression, APIM
"postpones evaluation and counter increment to the end of the outbound pipeline" (the
documented ``@(context.Response.StatusCode == 200)`` condition needs the response): the policy
then only checks, in inbound, that the count has not reached ``calls``, and the condition and
count are evaluated against the final response -- after outbound, or after on-error, or a
return-response -- and the counter incremented then. An expression failing there cannot reach
on-error any more (the answer is decided): it is logged and the call not counted. A refused
call is never counted.

Failing open. When the counter store cannot be reached (down, slow, garbage), the request is
let through as if its window were fresh, logged and counted in ``gateway.stats()``: a cache
outage must not become an API outage. A store that is only busy for a reason of this process
(:class:`~aiohttp_apim.cache.CacheBusy`: no connection ready yet) is not an outage: the call waits
for it (up to :data:`BUSY_WAIT` seconds) rather than go through uncounted.

Answers. A refused call raises Reason ``RateLimitExceeded`` with APIM's message; with no
on-error content the caller gets APIM's ``429`` JSON with ``Retry-After`` (or the header named
by ``retry-after-header-name``), and on-error can change it (its ``context.Response`` is that
429). ``retry-after-variable-name`` receives the seconds (int) before on-error runs.
``remaining-calls-*`` receive the calls left after this one (int; 0 on refusal), and
``total-calls-header-name`` the limit; those headers go on whatever the final response is.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from aiohttp_apim.cache.base import Cache, CacheBusy
from aiohttp_apim.errors import ExpressionError, PolicyRuntimeError
from aiohttp_apim.pipeline.cacheio import cache_increment, cache_read, call_timeout
from aiohttp_apim.pipeline.exchange import Exchange, Finisher, Signal
from aiohttp_apim.pipeline.failures import RATE_LIMIT_EXCEEDED
from aiohttp_apim.pipeline.headers import check_header
from aiohttp_apim.pipeline.keys import rate_limit_key
from aiohttp_apim.pipeline.stats import ScopeCounts
from aiohttp_apim.pipeline.steps.base import Step, StepMeta
from aiohttp_apim.pipeline.values import Val

__all__ = ["MAX_RENEWAL_PERIOD", "RateLimitByKeyStep"]

logger = logging.getLogger(__name__)

MAX_RENEWAL_PERIOD = 300
"""APIM's largest ``renewal-period`` (seconds)."""

BUSY_WAIT = 5.0
"""Seconds a call waits, at most, for a counter store that is busy for a reason of this process
(:class:`~aiohttp_apim.cache.CacheBusy`) before it fails open."""
_BUSY_PAUSE = 0.01


class RateLimitByKeyStep(Step):
    __slots__ = (
        "cache",
        "calls",
        "condition",
        "count",
        "counter_key",
        "counts",
        "deferred",
        "header_problem",
        "remaining_header",
        "remaining_variable",
        "renewal_period",
        "retry_after_header",
        "retry_after_variable",
        "timeout",
        "total_header",
    )

    def __init__(
        self,
        meta: StepMeta,
        *,
        calls: Val[int],
        renewal_period: Val[int],
        counter_key: Val[str],
        increment_condition: Val[bool] | None,
        increment_count: Val[int],
        retry_after_header: str,
        retry_after_variable: str | None,
        remaining_header: str | None,
        remaining_variable: str | None,
        total_header: str | None,
        cache: Cache,
        timeout: float,
    ) -> None:
        super().__init__(meta, is_async=True)
        self.calls = calls
        self.renewal_period = renewal_period
        self.counter_key = counter_key
        self.condition = increment_condition
        self.count = increment_count
        self.deferred = not increment_count.is_constant or (
            increment_condition is not None and not increment_condition.is_constant
        )
        self.retry_after_header = retry_after_header
        self.retry_after_variable = retry_after_variable
        self.remaining_header = remaining_header
        self.remaining_variable = remaining_variable
        self.total_header = total_header
        self.cache = cache
        self.timeout = call_timeout(cache, timeout)
        self.counts = ScopeCounts()
        """Where refusals and counter failures are counted (the compiler gives the gateway's)."""
        # A header name that would corrupt the answer fails the policy when it runs (in
        # inbound, where on-error can still see it), not later when headers are set.
        self.header_problem: PolicyRuntimeError | None = None
        for name in (retry_after_header, remaining_header, total_header):
            if name is not None:
                try:
                    check_header(name, ())
                except PolicyRuntimeError as error:
                    self.header_problem = error
                    break

    def _immediate_amount(self) -> int:
        """What this call adds now (the condition and count are constants)."""
        condition = self.condition
        if condition is not None and not condition.get_constant():
            return 0
        return self.count.get_constant()

    async def run_async(self, x: Exchange) -> Signal | None:
        if self.header_problem is not None:
            raise self.header_problem
        calls = self.calls.get(x)
        if calls < 0:
            raise ExpressionError(
                "ArgumentOutOfRangeException", f"calls must be 0 or more, got {calls}"
            )
        period = self.renewal_period.get(x)
        if not 1 <= period <= MAX_RENEWAL_PERIOD:
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                f"renewal-period must be 1 to {MAX_RENEWAL_PERIOD} seconds, got {period}",
            )
        key = rate_limit_key(self.counter_key.get(x))
        amount = 0 if self.deferred else self._immediate_amount()
        runtime = x.runtime
        cache = self.cache
        try:
            used, admitted = await self._count(key, amount, period, calls)
        except Exception as error:
            runtime.failures.failed("count", cache, error)
            self.counts.rate_limit_errors += 1
            used, admitted = 0, True
        if not admitted:
            if amount > 0:
                await self._uncount(x, key, amount, period)
            seconds = await self._retry_after(x, key, period)
            self._report(x, calls, 0)
            if self.retry_after_variable is not None:
                x.variables.set(self.retry_after_variable, seconds)
            x.retry_after = (self.retry_after_header, seconds)
            self.counts.rate_limited += 1
            raise PolicyRuntimeError(
                f"Rate limit is exceeded. Try again in {seconds} seconds.",
                reason=RATE_LIMIT_EXCEEDED,
            )
        self._report(x, calls, max(0, calls - used))
        if self.deferred:
            x.add_finisher(self._deferred_increment(key, period))
        return None

    async def _count(self, key: str, amount: int, period: int, calls: int) -> tuple[int, bool]:
        """Count this call (or read the count): the count and whether the call is admitted.

        A cache that gave up for a reason of this process (:class:`CacheBusy`: no connection
        ready yet) is asked again, for up to :data:`BUSY_WAIT` seconds: a local resource limit
        must not let calls through uncounted. Any other failure propagates (fail open)."""
        deadline = time.monotonic() + BUSY_WAIT
        while True:
            try:
                if amount > 0:
                    used = await cache_increment(self.cache, key, amount, period, self.timeout)
                    return used, used <= calls
                used = await self._current(key)
                return used, used < calls
            except CacheBusy:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(_BUSY_PAUSE)

    def _report(self, x: Exchange, calls: int, remaining: int) -> None:
        if self.remaining_variable is not None:
            x.variables.set(self.remaining_variable, remaining)
        if self.remaining_header is not None:
            x.add_extra_header(self.remaining_header, str(remaining))
        if self.total_header is not None:
            x.add_extra_header(self.total_header, str(calls))

    async def _uncount(self, x: Exchange, key: str, amount: int, period: int) -> None:
        """Take a refused call's increment back: refused calls do not use up the limit. (Two
        round trips only for a refused call; an admitted one costs one.)"""
        try:
            await cache_increment(self.cache, key, -amount, period, self.timeout)
        except Exception as error:
            x.runtime.failures.failed("count", self.cache, error)

    async def _current(self, key: str) -> int:
        """The count so far (0 when the window is not open); failures propagate."""
        hit = await cache_read(self.cache, key, self.timeout)
        if hit is None:
            return 0
        return int(hit.value.decode("ascii"))

    async def _retry_after(self, x: Exchange, key: str, period: int) -> int:
        """Whole seconds left in the key's window (at least 1; the period when unknown)."""
        try:
            hit = await cache_read(self.cache, key, self.timeout)
        except Exception as error:
            x.runtime.failures.failed("read", self.cache, error)
            return period
        if hit is None or hit.ttl_remaining is None:
            return period
        return max(1, min(period, math.ceil(hit.ttl_remaining)))

    def _deferred_increment(self, key: str, period: int) -> Finisher:
        async def increment(x: Exchange) -> None:
            condition = self.condition
            try:
                counts = True if condition is None else condition.get(x)
                amount = self.count.get(x) if counts else 0
            except Exception as error:
                logger.warning(
                    "rate-limit-by-key (%s scope, %s %s): the call is not counted, the "
                    "increment condition or count failed after the response: %s",
                    self.meta.scope,
                    self.meta.section,
                    self.meta.path,
                    error,
                )
                return
            if amount <= 0:
                return
            runtime = x.runtime
            cache = self.cache
            failures = runtime.failures
            timeout = call_timeout(cache, runtime.cache_write_timeout)

            async def write() -> None:
                try:
                    await cache_increment(cache, key, amount, period, timeout)
                except Exception as error:
                    failures.failed("count", cache, error)

            if cache.in_process:  # at once: it never waits
                await write()
            else:
                runtime.background.start(write)

        return increment
