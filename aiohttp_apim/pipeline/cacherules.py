"""The response-cache decisions that are plain functions of plain data, so they are
tested without a server (the hishel way); the steps in ``pipeline.steps.caching`` only drive I/O.

Beyond APIM (which trusts the policy author completely), the defaults keep a shared cache from
handing one caller's answer to another: a response the backend marked as not to be shared, or
one that depends on request input the key does not hold, is not stored; a request carrying
``Proxy-Authorization`` is as private as one carrying ``Authorization``. The gateway option
``backend_cache_control="ignore"`` turns these rules off and restores APIM's behaviour; a 206 or
304 is never stored either way (a fragment or an empty revalidation answer is not the resource).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Protocol

from multidict import istr

from aiohttp_apim.pipeline.headers import HOP_BY_HOP
from aiohttp_apim.policy.model import DownstreamCachingType

__all__ = [
    "CACHE_REQUEST_HEADERS",
    "CACHE_REQUEST_NAMES",
    "FRAMING_HEADERS",
    "MAX_DURATION",
    "NEVER_STORED",
    "NEVER_STORED_STATUSES",
    "UNSHARED_DIRECTIVES",
    "HeaderNames",
    "downstream_cache_control",
    "remaining_seconds",
    "request_is_private",
    "storable_headers",
    "store_duration",
    "unstorable_reason",
]

CACHE_REQUEST_HEADERS = (
    "Cache-Control",
    "Pragma",
    "If-None-Match",
    "If-Modified-Since",
    "If-Match",
    "If-Unmodified-Since",
    "If-Range",
    "Range",
)
"""Request headers removed before the backend on a miss, so that it answers in full (a 304, a
412 or a 206 would be useless, or harmful, to store): APIM's conditional headers, plus
``Range``."""

CACHE_REQUEST_NAMES = frozenset(name.lower() for name in CACHE_REQUEST_HEADERS)
""":data:`CACHE_REQUEST_HEADERS`, lower-cased."""

MAX_DURATION = 2**31 - 1
"""The largest duration APIM accepts (seconds, an Int32); longer ones are clamped to it."""

FRAMING_HEADERS = HOP_BY_HOP | {"content-length"}
"""Headers that describe one message on one connection (its length, its transfer coding, the
connection itself): never stored in an entry, never replayed from one. aiohttp frames every
response it sends itself."""

NEVER_STORED = FRAMING_HEADERS | {"set-cookie"}
"""Header lines an entry never keeps: the framing, and cookies (a shared cache replaying a
cookie set for one caller would hand out that caller's session)."""

NEVER_STORED_STATUSES = frozenset({206, 304})
"""Statuses never stored, even with ``cache-response="true"``: a part of the resource, or an
answer to one caller's conditional request."""

UNSHARED_DIRECTIVES = frozenset({"private", "no-store", "no-cache"})
"""``Cache-Control`` directives of a response that keep it out of the cache by default."""


def storable_headers(lines: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The header lines a cache entry keeps, in order: without :data:`NEVER_STORED`, nor the
    headers the response's ``Connection`` header names (hop-by-hop by its say)."""
    lines = list(lines)
    drop = NEVER_STORED
    for name, value in lines:
        if name.lower() == "connection":
            drop = drop | _tokens(value)
    return [(name, value) for name, value in lines if name.lower() not in drop]


def store_duration(duration: int) -> int | None:
    """The TTL to store with, or None when ``cache-store`` must not store (``<= 0``)."""
    if duration <= 0:
        return None
    return min(duration, MAX_DURATION)


def remaining_seconds(ttl_remaining: float | None) -> int:
    """``max-age`` on a hit: the entry's remaining lifetime in whole seconds, never more."""
    if ttl_remaining is None or ttl_remaining <= 0:
        return 0
    return min(math.floor(ttl_remaining), MAX_DURATION)


_NO_CACHE = "no-cache"


def downstream_cache_control(
    kind: DownstreamCachingType, must_revalidate: bool, max_age: int
) -> str:
    """The ``Cache-Control`` a cached (or just stored) response goes out with: cache-lookup's
    ``downstream-caching-type`` and ``must-revalidate`` (https://learn.microsoft.com/azure/api-management/cache-lookup-policy)."""
    if kind is DownstreamCachingType.NONE:
        return _NO_CACHE
    text = f"{kind.value}, max-age={max_age}"
    return text + ", must-revalidate" if must_revalidate else text


class HeaderNames(Protocol):
    """Answers whether a request has a header (case-insensitively): a request's headers."""

    def __contains__(self, name: str, /) -> bool: ...


# Case-insensitive names (multidict's istr): a case-insensitive multidict looks an istr up
# without folding its case again on every request (half the cost of each lookup). Anywhere else
# an istr is the str it spells.
_AUTHORIZATION = istr("Authorization")
_PROXY_AUTHORIZATION = istr("Proxy-Authorization")


def request_is_private(has_header: HeaderNames, *, honor_backend: bool = True) -> bool:
    """Whether a request carries credentials, so that only ``allow-private-response-caching``
    lets it be looked up and stored. ``has_header`` is the request's headers. ``Proxy-Authorization`` counts
    like ``Authorization`` unless the backend's caching headers are ignored (APIM's way)."""
    if _AUTHORIZATION in has_header:
        return True
    return honor_backend and _PROXY_AUTHORIZATION in has_header


def unstorable_reason(
    status: int,
    lines: Iterable[tuple[str, str]],
    *,
    varied: frozenset[str],
    honor_backend: bool = True,
) -> str | None:
    """Why a response that ``cache-store`` would store must not be, or None when it may be.

    ``lines`` are the response's header lines; ``varied`` the lower-cased request headers the
    key holds (a ``Vary`` naming only those is fine). With ``honor_backend`` false (the gateway
    option ``backend_cache_control="ignore"``) only the status counts, as in APIM. The checks of
    ``cache-store`` itself (status 200 unless ``cache-response``, duration, size) come first.
    """
    if status in NEVER_STORED_STATUSES:
        return f"status {status} is never stored"
    if not honor_backend:
        return None
    for name, value in lines:
        lowered = name.lower()
        if lowered == "cache-control":
            unshared = _directives(value) & UNSHARED_DIRECTIVES
            if unshared:
                return f"the response says Cache-Control: {', '.join(sorted(unshared))}"
        elif lowered == "vary":
            names = _tokens(value)
            if "*" in names:
                return "the response says Vary: *"
            unkeyed = names - varied
            if unkeyed:
                return (
                    f"the response varies on {', '.join(sorted(unkeyed))}, which the key "
                    "does not hold"
                )
        elif lowered == "set-cookie":
            return "the response sets a cookie"
    return None


def _tokens(value: str) -> set[str]:
    """The comma-separated, lower-cased names of a list header (``Vary``, ``Connection``)."""
    return {part.strip().lower() for part in value.split(",")} - {""}


def _directives(value: str) -> set[str]:
    """The directive names of a ``Cache-Control`` line, lower-cased (``private="X"`` is
    ``private``: a field-qualified directive still keeps the response out)."""
    return {part.partition("=")[0].strip().lower() for part in value.split(",")} - {""}
