"""Diagnosing policies over HTTP: a run-time policy error is logged once with where it happened,
``context.LastError`` says where too, the development trace and the ``<trace>`` element, warnings
at startup for setups that never cache, and ``ignore_policies``."""

from __future__ import annotations

import json
import logging

import pytest
from aiohttp import web

import aiohttp_apim
from tests.doubles import DictCache
from tests.web.conftest import (
    LOOKUP,
    STORE,
    Serve,
    add_routes,
    policies_xml,
    set_header,
    subscriptions,
)

OPERATION = "apis/shop/operations/list/policy.xml"
GLOBAL = {"policy.xml": policies_xml(outbound="<base />")}

# Line 3 holds the failing statement: the "<" at column 5, the "@" of its value at column 35.
FAILING = (
    "<policies>\n"
    "  <inbound><base />\n"
    '    <set-variable name="n" value="@(int.Parse(context.Request.Headers'
    '.GetValueOrDefault("X-Count", "x")))" />\n'
    "  </inbound>\n"
    "  <backend><base /></backend>\n"
    "  <outbound><base /></outbound>\n"
    "  <on-error><base /></on-error>\n"
    "</policies>\n"
)


def apim_records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.startswith("aiohttp_apim") and r.levelno == level]


# --- run-time errors --------------------------------------------------------------------------


