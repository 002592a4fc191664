"""A gateway on a third cache backend, written from the ``Cache`` protocol's docstrings alone
(``tests.doubles.DictCache``: a dict with latency, declaring itself not in process): response
caching, value caching and rate limits behave as on the real backends, with the pipeline using
nothing but the protocol (its calls timed, its writes in the background)."""

from __future__ import annotations

from tests.doubles import DictCache
from tests.web.conftest import CACHED, FakeClock, Serve, policies_xml, set_header


async def test_response_caching_on_a_third_backend(serve: Serve, clock: FakeClock) -> None:
    cache = DictCache(clock=clock, latency=0.001)
    app = await serve(CACHED, external_cache=cache)
    first = await app.get()
    assert first.body == b"shop:list #1"
    assert len(cache.entries) == 1  # written in the background, finished by drain()
    second = await app.get()
    assert second.body == b"shop:list #1"
    assert second.headers["Cache-Control"] == "no-cache"  # downstream-caching-type="none"
    clock.advance(61)
    assert (await app.get()).body == b"shop:list #2"
    assert app.calls() == 2


async def test_values_and_rate_limits_on_a_third_backend(serve: Serve, clock: FakeClock) -> None:
    cache = DictCache(clock=clock, latency=0.001)
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<rate-limit-by-key calls="2" renewal-period="60" counter-key="k" />'
                '<cache-lookup-value key="v" variable-name="v" default-value="none" />'
                '<cache-store-value key="v" value="stored" duration="60" />',
                outbound=set_header("X-V", '@((string)context.Variables["v"])'),
            )
        },
        external_cache=cache,
    )
    assert (await app.get()).headers["X-V"] == "none"
    assert (await app.get()).headers["X-V"] == "stored"
    assert (await app.get()).status == 429
    clock.advance(61)
    assert (await app.get()).status == 200
