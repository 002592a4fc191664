"""Prometheus metrics of a gateway (``pip install 'aiohttp_apim[prometheus]'``).

``setup(app, ..., metrics=True)`` registers the gateway's metrics in prometheus-client's default
registry (``metrics=registry`` in another ``CollectorRegistry``), and
:func:`add_metrics_route` serves them::

    gateway = aiohttp_apim.setup(app, policies="policies/", metrics=True)
    aiohttp_apim.metrics.add_metrics_route(app)          # GET /metrics

The counters are the gateway's own (``gateway.stats()`` sums the same cells), read when
Prometheus scrapes: counting costs a request what it did before. Labels are the API, the
operation and the cache's name (``memory``, ``redis``, ``redis+near``...) -- never a key, a
caller or anything else a request chooses:

* ``aiohttp_apim_cache_hits_total``, ``..._misses_total``, ``..._stores_total`` (``kind``:
  ``response`` or ``value``), ``aiohttp_apim_cache_collapsed_total`` (hits that waited for
  another request filling the entry), ``aiohttp_apim_cache_bypasses_total`` (``reason``:
  ``method``, ``authorization``, ``cache-unavailable``), ``aiohttp_apim_value_removes_total``;
* ``aiohttp_apim_cache_errors_total`` (by cache and ``operation``: ``read``, ``write``,
  ``remove``, ``decode``, ``encode``, ``count``), ``aiohttp_apim_cache_writes_dropped_total``,
  ``aiohttp_apim_cache_writes_failed_total``;
* ``aiohttp_apim_cache_breaker_transitions_total`` (by cache, ``node`` and the ``state``
  entered) and ``aiohttp_apim_cache_breaker_open`` (1 while a breaker is not closed);
* ``aiohttp_apim_rate_limited_total``, ``aiohttp_apim_rate_limit_errors_total``,
  ``aiohttp_apim_send_requests_total``, ``aiohttp_apim_send_request_errors_total``;
* gauges ``aiohttp_apim_memory_cache_bytes`` and ``aiohttp_apim_memory_cache_entries`` (each
  in-process cache, by name) and ``aiohttp_apim_cache_pending_writes``;
* the histogram ``aiohttp_apim_cache_lookup_seconds`` (by cache): how long each cache-lookup's
  read took. This one is timed per request, so only a gateway with metrics on pays for it.

Several gateways may share a registry: their numbers are added up.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from aiohttp import web

from aiohttp_apim.cache.base import Cache, ReportsBreakers, ReportsUsage
from aiohttp_apim.cache.breaker import BreakerState
from aiohttp_apim.pipeline.cacheio import BackgroundWrites, FailureLog, cache_label
from aiohttp_apim.pipeline.observers import Site
from aiohttp_apim.pipeline.stats import Counters, ScopeCounts
from aiohttp_apim.pipeline.steps.base import CacheEvent, CacheObserver

try:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
    from prometheus_client.registry import CollectorRegistry
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError(
        "aiohttp_apim.metrics needs prometheus-client: pip install 'aiohttp_apim[prometheus]'"
    ) from error

if TYPE_CHECKING:
    from aiohttp_apim.pipeline.exchange import Exchange

__all__ = ["LOOKUP_BUCKETS", "GatewayMetrics", "add_metrics_route"]

LOOKUP_BUCKETS: Final = (
    0.0001,
    0.00025,
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
)
"""Seconds: an in-process hit takes microseconds, a Redis one a millisecond or so, a cache
that times out a quarter of a second."""

_SCOPE = ("api", "operation", "cache")


@dataclass(frozen=True, slots=True, weakref_slot=True)
class _Source:
    """What one gateway counts, as the collector reads it (held weakly: the gateway keeps
    it)."""

    counters: Counters
    failures: FailureLog
    background: BackgroundWrites
    caches: tuple[Cache, ...]


class GatewayMetrics:
    """The metrics of the gateways sharing one registry: a collector reading their counters,
    and the lookup-latency histogram. Made by the gateway (``metrics=`` option); one per
    registry, whatever the number of gateways."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._sources: weakref.WeakValueDictionary[int, _Source] = weakref.WeakValueDictionary()
        self.lookup_seconds = Histogram(
            "aiohttp_apim_cache_lookup_seconds",
            "How long each cache-lookup's read of the cache took.",
            ["cache"],
            registry=registry,
            buckets=LOOKUP_BUCKETS,
        )
        registry.register(_Collector(self))

    @classmethod
    def of(cls, registry: object = None) -> GatewayMetrics:
        """The metrics of ``registry`` (default: prometheus-client's), made on first use."""
        if registry is not None and not isinstance(registry, CollectorRegistry):
            raise TypeError(
                f"metrics takes True or a prometheus_client CollectorRegistry, not {registry!r}"
            )
        chosen = REGISTRY if registry is None else registry
        found = _BY_REGISTRY.get(chosen)
        if found is None:
            found = _BY_REGISTRY[chosen] = cls(chosen)
        return found

    def add(
        self,
        *,
        counters: Counters,
        failures: FailureLog,
        background: BackgroundWrites,
        caches: Iterable[Cache | None],
    ) -> object:
        """Count a gateway's numbers in, for as long as the gateway keeps the object returned
        (a gateway gone is no longer counted)."""
        source = _Source(counters, failures, background, tuple(c for c in caches if c is not None))
        self._sources[id(source)] = source
        return source

    def sources(self) -> list[_Source]:
        return list(self._sources.values())

    def observer(self, site: Site) -> CacheObserver | None:
        """Times the cache-lookups (an :class:`~aiohttp_apim.pipeline.observers.ObserverFactory`)."""
        if site.element != "cache-lookup":
            return None
        return _Timer(self.lookup_seconds.labels(cache=site.cache or "none").observe)


