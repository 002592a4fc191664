"""Running plans without a server: sections, signals, errors and context.LastError, and the
cache hit path (which must not build the expression context)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from aiohttp.test_utils import make_mocked_request

from aiohttp_apim.expressions.context import ExpressionContext, LastError
from aiohttp_apim.identity import ANONYMOUS
from aiohttp_apim.pipeline.exchange import Exchange, HttpRequest
from aiohttp_apim.pipeline.runner import run_exchange
from tests.pipeline.fakes import Pipeline, doc

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
ECHO = (
    '<set-header name="X-Error" exists-action="override"><value>@(context.LastError.Source'
    ' + "|" + context.LastError.Reason + "|" + context.LastError.Scope + "|"'
    ' + context.LastError.Section + "|" + context.LastError.Path + "|"'
    " + context.LastError.PolicyId)</value></set-header>"
)
FAIL = '@(context.Variables["missing"].ToString())'


def error_of(x: Exchange) -> LastError:
    assert x.last_error is not None
    return x.last_error


def header(x: Exchange, name: str) -> str | None:
    assert x.response is not None
    return x.response.headers.joined(name)


async def test_sections_run_in_order_around_the_backend() -> None:
    pipeline = Pipeline(
        {
            "policy.xml": doc(
                inbound='<set-header name="X-In" exists-action="override"><value>1</value></set-header>',
                outbound='<set-header name="X-Out" exists-action="override">'
                '<value>@(context.Response.Headers.GetValueOrDefault("X-Backend", "-"))</value>'
                "</set-header>",
            )
        }
    )
    x = await pipeline.run()
    assert ("X-In", "1") in pipeline.adapter.seen_headers[0]
    assert header(x, "X-Out") == "yes"
    assert x.response is not None
    assert x.response.body == b"backend"


async def test_return_response_skips_backend_and_outbound() -> None:
    pipeline = Pipeline(
        {
            "policy.xml": doc(
                inbound='<return-response><set-status code="202" reason="Later" /></return-response>',
                outbound='<set-header name="X-Out" exists-action="override"><value>1</value></set-header>',
            )
        }
    )
    x = await pipeline.run()
    assert x.response is not None
    assert (x.response.status, x.response.reason) == (202, "Later")
    assert header(x, "X-Out") is None
    assert pipeline.adapter.calls == 0


async def test_error_in_a_branch_reports_its_location_and_skips_the_rest() -> None:
    inbound = (
        '<choose><when condition="@(true)">'
        '<set-variable name="ok" value="1" />'
        f'<set-header id="bad" name="X" exists-action="override"><value>{FAIL}</value>'
        "</set-header></when></choose>"
        '<set-variable name="after" value="1" />'
    )
    pipeline = Pipeline({"policy.xml": doc(inbound=inbound, on_error=ECHO)})
    x = await pipeline.run()
    error = error_of(x)
    assert (error.source, error.reason, error.scope, error.section) == (
        "set-header",
        "ExpressionValueEvaluationFailure",
        "global",
        "inbound",
    )
    assert (error.path, error.policy_id) == ("choose[1]\\when[1]\\set-header[1]", "bad")
    assert error.message.startswith("Expression evaluation failed. KeyNotFoundException")
    assert header(x, "X-Error") == (
        "set-header|ExpressionValueEvaluationFailure|global|inbound|"
        "choose[1]\\when[1]\\set-header[1]|bad"
    )
    assert "after" not in x.variables
    assert pipeline.adapter.calls == 0


async def test_error_in_a_condition_is_the_chooses() -> None:
    inbound = (
        '<choose id="c"><when condition="@(false)" />'
        '<when condition="@(context.Variables["missing"] == "x")">'
        '<set-variable name="a" value="1" /></when></choose>'
    )
    x = await Pipeline({"policy.xml": doc(inbound=inbound)}).run()
    error = error_of(x)
    assert (error.source, error.path, error.policy_id) == ("choose", "choose[1]\\when[2]", "c")


async def test_unhandled_error_answers_apims_default_500() -> None:
    x = await Pipeline(
        {"policy.xml": doc(outbound=f'<set-variable name="v" value="{FAIL}" />')}
    ).run()
    assert x.response is not None
    assert x.response.status == 500
    assert x.response.headers.joined("Content-Type") == "application/json; charset=utf-8"
    assert json.loads(x.response.body) == {
        "statusCode": 500,
        "message": "Internal server error",
        "activityId": str(x.request_id),
    }
    assert error_of(x).section == "outbound"


async def test_on_error_sees_the_default_status_and_can_change_the_answer() -> None:
    on_error = (
        '<set-header name="X-Status" exists-action="override">'
        "<value>@(context.Response.StatusCode.ToString())</value></set-header>"
        '<set-status code="503" reason="Down" />'
    )
    x = await Pipeline(
        {"policy.xml": doc(inbound=f'<set-variable name="v" value="{FAIL}" />', on_error=on_error)}
    ).run()
    assert x.response is not None
    assert (x.response.status, header(x, "X-Status")) == (503, "500")


async def test_error_inside_on_error_answers_the_default_for_that_error() -> None:
    x = await Pipeline(
        {
            "policy.xml": doc(
                inbound=f'<set-variable name="v" value="{FAIL}" />',
                on_error=f'<set-variable id="again" name="w" value="{FAIL}" />',
            )
        }
    ).run()
    assert x.response is not None
    assert x.response.status == 500
    assert (error_of(x).section, error_of(x).policy_id) == ("on-error", "again")


async def test_a_liquid_template_fails_with_policy_not_supported() -> None:
    x = await Pipeline(
        {
            "policy.xml": doc(
                outbound='<set-body template="liquid">{{body}}</set-body>', on_error=ECHO
            )
        }
    ).run()
    error = error_of(x)
    assert (error.source, error.reason) == ("set-body", "PolicyNotSupported")
    assert "not supported" in error.message


async def test_header_injection_from_an_expression_goes_to_on_error() -> None:
    value = '@("a" + "\\r\\n" + "Injected: 1")'
    x = await Pipeline(
        {
            "policy.xml": doc(
                outbound=f'<set-header name="X" exists-action="override"><value>{value}</value>'
                "</set-header>"
            )
        }
    ).run()
    assert x.response is not None
    assert x.response.status == 500
    assert error_of(x).reason == "InvalidHeader"


async def test_cache_hit_skips_backend_and_never_builds_the_context() -> None:
    pipeline = Pipeline(
        {"policy.xml": doc(inbound=LOOKUP, outbound='<cache-store duration="60" />')}
    )
    miss = await pipeline.run()
    assert miss.response is not None
    assert miss.response.headers.joined("Cache-Control") == ("no-cache")

    def refuse(x: Exchange) -> ExpressionContext:
        raise AssertionError("the hit path built the expression context")

    pipeline.runtime = dataclasses.replace(pipeline.runtime, contexts=refuse)
    hit = await pipeline.run(headers={"If-None-Match": '"v"'})
    assert pipeline.adapter.calls == 1
    assert hit.response is not None
    assert (hit.response.status, hit.response.body) == (200, b"backend")
    assert hit.response.headers.joined("X-Backend") == "yes"
    assert hit.response.headers.joined("Cache-Control") == "no-cache"
    assert not hit.request_headers.changed  # nothing stripped: nothing was forwarded


async def test_hit_resumes_outbound_after_the_store_that_stored_it() -> None:
    probe = (
        '<set-header name="{name}" exists-action="override"><value>'
        '@(context.Request.Headers.GetValueOrDefault("X-Probe", ""))</value></set-header>'
    )
    outbound = (
        probe.format(name="X-Before")
        + '<cache-store duration="60" />'
        + probe.format(name="X-After")
    )
    pipeline = Pipeline({"policy.xml": doc(inbound=LOOKUP, outbound=outbound)})
    await pipeline.run(headers={"X-Probe": "one"})
    hit = await pipeline.run(headers={"X-Probe": "two"})
    assert (header(hit, "X-Before"), header(hit, "X-After")) == ("one", "two")


async def test_miss_strips_conditional_request_headers_before_the_backend() -> None:
    pipeline = Pipeline({"policy.xml": doc(inbound=LOOKUP)})
    await pipeline.run(headers={"If-None-Match": '"v"', "Cache-Control": "no-cache", "X": "1"})
    seen = dict(pipeline.adapter.seen_headers[0])
    assert "If-None-Match" not in seen
    assert "Cache-Control" not in seen
    assert seen["X"] == "1"


async def test_store_runs_once_per_request_even_with_two_stores() -> None:
    policies = {
        "policy.xml": doc(inbound=LOOKUP, outbound='<cache-store duration="5" />'),
        "apis/shop/operations/list/policy.xml": doc(
            inbound="<base />", backend="<base />", outbound='<cache-store duration="60" /><base />'
        ),
    }
    pipeline = Pipeline(policies)
    await pipeline.run()
    assert pipeline.background.pending == 0
    pipeline.now += 30  # the first store (60 s) wrote the entry, the second (5 s) did not
    await pipeline.run()
    assert pipeline.adapter.calls == 1


async def test_a_rate_limit_answers_apims_429_with_retry_after() -> None:
    pipeline = Pipeline(
        {
            "policy.xml": doc(
                inbound='<rate-limit-by-key calls="0" renewal-period="20" counter-key="k" '
                'retry-after-header-name="X-Wait" />'
            )
        }
    )
    x = await pipeline.run()
    assert x.response is not None
    assert (x.response.status, x.response.reason) == (429, "Too Many Requests")
    assert json.loads(x.response.body) == {
        "statusCode": 429,
        "message": "Rate limit is exceeded. Try again in 20 seconds.",
    }
    assert header(x, "X-Wait") == "20"
    assert header(x, "Retry-After") is None
    assert pipeline.adapter.calls == 0
    assert (error_of(x).source, error_of(x).reason) == ("rate-limit-by-key", "RateLimitExceeded")


async def test_finishing_work_runs_once_the_answer_is_final_whatever_happened() -> None:
    # A deferred increment runs after on-error too, and sees on-error's answer.
    pipeline = Pipeline(
        {
            "policy.xml": doc(
                inbound='<rate-limit-by-key calls="5" renewal-period="60" counter-key="k" '
                'increment-count="@(context.Response.StatusCode == 503 ? 3 : 1)" '
                'remaining-calls-header-name="X-Left" />'
                f'<set-variable name="v" value="{FAIL}" />',
                on_error='<set-status code="503" />',
            )
        }
    )
    x = await pipeline.run()
    assert x.response is not None
    assert (x.response.status, header(x, "X-Left")) == (503, "5")
    hit = await pipeline.cache.get("rl:k")
    assert hit is not None
    assert hit.value == b"3"


async def test_a_finisher_that_raises_is_logged_and_the_answer_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pipeline = Pipeline({"policy.xml": doc()})
    x = Exchange(pipeline.runtime, pipeline.plan(), _request(), None, ANONYMOUS, {})

    async def broken(_: Exchange) -> None:
        raise RuntimeError("finisher bug")

    x.add_finisher(broken)
    x.add_extra_header("X-Extra", "1")
    await run_exchange(x)
    assert header(x, "X-Extra") == "1"
    assert any("finishing a request failed" in r.getMessage() for r in caplog.records)


async def test_send_request_without_a_web_layer_fails_like_a_connection_failure() -> None:
    x = await Pipeline(
        {
            "policy.xml": doc(
                inbound='<send-request response-variable-name="r"><set-url>http://h/</set-url>'
                "</send-request>",
                on_error=ECHO,
            )
        }
    ).run()
    assert (error_of(x).source, error_of(x).reason) == ("send-request", "BackendConnectionFailure")


def _request() -> HttpRequest:
    from aiohttp.test_utils import make_mocked_request

    return make_mocked_request("GET", "/shop/items")


async def test_hits_on_one_plan_get_independent_responses_and_see_a_replaced_entry() -> None:
    # One plan for every request, as the gateway keeps it: the lookup decodes an entry once and
    # reuses it, yet each hit's response is its own, and a rewritten entry is served as written.
    bodies = iter([b"first", b"second"])
    pipeline = Pipeline(
        {"policy.xml": doc(inbound=LOOKUP, outbound='<cache-store duration="60" />')},
        backend=lambda x: (
            200,
            [("X-Backend", "yes"), ("Cache-Control", "max-age=5")],
            next(bodies),
        ),
    )
    plan = pipeline.plan()

    async def run() -> Exchange:
        request = make_mocked_request("GET", "/shop/items")
        x = Exchange(pipeline.runtime, plan, request, None, ANONYMOUS, {})
        await run_exchange(x)
        await pipeline.background.drain()
        return x

    await run()
    one, two = await run(), await run()
    assert one.response is not None
    assert two.response is not None
    assert one.response.headers is not two.response.headers
    one.response.headers.set("X-Backend", ("changed",))
    one.response.headers.set("Cache-Control", ("changed",))
    three = await run()
    assert three.response is not None
    assert three.response.headers.items() == [("X-Backend", "yes"), ("Cache-Control", "no-cache")]
    assert (three.response.body, pipeline.adapter.calls) == (b"first", 1)
    pipeline.now += 61  # expired: the next request stores the backend's new answer
    await run()
    four = await run()
    assert four.response is not None
    assert (four.response.body, pipeline.adapter.calls) == (b"second", 2)
