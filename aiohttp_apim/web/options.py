"""The gateway's tuning options, declared once.

:class:`GatewayOptions` is what :func:`~aiohttp_apim.setup`, :func:`~aiohttp_apim.policy_middleware`
and :class:`~aiohttp_apim.Gateway` take as keywords (``**options: Unpack[GatewayOptions]``), so a
mistyped keyword is an error for mypy and at run time alike. :class:`Settings` is the same set with
every default filled in and every value checked, which is what the gateway keeps.

The options every APIM user meets first (the policies, the caches, subscriptions, named values and
the clock) are ordinary keyword parameters of those three entry points; these are the tuning knobs.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

from aiohttp_apim.dotnet.budget import DEFAULT_LIMITS, BudgetLimits
from aiohttp_apim.errors import did_you_mean
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.pipeline.entryseal import MIN_KEY_BYTES
from aiohttp_apim.pipeline.stale import StaleWindows
from aiohttp_apim.policy.sources import ignore_set

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_SEND_REQUEST_MAX_BYTES",
    "TRACE_ENVIRONMENT_VARIABLE",
    "BackendCacheControl",
    "GatewayOptions",
    "MetricsRegistry",
    "Settings",
    "TracerProviderLike",
]

DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024
"""APIM's largest cached response body (2 MiB, its service limit)."""

DEFAULT_SEND_REQUEST_MAX_BYTES = 16 * 1024 * 1024
"""The largest answer body send-request reads by default."""

TRACE_ENVIRONMENT_VARIABLE = "AIOHTTP_APIM_TRACE"
"""Set to ``1`` (or ``true``, ``yes``, ``on``) to turn the development trace on where ``trace``
is not given."""


class MetricsRegistry(Protocol):
    """What ``metrics=`` takes besides True: a ``prometheus_client.CollectorRegistry`` (said as
    a protocol so that the options never need prometheus-client to be installed)."""

    def register(self, collector: Any, /) -> None: ...


class TracerProviderLike(Protocol):
    """What ``tracing=`` takes besides True: an ``opentelemetry.trace.TracerProvider`` (said as
    a protocol so that the options never need opentelemetry to be installed)."""

    def get_tracer(
        self,
        instrumenting_module_name: str,
        instrumenting_library_version: str | None = None,
        schema_url: str | None = None,
    ) -> Any: ...


BackendCacheControl = Literal["honor", "ignore"]
"""What ``cache-store`` makes of a backend's caching headers (see ``backend_cache_control``)."""

# The entry points' own keyword parameters: named in "did you mean" hints for a misspelt one.
_ENTRY_POINT_KEYWORDS = frozenset(
    {"policies", "internal_cache", "external_cache", "subscriptions", "named_values", "clock"}
)


