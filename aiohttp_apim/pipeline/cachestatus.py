"""The ``Cache-Status`` response header (RFC 9211): what the response cache did for a request.

``setup(..., cache_status=True)`` adds one to every response whose request met a
``cache-lookup``, as a list member named ``aiohttp-apim``::

    Cache-Status: aiohttp-apim; hit; ttl=42
    Cache-Status: aiohttp-apim; fwd=uri-miss; stored
    Cache-Status: aiohttp-apim; fwd=uri-miss; detail=status
    Cache-Status: aiohttp-apim; fwd=bypass; detail=method
    Cache-Status: aiohttp-apim; fwd=miss; collapsed
    Cache-Status: aiohttp-apim; hit; stale

``hit`` with the entry's seconds left (``ttl``); ``fwd=uri-miss`` when no entry was found, with
``stored`` when cache-store wrote the response, else why not in ``detail`` (``status``,
``duration``, ``size``, ``not-storable`` -- what the backend said forbids it --, ``dropped``,
``encode-failed``), or what went wrong with the lookup itself (``cache-error``: the cache
failed or timed out; ``bad-entry``: the entry found was damaged or not ours, and is removed);
``fwd=bypass`` with why the cache was not used
(``method``, ``authorization``, ``cache-unavailable``); ``fwd=miss; collapsed`` for a request
that waited for another one filling the same entry and was answered with it; ``stale`` for an
expired entry served (stale serving). A member already in the header (a cache in front of the
app, or the handler's) is kept: ours is appended, as RFC 9211 says each cache adds its own.

It is an observer of the caching steps (:mod:`~aiohttp_apim.pipeline.observers`), so a gateway
without it pays nothing; with it, the outcome is kept until the response is final and the
header is written then (after outbound and on-error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp_apim.pipeline.observers import Site
from aiohttp_apim.pipeline.steps.base import CacheEvent, CacheObserver, CacheOutcome

if TYPE_CHECKING:
    from aiohttp_apim.pipeline.exchange import Exchange

__all__ = ["CACHE_STATUS", "CACHE_STATUS_NAME", "CacheStatus", "CacheStatusHeader"]

CACHE_STATUS = "Cache-Status"
CACHE_STATUS_NAME = "aiohttp-apim"
"""The cache's name in the header (an RFC 8941 token)."""

_BYPASS_DETAILS = frozenset({"method", "authorization", "cache-unavailable"})


@dataclass(slots=True)
class CacheStatus:
    """One request's ``Cache-Status`` member, filled in as the lookup and the store report."""

    outcome: CacheOutcome
    """The lookup's outcome (``hit``, ``stale``, ``collapsed``, ``miss`` or ``bypass``)."""
    detail: str = ""
    ttl: float | None = None
    stored: bool | None = None
    """Whether cache-store wrote the response (None: no store ran)."""
    store_detail: str = ""

    def render(self) -> str:
        """The member, e.g. ``aiohttp-apim; hit; ttl=42``."""
        parts = [CACHE_STATUS_NAME]
        outcome = self.outcome
        if outcome in ("hit", "stale"):
            parts.append("hit")
            if outcome == "stale":
                parts.append("stale")
            if self.ttl is not None:
                # RFC 9211: an integer number of seconds, negative for a stale entry
                parts.append(f"ttl={int(self.ttl) if self.ttl >= 0 else -int(-self.ttl + 0.999)}")
            return "; ".join(parts)
        if outcome == "collapsed":
            parts += ["fwd=miss", "collapsed"]
            return "; ".join(parts)
        if outcome == "bypass":
            parts.append("fwd=bypass")
            if self.detail in _BYPASS_DETAILS:
                parts.append(f"detail={self.detail}")
            return "; ".join(parts)
        parts.append("fwd=uri-miss")
        failed = _token(self.detail)  # the lookup's own trouble comes first
        if failed:
            parts.append(f"detail={failed}")
        elif self.stored:
            parts.append("stored")
        elif self.stored is False and self.store_detail:
            parts.append(f"detail={self.store_detail}")
        return "; ".join(parts)


class _Recorder:
    """The observer of one caching step: keeps the request's :class:`CacheStatus` until the
    response is final."""

    __slots__ = ("header", "lookup")

    def __init__(self, header: CacheStatusHeader, lookup: bool) -> None:
        self.header = header
        self.lookup = lookup

    def __call__(self, x: Exchange, event: CacheEvent) -> None:
        pending = self.header.pending
        if self.lookup:
            # A finisher per lookup, always: the entry never outlives its request's end.
            x.add_finisher(self.header.write)
            pending[id(x)] = CacheStatus(event.outcome, event.detail, event.ttl)
            return
        status = pending.get(id(x))
        if status is not None and status.outcome == "miss":
            status.stored = event.outcome == "stored"
            status.store_detail = _token(event.detail)


def _token(detail: str) -> str:
    """A store's reason as a header token: the word before the colon of its ``detail`` (the
    DEBUG log line has the words after it)."""
    return detail.split(":", 1)[0].strip()


class CacheStatusHeader:
    """The gateway's ``Cache-Status`` writer: an observer factory for the response caching
    steps, and the finisher that writes each request's member."""

    def __init__(self) -> None:
        self.pending: dict[int, CacheStatus] = {}
        """Requests whose lookup reported, by exchange, until their response is final."""

    def observer(self, site: Site) -> CacheObserver | None:
        if not site.response:
            return None
        return _Recorder(self, site.element == "cache-lookup")

    async def write(self, x: Exchange) -> None:
        """Finisher: the member of ``x`` onto its final response."""
        status = self.pending.pop(id(x), None)
        response = x.response
        if status is None or response is None or x.passthrough is not None:
            return
        response.headers.add(CACHE_STATUS, (status.render(),))
