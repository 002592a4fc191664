"""Counters of what a gateway's caches, rate limits and outbound calls did, for observability.

Counts are kept per (API, operation, cache) in a :class:`ScopeCounts` cell that the compiler
hands each step once, when the plan is compiled; a step bumps plain integer attributes of its
cell (no locks: one event loop, and no lookup per request). ``Gateway.stats()`` sums the cells
into a :class:`GatewayStats` snapshot, and the Prometheus collector of
:mod:`aiohttp_apim.metrics` reads the same cells with their labels: one source of truth.
Failures are counted where they are logged (``cacheio.FailureLog``), so a failure that is only
logged once per interval still counts every time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass

__all__ = ["BYPASS_REASONS", "Counters", "GatewayStats", "ScopeCounts"]

BYPASS_REASONS = ("method", "authorization", "cache-unavailable")
"""Why a cache-lookup did not use the cache: not a GET, a request with credentials, or no
cache of its caching-type configured."""


class ScopeCounts:
    """The live counters of one (API, operation, cache) of a gateway (mutated by the steps)."""

    __slots__ = (
        "bypass_authorization",
        "bypass_method",
        "bypass_unavailable",
        "rate_limit_errors",
        "rate_limited",
        "response_collapsed",
        "response_hits",
        "response_misses",
        "response_stores",
        "send_request_errors",
        "send_requests",
        "value_hits",
        "value_misses",
        "value_removes",
        "value_stores",
    )

    def __init__(self) -> None:
        self.response_hits = 0
        self.response_collapsed = 0
        self.response_misses = 0
        self.response_stores = 0
        self.bypass_method = 0
        self.bypass_authorization = 0
        self.bypass_unavailable = 0
        self.value_hits = 0
        self.value_misses = 0
        self.value_stores = 0
        self.value_removes = 0
        self.rate_limited = 0
        self.rate_limit_errors = 0
        self.send_requests = 0
        self.send_request_errors = 0

    def bypasses(self) -> dict[str, int]:
        """Bypasses by reason (:data:`BYPASS_REASONS`)."""
        return {
            "method": self.bypass_method,
            "authorization": self.bypass_authorization,
            "cache-unavailable": self.bypass_unavailable,
        }


ScopeLabels = tuple[str, str, str]
"""(API id, operation id, cache name); ``""`` where there is none."""


class Counters:
    """The counters of one gateway: a :class:`ScopeCounts` per (API, operation, cache)."""

    __slots__ = ("_cells",)

    def __init__(self) -> None:
        self._cells: dict[ScopeLabels, ScopeCounts] = {}

    def cell(self, api: str | None, operation: str | None, cache: str) -> ScopeCounts:
        """The cell of one (API, operation, cache), made on first use (when plans compile)."""
        labels = (api or "", operation or "", cache)
        cell = self._cells.get(labels)
        if cell is None:
            cell = self._cells[labels] = ScopeCounts()
        return cell

    def cells(self) -> Iterator[tuple[ScopeLabels, ScopeCounts]]:
        """Every cell with its labels."""
        return iter(list(self._cells.items()))

    def total(self, name: str) -> int:
        """The sum of one counter (a :class:`ScopeCounts` attribute) over every cell."""
        return sum(getattr(cell, name) for cell in self._cells.values())


@dataclass(frozen=True, slots=True, kw_only=True)
class GatewayStats:
    """A snapshot of a gateway's counters since it was made (``gateway.stats()``).

    Cache failures never fail a request (they are misses and no-ops, logged); these counters are
    where they show up besides the log.
    """

    response_hits: int
    """cache-lookup requests answered from the cache (also those that waited for another
    request to fill the entry: ``response_collapsed``)."""
    response_misses: int
    """Eligible cache-lookup requests not answered from the cache (including cache failures)."""
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
    response_stores: int = 0
    """cache-store writes of a response started (or done, on the in-process cache)."""
    response_collapsed: int = 0
    """Hits of requests that waited for another request filling the same entry (stampede
    protection)."""
    response_bypasses: int = 0
    """cache-lookup requests that did not use the cache: not a GET, a request with
    credentials, or no cache of the lookup's caching-type configured."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)