class GatewayOptions(TypedDict, total=False):
    """Keyword options of :func:`aiohttp_apim.setup` (and of ``policy_middleware`` and
    ``Gateway``). Every one is optional; the defaults are in :class:`Settings`."""

    cache_timeout: float
    """Seconds a request waits for one read, removal or rate-limit count of a cache that does
    not bound its own calls (default 0.25; a slower answer is a miss). A cache that bounds its
    own calls, as :class:`~aiohttp_apim.RedisCache` does with its ``operation_timeout``, is
    not timed by the gateway."""

    cache_write_timeout: float
    """Seconds one background write to such a cache may take (default 2.0)."""

    max_response_bytes: int
    """The largest response body ``cache-store`` stores (default 2 MiB, APIM's limit); larger
    responses are answered and not stored."""

    max_pending_writes: int
    """How many background cache writes may run at once (default 1000); past that, writes are
    dropped and counted (``gateway.stats().dropped_writes``) rather than queued."""

    send_request_max_bytes: int
    """The largest answer body ``send-request`` reads (default 16 MiB)."""

    deployment: ctx.Deployment
    """What ``context.Deployment`` says (gateway id, region, service name)."""

    ignore_policies: Collection[str]
    """Names of policy elements to skip, e.g. ``{"set-backend-service", "validate-jwt"}``: a
    migration path for APIM files that mix caching with policies this package does not run.
    Each skipped element is named once in a warning at startup; every other element still
    runs. Default: none -- such a file is refused (``PolicyError``). Only policies the package
    does not run can be named (``ValueError`` otherwise). Passed to
    :func:`~aiohttp_apim.load_policies` with the policies; a policy set loaded already must
    have been loaded with the same names."""

    trace: bool
    """The development trace: every request logs, on the ``aiohttp_apim.trace`` logger at
    INFO, the steps that ran, the cache keys, hit/miss/bypass with the reason and the variables
    set. Decided when plans compile: off (the default) costs nothing per request. Default:
    whether the environment variable ``AIOHTTP_APIM_TRACE`` is ``1``. Never for production: the
    trace shows keys and variable values."""
    expression_time_budget: float
    """CPU seconds the policy expressions of one request may run, all together (default 0.05).
    Expressions run on the event loop: past this, the expression running fails with a
    ``TimeoutException`` (``on-error`` runs, with ``context.LastError``; without it, a 500), and
    other requests never wait longer than that for one request's expressions. A regex match
    runs only as long as the budget has time left."""

    expression_step_budget: int
    """Steps the policy expressions of one request may take, all together (default 100000): a
    step is a loop iteration, an element a LINQ operator passes on, a regex match, or about
    1024 characters of a long string built or of a JSON/XML text parsed. Past this, as for
    ``expression_time_budget``."""

    backend_cache_control: BackendCacheControl
    """``"honor"`` (the default): ``cache-store`` does not store a response whose
    ``Cache-Control`` says ``private``, ``no-store`` or ``no-cache``, nor one with ``Vary: *``
    or a ``Vary`` naming a request header the key does not hold, nor one carrying
    ``Set-Cookie``; and a request carrying ``Proxy-Authorization`` is treated like one carrying
    ``Authorization`` (looked up and stored only with ``allow-private-response-caching``).
    ``"ignore"``: APIM's behaviour exactly -- the policy alone decides (a ``Set-Cookie`` line is
    still never stored in an entry). Either way a 206 or a 304 is never stored."""

    vary_by_host: bool
    """Whether the request's host name (lower-cased, without the port, as ``request.host``
    reports it -- after any forwarded-headers middleware the app installed) is part of every
    response-cache key (default True), so that one site's answer is never served on another
    host name. Instances behind one load balancer see the same host and still share entries.
    False: every host name shares the entries of a route."""

    cache_signing_key: str | bytes | None
    """A secret (at least 16 bytes; a ``str`` is taken as UTF-8) shared by every instance using
    the same caches: entries are then authenticated with HMAC-SHA256, and an entry written by
    anyone without the key is never served (a logged miss; the entry is removed). Default None:
    entries carry a CRC-32, which catches damaged and foreign bytes but not a forger."""

    stampede_protection: bool
    """Whether concurrent misses for one response key wait for the first one's answer instead
    of all calling the handler (default True). A first request that fails or whose response is
    not stored lets the others go to the handler themselves."""

    stampede_timeout: float
    """The longest a request waits for another one filling the same key (default 5.0 seconds);
    then it calls the handler itself."""

    stampede_lock: bool
    """Whether stampede protection also spans the processes sharing the external cache (default
    False): the first miss of a key in any process takes a short lock in that cache (Redis),
    and the other processes wait for its entry instead of calling their handlers, each sending
    one request per key to the lock. A first response that fails or is not stored lets every
    waiter, in every process, call the handler itself; a lock that cannot be taken or read
    (the cache down or slow) falls back to the protection within the process. Needs
    ``stampede_protection`` and an external cache that holds locks
    (:class:`~aiohttp_apim.RedisCache`, or a :class:`~aiohttp_apim.NearCache` in front of
    one)."""

    stampede_lock_timeout: float
    """The shared lock's lifetime, and the longest a process waits for another one's entry
    (default 5.0 seconds); then it calls the handler itself."""

    cache_status: bool
    """Whether responses say what the response cache did for them, in a ``Cache-Status`` header
    (RFC 9211; default False): ``aiohttp-apim; hit; ttl=42``, ``aiohttp-apim; fwd=uri-miss;
    stored``, ``aiohttp-apim; fwd=bypass; detail=method``, ``aiohttp-apim; fwd=miss;
    collapsed``. Only requests that meet a ``cache-lookup`` get one."""

    metrics: bool | MetricsRegistry
    """Prometheus metrics of the caches, rate limits and call-outs (``pip install
    'aiohttp_apim[prometheus]'``; default False): True registers them in prometheus-client's
    default registry, a ``CollectorRegistry`` in that one. Serve them with
    :func:`aiohttp_apim.metrics.add_metrics_route`. The counters are those of
    ``gateway.stats()``; with metrics on, each cache-lookup is also timed (a histogram)."""

    tracing: bool | TracerProviderLike
    """OpenTelemetry spans around the policy sections, the caching steps and send-request, and
    ``<trace>`` messages as span events (``pip install 'aiohttp_apim[otel]'``; default False):
    True uses the global tracer provider, a ``TracerProvider`` that one. Decided when plans
    compile: off costs nothing per request."""

    shutdown_timeout: float
    """The longest the app's shutdown waits for pending background cache writes (default 5.0
    seconds). Writes still running then are cancelled, counted in
    ``gateway.stats().dropped_writes`` and logged; closing the caches afterwards is bounded by
    the same time."""

    stale_while_revalidate: float | Mapping[str, float]
    """Seconds past a cached response's expiry during which a hit is still answered from it,
    while one background request through the handler refreshes the entry (RFC 5861's
    ``stale-while-revalidate``, nginx's ``proxy_cache_use_stale updating``; APIM has no such
    setting). A number applies to every API; a mapping sets it per ``"api"`` or
    ``"api/operation"`` (the most specific key wins; ``"*"`` for the rest). The stale answer
    goes out with ``max-age=0``. Entries are kept in the cache for their duration plus the
    longer of the two stale windows. Default 0: off."""

    stale_if_error: float | Mapping[str, float]
    """Seconds past a cached response's expiry during which the expired entry answers when
    the handler fails (raises, times out, or answers 500, 502, 503 or 504) -- RFC 5861's
    ``stale-if-error``, nginx's ``proxy_cache_use_stale error``. A number or a mapping, as
    for ``stale_while_revalidate``. Default 0: off."""

    purge_refresh: float
    """How often (seconds, default 1.0) the gateway reads the purge generations that others
    sharing its cache may have bumped (``gateway.purge()``): one ``get_many`` in the
    background, never on a request, and only where the cache is shared (an external cache,
    or an internal one passed in). Another instance's purge shows here within this time;
    this instance's own purges at once."""

    watch: bool
    """Whether :func:`~aiohttp_apim.setup` watches the policy folder while the app runs and
    reloads it on a change (:meth:`Gateway.watch`; needs the ``watch`` extra,
    ``pip install aiohttp_apim[watch]``). A change that does not load keeps the policies
    running and is logged with its file, line and column. Default False."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """:class:`GatewayOptions` resolved: defaults filled in, values checked (``ValueError``)."""

    cache_timeout: float = 0.25
    cache_write_timeout: float = 2.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    max_pending_writes: int = 1000
    send_request_max_bytes: int = DEFAULT_SEND_REQUEST_MAX_BYTES
    deployment: ctx.Deployment = field(default_factory=ctx.Deployment)
    ignore_policies: frozenset[str] = frozenset()
    trace: bool = field(default_factory=lambda: _environment_flag(TRACE_ENVIRONMENT_VARIABLE))
    expression_time_budget: float = DEFAULT_LIMITS.seconds
    expression_step_budget: int = DEFAULT_LIMITS.steps
    backend_cache_control: BackendCacheControl = "honor"
    vary_by_host: bool = True
    cache_signing_key: str | bytes | None = field(default=None, repr=False)
    stampede_protection: bool = True
    stampede_timeout: float = 5.0
    stampede_lock: bool = False
    stampede_lock_timeout: float = 5.0
    shutdown_timeout: float = 5.0
    cache_status: bool = False
    metrics: bool | MetricsRegistry = False
    tracing: bool | TracerProviderLike = False
    stale_while_revalidate: float | Mapping[str, float] = 0.0
    stale_if_error: float | Mapping[str, float] = 0.0
    purge_refresh: float = 1.0
    watch: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore_policies", ignore_set(self.ignore_policies))
        for name in ("trace", "cache_status", "watch"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        self.stale  # noqa: B018  (checks both windows: ValueError/TypeError)
        for name in (
            "cache_timeout",
            "cache_write_timeout",
            "stampede_timeout",
            "stampede_lock_timeout",
            "shutdown_timeout",
            "purge_refresh",
        ):
            seconds = getattr(self, name)
            if not 0 < seconds < math.inf:
                raise ValueError(f"{name} must be a number of seconds > 0, got {seconds!r}")
        for name in ("max_response_bytes", "send_request_max_bytes"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.max_pending_writes < 1:
            raise ValueError(f"max_pending_writes must be >= 1, got {self.max_pending_writes!r}")
        if not 0 < self.expression_time_budget < math.inf:
            raise ValueError(
                "expression_time_budget must be a number of seconds > 0, "
                f"got {self.expression_time_budget!r}"
            )
        if self.expression_step_budget < 1:
            raise ValueError(
                f"expression_step_budget must be >= 1, got {self.expression_step_budget!r}"
            )
        if self.stampede_lock and not self.stampede_protection:
            raise ValueError("stampede_lock needs stampede_protection")
        if self.backend_cache_control not in ("honor", "ignore"):
            raise ValueError(
                "backend_cache_control must be 'honor' or 'ignore', got "
                f"{self.backend_cache_control!r}"
            )
        key = self.signing_key
        if key is not None and len(key) < MIN_KEY_BYTES:
            raise ValueError(f"cache_signing_key must have at least {MIN_KEY_BYTES} bytes")

    @property
    def stale(self) -> StaleWindows:
        """The two stale windows resolved per API and operation."""
        return StaleWindows.of(
            while_revalidate=self.stale_while_revalidate, if_error=self.stale_if_error
        )

    @property
    def expression_budget(self) -> BudgetLimits:
        """The two expression budget options together."""
        return BudgetLimits(self.expression_time_budget, self.expression_step_budget)

    @property
    def signing_key(self) -> bytes | None:
        """``cache_signing_key`` as bytes."""
        key: object = self.cache_signing_key
        if key is None or isinstance(key, bytes):
            return key
        if isinstance(key, str):
            return key.encode("utf-8")
        raise TypeError(f"cache_signing_key must be str or bytes, got {type(key).__name__}")

    @classmethod
    def of(cls, options: GatewayOptions) -> Settings:
        """The settings for ``options``; an unknown keyword is a ``TypeError`` that names it
        (and the closest known one)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            candidates = sorted(known | _ENTRY_POINT_KEYWORDS)
            hints = [f"{name!r}{did_you_mean(name, candidates)}" for name in unknown]
            raise TypeError(f"unknown gateway option {', '.join(hints)}")
        # ignore_policies is any collection here and the field's frozenset once __post_init__
        # has checked it; a dataclass has no converter to say so
        return cls(**options)  # type: ignore[arg-type]  # (see the comment above)


def _environment_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
