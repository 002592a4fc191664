"""The forward-only lane: a route whose effective policy only forwards is answered by its handler
straight from the middleware, and still answers as the whole pipeline would when the handler
fails."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from tests.pipeline.fakes import Pipeline, doc
from tests.web.conftest import Serve, policies_xml, set_header

FORWARD_ONLY = {"policy.xml": policies_xml()}
ON_ERROR_ECHO = {
    "policy.xml": policies_xml(
        on_error="<return-response>"
        '<set-status code="503" reason="Handled" />'
        + set_header("X-Source", "@(context.LastError.Source)")
        + set_header("X-Reason", "@(context.LastError.Reason)")
        + "</return-response>"
    )
}


@pytest.mark.parametrize("policies", [{}, FORWARD_ONLY], ids=["no-policy", "forward-only"])
async def test_the_handler_answers_as_it_is(serve: Serve, policies: dict[str, str]) -> None:
    app = await serve(policies)
    app.backends["shop:list"].respond(
        status=201, headers={"X-Mine": "kept", "Content-Type": "text/plain"}, body=b"made"
    )
    answer = await app.get()
    assert (answer.status, answer.body, answer.headers["X-Mine"]) == (201, b"made", "kept")
    assert app.calls() == 1


async def test_an_http_exception_of_the_handler_is_its_answer(serve: Serve) -> None:
    app = await serve(FORWARD_ONLY)
    app.backends["shop:list"].respond(exception=web.HTTPNotFound(text="no such item"))
    answer = await app.get()
    assert (answer.status, answer.body) == (404, b"no such item")


async def test_a_handler_crash_is_apims_500_with_an_activity_id(serve: Serve) -> None:
    app = await serve(FORWARD_ONLY)
    app.backends["shop:list"].respond(exception=RuntimeError("handler bug"))
    answer = await app.get()
    assert answer.status == 500
    payload = json.loads(answer.body)
    assert payload["message"] == "Internal server error"
    assert payload["activityId"]
    assert "handler bug" not in answer.text


async def test_a_handler_crash_runs_on_error_with_the_forward_requests_last_error(
    serve: Serve,
) -> None:
    app = await serve(ON_ERROR_ECHO)
    app.backends["shop:list"].respond(exception=RuntimeError("handler bug"))
    answer = await app.get()
    assert answer.status == 503
    assert (answer.headers["X-Source"], answer.headers["X-Reason"]) == (
        "forward-request",
        "BackendConnectionFailure",
    )


@pytest.mark.parametrize(
    ("document", "forwards_only", "timeout"),
    [
        (doc(), True, 300.0),
        (doc(backend='<forward-request timeout-ms="1500" />'), True, 1.5),
        (doc(backend='<forward-request timeout="0" />'), True, None),
        (
            doc(
                on_error='<set-header name="X" exists-action="override"><value>e</value></set-header>'
            ),
            True,
            300.0,
        ),
        (doc(backend='<forward-request timeout="@(5)" />'), True, 5.0),  # folded to a constant
        (doc(backend='<forward-request timeout="@(context.Variables.Count)" />'), False, None),
        (doc(backend='<forward-request fail-on-error-status-code="true" />'), False, None),
        (
            doc(
                inbound='<set-header name="X" exists-action="override"><value>v</value></set-header>'
            ),
            False,
            None,
        ),
        (doc(outbound='<cache-store duration="60" />'), False, None),
        (doc(backend=""), False, None),
    ],
)
def test_the_plan_knows_when_a_request_only_forwards(
    document: str, forwards_only: bool, timeout: float | None
) -> None:
    plan = Pipeline({"policy.xml": document}).plan()
    assert (plan.forwards_only, plan.forward_timeout) == (forwards_only, timeout)
