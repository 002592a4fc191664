"""The demo app, driven as a newcomer would drive it with curl."""

from __future__ import annotations

import io
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio
from prometheus_client.parser import text_string_to_metric_families
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim import cli
from aiohttp_apim.testing import (
    FakeClock,
    RecordingCache,
    Serve,
    assert_hit,
    assert_miss,
    assert_stored,
)
from demo_app.__main__ import main as demo_main
from demo_app.app import create_app
from tests.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# The first tests use the pytest plugin users test their policies with (aiohttp_apim.testing):
# apim_cache in place of Redis (the demo's prefer-external policies cache there), the fake clock.


async def test_demo_caches_lists_per_page_and_ignores_other_parameters(
    apim_serve: Serve, apim_clock: FakeClock
) -> None:
    # (caching-type="internal": the demo's own memory cache)
    served = await apim_serve(create_app(backend_delay=0, clock=apim_clock))
    first = await served.get("/catalog/products?page=2&size=2")
    assert first.status == 200
    assert_miss(first)
    body: dict[str, Any] = first.json()
    assert [item["name"] for item in body["items"]] == ["mug", "saucer"]
    again = await served.get("/catalog/products?page=2&size=2&utm=x")
    assert_hit(again)
    assert again.json()["backend_call"] == body["backend_call"]
    assert "public" in again.headers["Cache-Control"]
    assert_miss(await served.get("/catalog/products?page=1&size=2"))
    assert again.headers["X-Api"] == "catalog"
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]


async def test_demo_slow_product_is_cached_for_the_backends_max_age(
    apim_serve: Serve, apim_clock: FakeClock, apim_cache: RecordingCache
) -> None:
    app = create_app(backend_delay=0, clock=apim_clock, external_cache=apim_cache)
    served = await apim_serve(app)
    first = await served.get("/catalog/products/1")
    assert_stored(first)
    hit = await served.get("/catalog/products/1")
    assert_hit(hit)
    assert hit.json()["backend_call"] == first.json()["backend_call"]
    assert "private" in hit.headers["Cache-Control"]
    served.advance(46)  # the backend said max-age=45
    fresh = await served.get("/catalog/products/1")
    assert_miss(fresh)
    assert fresh.json()["backend_call"] != first.json()["backend_call"]
    missing = await served.get("/catalog/products/99")
    assert missing.status == 404
    assert (await served.get("/catalog/products/99")).status == 404


async def test_demo_search_choose_and_post(aiohttp_client: AiohttpClient) -> None:
    client = await aiohttp_client(create_app(backend_delay=0, clock=Clock()))
    empty = await client.get("/catalog/search?q=")
    assert empty.status == 400
    assert "required" in (await empty.json())["error"]
    found = await (await client.get("/catalog/search?q=tea")).json()
    assert [item["name"] for item in found["items"]] == ["teapot", "tea tin"]
    created = await client.post("/catalog/products", json={"name": "cup"})
    again = await client.post("/catalog/products", json={"name": "cup"})
    assert created.status == again.status == 201
    assert (await created.json())["backend_call"] != (await again.json())["backend_call"]
    health = await client.get("/health")
    assert await health.text() == "ok"


async def test_demo_featured_is_served_from_the_value_cache(aiohttp_client: AiohttpClient) -> None:
    app = create_app(backend_delay=0, clock=Clock())
    client = await aiohttp_client(app)
    gateway = app[aiohttp_apim.GATEWAY]
    first = await client.get("/catalog/featured")
    assert first.headers["X-Featured-Source"] == "backend"
    computed = await first.json()
    await gateway.drain()
    second = await client.get("/catalog/featured")
    assert second.headers["X-Featured-Source"] == "value-cache"
    assert await second.json() == computed


async def test_demo_instances_share_values_and_responses_on_redis(
    aiohttp_client: AiohttpClient, redis_server: RedisServer
) -> None:
    one_app = create_app(backend_delay=0, redis_url=redis_server.url)
    other_app = create_app(backend_delay=0, redis_url=redis_server.url)
    one = await aiohttp_client(one_app)
    other = await aiohttp_client(other_app)
    leftovers = aiohttp_apim.RedisCache.from_url(redis_server.url)
    await leftovers.clear()  # the session's server may hold an earlier run's value
    await leftovers.close()
    first = await (await one.get("/catalog/featured")).json()
    await one_app[aiohttp_apim.GATEWAY].drain()
    served = await other.get("/catalog/featured")
    assert served.headers["X-Featured-Source"] == "value-cache"
    assert await served.json() == first


