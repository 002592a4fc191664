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
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TypedDict

from aiohttp_apim.dotnet.budget import DEFAULT_LIMITS, BudgetLimits
from aiohttp_apim.errors import did_you_mean
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.policy.sources import ignore_set

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_SEND_REQUEST_MAX_BYTES",
    "TRACE_ENVIRONMENT_VARIABLE",
    "GatewayOptions",
    "Settings",
]

DEFAULT_MAX_RESPONSE_BYTES = 2 * 1024 * 1024
"""APIM's largest cached response body (2 MiB, its service limit)."""

DEFAULT_SEND_REQUEST_MAX_BYTES = 16 * 1024 * 1024
"""The largest answer body send-request reads by default."""

TRACE_ENVIRONMENT_VARIABLE = "AIOHTTP_APIM_TRACE"
"""Set to ``1`` (or ``true``, ``yes``, ``on``) to turn the development trace on where ``trace``
is not given."""


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "ignore_policies", ignore_set(self.ignore_policies))
        if not isinstance(self.trace, bool):
            raise TypeError(f"trace must be True or False, got {self.trace!r}")
        for name in ("cache_timeout", "cache_write_timeout"):
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

    @property
    def expression_budget(self) -> BudgetLimits:
        """The two expression budget options together."""
        return BudgetLimits(self.expression_time_budget, self.expression_step_budget)

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
        return cls(**options)  # type: ignore[arg-type]  # ignore_policies: any Collection


def _environment_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
