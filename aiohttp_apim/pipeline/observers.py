"""Who is told what the caching steps did: the seam every observation feature plugs into.

A caching step (``cache-lookup``, ``cache-store``, ``cache-lookup-value``,
``cache-store-value``) reports each outcome to its ``observer``
(:class:`~aiohttp_apim.pipeline.steps.base.CacheObserver`). Which observers a step gets is
decided when its plan compiles: every :class:`ObserverFactory` of the gateway (the ``Cache-Status``
header, the Prometheus latency histogram, the tracing spans' attributes, the DEBUG log line) is
asked once per step, with the step's :class:`Site`, and the answers are :func:`combine`\\ d. A
gateway with none of them on leaves every ``observer`` None: no per-request cost.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp_apim.pipeline.steps.base import CacheEvent, CacheObserver, Step, StepMeta

if TYPE_CHECKING:
    from aiohttp_apim.pipeline.exchange import Exchange

__all__ = [
    "OUTCOME_LOGGER",
    "ObserverFactory",
    "Site",
    "SpanMaker",
    "combine",
    "key_hash",
    "log_outcomes",
]

OUTCOME_LOGGER = logging.getLogger(__name__)
"""Where each lookup's and store's outcome is logged at DEBUG (key hashed, never the key)."""


@dataclass(frozen=True, slots=True)
class Site:
    """A caching step, as its observers see it (labels fixed at compile time)."""

    element: str
    """``cache-lookup``, ``cache-store``, ``cache-lookup-value`` or ``cache-store-value``."""
    api: str
    operation: str
    cache: str
    """The name of the cache the step uses (``memory``, ``redis``...), ``""`` for none."""
    meta: StepMeta

    @property
    def response(self) -> bool:
        """Whether the step caches responses (not values)."""
        return self.element in ("cache-lookup", "cache-store")


class ObserverFactory(Protocol):
    """Makes the observer of one caching step (once, when its plan compiles)."""

    def observer(self, site: Site) -> CacheObserver | None:
        """The observer for ``site``, or None when this factory has nothing to observe there."""
        ...


class SpanMaker(ObserverFactory, Protocol):
    """Puts steps and sections inside tracing spans (:class:`aiohttp_apim.pipeline.spans.Spans`,
    made only when the gateway traces), and observes caching steps onto their spans."""

    def enabled(self) -> bool:
        """Whether spans would be recorded (a tracer provider is set up): asked as each plan
        compiles, so that a gateway with nothing to trace into pays nothing per request."""
        ...

    def step(self, step: Step, api: str, operation: str) -> Step:
        """``step`` inside a span of its own."""
        ...

    def section(self, name: str, steps: tuple[Step, ...], api: str, operation: str) -> Step:
        """The (non-empty) steps of a section as one step, inside a span."""
        ...

    def event(self, name: str, attributes: Mapping[str, str]) -> None:
        """An event on the current span."""
        ...


class _Both:
    """Several observers told in turn."""

    __slots__ = ("observers",)

    def __init__(self, observers: tuple[CacheObserver, ...]) -> None:
        self.observers = observers

    def __call__(self, x: Exchange, event: CacheEvent) -> None:
        for observer in self.observers:
            observer(x, event)


def combine(observers: Sequence[CacheObserver | None]) -> CacheObserver | None:
    """One observer telling each of ``observers`` (None when there is none)."""
    present = tuple(o for o in observers if o is not None)
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return _Both(present)


def key_hash(key: str) -> str:
    """What logs, spans and metrics may show of a cache key: the first 16 hex digits of its
    SHA-256 (keys hold header and query values, never shown outside the development trace)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class _LogOutcome:
    __slots__ = ("site",)

    def __init__(self, site: Site) -> None:
        self.site = site

    def __call__(self, x: Exchange, event: CacheEvent) -> None:
        if not OUTCOME_LOGGER.isEnabledFor(logging.DEBUG):
            return
        site = self.site
        outcome, key, detail = event.outcome, event.key, event.detail
        OUTCOME_LOGGER.debug(
            "%s %s (%s, API %s, operation %s, cache %s)%s%s",
            site.element,
            outcome,
            site.meta.location or site.meta.path,
            site.api or "-",
            site.operation or "-",
            site.cache or "-",
            f": {detail}" if detail else "",
            f", key hash {key_hash(key)}" if key else "",
            extra={
                "apim_cache_element": site.element,
                "apim_cache_outcome": outcome,
                "apim_cache_detail": detail,
                "apim_api": site.api,
                "apim_operation": site.operation,
            },
        )


class _LogOutcomes:
    def observer(self, site: Site) -> CacheObserver | None:
        return _LogOutcome(site)


log_outcomes: ObserverFactory = _LogOutcomes()
"""The DEBUG line of each lookup and store on :data:`OUTCOME_LOGGER`: installed when that
logger logs DEBUG as the plans compile (when the app starts)."""
