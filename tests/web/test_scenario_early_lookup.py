"""The early lookup: a plan that starts with a cache-lookup of literal attributes looks the cache
up before any exchange exists and answers a hit with nothing left to run in outbound straight
from the entry. It must answer exactly as the whole pipeline does: the same headers, the same
rules (vary-by, credentials, bad entries), one cache read per request."""

from __future__ import annotations

import pytest

import aiohttp_apim
from tests.doubles import DictCache
from tests.pipeline.fakes import Pipeline, doc
from tests.web.conftest import Serve, Served, policies_xml, set_header

LOOKUP = (
    '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">{vary}</cache-lookup>'
)


def caching(vary: str = "", *, before: str = "", after_store: str = "", kind: str = "") -> str:
    lookup = LOOKUP.format(vary=vary)
    if kind:
        lookup = lookup.replace("<cache-lookup ", f'<cache-lookup caching-type="{kind}" ')
    return policies_xml(
        inbound=before + lookup,
        outbound='<cache-store duration="60" />' + after_store,
    )


EARLY = caching("<vary-by-header>X-Tenant</vary-by-header>")
# The same policy with a statement before the lookup: every request takes the whole pipeline.
# (Not a set-variable: set-variable steps run ahead of an early lookup,
# tests/web/test_scenario_early_prelude.py.)
GENERAL = caching(
    "<vary-by-header>X-Tenant</vary-by-header>",
    before='<set-header name="X-Unused" exists-action="override"><value>1</value></set-header>',
)


@pytest.mark.parametrize(
    ("document", "early"),
    [
        (doc(inbound=LOOKUP.format(vary=""), outbound="<cache-store duration='60' />"), True),
        (
            doc(
                inbound=LOOKUP.format(vary="") + '<set-header name="X" exists-action="override">'
                "<value>1</value></set-header>",
                outbound="<cache-store duration='60' />",
            ),
            True,
        ),
        (
            doc(
                inbound='<set-variable name="v" value="1" />' + LOOKUP.format(vary=""),
                outbound="<cache-store duration='60' />",
            ),
            True,
        ),
        (
            doc(
                inbound='<set-header name="X" exists-action="override"><value>1</value>'
                "</set-header>" + LOOKUP.format(vary=""),
                outbound="<cache-store duration='60' />",
            ),
            False,
        ),
        (
            doc(
                inbound='<cache-lookup vary-by-developer="@(context.Request.Headers.ContainsKey(&quot;X&quot;))" '
                'vary-by-developer-groups="false" />',
                outbound="<cache-store duration='60' />",
            ),
            False,
        ),
    ],
    ids=[
        "lookup-first",
        "lookup-then-more",
        "set-variable-before",
        "statement-before",
        "expression-attribute",
    ],
)
def test_the_plan_knows_when_its_lookup_can_run_early(document: str, early: bool) -> None:
    plan = Pipeline({"policy.xml": document}).plan()
    assert (plan.early_lookup is not None) == early


async def _hit(app: Served, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
    await app.get(headers=headers)
    answer = await app.get(headers=headers)
    return answer.status, {
        name: value for name, value in answer.headers.items() if name not in ("Date",)
    } | {"body": answer.text}


async def test_an_early_hit_answers_as_the_whole_pipeline(serve: Serve) -> None:
    answers = []
    for policy in (EARLY, GENERAL):
        app = await serve({"policy.xml": policy})
        app.backends["shop:list"].respond(
            headers={"X-Mine": "kept", "Content-Type": "text/plain", "Cache-Control": "public"},
            body=b"made",
        )
        answers.append(await _hit(app, {"X-Tenant": "acme"}))
        assert app.calls() == 1
    assert answers[0] == answers[1]
    assert answers[0][1]["Cache-Control"] == "no-cache"  # downstream-caching-type="none"


async def test_an_early_lookup_keeps_to_vary_by_header(serve: Serve) -> None:
    app = await serve({"policy.xml": EARLY})
    first = await app.get(headers={"X-Tenant": "a"})
    other = await app.get(headers={"X-Tenant": "b"})
    none = await app.get()
    again = await app.get(headers={"X-Tenant": "a"})
    assert app.calls() == 3
    assert again.body == first.body != other.body != none.body


async def test_a_request_with_credentials_is_never_answered_early(serve: Serve) -> None:
    app = await serve({"policy.xml": EARLY})
    await app.get()
    assert app.calls() == 1
    for name in ("Authorization", "Proxy-Authorization"):
        await app.get(headers={name: "Bearer x"})
    assert app.calls() == 3
    assert app.gateway.stats().response_hits == 0  # type: ignore[attr-defined]


async def test_outbound_after_the_store_still_runs_on_a_hit(serve: Serve) -> None:
    app = await serve(
        {"policy.xml": caching(after_store=set_header("X-After", "@(context.Response.StatusCode)"))}
    )
    await app.get()
    answer = await app.get()
    assert app.calls() == 1
    assert answer.headers["X-After"] == "200"


async def test_each_request_reads_the_cache_as_the_whole_pipeline_does(serve: Serve) -> None:
    seen = []
    for policy in (EARLY, GENERAL):
        cache = aiohttp_apim.MemoryCache()
        app = await serve({"policy.xml": policy}, internal_cache=cache)
        await app.get()
        await app.get()
        stats = cache.stats()
        counted = app.gateway.stats()  # type: ignore[attr-defined]
        seen.append((stats.misses, stats.hits, counted.response_misses, counted.response_hits))
    assert seen[0] == seen[1]
    assert seen[0][2:] == (1, 1)


async def test_a_bad_entry_is_a_miss_counted_once_and_replaced(serve: Serve) -> None:
    cache = DictCache(clock=serve.clock)
    app = await serve({"policy.xml": caching(kind="external")}, external_cache=cache)
    await app.get()
    (key,) = cache.entries
    value, expires = cache.entries[key]
    cache.entries[key] = (value[:-1] + bytes([value[-1] ^ 1]), expires)
    answer = await app.get()
    assert app.calls() == 2
    assert answer.body == b"shop:list #2"
    assert app.gateway.stats().cache_errors == 1  # type: ignore[attr-defined]
    await app.get()
    assert app.calls() == 2  # stored again, and served
