"""The forward-only lane (the handler called straight from the middleware, its time limit kept
around the middleware's own ``await``) answers exactly as the whole pipeline does: the handler's
answer, its ``HTTPException``, a crash, a timeout, with and without on-error, with and without
subscriptions."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aiohttp_apim
from tests.web.conftest import policies_xml, set_header

ECHO_ERROR = (
    '<return-response><set-status code="599" reason="Echo" />'
    + set_header("X-Source", "@(context.LastError.Source)")
    + set_header("X-Reason", "@(context.LastError.Reason)")
    + "</return-response>"
)
FAST = '<forward-request timeout-ms="40" />'
# Not a constant: the plan runs through the pipeline (false at run time, as the fast one).
GENERAL = (
    '<forward-request timeout-ms="40" fail-on-error-status-code="@(context.Variables.Count > 0)" />'
)

BEHAVIOURS = ["answer", "not-found", "crash", "stuck", "slow-answer"]


async def _handle(request: web.Request) -> web.StreamResponse:
    behaviour = request.query["do"]
    if behaviour == "not-found":
        raise web.HTTPNotFound(text="no such item")
    if behaviour == "crash":
        raise RuntimeError("handler bug")
    if behaviour == "stuck":
        await asyncio.Event().wait()
    if behaviour == "slow-answer":
        await asyncio.sleep(0.001)
    return web.Response(status=201, text=f"answer to {behaviour}", headers={"X-Mine": "kept"})


async def _run(
    backend: str, on_error: str, keyed: bool, sequence: list[str], key: str | None = None
) -> list[Any]:
    app = web.Application()
    app.router.add_get("/item", _handle, name="shop:item")
    subscriptions = (
        aiohttp_apim.Subscriptions.from_dict(
            {"subscriptions": [{"key": "k1", "scope": "all"}], "required": False}
        )
        if keyed
        else None
    )
    gateway = aiohttp_apim.setup(
        app,
        {"policy.xml": policies_xml(backend=backend, on_error=on_error)},
        subscriptions=subscriptions,
    )
    answers = []
    async with TestClient(TestServer(app)) as client:
        for behaviour in sequence:
            sent = {} if key is None else {"Ocp-Apim-Subscription-Key": key}
            async with client.get("/item", params={"do": behaviour}, headers=sent) as response:
                headers = {
                    name: response.headers.get(name)
                    for name in ("X-Mine", "X-Source", "X-Reason", "Content-Type")
                }
                body = await response.read()
                if response.status == 500:  # (an activity id of its own per request)
                    body = b"500"
                answers.append((response.status, headers, body))
        plan = gateway._router.route("shop:item").plan(None)
    return [plan.forwards_only, answers]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    on_error=st.sampled_from(["", ECHO_ERROR]),
    keyed=st.booleans(),
    key=st.sampled_from([None, "k1", "unknown"]),
    sequence=st.lists(st.sampled_from(BEHAVIOURS), min_size=1, max_size=5),
)
def test_the_forward_only_lane_answers_exactly_as_the_whole_pipeline(
    on_error: str, keyed: bool, key: str | None, sequence: list[str]
) -> None:
    async def both() -> tuple[list[Any], list[Any]]:
        return (
            await _run(FAST, on_error, keyed, sequence, key),
            await _run(GENERAL, on_error, keyed, sequence, key),
        )

    (fast_lane, fast), (general_lane, general) = asyncio.run(both())
    assert (fast_lane, general_lane) == (True, False)  # (each went the way it is meant to)
    for index, (one, other) in enumerate(zip(fast, general, strict=True)):
        assert one == other, f"request {index} ({sequence[index]})"


def test_the_differential_test_sees_a_timeout_and_a_crash() -> None:
    """(The comparison above means something: the lane's timeouts reach on-error as such.)"""
    _lane, answers = asyncio.run(_run(FAST, ECHO_ERROR, False, ["stuck", "crash", "answer"]))
    assert [status for status, _headers, _body in answers] == [599, 599, 201]
    assert answers[0][1]["X-Reason"] == "Timeout"
    assert answers[1][1]["X-Reason"] == "BackendConnectionFailure"