async def test_demo_hits_carry_their_own_request_id(aiohttp_client: AiohttpClient) -> None:
    # The demo sets X-Request-Id after cache-store: a hit must not replay the first request's.
    client = await aiohttp_client(create_app(backend_delay=0, clock=Clock()))
    first = await client.get("/catalog/search?q=tea")
    hit = await client.get("/catalog/search?q=tea")
    assert (await hit.json())["backend_call"] == (await first.json())["backend_call"]
    assert hit.headers["X-Request-Id"] != first.headers["X-Request-Id"]


def test_demo_policies_check_clean() -> None:
    status = cli.main(["check", "--strict", "--app", "demo_app.app:create_app"], out=io.StringIO())
    assert status == 0


async def test_demo_keys_carry_the_prefix(
    aiohttp_client: AiohttpClient, redis_server: RedisServer
) -> None:
    prefix = f"demo-test-{uuid.uuid4().hex[:8]}:"
    app = create_app(
        backend_delay=0, clock=Clock(), redis_url=redis_server.url, redis_prefix=prefix
    )
    client = await aiohttp_client(app)
    assert (await client.get("/catalog/search?q=tea")).status == 200
    await app[aiohttp_apim.GATEWAY].drain()
    reader = redis.asyncio.Redis.from_url(redis_server.url)
    try:
        keys = [key async for key in reader.scan_iter(match=f"{prefix}*")]
    finally:
        await reader.aclose()
    assert keys


def test_demo_with_redis_but_without_the_package_says_what_to_install() -> None:
    # The redis package made unimportable for this process only, as on a plain `pip install -e .`.
    hide_redis = (
        "import runpy, sys; sys.modules['redis'] = None; "
        "sys.argv = ['demo_app', '--redis', 'redis://127.0.0.1:1/0']; "
        "runpy.run_module('demo_app', run_name='__main__')"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", hide_redis], capture_output=True, text=True, cwd=root, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line == (
        "demo_app: --redis needs the redis package, which is not installed; run: "
        "python -m pip install -e '.[redis]'"
    )


def test_the_readme_command_runs_the_demo_from_the_checkout() -> None:
    # demo_app is not installed with the package: `python -m demo_app` finds it in the root.
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "demo_app", "--help"],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m demo_app")


def test_demo_help_documents_port_prefix_and_sharing_a_redis(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        demo_main(["--help"])
    help_text = capsys.readouterr().out
    for option in ("--port", "--prefix", "--redis", "--host", "--backend-delay"):
        assert option in help_text
    assert "Sharing a Redis" in help_text


async def test_demo_answers_say_what_the_cache_did_and_metrics_count_it(
    aiohttp_client: AiohttpClient,
) -> None:
    client = await aiohttp_client(create_app(backend_delay=0, clock=Clock()))
    first = await client.get("/catalog/products?page=1")
    assert first.headers["Cache-Status"] == "aiohttp-apim; fwd=uri-miss; stored"
    hit = await client.get("/catalog/products?page=1")
    assert hit.headers["Cache-Status"].startswith("aiohttp-apim; hit; ttl=")
    posted = await client.post("/catalog/products", json={"name": "cup"})
    assert "Cache-Status" not in posted.headers  # create-product has no cache-lookup
    assert "Cache-Status" not in (await client.get("/health")).headers
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(await metrics.text())
        for sample in family.samples
    }
    labels = (
        ("api", "catalog"),
        ("cache", "memory"),
        ("kind", "response"),
        ("operation", "list-products"),
    )
    assert found["aiohttp_apim_cache_hits_total", labels] == 1
    assert found["aiohttp_apim_cache_misses_total", labels] == 1


def test_demo_prints_the_metrics_line_and_cache_status(monkeypatch: pytest.MonkeyPatch) -> None:
    printed = io.StringIO()
    monkeypatch.setattr(sys, "stdout", printed)
    monkeypatch.setattr("aiohttp.web.run_app", lambda *args, **kwargs: None)
    assert demo_main(["--port", "8099"]) == 0
    assert "curl 'http://127.0.0.1:8099/metrics'" in printed.getvalue()
    assert "Cache-Status: aiohttp-apim; hit" in printed.getvalue()
