"""Loading policy XML into the model: values, expressions, named values, positions, robustness."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim import expressions
from aiohttp_apim.errors import Problem
from aiohttp_apim.policy.loader import load_document, load_fragment
from aiohttp_apim.policy.model import (
    Base,
    BodyTemplate,
    CacheLookup,
    CacheLookupValue,
    CacheRemoveValue,
    CacheStore,
    CacheStoreValue,
    CachingType,
    Choose,
    DownstreamCachingType,
    ExistsAction,
    Expr,
    ForwardRequest,
    Fragment,
    HttpVersion,
    Literal,
    PolicyDocument,
    RateLimitByKey,
    ReturnResponse,
    SectionName,
    SendRequest,
    SendRequestMode,
    SetBody,
    SetHeader,
    SetStatus,
    SetVariable,
    Statement,
    Value,
    XsiNil,
)
from aiohttp_apim.policy.schema import SUPPORTED_POLICIES

FIXTURES = Path(__file__).parent / "fixtures"


def load(text: str, **named: str) -> PolicyDocument:
    document, problems = load_document(text, file="policy.xml", named_values=named)
    assert problems == [], "\n".join(map(str, problems))
    assert document is not None
    return document


def problems_of(text: str, **named: str) -> list[Problem]:
    document, problems = load_document(text, file="policy.xml", named_values=named)
    assert document is None
    assert problems
    return problems


def only(text: str, section: str = "inbound", **named: str) -> Statement:
    """The single statement of ``section`` in a document made of ``text``."""
    document = load(f"<policies>\n<{section}>\n{text}\n</{section}>\n</policies>", **named)
    items = document.section(SectionName(section)).items
    assert len(items) == 1
    return items[0]


def lit(value: Value[Any] | None) -> Any:
    assert isinstance(value, Literal), value
    return value.value


def src(value: Value[Any] | None) -> str:
    assert isinstance(value, Expr), value
    return value.source


# --- the XML examples of the specification (sections 4-8), in the sections they belong to -------

SPEC_4_1 = """<cache-lookup vary-by-developer="false" vary-by-developer-groups="false"
              caching-type="prefer-external" downstream-caching-type="none"
              must-revalidate="true" allow-private-response-caching="false">
  <vary-by-header>Accept</vary-by-header>
  <vary-by-query-parameter>page;size</vary-by-query-parameter>
