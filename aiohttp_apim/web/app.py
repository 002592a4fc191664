"""Installing the gateway: :func:`setup` for an app, :func:`policy_middleware` for a
``web.Application(middlewares=[...])``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Unpack

from aiohttp import web
from aiohttp.typedefs import Middleware

from aiohttp_apim.cache.base import Cache, Clock
from aiohttp_apim.identity import Subscriptions
from aiohttp_apim.policy.scopes import PolicySet
from aiohttp_apim.policy.sources import PolicySource
from aiohttp_apim.web.gateway import GATEWAY, Gateway
from aiohttp_apim.web.options import GatewayOptions

__all__ = ["policy_middleware", "setup"]


def setup(
    app: web.Application,
    policies: PolicySource | PolicySet,
    *,
    internal_cache: Cache | None = None,
    external_cache: Cache | None = None,
    subscriptions: Subscriptions | None = None,
    named_values: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    **options: Unpack[GatewayOptions],
) -> Gateway:
    """Run APIM policies in front of ``app``'s handlers; returns the :class:`Gateway`.

    ``policies`` is a policy folder (``policy.xml``, ``products/<id>/policy.xml``,
    ``apis/<api>/policy.xml``, ``apis/<api>/operations/<op>/policy.xml``,
    ``fragments/<id>.xml``) or a mapping of those relative paths to XML text.
    ``internal_cache`` defaults to a :class:`~aiohttp_apim.MemoryCache`; ``external_cache`` is
    e.g. a :class:`~aiohttp_apim.RedisCache`; ``subscriptions`` identifies callers by their
    subscription key (None: every caller is anonymous); ``named_values`` fill ``{{name}}``;
    ``clock`` (seconds) drives ``context.Timestamp`` and in-process expiry. ``options`` are the
    tuning keywords of :class:`~aiohttp_apim.GatewayOptions`.

    Loads, validates and compiles every policy now (a problem raises
    :class:`~aiohttp_apim.PolicyError`); on startup checks that every operation policy binds to
    a route named ``"<api>:<operation>"``; on cleanup waits for pending cache writes and closes
    the caches the gateway made. The gateway is also ``app[aiohttp_apim.GATEWAY]``.
    """
    gateway = Gateway(
        policies,
        internal_cache=internal_cache,
        external_cache=external_cache,
        subscriptions=subscriptions,
        named_values=named_values,
        clock=clock,
        **options,
    )
    app.middlewares.append(gateway.middleware)
    app[GATEWAY] = gateway
    app.cleanup_ctx.append(gateway.lifecycle)
    return gateway


def policy_middleware(
    policies: PolicySource | PolicySet,
    *,
    internal_cache: Cache | None = None,
    external_cache: Cache | None = None,
    subscriptions: Subscriptions | None = None,
    named_values: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    **options: Unpack[GatewayOptions],
) -> Middleware:
    """The gateway as a middleware for ``web.Application(middlewares=[...])``; the arguments
    are :func:`setup`'s.

    Policies load and compile now, as with :func:`setup`; route binding is checked on the first
    request (a problem is logged and answered with a 500). Nothing closes the caches or
    send-request's HTTP session, or waits for pending writes, on shutdown: for that, use
    :func:`setup` or a :class:`Gateway` and its ``middleware``, ``drain()`` and ``close()``.
    """
    return Gateway(
        policies,
        internal_cache=internal_cache,
        external_cache=external_cache,
        subscriptions=subscriptions,
        named_values=named_values,
        clock=clock,
        **options,
    ).middleware
