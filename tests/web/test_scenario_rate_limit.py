"""rate-limit-by-key over HTTP: the window, the 429 through on-error, counting rules, the headers
and variables, shared counters and failing open (see ``pipeline/steps/ratelimit.py`` for the
decisions these tests pin)."""

from __future__ import annotations

import json
import logging

import pytest
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from tests.doubles import FailingCache
from tests.web.conftest import (
    Answer,
    FakeClock,
    Serve,
    Served,
    build_app,
    policies_xml,
    set_header,
)

KEY = '@(context.Request.Headers.GetValueOrDefault("X-Caller", "anonymous"))'


def limit(calls: int | str = 3, period: int | str = 60, extra: str = "", key: str = KEY) -> str:
    return (
        f'<rate-limit-by-key calls="{calls}" renewal-period="{period}" counter-key="{key}" '
        f"{extra}/>"
    )


def caller(name: str) -> dict[str, str]:
    return {"X-Caller": name}


def gateway_of(served: Served) -> aiohttp_apim.Gateway:
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    return gateway


def assert_limited(answer: Answer, seconds: int) -> None:
    assert answer.status == 429
    assert answer.headers["Retry-After"] == str(seconds)
    assert answer.headers["Content-Type"].startswith("application/json")
    assert json.loads(answer.body) == {
        "statusCode": 429,
        "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
    }


async def test_calls_beyond_the_limit_get_apims_429_until_the_window_ends(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve({"policy.xml": policies_xml(inbound=limit(calls=3, period=60))})
    for n in range(1, 4):
        answer = await app.get()
        assert (answer.status, answer.body) == (200, f"shop:list #{n}".encode())
        clock.advance(5)
    clock.advance(5)  # 20 s into the window that opened with the first call
    assert_limited(await app.get(), 40)
    assert_limited(await app.get(), 40)
    assert app.calls() == 3  # refused calls never reach the backend
    clock.advance(39.5)
    assert_limited(await app.get(), 1)  # whole seconds, rounded up
    clock.advance(0.5)  # the window is over: a new one opens
    assert (await app.get()).status == 200
    stats = gateway_of(app).stats()
    assert (stats.rate_limited, stats.rate_limit_errors) == (3, 0)


async def test_refused_calls_do_not_count(serve: Serve, clock: FakeClock) -> None:
    app = await serve({"policy.xml": policies_xml(inbound=limit(calls=1, period=10))})
    assert (await app.get()).status == 200
    for _ in range(5):
        assert (await app.get()).status == 429
    clock.advance(10)
    assert (await app.get()).status == 200
    assert (await app.get()).status == 429


async def test_each_counter_key_value_has_its_own_counter(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(inbound=limit(calls=2))})
    for _ in range(2):
        assert (await app.get(headers=caller("alice"))).status == 200
    assert (await app.get(headers=caller("alice"))).status == 429
    assert (await app.get(headers=caller("bob"))).status == 200


async def test_one_counter_per_key_value_across_scopes_and_operations(serve: Serve) -> None:
    app = await serve(
        {
            "apis/shop/operations/list/policy.xml": policies_xml(
                inbound="<base />" + limit(calls=3, key="shared"), backend="<base />"
            ),
            "apis/shop/operations/get/policy.xml": policies_xml(
                inbound="<base />" + limit(calls=3, key="shared"), backend="<base />"
            ),
            "apis/billing/policy.xml": policies_xml(
                inbound="<base />" + limit(calls=3, key="billing"), backend="<base />"
            ),
        }
    )
    assert (await app.get("/shop/items")).status == 200
    assert (await app.get("/shop/items/1")).status == 200
    assert (await app.get("/shop/items/2")).status == 200
    assert (await app.get("/shop/items")).status == 429
    assert (await app.get("/billing/invoices")).status == 200


