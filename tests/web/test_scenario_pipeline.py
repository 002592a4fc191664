"""The policy pipeline over HTTP: sections, scopes and <base/>, the policies used
with caching, and errors (on-error, context.LastError, APIM's default error answer)."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from tests.web.conftest import (
    LOOKUP,
    PROBE,
    Answer,
    Serve,
    header_values,
    key,
    policies_xml,
    set_header,
    subscriptions,
)


def append(tag: str) -> str:
    """A set-variable adding ``/tag`` to the variable "trail": shows which statements ran, in
    which order."""
    return (
        '<set-variable name="trail" '
        'value="@(context.Variables.GetValueOrDefault<string>("trail", "") + "/' + tag + '")" />'
    )


WRITE_TRAIL = set_header("X-Trail", '@(context.Variables.GetValueOrDefault<string>("trail", ""))')


def assert_no_traceback(answer: Answer) -> None:
    for marker in ("Traceback", 'File "', ".py", "aiohttp_apim"):
        assert marker not in answer.text


# --- sections -------------------------------------------------------------------------------


async def test_inbound_runs_before_the_backend_and_outbound_after_it(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(
            inbound='<set-variable name="from-inbound" value="inbound" />'
            + set_header("X-From-Inbound", '@((string)context.Variables["from-inbound"])'),
            outbound=set_header(
                "X-Order",
                '@((string)context.Variables["from-inbound"] + ","'
                ' + context.Response.Headers.GetValueOrDefault("X-Backend", "none"))',
            ),
        )
    }
    app = await serve(policies)
    app.backends["shop:list"].respond(headers={"X-Backend": "backend"})
    answer = await app.get()
    assert app.backends["shop:list"].last.headers["X-From-Inbound"] == "inbound"
    assert answer.headers["X-Order"] == "inbound,backend"


# --- scopes and <base/> ---------------------------------------------------------------------

SCOPED = {
    "policy.xml": policies_xml(inbound=append("g"), outbound=append("G")),
    "products/gold/policy.xml": policies_xml(
        inbound="<base />" + append("p"), backend="<base />", outbound="<base />" + append("P")
    ),
    "apis/shop/policy.xml": policies_xml(
        inbound="<base />" + append("a"), backend="<base />", outbound="<base />" + append("A")
    ),
    "apis/shop/operations/list/policy.xml": policies_xml(
        inbound=append("o1") + "<base />" + append("o2"),
        backend="<base />",
        outbound=append("O1") + "<base />" + append("O2") + WRITE_TRAIL,
    ),
}


async def test_base_puts_the_broader_scopes_where_it_stands(serve: Serve) -> None:
    app = await serve(SCOPED, subscriptions=subscriptions())
    answer = await app.get()
    assert answer.headers["X-Trail"] == "/o1/g/a/o2/O1/G/A/O2"
    assert app.calls() == 1


async def test_product_scope_runs_between_global_and_api(serve: Serve) -> None:
    app = await serve(SCOPED, subscriptions=subscriptions())
    answer = await app.get(headers=key("k-alice-gold-1"))
    assert answer.headers["X-Trail"] == "/o1/g/p/a/o2/O1/G/P/A/O2"


async def test_omitting_base_drops_every_broader_scope(serve: Serve) -> None:
    policies = {
        **SCOPED,
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound=append("o"), backend="<base />", outbound=WRITE_TRAIL
        ),
    }
    app = await serve(policies, subscriptions=subscriptions())
    answer = await app.get(headers=key("k-alice-gold-1"))
    assert answer.headers["X-Trail"] == "/o"
    assert app.calls() == 1


async def test_a_missing_section_inherits_the_broader_scope(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(outbound=set_header("X-Global", "applied")),
        "apis/shop/operations/list/policy.xml": "<policies>\n  <inbound><base /></inbound>\n</policies>\n",
    }
    app = await serve(policies)
    answer = await app.get()
    assert answer.headers["X-Global"] == "applied"
    assert app.calls() == 1


async def test_an_empty_section_inherits_nothing(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(outbound=set_header("X-Global", "applied")),
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound="<base />", backend="<base />", outbound=""
        ),
    }
    app = await serve(policies)
    answer = await app.get()
    assert "X-Global" not in answer.headers
    assert app.calls() == 1
    # Another operation, without a document of its own, gets the global outbound.
    assert (await app.get("/shop/items/1")).headers["X-Global"] == "applied"


async def test_route_without_an_operation_name_gets_only_the_global_scope(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(outbound=set_header("X-Global", "applied")),
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound="<base />",
            backend="<base />",
            outbound="<base />" + set_header("X-Operation", "applied"),
        ),
    }
    app = await serve(policies)
    answer = await app.get("/health")
    assert answer.headers["X-Global"] == "applied"
    assert "X-Operation" not in answer.headers
    assert app.calls("/health") == 1


async def test_context_knows_api_operation_url_and_matched_parameters(serve: Serve) -> None:
    outbound = set_header(
        "X-Where",
        '@(context.Api.Id + "|" + context.Operation.Id + "|" + context.Request.Method + "|"'
        ' + context.Request.OriginalUrl.Path + "|"'
        ' + context.Request.MatchedParameters.GetValueOrDefault("id", "-"))',
    )
    app = await serve({"policy.xml": policies_xml(outbound=outbound)})
    answer = await app.get("/shop/items/42")
    assert answer.headers["X-Where"] == "shop|get|GET|/shop/items/42|42"


# --- return-response ------------------------------------------------------------------------


async def test_return_response_answers_without_backend_or_outbound(serve: Serve) -> None:
    inbound = (
        "<return-response>"
        '<set-status code="418" reason="I am a teapot" />'
        + set_header("X-Returned", "yes")
        + "<set-body>short and stout</set-body>"
        "</return-response>"
    )
    policies = {
        "policy.xml": policies_xml(inbound=inbound, outbound=set_header("X-Outbound", "ran"))
    }
    app = await serve(policies)
    answer = await app.get()
    assert (answer.status, answer.body) == (418, b"short and stout")
    assert answer.headers["X-Returned"] == "yes"
    assert "X-Outbound" not in answer.headers
    assert app.calls() == 0


async def test_return_response_defaults_to_an_empty_200(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(inbound="<return-response />")})
    answer = await app.get()
    assert (answer.status, answer.body) == (200, b"")
    assert app.calls() == 0


async def test_return_response_after_cache_lookup_is_never_stored(serve: Serve) -> None:
    inbound = LOOKUP + (
        '<choose><when condition="@(context.Request.Headers.GetValueOrDefault("X-Probe", "")'
        ' == "stop")"><return-response><set-body>stopped</set-body></return-response>'
        "</when></choose>"
    )
    app = await serve(
        {"policy.xml": policies_xml(inbound=inbound, outbound='<cache-store duration="60" />')}
    )
    assert (await app.get(headers={"X-Probe": "stop"})).body == b"stopped"
    assert (await app.get()).body == b"shop:list #1"
    assert app.calls() == 1


# --- choose and set-variable ----------------------------------------------------------------

CHOOSE = (
    "<choose>"
    '<when condition="@(context.Request.Headers.ContainsKey("X-A"))">'
    + set_header("X-Branch", "a")
    + "</when>"
    '<when condition="@(context.Request.Headers.ContainsKey("X-B"))">'
    + set_header("X-Branch", "b")
    + "</when>"
    "{otherwise}"
    "</choose>"
)


async def test_choose_runs_only_the_first_when_that_is_true(serve: Serve) -> None:
    outbound = CHOOSE.replace("{otherwise}", "")
    app = await serve({"policy.xml": policies_xml(outbound=outbound)})
    both = await app.get(headers={"X-A": "1", "X-B": "1"})
    assert both.headers.getall("X-Branch") == ["a"]
    assert (await app.get(headers={"X-B": "1"})).headers.getall("X-Branch") == ["b"]


async def test_choose_falls_back_to_otherwise(serve: Serve) -> None:
    otherwise = "<otherwise>" + set_header("X-Branch", "otherwise") + "</otherwise>"
    app = await serve(
        {"policy.xml": policies_xml(outbound=CHOOSE.replace("{otherwise}", otherwise))}
    )
    assert (await app.get()).headers["X-Branch"] == "otherwise"
    assert (await app.get(headers={"X-A": "1"})).headers["X-Branch"] == "a"


async def test_choose_without_a_true_when_or_otherwise_does_nothing(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(outbound=CHOOSE.replace("{otherwise}", ""))})
    answer = await app.get()
    assert answer.status == 200
    assert "X-Branch" not in answer.headers
    assert (await app.get(headers={"X-B": "1"})).headers["X-Branch"] == "b"


async def test_set_variable_keeps_an_expressions_type_and_a_literal_is_a_string(
    serve: Serve,
) -> None:
    policies = {
        "policy.xml": policies_xml(
            inbound='<set-variable name="n" value="@(40 + 2)" />'
            '<set-variable name="s" value="007" />',
            outbound=set_header("X-N", '@(((int)context.Variables["n"] + 1).ToString())')
            + set_header("X-S", '@((string)context.Variables["s"] + "!")'),
        )
    }
    app = await serve(policies)
    answer = await app.get()
    assert answer.headers["X-N"] == "43"
    assert answer.headers["X-S"] == "007!"


# --- set-header -----------------------------------------------------------------------------


async def _backend_header_then(serve: Serve, statement: str) -> Answer:
    """The answer when the backend sends ``X-H: backend`` and outbound runs ``statement``."""
    app = await serve({"policy.xml": policies_xml(outbound=statement)})
    app.backends["shop:list"].respond(headers={"X-H": "backend"})
    return await app.get()


@pytest.mark.parametrize(
    "statement",
    [
        set_header("X-H", "policy", action="override"),
        '<set-header name="X-H"><value>policy</value></set-header>',
    ],
    ids=["explicit", "default"],
)
async def test_set_header_override_replaces_the_header(serve: Serve, statement: str) -> None:
    answer = await _backend_header_then(serve, statement)
    assert answer.headers.getall("X-H") == ["policy"]


async def test_set_header_skip_keeps_an_existing_header_and_sets_an_absent_one(
    serve: Serve,
) -> None:
    answer = await _backend_header_then(
        serve,
        set_header("X-H", "policy", action="skip") + set_header("X-New", "policy", action="skip"),
    )
    assert answer.headers.getall("X-H") == ["backend"]
    assert answer.headers.getall("X-New") == ["policy"]


async def test_set_header_append_adds_to_the_same_comma_joined_line(serve: Serve) -> None:
    answer = await _backend_header_then(serve, set_header("X-H", "policy", action="append"))
    assert len(answer.headers.getall("X-H")) == 1
    assert header_values(answer, "X-H") == ["backend", "policy"]


async def test_set_header_delete_removes_the_header(serve: Serve) -> None:
    answer = await _backend_header_then(serve, set_header("X-H", action="delete"))
    assert "X-H" not in answer.headers


async def test_set_header_with_several_values_joins_them_with_commas(serve: Serve) -> None:
    answer = await _backend_header_then(serve, set_header("X-Multi", "1", "2"))
    assert len(answer.headers.getall("X-Multi")) == 1
    assert header_values(answer, "X-Multi") == ["1", "2"]


@pytest.mark.parametrize(
    ("name", "first", "second"),
    [("Set-Cookie", "a=1", "b=2"), ("WWW-Authenticate", "Basic", "Bearer")],
)
async def test_listed_headers_get_one_line_per_value(
    serve: Serve, name: str, first: str, second: str
) -> None:
    app = await serve(
        {"policy.xml": policies_xml(outbound=set_header(name, second, action="append"))}
    )
    app.backends["shop:list"].respond(headers={name: first})
    answer = await app.get()
    assert answer.headers.getall(name) == [first, second]


async def test_several_values_on_a_listed_header_make_one_line_each(serve: Serve) -> None:
    answer = await _backend_header_then(serve, set_header("Set-Cookie", "a=1", "b=2"))
    assert answer.headers.getall("Set-Cookie") == ["a=1", "b=2"]


async def test_set_header_in_inbound_changes_what_the_backend_sees(serve: Serve) -> None:
    inbound = (
        set_header("X-Added", "yes")
        + set_header("X-Client", "policy")
        + set_header("X-Secret", action="delete")
        + set_header("X-List", "b", action="append")
    )
    app = await serve({"policy.xml": policies_xml(inbound=inbound)})
    await app.get(headers={"X-Client": "client", "X-Secret": "s3cr3t", "X-List": "a"})
    seen = app.backends["shop:list"].last.headers
    assert seen.getall("X-Added") == ["yes"]
    assert seen.getall("X-Client") == ["policy"]
    assert "X-Secret" not in seen
    assert [v.strip() for line in seen.getall("X-List") for v in line.split(",")] == ["a", "b"]


# --- set-status, set-body, include-fragment -------------------------------------------------


async def test_set_status_in_outbound_changes_the_status(serve: Serve) -> None:
    app = await serve(
        {"policy.xml": policies_xml(outbound='<set-status code="202" reason="Accepted" />')}
    )
    answer = await app.get()
    assert (answer.status, answer.body) == (202, b"shop:list #1")


async def test_set_body_replaces_the_body(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(outbound="<set-body>replaced</set-body>")})
    assert (await app.get()).body == b"replaced"


async def test_set_body_from_an_expression_over_the_backends_body(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                outbound="<set-body>@(context.Response.Body.As<string>().ToUpper())</set-body>"
            )
        }
    )
    assert (await app.get()).body == b"SHOP:LIST #1"


async def test_include_fragment_runs_the_fragments_statements_in_place(serve: Serve) -> None:
    policies = {
        "fragments/stamp.xml": "<fragment>"
        + set_header("X-Fragment", PROBE)
        + append("f")
        + "</fragment>",
        "policy.xml": policies_xml(
            outbound=append("before")
            + '<include-fragment fragment-id="stamp" />'
            + append("after")
            + WRITE_TRAIL
        ),
    }
    app = await serve(policies)
    answer = await app.get(headers={"X-Probe": "included"})
    assert answer.headers["X-Fragment"] == "included"
    assert answer.headers["X-Trail"] == "/before/f/after"


# --- the backend's own answers --------------------------------------------------------------


async def test_http_exception_raised_by_the_handler_is_a_response_through_outbound(
    serve: Serve,
) -> None:
    app = await serve({"policy.xml": policies_xml(outbound=set_header("X-Outbound", "ran"))})
    app.backends["shop:list"].respond(exception=web.HTTPNotFound(text="no such item"))
    answer = await app.get()
    assert (answer.status, answer.body) == (404, b"no such item")
    assert answer.headers["X-Outbound"] == "ran"


async def test_handler_crash_answers_500_without_a_traceback(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(outbound=set_header("X-Outbound", "ran"))})
    app.backends["shop:list"].respond(exception=RuntimeError("handler bug"))
    answer = await app.get()
    assert answer.status == 500
    assert "handler bug" not in answer.text
    assert_no_traceback(answer)


# --- errors: on-error and context.LastError -------------------------------------------------

# set-body is not allowed directly in on-error (APIM), so the echo is a return-response there.
ECHO_LAST_ERROR = (
    "<return-response>"
    '<set-status code="503" reason="Handled" />'
    + set_header("X-Source", "@(context.LastError.Source)")
    + set_header("X-Reason", "@(context.LastError.Reason)")
    + set_header("X-Scope", "@(context.LastError.Scope)")
    + set_header("X-Section", "@(context.LastError.Section)")
    + set_header("X-Path", "@(context.LastError.Path)")
    + set_header("X-Policy-Id", "@(context.LastError.PolicyId)")
    + "<set-body>@(context.LastError.Message)</set-body>"
    "</return-response>"
)

SPLIT_AUTHORIZATION = (
    '<set-variable id="split-auth" name="token" '
    """value="@(context.Request.Headers.GetValueOrDefault("Authorization", "").Split(' ')[1])" />"""
)


async def test_expression_failure_runs_on_error_with_last_error_fields(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(),
        "apis/shop/operations/list/policy.xml": policies_xml(
            inbound='<base /><choose><when condition="@(true)">'
            + SPLIT_AUTHORIZATION
            + "</when></choose>",
            backend="<base />",
            outbound="<base />",
            on_error=ECHO_LAST_ERROR,
        ),
    }
    app = await serve(policies)
    answer = await app.get()
    assert answer.status == 503
    assert answer.headers["X-Reason"] == "ExpressionValueEvaluationFailure"
    assert answer.headers["X-Source"] == "set-variable"
    assert answer.headers["X-Scope"] == "operation"
    assert answer.headers["X-Section"] == "inbound"
    assert answer.headers["X-Policy-Id"] == "split-auth"
    assert "choose" in answer.headers["X-Path"]
    assert "when" in answer.headers["X-Path"]
    assert answer.body.strip() != b""
    assert_no_traceback(answer)
    assert app.calls() == 0


async def test_error_skips_the_rest_of_the_pipeline(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(
            inbound=SPLIT_AUTHORIZATION + '<set-variable name="after" value="ran" />',
            outbound=set_header("X-Outbound", "ran"),
            on_error='<set-status code="503" reason="Handled" />'
            + set_header(
                "X-After", '@(context.Variables.ContainsKey("after") ? "ran" : "skipped")'
            ),
        )
    }
    app = await serve(policies)
    answer = await app.get()
    assert answer.status == 503
    assert answer.headers["X-After"] == "skipped"
    assert "X-Outbound" not in answer.headers
    assert app.calls() == 0


async def test_error_in_global_outbound_reports_global_scope_and_outbound_section(
    serve: Serve,
) -> None:
    failing = (
        '<set-header id="boom" name="X-Boom" exists-action="override">'
        '<value>@(context.Variables["missing"].ToString())</value></set-header>'
    )
    app = await serve({"policy.xml": policies_xml(outbound=failing, on_error=ECHO_LAST_ERROR)})
    answer = await app.get()
    assert answer.status == 503
    assert answer.headers["X-Reason"] == "ExpressionValueEvaluationFailure"
    assert answer.headers["X-Source"] == "set-header"
    assert answer.headers["X-Scope"] == "global"
    assert answer.headers["X-Section"] == "outbound"
    assert answer.headers["X-Policy-Id"] == "boom"
    assert "X-Boom" not in answer.headers
    assert app.calls() == 1


async def test_error_in_a_cache_lookup_attribute_expression_runs_on_error(serve: Serve) -> None:
    lookup = (
        '<cache-lookup id="lookup" vary-by-developer="@((bool)context.Variables["nope"])" '
        'vary-by-developer-groups="false" />'
    )
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=lookup, outbound='<cache-store duration="60" />', on_error=ECHO_LAST_ERROR
            )
        }
    )
    answer = await app.get()
    assert answer.status == 503
    assert answer.headers["X-Source"] == "cache-lookup"
    assert answer.headers["X-Reason"] == "ExpressionValueEvaluationFailure"
    assert answer.headers["X-Policy-Id"] == "lookup"
    assert app.calls() == 0


async def test_global_on_error_handles_an_operations_error_through_base(serve: Serve) -> None:
    policies = {
        "policy.xml": policies_xml(on_error=ECHO_LAST_ERROR),
        "apis/shop/operations/list/policy.xml": (
            "<policies>\n"
            f"  <inbound><base />{SPLIT_AUTHORIZATION}</inbound>\n"
            "  <backend><base /></backend>\n"
            "  <outbound><base /></outbound>\n"
            "  <on-error><base /></on-error>\n"
            "</policies>\n"
        ),
    }
    app = await serve(policies)
    answer = await app.get()
    assert answer.status == 503
    assert answer.headers["X-Scope"] == "operation"
    assert answer.headers["X-Policy-Id"] == "split-auth"


@pytest.mark.parametrize(
    "document",
    [
        policies_xml(inbound=SPLIT_AUTHORIZATION, on_error=""),
        "<policies>\n"
        f"  <inbound>{SPLIT_AUTHORIZATION}</inbound>\n"
        "  <backend><forward-request /></backend>\n"
        "  <outbound />\n"
        "</policies>\n",
    ],
    ids=["empty-on-error", "no-on-error"],
)
async def test_unhandled_error_gets_apims_default_500_json_answer(
    serve: Serve, document: str
) -> None:
    app = await serve({"policy.xml": document})
    answer = await app.get()
    assert answer.status == 500
    assert answer.headers["Content-Type"].startswith("application/json")
    payload = json.loads(answer.body)
    assert isinstance(payload, dict)
    assert payload["statusCode"] == 500
    assert_no_traceback(answer)
    assert app.calls() == 0
