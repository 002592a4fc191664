"""The public names of aiohttp_apim are pinned: adding one is a decision, removing one breaks
users. The signatures api.md fixes are pinned too."""

from __future__ import annotations

import inspect

from aiohttp import web

import aiohttp_apim

PUBLIC = [
    "GATEWAY",
    "Cache",
    "CacheHit",
    "CacheUnavailable",
    "Gateway",
    "MemoryCache",
    "PolicyError",
    "Problem",
    "RedisCache",
    "Subscriptions",
    "__version__",
    "load_policies",
    "policy_middleware",
    "setup",
]


def test_public_names_are_pinned() -> None:
    assert sorted(aiohttp_apim.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(aiohttp_apim, name) is not None


def test_setup_takes_the_keywords_of_api_md() -> None:
    parameters = inspect.signature(aiohttp_apim.setup).parameters
    for name in (
        "policies",
        "internal_cache",
        "external_cache",
        "subscriptions",
        "named_values",
        "clock",
    ):
        assert name in parameters
        if name != "policies":
            assert parameters[name].default is None


def test_load_policies_and_policy_middleware_take_policies_first() -> None:
    for function in (aiohttp_apim.load_policies, aiohttp_apim.policy_middleware):
        assert next(iter(inspect.signature(function).parameters)) in ("source", "policies")


def test_setup_returns_the_gateway_and_keeps_it_under_a_typed_app_key() -> None:
    app = web.Application()
    gateway = aiohttp_apim.setup(app, policies={})
    assert isinstance(gateway, aiohttp_apim.Gateway)
    assert isinstance(aiohttp_apim.GATEWAY, web.AppKey)
    assert app[aiohttp_apim.GATEWAY] is gateway
    assert gateway.middleware in app.middlewares