async def test_remaining_and_total_calls_headers_and_variables(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(
                    calls=3,
                    extra='remaining-calls-header-name="X-Remaining" '
                    'total-calls-header-name="X-Total" '
                    'remaining-calls-variable-name="left" '
                    'retry-after-variable-name="retry" ',
                ),
                outbound=set_header(
                    "X-Left",
                    '@(context.Variables["left"] is int ? '
                    '"int " + context.Variables["left"] : "other")',
                ),
                on_error=set_header("X-Left", '@(context.Variables["left"].ToString())')
                + set_header(
                    "X-Retry",
                    '@(context.Variables["retry"] is int ? '
                    '"int " + context.Variables["retry"] : "other")',
                ),
            )
        }
    )
    seen = []
    for _ in range(3):
        answer = await app.get()
        seen.append(
            (answer.headers["X-Remaining"], answer.headers["X-Total"], answer.headers["X-Left"])
        )
    assert seen == [("2", "3", "int 2"), ("1", "3", "int 1"), ("0", "3", "int 0")]
    clock.advance(12)
    refused = await app.get()
    assert refused.status == 429
    assert (refused.headers["X-Remaining"], refused.headers["X-Total"]) == ("0", "3")
    assert (refused.headers["X-Left"], refused.headers["X-Retry"]) == ("0", "int 48")


async def test_a_custom_retry_after_header_name(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(calls=0, period=30, extra='retry-after-header-name="X-Retry-In" ')
            )
        }
    )
    answer = await app.get()
    assert answer.status == 429
    assert answer.headers["X-Retry-In"] == "30"
    assert "Retry-After" not in answer.headers


async def test_on_error_sees_the_429_and_can_change_it(serve: Serve) -> None:
    seen = (
        '@(context.LastError.Source + "|" + context.Response.StatusCode + "|"'
        ' + context.Response.Headers.GetValueOrDefault("Retry-After", "") + "|"'
        " + context.LastError.Message)"
    )
    limited = '@(context.LastError.Reason == "RateLimitExceeded")'
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(calls=0, period=30, extra='retry-after-variable-name="retry" '),
                on_error=(
                    f'<set-variable name="seen" value="{seen}" />'
                    f'<choose><when condition="{limited}"><return-response>'
                    '<set-status code="503" reason="Slow Down" />'
                    + set_header("X-Seen", '@((string)context.Variables["seen"])')
                    + set_header("Retry-After", '@(context.Variables["retry"].ToString())')
                    + "<set-body>please wait</set-body></return-response></when></choose>"
                ),
            )
        }
    )
    answer = await app.get()
    assert (answer.status, answer.body) == (503, b"please wait")
    assert answer.headers["X-Seen"] == (
        "rate-limit-by-key|429|30|Rate limit is exceeded. Try again in 30 seconds."
    )
    assert answer.headers["Retry-After"] == "30"


async def test_increment_count_weighs_calls(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(
                    calls=5, extra='increment-count="2" remaining-calls-header-name="X-R" '
                )
            )
        }
    )
    assert (await app.get()).headers["X-R"] == "3"
    assert (await app.get()).headers["X-R"] == "1"
    assert (await app.get()).status == 429  # 4 + 2 > 5


async def test_a_constant_false_condition_never_counts_but_the_limit_still_applies(
    serve: Serve,
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(calls=1, extra='increment-condition="false" ')
                + '<choose><when condition="@(context.Request.Method == &quot;POST&quot;)">'
                + limit(calls=1)
                + "</when></choose>"
            )
        }
    )
    for _ in range(3):
        assert (await app.get()).status == 200
    assert (await app.request("POST")).status == 200  # counted (the second policy)
    assert (await app.get()).status == 429  # the shared counter reached the limit


async def test_a_response_condition_is_evaluated_after_outbound(serve: Serve) -> None:
    # APIM: an expression condition "postpones evaluation and counter increment to the end of
    # the outbound pipeline". Only calls the backend answered with 2xx count here; outbound
    # turns 201 into 202, and the condition sees the final 202.
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(
                    calls=2,
                    extra='increment-condition="@(context.Response.StatusCode == 202)" '
                    'remaining-calls-header-name="X-R" ',
                ),
                outbound='<choose><when condition="@(context.Response.StatusCode == 201)">'
                '<set-status code="202" /></when></choose>',
            )
        }
    )
    backend = app.backends["shop:list"]
    backend.respond(status=500)
    for _ in range(4):
        failed = await app.get()
        assert (failed.status, failed.headers["X-R"]) == (500, "2")
    backend.respond(status=201)
    assert [(await app.get()).headers["X-R"] for _ in range(2)] == ["2", "1"]
    assert (await app.get()).status == 429
    assert app.calls() == 6