class _Holder:
    __slots__ = ("__weakref__", "source")

    def __init__(self, source: _Source) -> None:
        self.source = source


_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, GatewayMetrics] = (
    weakref.WeakKeyDictionary()
)
"""The metrics of each registry (GatewayMetrics never refers to its registry: a registry
dropped takes its metrics with it)."""


class _Timer:
    __slots__ = ("observe",)

    def __init__(self, observe: Callable[[float], None]) -> None:
        self.observe = observe

    def __call__(self, x: Exchange, event: CacheEvent) -> None:
        if event.seconds is not None:
            self.observe(event.seconds)


class _Family:
    """One metric family being summed over cells and gateways."""

    def __init__(self, kind: str, name: str, documentation: str, labels: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.documentation = documentation
        self.labels = tuple(labels)
        self.values: dict[tuple[str, ...], float] = {}

    def add(self, labels: tuple[str, ...], value: float) -> None:
        self.values[labels] = self.values.get(labels, 0) + value

    def metric(self) -> Metric:
        family: CounterMetricFamily | GaugeMetricFamily
        if self.kind == "counter":
            family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        else:
            family = GaugeMetricFamily(self.name, self.documentation, labels=self.labels)
        for labels, value in sorted(self.values.items()):
            family.add_metric(labels, value)
        return family


_PER_KIND: Final = (
    ("aiohttp_apim_cache_hits", "Lookups answered from the cache.", "hits"),
    ("aiohttp_apim_cache_misses", "Lookups that found nothing usable.", "misses"),
    ("aiohttp_apim_cache_stores", "Entries written (or started, in the background).", "stores"),
)


def _per_kind(cell: ScopeCounts, counted: str) -> tuple[int, int]:
    """(response, value) numbers of ``counted`` in ``cell``."""
    if counted == "hits":
        return cell.response_hits, cell.value_hits
    if counted == "misses":
        return cell.response_misses, cell.value_misses
    return cell.response_stores, cell.value_stores


class _Collector:
    """Reads every gateway's counters when the registry is scraped."""

    def __init__(self, metrics: GatewayMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        return []  # families vary with the gateways: collected on scrape only

    def collect(self) -> Iterator[Metric]:
        kinds = {
            name: _Family("counter", name, text, (*_SCOPE, "kind")) for name, text, _ in _PER_KIND
        }
        scoped = {
            name: _Family("counter", name, text, _SCOPE)
            for name, text in (
                ("aiohttp_apim_cache_collapsed", "Hits that waited for another request."),
                ("aiohttp_apim_value_removes", "cache-remove-value removals made."),
                ("aiohttp_apim_rate_limited", "Requests refused by rate-limit-by-key."),
                ("aiohttp_apim_rate_limit_errors", "Rate limits let through: no counter store."),
            )
        }
        calls = {
            name: _Family("counter", name, text, ("api", "operation"))
            for name, text in (
                ("aiohttp_apim_send_requests", "send-request calls made."),
                ("aiohttp_apim_send_request_errors", "send-request calls that failed."),
            )
        }
        bypasses = _Family(
            "counter",
            "aiohttp_apim_cache_bypasses",
            "cache-lookup requests that did not use the cache, by reason.",
            (*_SCOPE, "reason"),
        )
        errors = _Family(
            "counter",
            "aiohttp_apim_cache_errors",
            "Cache operations that failed or timed out (the request carried on).",
            ("cache", "operation"),
        )
        failed = _Family(
            "counter",
            "aiohttp_apim_cache_writes_failed",
            "Cache writes that failed, timed out or crashed.",
            ("cache",),
        )
        dropped = _Family(
            "counter",
            "aiohttp_apim_cache_writes_dropped",
            "Background writes dropped (too many pending, or pending at shutdown).",
            (),
        )
        pending = _Family(
            "gauge", "aiohttp_apim_cache_pending_writes", "Background writes running.", ()
        )
        memory_bytes = _Family(
            "gauge",
            "aiohttp_apim_memory_cache_bytes",
            "Bytes held by in-process caches.",
            ("cache",),
        )
        memory_entries = _Family(
            "gauge",
            "aiohttp_apim_memory_cache_entries",
            "Entries held by in-process caches.",
            ("cache",),
        )
        transitions = _Family(
            "counter",
            "aiohttp_apim_cache_breaker_transitions",
            "Circuit breaker state changes, by the state entered.",
            ("cache", "node", "state"),
        )
        breaker_open = _Family(
            "gauge",
            "aiohttp_apim_cache_breaker_open",
            "1 while a cache's circuit breaker is open or probing.",
            ("cache", "node"),
        )
        seen: set[int] = set()
        for source in self._metrics.sources():
            for labels, cell in source.counters.cells():
                api, operation, _cache = labels
                for name, _, counted in _PER_KIND:
                    response, value = _per_kind(cell, counted)
                    kinds[name].add((*labels, "response"), response)
                    kinds[name].add((*labels, "value"), value)
                for reason, count in cell.bypasses().items():
                    bypasses.add((*labels, reason), count)
                scoped["aiohttp_apim_cache_collapsed"].add(labels, cell.response_collapsed)
                scoped["aiohttp_apim_value_removes"].add(labels, cell.value_removes)
                scoped["aiohttp_apim_rate_limited"].add(labels, cell.rate_limited)
                scoped["aiohttp_apim_rate_limit_errors"].add(labels, cell.rate_limit_errors)
                calls["aiohttp_apim_send_requests"].add((api, operation), cell.send_requests)
                calls["aiohttp_apim_send_request_errors"].add(
                    (api, operation), cell.send_request_errors
                )
            for (operation, failing), count in list(source.failures.by_cache.items()):
                if operation == "write":
                    failed.add((failing or "none",), count)
                else:
                    errors.add((failing or "none", operation), count)
            background = source.background
            failed.add(("none",), background.crashed)
            dropped.add((), background.dropped + background.abandoned)
            pending.add((), background.pending)
            for cache in source.caches:
                if id(cache) in seen:  # one cache serving several gateways counts once
                    continue
                seen.add(id(cache))
                name = cache_label(cache)
                if isinstance(cache, ReportsUsage):
                    usage = cache.stats()
                    memory_bytes.add((name,), usage.current_bytes)
                    memory_entries.add((name,), usage.entries)
                if isinstance(cache, ReportsBreakers):
                    for node, breaker in cache.breakers.items():
                        for state, count in breaker.changes.items():
                            transitions.add((name, node, state.value), count)
                        open_now = breaker.state is not BreakerState.CLOSED
                        breaker_open.add((name, node), 1 if open_now else 0)
        families = [
            *kinds.values(),
            *scoped.values(),
            *calls.values(),
            bypasses,
            errors,
            failed,
            dropped,
            pending,
            memory_bytes,
            memory_entries,
            transitions,
            breaker_open,
        ]
        for family in families:
            yield family.metric()


def add_metrics_route(
    app: web.Application,
    path: str = "/metrics",
    *,
    registry: CollectorRegistry | None = None,
    name: str = "metrics",
) -> web.AbstractRoute:
    """Serve ``registry`` (default: prometheus-client's) in Prometheus's text format at
    ``GET path``. The answer says ``Cache-Control: no-store``, so that no cache-store ever keeps
    it (the route runs the global policy like any other)."""
    chosen = REGISTRY if registry is None else registry

    async def metrics(request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(chosen))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        response.headers["Cache-Control"] = "no-store"
        return response

    return app.router.add_get(path, metrics, name=name)
