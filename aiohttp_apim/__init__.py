"""aiohttp_apim: Azure API Management caching policies, as APIM users write them, in aiohttp.

    gateway = aiohttp_apim.setup(app, policies="policies/")

Public names only; everything else is private to the package. ``RedisCache`` is imported on
first use, so that redis (an optional dependency) is needed only by those who use it.
"""

from typing import TYPE_CHECKING

from aiohttp_apim.cache.base import Cache, CacheHit, CacheUnavailable
from aiohttp_apim.cache.memory import MemoryCache
from aiohttp_apim.cache.near import NearCache
from aiohttp_apim.errors import PolicyError, Problem
from aiohttp_apim.identity import SubscriptionError, Subscriptions
from aiohttp_apim.pipeline.stats import GatewayStats
from aiohttp_apim.policy.sources import load_policies
from aiohttp_apim.web import GATEWAY, Gateway, policy_middleware, setup
from aiohttp_apim.web.options import GatewayOptions

if TYPE_CHECKING:
    from aiohttp_apim.cache.redis import RedisCache

__version__ = "0.1.0.dev0"

__all__ = [
    "GATEWAY",
    "Cache",
    "CacheHit",
    "CacheUnavailable",
    "Gateway",
    "GatewayOptions",
    "GatewayStats",
    "MemoryCache",
    "NearCache",
    "PolicyError",
    "Problem",
    "RedisCache",
    "SubscriptionError",
    "Subscriptions",
    "__version__",
    "load_policies",
    "policy_middleware",
    "setup",
]


def __getattr__(name: str) -> object:
    if name == "RedisCache":
        from aiohttp_apim.cache.redis import RedisCache

        return RedisCache
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
