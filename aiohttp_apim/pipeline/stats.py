"""Counters of what a gateway's caches, rate limits and outbound calls did, for observability.

Steps bump plain integer attributes (no locks: one event loop), and ``Gateway.stats()`` reads
them as a :class:`GatewayStats` snapshot. Failures are counted where they are logged
(``cacheio.FailureLog``), so a failure that is only logged once per interval still counts every
time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["Counters", "GatewayStats"]


class Counters:
    """The live counters of one gateway (mutated by the pipeline)."""

    __slots__ = (
        "rate_limit_errors",
        "rate_limited",
        "response_hits",
        "response_misses",
        "send_request_errors",
        "send_requests",
        "value_hits",
        "value_misses",
        "value_removes",
        "value_stores",
    )

    def __init__(self) -> None:
        self.response_hits = 0
        self.response_misses = 0
        self.value_hits = 0
        self.value_misses = 0
        self.value_stores = 0
        self.value_removes = 0
        self.rate_limited = 0
        self.rate_limit_errors = 0
        self.send_requests = 0
        self.send_request_errors = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayStats:
    """A snapshot of a gateway's counters since it was made (``gateway.stats()``).

    Cache failures never fail a request (they are misses and no-ops, logged); these counters are
    where they show up besides the log.
    """

    response_hits: int
    """cache-lookup requests answered from the cache."""
    response_misses: int
    """Eligible cache-lookup requests not answered from the cache (including cache failures
    and a caching type with no cache configured)."""
    value_hits: int
    """cache-lookup-value lookups that found a value."""
    value_misses: int
    """cache-lookup-value lookups that found none (or could not read or decode it)."""
    value_stores: int
    """cache-store-value writes started (or done, on the in-process cache)."""
    value_removes: int
    """cache-remove-value removals that reached the cache without error."""
    pending_writes: int
    """Background cache writes running now."""
    dropped_writes: int
    """Background cache writes not started because ``max_pending_writes`` were pending."""
    failed_writes: int
    """Cache writes (cache-store, cache-store-value) that failed, timed out or crashed
    (logged)."""
    cache_errors: int
    """Other cache operations that failed or timed out: reads, removals, rate-limit counter
    reads and increments (also those made after the response), entries that could not be
    encoded or decoded."""
    rate_limited: int
    """Requests refused by rate-limit-by-key (429, RateLimitExceeded)."""
    rate_limit_errors: int
    """rate-limit-by-key checks that could not reach the counter store: the request was let
    through (fail open)."""
    send_requests: int
    """send-request calls made."""
    send_request_errors: int
    """send-request calls that failed or timed out (whether or not ``ignore-error`` hid it)."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
