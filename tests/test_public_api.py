"""The public names of aiohttp_apim are pinned: adding one is a decision, removing one breaks
users. The documented signatures are pinned too."""

from __future__ import annotations

import dataclasses
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

import aiohttp_apim

PUBLIC = [
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


def test_gateway_options_are_declared_once_and_resolved_with_defaults() -> None:
    from aiohttp_apim.web.options import Settings

    fields = {field.name for field in dataclasses.fields(Settings)}
    assert set(aiohttp_apim.GatewayOptions.__annotations__) == fields
    for entry_point in (aiohttp_apim.setup, aiohttp_apim.policy_middleware, aiohttp_apim.Gateway):
        parameters = inspect.signature(entry_point).parameters
        assert parameters["options"].kind is inspect.Parameter.VAR_KEYWORD


def test_a_misspelt_option_is_refused_at_run_time_with_a_hint() -> None:
    with pytest.raises(TypeError, match=r"'cache_timout' \(did you mean 'cache_timeout'\?\)"):
        aiohttp_apim.setup(web.Application(), policies={}, cache_timout=1.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"did you mean 'policies'"):
        aiohttp_apim.Gateway({}, polices={})  # type: ignore[call-arg]


def test_mypy_rejects_a_misspelt_keyword(tmp_path: Path) -> None:
    program = tmp_path / "use_setup.py"
    program.write_text(
        "from aiohttp import web\n"
        "import aiohttp_apim\n"
        "app = web.Application()\n"
        'aiohttp_apim.setup(app, polices="policies/")\n'
        'aiohttp_apim.setup(app, "policies/", cache_timeout="fast")\n'
        'aiohttp_apim.setup(app, "policies/", cache_timeout=0.5, max_pending_writes=10)\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(program)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        # mypy does not follow the editable install's import hook: show it the checkout.
        env={**os.environ, "MYPYPATH": str(Path(aiohttp_apim.__file__).parent.parent)},
    )
    lines = [
        line
        for line in result.stdout.splitlines()
        if line.startswith("use_setup.py") and ": error:" in line
    ]
    assert len(lines) == 2, result.stdout
    assert 'Unexpected keyword argument "polices"' in lines[0]
    assert "use_setup.py:5:" in lines[1]
    assert "cache_timeout" in lines[1]