async def test_a_runtime_expression_error_is_one_warning_naming_where_and_the_exception(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve({**GLOBAL, OPERATION: FAILING})
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim")
    answer = await served.get()
    assert answer.status == 500
    [record] = apim_records(caplog, logging.WARNING)
    message = record.getMessage()
    assert f"<set-variable> at {OPERATION}:3:5" in message
    assert f"expression at {OPERATION}:3:35" in message
    assert "FormatException" in message
    assert "API shop, operation list" in message
    assert "inbound section" in message
    activity = json.loads(answer.body)["activityId"]
    assert f"activity {activity}" in message
    assert record.apim_activity_id == activity  # type: ignore[attr-defined]
    assert record.apim_expression_location == f"{OPERATION}:3:35"  # type: ignore[attr-defined]
    # A request that does not fail logs nothing.
    caplog.clear()
    assert (await served.get(headers={"X-Count": "2"})).status == 200
    assert apim_records(caplog, logging.WARNING) == []


async def test_an_error_failing_on_every_request_is_not_logged_on_every_request(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve({**GLOBAL, OPERATION: FAILING})
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    for _ in range(5):
        assert (await served.get()).status == 500
    assert len(apim_records(caplog, logging.WARNING)) == 1


async def test_last_error_says_where_and_keeps_apims_members(serve: Serve) -> None:
    echo = (
        "<return-response>"
        + set_header("X-Location", "@(context.LastError.Location)")
        + set_header("X-Expression", "@(context.LastError.ExpressionLocation)")
        + set_header("X-Source", "@(context.LastError.Source)")
        + set_header("X-Reason", "@(context.LastError.Reason)")
        + "<set-body>@(context.LastError.Message)</set-body></return-response>"
    )
    failing = FAILING.replace("<on-error><base /></on-error>", f"<on-error>{echo}</on-error>")
    served = await serve({**GLOBAL, OPERATION: failing})
    answer = await served.get()
    assert answer.headers["X-Location"] == f"{OPERATION}:3:5"
    assert answer.headers["X-Expression"] == f"{OPERATION}:3:35"
    assert answer.headers["X-Source"] == "set-variable"
    assert answer.headers["X-Reason"] == "ExpressionValueEvaluationFailure"
    assert answer.text.startswith("Expression evaluation failed. FormatException")
    assert OPERATION not in answer.text  # the message itself names no file


async def test_a_rate_limit_refusal_is_no_warning(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    limit = '<rate-limit-by-key calls="1" renewal-period="60" counter-key="all" />'
    served = await serve({"policy.xml": policies_xml(inbound=limit)})
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    assert (await served.get()).status == 200
    assert (await served.get()).status == 429
    assert apim_records(caplog, logging.WARNING) == []


# --- the development trace -------------------------------------------------------------------


def trace_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "aiohttp_apim.trace"]


VARIED = policies_xml(
    inbound='<set-variable name="who" value="@(context.Request.Headers'
    '.GetValueOrDefault("X-Who", "nobody"))" />' + LOOKUP,
    outbound=STORE,
)


async def test_the_trace_lists_each_step_the_keys_and_hit_miss_bypass_with_reasons(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    served = await serve({"policy.xml": VARIED}, trace=True)
    caplog.set_level(logging.INFO, logger="aiohttp_apim.trace")
    await served.get(headers={"X-Who": "ann"})
    first = trace_lines(caplog)
    assert "GET /shop/items: API shop, operation list" in first[0]
    assert any(
        "inbound set-variable[1] (policy.xml:2:" in line and "set who = 'ann'" in line
        for line in first
    )
    [miss] = [line for line in first if "cache-lookup[1]" in line]
    assert ": miss, key resp|" in miss
    key = miss.split("key ", 1)[1]
    [stored] = [line for line in first if "cache-store[1]" in line]
    assert f"stored, key {key}" in stored
    assert any("backend forward-request[1]" in line for line in first)

    caplog.clear()
    await served.get()
    [hit] = [line for line in trace_lines(caplog) if "cache-lookup[1]" in line]
    assert f"hit, key {key}" in hit
    assert served.calls() == 1

    caplog.clear()
    await served.request("POST")
    [bypass] = [line for line in trace_lines(caplog) if "cache-lookup[1]" in line]
    assert "bypass (method)" in bypass
    [not_stored] = [line for line in trace_lines(caplog) if "cache-store[1]" in line]
    assert "not-stored" in not_stored

    caplog.clear()
    await served.get(headers={"Authorization": "Bearer x"})
    [bypass] = [line for line in trace_lines(caplog) if "cache-lookup[1]" in line]
    assert "bypass (authorization)" in bypass


async def test_the_trace_shows_value_cache_keys(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    policy = policies_xml(
        inbound='<cache-lookup-value key="greeting" variable-name="g" />'
        '<cache-store-value key="greeting" value="hello" duration="60" />',
    )
    served = await serve({"policy.xml": policy}, trace=True)
    caplog.set_level(logging.INFO, logger="aiohttp_apim.trace")
    await served.get()
    lines = trace_lines(caplog)
    assert any("cache-lookup-value[1]" in line and "miss, key greeting" in line for line in lines)
    assert any("cache-store-value[1]" in line and "stored, key greeting" in line for line in lines)
    caplog.clear()
    await served.get()
    assert any(
        "cache-lookup-value[1]" in line
        and "hit, key greeting" in line
        and "set g = 'hello'" in line
        for line in trace_lines(caplog)
    )


async def test_the_trace_is_off_by_default_and_on_by_environment(
    serve: Serve, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.trace")
    monkeypatch.delenv("AIOHTTP_APIM_TRACE", raising=False)
    quiet = await serve({"policy.xml": VARIED})
    await quiet.get()
    assert trace_lines(caplog) == []
    monkeypatch.setenv("AIOHTTP_APIM_TRACE", "1")
    traced = await serve({"policy.xml": VARIED})
    await traced.get()
    assert any("cache-lookup[1]" in line for line in trace_lines(caplog))
    caplog.clear()
    explicit_off = await serve({"policy.xml": VARIED}, trace=False)
    await explicit_off.get()
    assert trace_lines(caplog) == []


# --- the <trace> element ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "level"),
    [("verbose", logging.DEBUG), ("information", logging.INFO), ("error", logging.ERROR)],
)
async def test_the_trace_element_logs_its_message_at_its_severity(
    serve: Serve, caplog: pytest.LogCaptureFixture, severity: str, level: int
) -> None:
    trace = (
        f'<trace source="shop-api" severity="{severity}">'
        '<message>@("items for " + context.Request.Headers.GetValueOrDefault("X-Who", "?"))'
        "</message>"
        '<metadata name="operation" value="@(context.Operation.Id)" /></trace>'
    )
    served = await serve({"policy.xml": policies_xml(inbound=trace)})
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.trace")
    await served.get(headers={"X-Who": "ann"})
    [record] = [r for r in caplog.records if r.name == "aiohttp_apim.trace"]
    assert record.levelno == level
    assert "shop-api: items for ann {operation=list}" in record.getMessage()


async def test_a_trace_element_below_the_level_evaluates_nothing(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    # The message would throw if it ran: at WARNING a verbose trace is never evaluated.
    trace = (
        '<trace source="s"><message>@(int.Parse("x" + context.Request.Method))</message></trace>'
    )
    served = await serve({"policy.xml": policies_xml(inbound=trace)})
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    assert (await served.get()).status == 200
    assert caplog.records == []


# --- warnings at startup ----------------------------------------------------------------------


def startup_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in apim_records(caplog, logging.WARNING)]


async def test_external_caching_without_an_external_cache_is_a_warning_and_never_caches(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    lookup = LOOKUP.replace("/>", 'caching-type="external" />')
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    served = await serve({"policy.xml": policies_xml(inbound=lookup, outbound=STORE)})
    [warning] = startup_warnings(caplog)
    assert 'policy.xml:2:12: warning: <cache-lookup caching-type="external"> never caches' in (
        warning
    )
    await served.get()
    await served.get()
    assert served.calls() == 2
    # With an external cache there is nothing to say, and it caches.
    caplog.clear()
    cached = await serve(
        {"policy.xml": policies_xml(inbound=lookup, outbound=STORE)}, external_cache=DictCache()
    )
    assert startup_warnings(caplog) == []
    await cached.get()
    await cached.get()
    assert cached.calls() == 1


async def test_vary_by_developer_without_subscriptions_is_a_warning(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    lookup = '<cache-lookup vary-by-developer="true" vary-by-developer-groups="false" />'
    policies = {"policy.xml": policies_xml(inbound=lookup, outbound=STORE)}
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    await serve(policies)
    [warning] = startup_warnings(caplog)
    assert 'vary-by-developer="true"> varies by nothing: no subscriptions' in warning
    caplog.clear()
    await serve(policies, subscriptions=subscriptions())
    assert startup_warnings(caplog) == []


async def test_a_cache_store_without_a_cache_lookup_is_a_warning(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    served = await serve({"policy.xml": policies_xml(outbound=STORE)})
    [warning] = startup_warnings(caplog)
    assert "policy.xml:4:13: warning: <cache-store> never stores anything" in warning
    assert [str(w) for w in served.gateway.warnings] == [warning]  # type: ignore[attr-defined]


async def test_a_value_lookup_no_store_produces_is_a_warning(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    inbound = (
        '<cache-lookup-value key="@("token-" + context.Request.Method)" variable-name="t" />'
        '<cache-lookup-value key="tokne-GET" variable-name="u" />'
        '<cache-store-value key="@("token-" + context.Request.Method)" value="x" duration="9" />'
    )
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    await serve({"policy.xml": policies_xml(inbound=inbound)})
    [warning] = startup_warnings(caplog)
    assert "<cache-lookup-value> with key 'tokne-GET' always misses" in warning
    assert "keys stored: 'token-'..." in warning


# --- ignore_policies ---------------------------------------------------------------------------

MIXED = policies_xml(
    inbound='<set-backend-service base-url="https://backend.example.com" />'
    '<validate-jwt header-name="Authorization" />' + LOOKUP,
    outbound=STORE + '<set-backend-service base-url="https://other.example.com" />',
)


async def test_a_file_mixing_unsupported_policies_is_refused_by_default() -> None:
    app = web.Application()
    add_routes(app)
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.setup(app, {"policy.xml": MIXED})
    assert [p.kind for p in caught.value.problems] == ["unsupported-policy"] * 3
    assert "ignore_policies={'set-backend-service'}" in str(caught.value)


async def test_ignore_policies_skips_the_named_elements_and_runs_the_rest(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    served = await serve(
        {"policy.xml": MIXED}, ignore_policies={"set-backend-service", "validate-jwt"}
    )
    warnings = startup_warnings(caplog)
    assert warnings == [
        "policy.xml:2:12: warning: <set-backend-service> is skipped as ignore_policies asks "
        "(2 elements in the policies); everything else runs",
        "policy.xml:2:74: warning: <validate-jwt> is skipped as ignore_policies asks "
        "(1 element in the policies); everything else runs",
    ]
    await served.get()
    await served.get()
    assert served.calls() == 1  # cache-lookup and cache-store still run


def test_ignore_policies_names_only_policies_that_do_not_run() -> None:
    with pytest.raises(ValueError, match="cache-lookup, which aiohttp_apim runs"):
        aiohttp_apim.setup(web.Application(), GLOBAL, ignore_policies={"cache-lookup"})
    with pytest.raises(TypeError, match="a collection of policy element names"):
        aiohttp_apim.setup(web.Application(), GLOBAL, ignore_policies="validate-jwt")
    policies = aiohttp_apim.load_policies(
        {"policy.xml": MIXED}, ignore_policies={"validate-jwt", "set-backend-service"}
    )
    with pytest.raises(ValueError, match="must be given to load_policies"):
        aiohttp_apim.Gateway(policies, ignore_policies={"validate-jwt"})
