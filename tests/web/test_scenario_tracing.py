"""OpenTelemetry spans over HTTP: ``setup(..., tracing=provider)``, captured with the SDK's
in-memory exporter -- sections, caching steps and send-request each in a span, the cache's
result and key hash as attributes (never the key), ``<trace>`` messages as span events."""

from __future__ import annotations

import logging
import re

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from tests.redis_server import free_port
from tests.web.conftest import Serve, policies_xml

LOOKUP = (
    '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
    "<vary-by-query-parameter>q</vary-by-query-parameter></cache-lookup>"
)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def spans_of(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    spans = list(exporter.get_finished_spans())
    exporter.clear()
    return spans


def named(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    [span] = [s for s in spans if s.name == name]
    return span


def parent_of(spans: list[ReadableSpan], span: ReadableSpan) -> ReadableSpan:
    assert span.parent is not None, span.name
    [parent] = [s for s in spans if s.context.span_id == span.parent.span_id]
    return parent


async def test_a_miss_then_a_hit_in_spans_with_the_cache_result_and_key_hash(
    serve: Serve, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    served = await serve(
        {"policy.xml": policies_xml(inbound=LOOKUP, outbound='<cache-store duration="60" />')},
        tracing=provider,
    )
    await served.get(params={"q": "secret-search"})
    miss = spans_of(exporter)
    assert sorted(s.name for s in miss) == [
        "apim backend",
        "apim cache-lookup",
        "apim cache-store",
        "apim inbound",
        "apim outbound",
    ]
    lookup = named(miss, "apim cache-lookup")
    assert parent_of(miss, lookup).name == "apim inbound"
    assert lookup.attributes is not None
    assert lookup.attributes["apim.cache.result"] == "miss"
    assert lookup.attributes["apim.cache.name"] == "memory"
    assert lookup.attributes["apim.api"] == "shop"
    assert lookup.attributes["apim.operation"] == "list"
    key_hash = lookup.attributes["apim.cache.key_hash"]
    assert isinstance(key_hash, str)
    assert re.fullmatch("[0-9a-f]{16}", key_hash)
    store = named(miss, "apim cache-store")
    assert parent_of(miss, store).name == "apim outbound"
    assert store.attributes is not None
    assert store.attributes["apim.cache.result"] == "stored"
    assert store.attributes["apim.cache.key_hash"] == key_hash

    await served.get(params={"q": "secret-search"})
    hit = spans_of(exporter)
    # a hit skips the rest of inbound, the backend and (here) all of outbound
    assert sorted(s.name for s in hit) == ["apim cache-lookup", "apim inbound"]
    lookup = named(hit, "apim cache-lookup")
    assert lookup.attributes is not None
    assert lookup.attributes["apim.cache.result"] == "hit"
    assert lookup.attributes["apim.cache.ttl"] == 60
    assert lookup.attributes["apim.cache.key_hash"] == key_hash
    assert named(hit, "apim inbound").attributes == {
        "apim.api": "shop",
        "apim.operation": "list",
        "apim.cache.hit": True,
    }
    # nothing of the key itself is in any span
    for span in miss + hit:
        for attribute in (span.attributes or {}).values():
            assert "secret-search" not in str(attribute)
            assert "/shop/items" not in str(attribute)


async def test_a_bypass_says_why_on_its_span(
    serve: Serve, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    served = await serve({"policy.xml": policies_xml(inbound=LOOKUP)}, tracing=provider)
    await served.request("POST")
    lookup = named(spans_of(exporter), "apim cache-lookup")
    assert lookup.attributes is not None
    assert lookup.attributes["apim.cache.result"] == "bypass"
    assert lookup.attributes["apim.cache.detail"] == "method"
    assert "apim.cache.key_hash" not in lookup.attributes


async def test_a_failing_call_out_marks_its_span_and_the_sections_as_errors(
    serve: Serve, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/"
    served = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<send-request mode="new" response-variable-name="r" timeout="5">'
                f"<set-url>{dead}</set-url></send-request>",
                on_error='<set-header name="X-Failed" exists-action="override">'
                "<value>@(context.LastError.Reason)</value></set-header>",
            )
        },
        tracing=provider,
    )
    answer = await served.get()
    assert answer.status == 500
    spans = spans_of(exporter)
    call = named(spans, "apim send-request")
    assert call.status.status_code is StatusCode.ERROR
    assert call.attributes is not None
    assert call.attributes["apim.error.reason"] == "BackendConnectionFailure"
    assert parent_of(spans, call).name == "apim inbound"
    assert named(spans, "apim inbound").status.status_code is StatusCode.ERROR
    assert named(spans, "apim on-error").status.status_code is StatusCode.UNSET
    assert answer.headers["X-Failed"] == "BackendConnectionFailure"


async def test_the_trace_element_is_an_event_of_the_current_span_and_a_log_line(
    serve: Serve,
    exporter: InMemorySpanExporter,
    provider: TracerProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    trace = (
        '<trace source="shop-api" severity="information">'
        '<message>@("items for " + context.Request.Headers.GetValueOrDefault("X-Who", "?"))'
        "</message>"
        '<metadata name="operation" value="@(context.Operation.Id)" /></trace>'
    )
    served = await serve({"policy.xml": policies_xml(inbound=trace)}, tracing=provider)
    caplog.set_level(logging.INFO, logger="aiohttp_apim.trace")
    await served.get(headers={"X-Who": "ann"})
    [event] = named(spans_of(exporter), "apim inbound").events
    assert event.name == "apim.trace"
    assert dict(event.attributes or {}) == {
        "apim.trace.source": "shop-api",
        "apim.trace.severity": "information",
        "apim.trace.message": "items for ann",
        "apim.trace.metadata.operation": "list",
    }
    [record] = [r for r in caplog.records if r.name == "aiohttp_apim.trace"]
    assert "shop-api: items for ann {operation=list}" in record.getMessage()


async def test_a_route_that_only_forwards_keeps_its_short_lane_and_makes_no_span(
    serve: Serve, exporter: InMemorySpanExporter, provider: TracerProvider
) -> None:
    served = await serve({"policy.xml": policies_xml()}, tracing=provider)
    assert (await served.get()).status == 200
    assert spans_of(exporter) == []


async def test_tracing_with_no_provider_set_up_makes_no_spans_and_says_so(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    # Nothing in this suite sets the global provider: OpenTelemetry's default is a proxy to a
    # no-op one, so spans would cost time and record nothing.
    served = await serve(
        {"policy.xml": policies_xml(inbound=LOOKUP, outbound='<cache-store duration="60" />')},
        tracing=True,
    )
    assert (await served.get()).status == 200
    assert any(
        "no OpenTelemetry tracer provider is set up" in r.getMessage() for r in caplog.records
    )
