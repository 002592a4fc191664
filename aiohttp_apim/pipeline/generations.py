"""Purge generations: dropping the cached responses of a scope without scanning a cache.

Every response-cache key holds, once a scope was purged, the purge generations of the scopes it
belongs to (everything, its API, its operation). :meth:`Gateway.purge` bumps a scope's
generation -- a counter kept in the cache that decides (the external one when there is one, so
that every instance sharing it agrees; the internal one otherwise) -- and the keys of that
scope change: old entries become unreachable and expire by themselves.

A request never reads a generation: the keys' fixed parts (:class:`~aiohttp_apim.pipeline.keys.
KeyShape`) are rebuilt when a generation changes, so the hit path costs the same whether or not
anything was ever purged. Other instances' purges are read in the background
(:meth:`Generations.refresh`, every ``purge_refresh`` seconds) and at startup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Final, Protocol

from aiohttp_apim.cache.base import Cache, CacheHit
from aiohttp_apim.pipeline.cacheio import cache_increment, call_timeout
from aiohttp_apim.pipeline.keys import KeyShape, escape

__all__ = [
    "GENERATION_NAMESPACE",
    "GENERATION_TTL",
    "Generations",
    "ShapeRegistry",
    "purged_shape",
    "scope_key",
]

logger = logging.getLogger(__name__)

GENERATION_NAMESPACE: Final = "gen|"
"""Where generation counters live: apart from responses (``resp|``), values (``val:``) and
rate-limit counters (``rl:``)."""

GENERATION_TTL: Final = 10 * 365 * 24 * 3600.0
"""A counter outlives any entry it hides (a cache TTL must be finite)."""

_MAX_DIGITS = 18


def scope_key(api: str | None, operation: str | None) -> str:
    """The counter of a scope: everything, an API, or one operation of an API."""
    if api is None:
        if operation is not None:
            raise ValueError("purging an operation needs its API")
        return GENERATION_NAMESPACE + "*"
    key = GENERATION_NAMESPACE + "a=" + escape(api)
    return key if operation is None else key + "|o=" + escape(operation)


class _Lookup(Protocol):
    shape: KeyShape


class ShapeRegistry:
    """The cache-lookups of one set of compiled plans, each with its key shape as compiled
    (before any purge), so that it can be retagged when a generation changes."""

    __slots__ = ("_generations", "_steps")

    def __init__(self, generations: Generations) -> None:
        self._generations = generations
        self._steps: list[tuple[_Lookup, str | None, str | None, KeyShape]] = []

    def shape(self, api: str | None, operation: str | None, compiled: KeyShape) -> KeyShape:
        """``compiled`` as the generations stand now."""
        return purged_shape(compiled, self._generations.tag(api, operation))

    def track(
        self, step: _Lookup, api: str | None, operation: str | None, compiled: KeyShape
    ) -> None:
        """Keep ``step``'s shape in line with the generations of its scope from now on."""
        self._steps.append((step, api, operation, compiled))

    def scopes(self) -> set[str]:
        """The counters these plans' keys hold."""
        found = {scope_key(None, None)}
        for _, api, operation, _compiled in self._steps:
            if api is not None:
                found.add(scope_key(api, None))
                if operation is not None:
                    found.add(scope_key(api, operation))
        return found

    def retag(self) -> None:
        for step, api, operation, compiled in self._steps:
            step.shape = self.shape(api, operation, compiled)


def purged_shape(compiled: KeyShape, tag: str) -> KeyShape:
    """``compiled`` with the purge generations ``tag`` after its policy generation (itself
    when nothing was purged: keys stay as they were)."""
    if not tag:
        return compiled
    namespace, generation, rest = compiled.prefix.split("|", 2)
    return dataclasses.replace(compiled, prefix=f"{namespace}|{generation}|P={tag}|{rest}")


class Generations:
    """The purge generations this process knows, by counter key (monotone: never lowered)."""

    __slots__ = ("current", "numbers")

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}
        self.current = ShapeRegistry(self)
        """The registry of the plans in service (a reload replaces it)."""

    def tag(self, api: str | None, operation: str | None) -> str:
        """The key component of a scope's generations ("" until one of them was purged)."""
        numbers = self.numbers
        if not numbers:
            return ""
        parts = [numbers.get(scope_key(None, None), 0)]
        if api is not None:
            parts.append(numbers.get(scope_key(api, None), 0))
            if operation is not None:
                parts.append(numbers.get(scope_key(api, operation), 0))
        if not any(parts):
            return ""
        return ".".join(map(str, parts))

    def merge(self, found: Mapping[str, int]) -> bool:
        """Take the higher of each number; rebuild the key shapes if one changed."""
        numbers = self.numbers
        changed = False
        for scope, number in found.items():
            if number > numbers.get(scope, 0):
                numbers[scope] = number
                changed = True
        if changed:
            self.current.retag()
        return changed

    async def bump(
        self, cache: Cache, api: str | None, operation: str | None, timeout: float
    ) -> int:
        """Purge a scope: raise its counter in ``cache`` above every number seen here, and use
        it at once. Failures are the caller's (:class:`~aiohttp_apim.CacheUnavailable`...):
        then nothing changed."""
        scope = scope_key(api, operation)
        bounded = call_timeout(cache, timeout)
        number = await cache_increment(cache, scope, 1, GENERATION_TTL, bounded)
        known = self.numbers.get(scope, 0)
        if number <= known:  # the cache lost the counter (flushed, evicted): past ours again
            number = await cache_increment(
                cache, scope, known + 1 - number, GENERATION_TTL, bounded
            )
        self.merge({scope: number})
        return number

    async def refresh(self, cache: Cache, timeout: float) -> bool:
        """Read the counters of the plans in service from ``cache`` (others' purges); whether
        any changed. Failures are the caller's."""
        scopes = sorted(self.current.scopes())
        hits = await _get_many(cache, scopes, call_timeout(cache, timeout))
        found: dict[str, int] = {}
        for scope, hit in zip(scopes, hits, strict=True):
            if hit is None:
                continue
            value = hit.value
            # Read back from a shared cache: only a plain decimal number is a generation.
            if 0 < len(value) <= _MAX_DIGITS and value.isdigit():
                found[scope] = int(value)
        return self.merge(found)


async def _get_many(
    cache: Cache, keys: Sequence[str], timeout: float | None
) -> list[CacheHit | None]:
    if timeout is None:
        return list(await cache.get_many(keys))
    async with asyncio.timeout(timeout):
        return list(await cache.get_many(keys))