</cache-lookup>"""
SPEC_5_1 = """<cache-store duration="120" cache-response="false" />"""
SPEC_6_1 = """<cache-lookup-value key="@("profile:" + (string)context.Variables["uid"])"
                    variable-name="profile" default-value="{}" caching-type="prefer-external" />"""
SPEC_7_1 = """<cache-store-value key="@("profile:" + (string)context.Variables["uid"])"
                   value="@((string)context.Variables["profile"])" duration="600"
                   caching-type="prefer-external" />"""
SPEC_8 = """<cache-remove-value key="@("profile:" + (string)context.Variables["uid"])" />"""


def test_spec_example_cache_lookup() -> None:
    lookup = only(SPEC_4_1)
    assert isinstance(lookup, CacheLookup)
    assert lit(lookup.vary_by_developer) is False
    assert lit(lookup.vary_by_developer_groups) is False
    assert lookup.caching_type is CachingType.PREFER_EXTERNAL
    assert lit(lookup.downstream_caching_type) is DownstreamCachingType.NONE
    assert lit(lookup.must_revalidate) is True
    assert lit(lookup.allow_private_response_caching) is False
    assert lookup.vary_by_headers == ("Accept",)
    assert lookup.vary_by_query_parameters == ("page", "size")
    assert (lookup.location.line, lookup.location.column) == (3, 1)


def test_spec_example_cache_store() -> None:
    store = only(SPEC_5_1, "outbound")
    assert isinstance(store, CacheStore)
    assert lit(store.duration) == 120
    assert lit(store.cache_response) is False


@pytest.mark.parametrize("section", [str(s) for s in SectionName])
def test_spec_example_cache_lookup_value(section: str) -> None:
    lookup = only(SPEC_6_1, section)
    assert isinstance(lookup, CacheLookupValue)
    assert src(lookup.key) == '@("profile:" + (string)context.Variables["uid"])'
    assert lookup.variable_name == "profile"
    assert lit(lookup.default_value) == "{}"
    assert lookup.caching_type is CachingType.PREFER_EXTERNAL
    assert lookup.key.location.line == 3
    assert lookup.key.location.column == 26


@pytest.mark.parametrize("section", [str(s) for s in SectionName])
def test_spec_example_cache_store_value(section: str) -> None:
    store = only(SPEC_7_1, section)
    assert isinstance(store, CacheStoreValue)
    assert src(store.value) == '@((string)context.Variables["profile"])'
    assert lit(store.duration) == 600
    assert store.value.location.line == 4


@pytest.mark.parametrize("section", [str(s) for s in SectionName])
def test_spec_example_cache_remove_value(section: str) -> None:
    remove = only(SPEC_8, section)
    assert isinstance(remove, CacheRemoveValue)
    assert remove.caching_type is CachingType.PREFER_EXTERNAL
    assert lit(remove.fail_on_cache_removal_error) is False


def test_spec_examples_load_as_a_fragment_too() -> None:
    text = "<fragment>\n" + "\n".join([SPEC_6_1, SPEC_7_1, SPEC_8]) + "\n</fragment>"
    fragment, problems = load_fragment(text, file="fragments/profile.xml", named_values={})
    assert problems == []
    assert isinstance(fragment, Fragment)
    assert [type(i) for i in fragment.items] == [
        CacheLookupValue,
        CacheStoreValue,
        CacheRemoveValue,
    ]


def test_spec_1_5_raw_expression_attribute() -> None:
    item = only('<set-variable name="k" value="@("a-" + context.Variables["x"])" />')
    assert isinstance(item, SetVariable)
    assert src(item.value) == '@("a-" + context.Variables["x"])'


def test_spec_2_7_string_holding_an_at_paren_is_not_a_nested_expression() -> None:
    document = load((FIXTURES / "max_age_trap.xml").read_text())
    store = document.outbound.items[1]
    assert isinstance(store, CacheStore)
    assert '"@(max-age=(?<maxAge>\\\\d+))"' in src(store.duration)
    assert src(store.duration).startswith("@{")
    assert src(store.duration).endswith("}")


# --- fixtures written in the style of real policies --------------------------------------------


def test_response_cache_fixture() -> None:
    document = load((FIXTURES / "response_cache.xml").read_text())
    assert [type(i) for i in document.inbound.items] == [Base, CacheLookup, RateLimitByKey]
    lookup = document.inbound.items[1]
    assert isinstance(lookup, CacheLookup)
    assert lookup.id == "catalogue-lookup"
    assert lit(lookup.downstream_caching_type) is DownstreamCachingType.PRIVATE
    assert lookup.vary_by_headers == ("Accept", "Accept-Language")
    assert lookup.vary_by_query_parameters == ("category", "page", "sort", "order")
    limit = document.inbound.items[2]
    assert isinstance(limit, RateLimitByKey)
    assert (lit(limit.calls), lit(limit.renewal_period), lit(limit.increment_count)) == (100, 60, 1)
    assert src(limit.counter_key) == "@(context.Request.IpAddress)"
    assert limit.increment_condition is None
    assert limit.retry_after_header_name == "Retry-After"
    assert limit.remaining_calls_header_name == "X-Calls-Left"
    forward = document.backend.items[0]
    assert isinstance(forward, ForwardRequest)
    assert lit(forward.timeout) == 20
    assert lit(forward.fail_on_error_status_code) is True
    assert forward.http_version is HttpVersion.HTTP1
    assert forward.buffer_response is True
    variable, store, header = document.outbound.items[1:]
    assert isinstance(variable, SetVariable)
    assert isinstance(store, CacheStore)
    assert src(variable.value).startswith("@{\n            var header")
    assert 'Regex.Match(header, @"max-age=(?<maxAge>\\d+)")' in src(variable.value)
    assert variable.value.location.line == 23
    assert isinstance(header, SetHeader)
    assert [lit(v) for v in header.values] == ["catalogue"]
    assert lit(header.exists_action) is ExistsAction.OVERRIDE
    assert document.on_error.present
    assert document.on_error.items == (Base(location=document.on_error.items[0].location),)


def test_value_cache_fixture_with_named_values() -> None:
    document = load(
        (FIXTURES / "value_cache_token.xml").read_text(),
        **{"token-endpoint": "https://login.example.com/token", "client-id": "abc-123"},
    )
    choose = document.inbound.items[2]
    assert isinstance(choose, Choose)
    request = choose.whens[0].items[0]
    assert isinstance(request, SendRequest)
    assert lit(request.mode) is SendRequestMode.NEW
    assert request.response_variable_name == "tokenResponse"
    assert lit(request.timeout) == 20
    assert request.ignore_error is False
    assert lit(request.set_url) == "https://login.example.com/token"
    assert request.set_method == "POST"
    assert [lit(h.name) for h in request.set_headers] == ["Content-Type"]
    assert request.set_body is not None
    assert "client_id=abc-123&scope=" in src(request.set_body.value)
    on_error = document.on_error.items
    assert isinstance(on_error[0], Choose)
    remove = on_error[0].whens[0].items[0]
    assert isinstance(remove, CacheRemoveValue)
    assert remove.caching_type is CachingType.INTERNAL
    response = on_error[1]
    assert isinstance(response, ReturnResponse)
    assert response.set_status is not None
    assert (lit(response.set_status.code), lit(response.set_status.reason)) == (502, "Bad Gateway")
    assert [lit(v) for h in response.set_headers for v in h.values] == ["5"]
    assert response.set_body is not None
    assert lit(response.set_body.value) == '{"error": "upstream authentication failed"}'


def test_fragment_fixture() -> None:
    fragment, problems = load_fragment(
        (FIXTURES / "profile_fragment.xml").read_text(), file="fragments/p.xml", named_values={}
    )
    assert problems == []
    assert fragment is not None
    lookup, choose = fragment.items
    assert isinstance(lookup, CacheLookupValue)
    assert isinstance(choose, Choose)
    request = choose.whens[0].items[0]
    assert isinstance(request, SendRequest)
    assert lit(request.mode) is SendRequestMode.COPY
    assert request.set_url is None
    assert choose.otherwise is not None
    assert len(choose.otherwise) == 1


def test_liquid_template_and_literal_markup_bodies() -> None:
    document = load((FIXTURES / "liquid_and_markup.xml").read_text(), tenant="contoso")
    liquid = document.inbound.items[1]
    assert isinstance(liquid, SetBody)
    assert liquid.template is BodyTemplate.LIQUID
    body = lit(liquid.value)
    assert "<id>{{body.item.id}}</id><tenant>contoso</tenant>" in body
    assert "<soap:Envelope" in body
    plain = document.outbound.items[1]
    assert isinstance(plain, SetBody)
    assert lit(plain.value) == "Hello <b>world</b>!"
    assert plain.template is None
    assert plain.xsi_nil is XsiNil.BLANK
    assert plain.parse_date is True


def test_undefined_named_value_outside_liquid_is_a_problem() -> None:
    problems = problems_of(
        "<policies><inbound><set-body>{{body.x}}</set-body></inbound></policies>"
    )
    assert [(p.column, p.message) for p in problems] == [
        (30, "named value 'body.x' is not defined")
    ]


# --- sections ------------------------------------------------------------------------------------


def test_missing_and_empty_sections_are_distinguished() -> None:
    document = load("<policies>\n  <inbound />\n  <outbound></outbound>\n</policies>")
    assert document.inbound.present
    assert document.inbound.items == ()
    assert document.outbound.present
    assert document.outbound.items == ()
    assert not document.backend.present
    assert not document.on_error.present
    assert (document.backend.location.line, document.backend.location.column) == (1, 1)
    assert (document.outbound.location.line, document.outbound.location.column) == (3, 3)
    assert document.file == "policy.xml"


def test_comments_processing_instructions_and_whitespace_are_ignored() -> None:
    text = (
        '<?xml version="1.0" encoding="utf-8"?>\n<!-- header -->\n<policies>\n'
        "  <!-- before --><inbound>\n    <?editor fold?>\n    <base /><!-- after -->\n"
        "  </inbound>\n</policies>\n<!-- trailer -->\n"
    )
    document = load(text)
    assert [type(i) for i in document.inbound.items] == [Base]
    assert document.inbound.items[0].location.line == 6


def test_xml_errors_are_returned_not_raised() -> None:
    problems = problems_of("<policies>\n  <inbound>\n</policies>")
    assert {p.kind for p in problems} == {"xml"}
    assert problems[0].file == "policy.xml"
    problems = problems_of(
        '<policies><inbound><set-variable name="a" value="@(1 + (2)" /></inbound></policies>'
    )
    assert problems[0].kind == "xml"


# --- values --------------------------------------------------------------------------------------


def test_defaults_are_filled_in_as_literals_at_the_element() -> None:
    lookup = only("<cache-lookup />")
    assert isinstance(lookup, CacheLookup)
    assert lit(lookup.vary_by_developer) is False
    assert lit(lookup.must_revalidate) is True
    assert lit(lookup.downstream_caching_type) is DownstreamCachingType.NONE
    assert isinstance(lookup.must_revalidate, Literal)
    assert lookup.must_revalidate.raw == "true"
    assert lookup.must_revalidate.location == lookup.location
    request = only('<send-request response-variable-name="r" mode="copy" />')
    assert isinstance(request, SendRequest)
    assert lit(request.timeout) == 60
    assert lit(request.mode) is SendRequestMode.COPY


def test_forward_request_timeouts() -> None:
    default = only("<forward-request />", "backend")
    assert isinstance(default, ForwardRequest)
    assert lit(default.timeout) == 300
    assert default.timeout_ms is None
    millis = only('<forward-request timeout-ms="1500" http-version="2or1" />', "backend")
    assert isinstance(millis, ForwardRequest)
    assert millis.timeout is None
    assert lit(millis.timeout_ms) == 1500
    assert millis.http_version is HttpVersion.HTTP2_OR_1


@pytest.mark.parametrize(
    ("raw", "value"),
    [("true", True), ("False", False), ("TRUE", True), (" true ", True)],
)
def test_booleans_parse_like_dotnet(raw: str, value: bool) -> None:
    store = only(f'<cache-store duration="1" cache-response="{raw}" />', "outbound")
    assert isinstance(store, CacheStore)
    assert lit(store.cache_response) is value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("60", 60),
        ("+5", 5),
        ("-1", -1),
        ("007", 7),
        ("2147483647", 2147483647),
        ("-0000000000000000000001", -1),
    ],
)
def test_integers_are_decimal_int32(raw: str, value: int) -> None:
    store = only(f'<cache-store duration="{raw}" />', "outbound")
    assert isinstance(store, CacheStore)
    assert lit(store.duration) == value
    assert isinstance(store.duration, Literal)
    assert store.duration.raw == raw


def test_enumerations_ignore_case() -> None:
    header = only('<set-header name="a" exists-action="Append" />')
    assert isinstance(header, SetHeader)
    assert lit(header.exists_action) is ExistsAction.APPEND


def test_literal_values_keep_their_text() -> None:
    variable = only('<set-variable name="n" value="  42 &amp; more " id="v1" />')
    assert isinstance(variable, SetVariable)
    assert lit(variable.value) == "  42 & more "
    assert variable.id == "v1"
    assert isinstance(variable.value, Literal)
    assert (variable.value.location.line, variable.value.location.column) == (3, 24)


def test_an_attribute_is_an_expression_only_when_it_is_one_whole_expression() -> None:
    spaced = only('<set-variable name="n" value=" @(1)" />')
    assert isinstance(spaced, SetVariable)
    assert lit(spaced.value) == " @(1)"
    mixed = only('<set-variable name="n" value="id-@(context.RequestId)-x" />')
    assert isinstance(mixed, SetVariable)
    assert lit(mixed.value) == "id-@(context.RequestId)-x"
    whole = only('<set-variable name="n" value="@(context.RequestId)" />')
    assert isinstance(whole, SetVariable)
    assert src(whole.value) == "@(context.RequestId)"


def test_element_text_may_surround_its_expression_with_whitespace() -> None:
    body = only('<set-body>\n    @{\n        return "a<b>";\n    }\n  </set-body>', "outbound")
    assert isinstance(body, SetBody)
    assert src(body.value) == '@{\n        return "a<b>";\n    }'
    assert (body.value.location.line, body.value.location.column) == (4, 5)
    mixed = only("<set-body>total: @(1 + 1) items</set-body>", "outbound")
    assert isinstance(mixed, SetBody)
    assert lit(mixed.value) == "total: @(1 + 1) items"


def test_escaped_and_raw_expressions_load_the_same() -> None:
    raw = only('<set-variable name="n" value="@(1 < 2 && "c" == "x")" />')
    escaped = only(
        '<set-variable name="n" value="@(1 &lt; 2 &amp;&amp; &quot;c&quot; == &quot;x&quot;)" />'
    )
    assert isinstance(raw, SetVariable)
    assert isinstance(escaped, SetVariable)
    assert src(raw.value) == src(escaped.value) == '@(1 < 2 && "c" == "x")'


def test_set_status_and_header_values() -> None:
    status = only('<set-status code="@(context.Response.StatusCode)" reason="OK" />', "outbound")
    assert isinstance(status, SetStatus)
    assert src(status.code) == "@(context.Response.StatusCode)"
    assert lit(status.reason) == "OK"
    header = only(
        '<set-header name="X-A" exists-action="append">\n'
        "  <value>@(context.User.Id)</value>\n  <value>plain</value>\n"
        "  <value></value>\n</set-header>"
    )
    assert isinstance(header, SetHeader)
    assert [type(v) for v in header.values] == [Expr, Literal, Literal]
    assert lit(header.values[2]) == ""


def test_send_request_without_mode_needs_set_url() -> None:
    problems = problems_of(
        '<policies><inbound><send-request response-variable-name="r" /></inbound></policies>'
    )
    assert [p.message for p in problems] == ['<send-request mode="new"> needs a <set-url>']


# --- named values --------------------------------------------------------------------------------


def test_named_values_in_literal_attributes_and_text() -> None:
    document = load(
        '<policies><inbound>\n<set-variable name="url" value="https://{{host}}/v{{version}}/" />\n'
        '<set-header name="X-{{suffix}}"><value>{{greeting}}, world</value></set-header>\n'
        "</inbound></policies>",
        host="api.example.com",
        version="2",
        suffix="Tenant",
        greeting="hello",
    )
    variable, header = document.inbound.items
    assert isinstance(variable, SetVariable)
    assert isinstance(header, SetHeader)
    assert lit(variable.value) == "https://api.example.com/v2/"
    assert lit(header.name) == "X-Tenant"
    assert lit(header.values[0]) == "hello, world"


def test_named_values_inside_expressions_even_in_string_literals() -> None:
    item = only(
        '<set-variable name="u" value="@($"https://{{host}}/items/{context.RequestId}")" />',
        host="api.example.com",
    )
    assert isinstance(item, SetVariable)
    assert src(item.value) == '@($"https://api.example.com/items/{context.RequestId}")'


def test_named_value_holding_an_expression_makes_an_expression() -> None:
    item = only(
        '<cache-store duration="{{ttl}}" />',
        "outbound",
        ttl='@(context.Variables.GetValueOrDefault<int>("ttl", 60))',
    )
    assert isinstance(item, CacheStore)
    assert src(item.duration) == '@(context.Variables.GetValueOrDefault<int>("ttl", 60))'
    assert (item.duration.location.line, item.duration.location.column) == (3, 24)
    text = only("<set-body>\n  {{body}}\n</set-body>", "outbound", body='@{ return "x"; }')
    assert isinstance(text, SetBody)
    assert src(text.value) == '@{ return "x"; }'


def test_named_value_expression_where_expressions_are_forbidden() -> None:
    problems = problems_of(
        '<policies><inbound><cache-lookup caching-type="{{ct}}" /></inbound></policies>',
        ct='@("internal")',
    )
    assert [p.message for p in problems] == [
        "policy expressions aren't allowed in attribute 'caching-type' of <cache-lookup>"
    ]


def test_named_values_do_not_nest() -> None:
    item = only('<set-variable name="a" value="{{outer}}" />', outer="{{inner}}", inner="x")
    assert isinstance(item, SetVariable)
    assert lit(item.value) == "{{inner}}"


def test_named_value_converted_to_the_declared_type() -> None:
    store = only('<cache-store duration="{{ttl}}" />', "outbound", ttl="90")
    assert isinstance(store, CacheStore)
    assert lit(store.duration) == 90
    problems = problems_of(
        '<policies><outbound><cache-store duration="{{ttl}}" /></outbound></policies>', ttl="soon"
    )
    assert problems[0].message.endswith("expected an integer number of seconds, got 'soon'")


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        ('<set-variable name="a" value="x-{{nope}}" />', 3, 33),
        ('<set-variable name="a" value="@("{{nope}}")" />', 3, 34),
        ('<set-variable name="a" value="@({{nope}} + 1)" />', 3, 33),
        ('<set-header name="a">\n  <value>1 {{nope}}</value></set-header>', 4, 12),
        ('<set-body>@{\n  return "{{nope}}";\n}</set-body>', 4, 11),
    ],
)
def test_undefined_named_value_is_reported_where_it_is(body: str, line: int, column: int) -> None:
    section = "outbound" if "set-body" in body else "inbound"
    problems = problems_of(f"<policies>\n<{section}>\n{body}\n</{section}>\n</policies>")
    assert [(p.line, p.column, p.kind, p.message) for p in problems] == [
        (line, column, "validation", "named value 'nope' is not defined")
    ]


def test_every_undefined_named_value_is_reported() -> None:
    problems = problems_of(
        '<policies><inbound><set-variable name="a" value="{{x}}{{y}}{{x}}" /></inbound></policies>'
    )
    assert [(p.column, p.message) for p in problems] == [
        (50, "named value 'x' is not defined"),
        (55, "named value 'y' is not defined"),
        (60, "named value 'x' is not defined"),
    ]


# --- expression compile errors -------------------------------------------------------------------


def _relative_error(source: str) -> tuple[int, int]:
    with pytest.raises(expressions.ExpressionSyntaxError) as caught:
        expressions.compile_expression(source)
    return caught.value.line, caught.value.column


def test_expression_error_on_the_first_line_maps_to_the_file() -> None:
    source = "@(context.Variables[$$])"
    rel_line, rel_column = _relative_error(source)
    assert rel_line == 1
    text = (
        f'<policies>\n<inbound>\n    <set-variable name="a" value="{source}" />\n'
        "</inbound>\n</policies>"
    )
    problems = problems_of(text)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.kind == "expression"
    start = text.split("\n")[2].index("@(") + 1
    assert (problem.line, problem.column) == (3, start + rel_column - 1)
    assert problem.text == f'<set-variable name="a" value="{source}" />'


def test_expression_error_on_a_later_line_maps_to_the_file() -> None:
    source = "@{\n    var a = 1;\n    return a $$ 2;\n}"
    rel_line, rel_column = _relative_error(source)
    assert rel_line == 3
    text = f"<policies>\n<outbound>\n<set-body>{source}</set-body>\n</outbound>\n</policies>"
    problems = problems_of(text)
    assert [(p.line, p.column, p.kind, p.text) for p in problems] == [
        (5, rel_column, "expression", "return a $$ 2;")
    ]


def test_every_expression_error_is_reported() -> None:
    text = (
        '<policies><inbound>\n<set-variable name="a" value="@($$)" />\n'
        '<set-variable name="b" value="@(1 $$)" />\n</inbound></policies>'
    )
    problems = problems_of(text)
    assert [(p.line, p.kind) for p in problems] == [(2, "expression"), (3, "expression")]


# --- robustness ----------------------------------------------------------------------------------


def _never_raises(text: str) -> None:
    for loader in (load_document, load_fragment):
        result, problems = loader(text, file="f.xml", named_values={"nv": "@(1)", "x": "y"})
        assert (result is None) == bool(problems)
        for problem in problems:
            assert problem.file == "f.xml"
            assert problem.line >= 1
            assert problem.column >= 1


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(text: str) -> None:
    _never_raises(text)


_NAMES = [
    *SUPPORTED_POLICIES,
    "policies",
    "fragment",
    "inbound",
    "backend",
    "outbound",
    "on-error",
    "when",
    "otherwise",
    "value",
    "set-url",
    "set-method",
    "vary-by-header",
    "vary-by-query-parameter",
    "rate-limit",
    "validate-jwt",
    "x:y",
    "proxy",
]
_ATTRIBUTES = [
    "name",
    "value",
    "key",
    "duration",
    "caching-type",
    "condition",
    "code",
    "reason",
    "id",
    "timeout",
    "timeout-ms",
    "mode",
    "variable-name",
    "fragment-id",
    "calls",
    "renewal-period",
    "counter-key",
    "exists-action",
    "template",
    "colour",
    "response-variable-name",
    "default-value",
    "cache-response",
    "vary-by-developer",
    "downstream-caching-type",
]
_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "1",
            "true",
            "seconds",
            "internal",
            "fast",
            "@(1)",
            '@("a" + "b")',
            "@{ return 1; }",
            "{{nv}}",
            "{{x}}",
            "{{missing}}",
            "x @(1) y",
            "@($$)",
            "-2147483649",
            "copy",
            "override",
            "liquid",
            " @(1) ",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters='"'), max_size=12
    ),
)
_TEXT = st.one_of(
    st.just(""),
    st.sampled_from(
        ["  ", "text", "@(1)", "{{nv}}", "\n  @{ return 2; }\n", "a&amp;b", "<!-- c -->", "@($$)"]
    ),
)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def render(name: str, attrs: dict[str, str], text: str, inner: list[str]) -> str:
        rendered = "".join(f' {k}="{v}"' for k, v in attrs.items())
        return f"<{name}{rendered}>{text}{''.join(inner)}</{name}>"

    return st.builds(
        render,
        st.sampled_from(_NAMES),
        st.dictionaries(st.sampled_from(_ATTRIBUTES), _VALUES, max_size=3),
        _TEXT,
        st.lists(children, max_size=4),
    )


_TREES = st.recursive(st.just(""), _element, max_leaves=12)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TREES, st.sampled_from(["policies", "fragment", "inbound"]))
def test_arbitrary_element_trees_never_raise(tree: str, root: str) -> None:
    _never_raises(f"<{root}>{tree}</{root}>")
    _never_raises(f"<{root}><inbound>{tree}</inbound><outbound>{tree}</outbound></{root}>")