async def test_an_expression_increment_count_is_evaluated_after_the_response(
    serve: Serve,
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(
                    calls=10,
                    extra='increment-count="@(int.Parse(context.Response.Headers'
                    '.GetValueOrDefault(&quot;X-Cost&quot;, &quot;1&quot;)))" ',
                )
            )
        }
    )
    app.backends["shop:list"].respond(headers={"X-Cost": "6"})
    assert (await app.get()).status == 200  # 0 used: admitted, then 6 counted
    assert (await app.get()).status == 200  # 6 used < 10: admitted, then 12
    assert (await app.get()).status == 429


async def test_a_deferred_condition_that_fails_is_logged_and_not_counted(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(
                    calls=1,
                    extra='increment-condition="@((bool)context.Variables[&quot;nope&quot;])" ',
                )
            )
        }
    )
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            assert (await app.get()).status == 200
    assert any("not counted" in r.getMessage() for r in caplog.records)


async def test_a_limit_after_cache_lookup_does_not_count_hits(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
                + limit(calls=1),
                outbound='<cache-store duration="60" />',
            )
        }
    )
    assert (await app.get()).status == 200
    for _ in range(3):
        assert (await app.get()).status == 200  # hits skip the rest of inbound
    assert (await app.get("/shop/items/9")).status == 429


async def test_calls_and_period_can_be_expressions(serve: Serve, clock: FakeClock) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(
                    calls='@(context.Request.Headers.ContainsKey("X-Gold") ? 3 : 1)',
                    period="@(10 + 10)",
                )
            )
        }
    )
    assert (await app.get(headers={"X-Gold": "1"})).status == 200
    assert (await app.get(headers={"X-Gold": "1"})).status == 200
    assert (await app.get()).status == 429
    assert (await app.get(headers={"X-Gold": "1"})).status == 200
    clock.advance(20)
    assert (await app.get()).status == 200


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ('calls="1" renewal-period="60" counter-key="@((string)null)"', "ArgumentNullException"),
        ('calls="@(-1)" renewal-period="60" counter-key="k"', "calls must be 0 or more"),
        ('calls="1" renewal-period="@(301)" counter-key="k"', "renewal-period must be 1 to 300"),
    ],
)
async def test_bad_values_go_to_on_error(serve: Serve, attributes: str, message: str) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=f"<rate-limit-by-key {attributes} />",
                on_error=set_header(
                    "X-Error", '@(context.LastError.Reason + "|" + context.LastError.Message)'
                ),
            )
        }
    )
    answer = await app.get()
    assert answer.status == 500
    reason, _, text = answer.headers["X-Error"].partition("|")
    assert reason == "ExpressionValueEvaluationFailure"
    assert message in text


# --- shared counters and failing open ----------------------------------------------------------


async def test_two_apps_given_one_cache_share_one_limit(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    shared = aiohttp_apim.MemoryCache(clock=clock)
    policy = {"policy.xml": policies_xml(inbound=limit(calls=3))}
    clients = []
    for _ in range(2):
        app, _, _ = build_app(policy, clock=clock, internal_cache=shared)
        clients.append(await aiohttp_client(app))
    statuses = []
    for n in range(5):
        async with clients[n % 2].get("/shop/items") as answer:
            statuses.append(answer.status)
    assert statuses == [200, 200, 200, 429, 429]


async def test_a_counter_store_that_is_down_lets_requests_through(
    serve: Serve, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(calls=1, extra='remaining-calls-variable-name="left" ')
                + limit(
                    calls=1,
                    key="deferred",
                    extra='increment-condition="@(context.Response.StatusCode == 200)" ',
                ),
                outbound=set_header("X-Left", '@(context.Variables["left"].ToString())'),
            )
        },
        external_cache=FailingCache(("get", "increment"), clock=clock),
    )
    with caplog.at_level(logging.WARNING):
        for n in range(1, 4):
            answer = await app.get()
            assert (answer.status, answer.body) == (200, f"shop:list #{n}".encode())
            assert answer.headers["X-Left"] == "1"  # as if the window were fresh
    stats = gateway_of(app).stats()
    assert stats.rate_limit_errors == 6
    assert stats.rate_limited == 0
    assert stats.cache_errors == 9  # 6 checks and 3 increments after the response
    assert any("connection refused" in r.getMessage() for r in caplog.records)


async def test_an_invalid_header_name_fails_the_policy(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=limit(calls=1, extra='remaining-calls-header-name="Bad Name" '),
                on_error=set_header("X-Reason", "@(context.LastError.Reason)"),
            )
        }
    )
    answer = await app.get()
    assert (answer.status, answer.headers["X-Reason"]) == (500, "InvalidHeader")
