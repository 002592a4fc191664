"""The early lookup after set-variable steps: a plan whose inbound starts with set-variable
statements and then a cache-lookup of literal attributes runs those statements first, once, then
looks the cache up before the rest of the pipeline, and answers a hit with nothing left to run in
outbound straight from the entry.

Each test sends the same requests to the same policy twice: as it runs, and with
``cache_status=True``, which makes every lookup take the whole pipeline. Everything a user
observes must be the same (but the ``Cache-Status`` header itself): answers, what the backend
saw, what the gateway counted -- failing and runaway expressions included, and a variable is
evaluated once per request whichever way the request goes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, NamedTuple

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim.pipeline import runner
from aiohttp_apim.pipeline.exchange import Exchange
from aiohttp_apim.web import middleware
from tests.pipeline.fakes import Pipeline
from tests.web.conftest import FakeClock, Serve, Served, build_app, policies_xml, set_header

LOOKUP = (
    '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false">'
    "<vary-by-header>X-Tenant</vary-by-header></cache-lookup>"
)
STORE = '<cache-store duration="60" />'
TENANT = (
    '<set-variable name="tenant" '
    'value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Tenant&quot;, &quot;none&quot;))" />'
)
# Counts its own runs: a second evaluation in one request would make it 2.
COUNT = (
    '<set-variable name="runs" '
    'value="@(context.Variables.GetValueOrDefault&lt;int&gt;(&quot;runs&quot;, 0) + 1)" />'
)
# Fails for a request whose X-N is no number.
PARSE = (
    '<set-variable name="n" '
    'value="@(int.Parse(context.Request.Headers.GetValueOrDefault(&quot;X-N&quot;, &quot;1&quot;)))" />'
)
LOOP = '<set-variable name="spin" value="@{ var n = 0; while (true) { n++; } }" />'
SEEN = set_header(
    "X-Seen",
    '@(context.Variables.GetValueOrDefault&lt;string&gt;("tenant", "-") + "/" '
    '+ context.Variables.GetValueOrDefault&lt;int&gt;("runs", -1).ToString())',
)
ECHO_LAST_ERROR = (
    '<return-response><set-status code="418" reason="Teapot" />'
    + set_header("X-Source", "@(context.LastError.Source)")
    + set_header("X-Reason", "@(context.LastError.Reason)")
    + set_header(
        "X-Tenant-Var", '@(context.Variables.GetValueOrDefault&lt;string&gt;("tenant", "-"))'
    )
    + "<set-body>@(context.LastError.Message)</set-body></return-response>"
)


def policy(
    before: str, *, after_lookup: str = "", after_store: str = "", on_error: str = ""
) -> dict[str, str]:
    return {
        "policy.xml": policies_xml(
            inbound=before + LOOKUP + after_lookup,
            outbound=STORE + after_store,
            on_error=on_error,
        )
    }


Request = tuple[str, Mapping[str, str]]


class Seen(NamedTuple):
    """What a user sees of one request."""

    status: int
    headers: dict[str, str]
    body: str
    calls: int
    """How often the backend ran so far."""
    backend_saw: str | None
    """The ``X-Seen`` header of the last request the backend saw."""


async def observe(
    serve: Serve,
    preludes: PreludeCounter,
    policies: dict[str, str],
    requests: Sequence[Request],
    *,
    ahead: bool = True,
    **options: Any,
) -> list[Seen]:
    """Send ``requests`` through the early lane and through the whole pipeline: what a user
    sees of each, for comparison. ``ahead``: the plan has set-variable steps that run before
    its early lookup (else those it has all wait for the runner)."""
    seen = []
    for forced in (False, True):
        counted = preludes.calls
        app = await serve(policies, cache_status=forced, **options)
        seen.append(await _answers(app, requests))
        # (the comparison is between the two lanes: each request took the one meant)
        assert preludes.calls - counted == (len(requests) if ahead and not forced else 0)
    assert seen[0] == seen[1]
    return seen[0][0]


async def _answers(app: Served, requests: Sequence[Request]) -> tuple[list[Seen], dict[str, Any]]:
    """What a user sees of each of ``requests`` sent to ``app``, and what the gateway counted."""
    answers: list[Seen] = []
    for path, headers in requests:
        answer = await app.get(path, headers=list(headers.items()))
        shown = {
            name: value
            for name, value in answer.headers.items()
            if name not in ("Date", "Cache-Status")
        }
        body = answer.text
        if answer.status == 500:  # the activity id is the request's own
            payload = json.loads(body)
            payload.pop("activityId", None)
            body = json.dumps(payload)
        backend = app.backends["shop:list"]
        answers.append(
            Seen(
                answer.status,
                shown,
                body,
                backend.calls,
                backend.last.headers.get("X-Seen") if backend.calls else None,
            )
        )
    return answers, asdict(app.gateway.stats())  # type: ignore[attr-defined]


class PreludeCounter:
    """Counts the requests whose set-variable steps ran ahead of the early lookup."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = runner.run_prelude

        def counted(x: Exchange) -> bool:
            self.calls += 1
            return original(x)

        monkeypatch.setattr(middleware, "run_prelude", counted)


@pytest.fixture
def preludes(monkeypatch: pytest.MonkeyPatch) -> PreludeCounter:
    return PreludeCounter(monkeypatch)


LITERAL = '<set-variable name="plain" value="text" />'
UPPER = (
    '<set-variable name="upper" '
    'value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Tenant&quot;, &quot;none&quot;)'
    '.ToUpper())" />'
)


@pytest.mark.parametrize(
    ("before", "early", "prelude"),
    [
        (TENANT, True, 0),
        (TENANT + COUNT + PARSE, True, 3),
        (COUNT + TENANT + LITERAL, True, 1),
        (TENANT + COUNT, True, 2),
        (UPPER, True, 1),
        ("", True, 0),
        (set_header("X", "1") + TENANT, False, 0),
    ],
    ids=[
        "header-read",
        "three-variables",
        "header-read-and-literal-after-a-count",
        "header-read-before-a-count",
        "header-read-and-more",
        "lookup-first",
        "set-header-first",
    ],
)
def test_the_plan_knows_which_steps_run_before_its_early_lookup(
    before: str, early: bool, prelude: int
) -> None:
    # (the set-variable steps that cannot fail and come after any that can wait for the runner)
    plan = Pipeline(policy(before)).plan()
    assert (plan.early_lookup is not None) == early
    assert len(plan.early_prelude) == prelude
    assert plan.after_prelude == plan.inbound[prelude:]


TENANTS: list[Request] = [
    ("/shop/items", {"X-Tenant": "a"}),
    ("/shop/items", {"X-Tenant": "a"}),
    ("/shop/items", {"X-Tenant": "b"}),
    ("/shop/items", {}),
    ("/shop/items", {"X-Tenant": "b"}),
]
"""Hits and misses of two tenants and of a request without the header."""


async def test_hits_and_misses_answer_as_the_whole_pipeline(
    serve: Serve, preludes: PreludeCounter
) -> None:
    requests: list[Request] = [
        *TENANTS,
        ("/shop/items", {"X-Tenant": "a", "Authorization": "Bearer x"}),  # never looked up
    ]
    answers = await observe(serve, preludes, policy(TENANT + COUNT, after_lookup=SEEN), requests)
    # The backend saw the variables set before the lookup, each evaluated once.
    assert [answer.backend_saw for answer in answers] == [
        "a/1",
        "a/1",
        "b/1",
        "none/1",
        "none/1",
        "a/1",
    ]
    assert [answer.calls for answer in answers] == [1, 1, 2, 3, 3, 4]


async def test_outbound_after_the_store_sees_the_variables_on_a_hit(
    serve: Serve, preludes: PreludeCounter
) -> None:
    requests: list[Request] = [("/shop/items", {"X-Tenant": "a"})] * 3
    answers = await observe(serve, preludes, policy(TENANT + COUNT, after_store=SEEN), requests)
    assert [answer.headers["X-Seen"] for answer in answers] == ["a/1"] * 3
    assert [answer.calls for answer in answers] == [1, 1, 1]


@pytest.mark.parametrize("on_error", ["", ECHO_LAST_ERROR], ids=["default-500", "on-error"])
async def test_a_failing_variable_goes_to_on_error_as_in_the_whole_pipeline(
    serve: Serve, preludes: PreludeCounter, on_error: str
) -> None:
    requests: list[Request] = [
        ("/shop/items", {"X-Tenant": "a", "X-N": "1"}),
        ("/shop/items", {"X-Tenant": "a", "X-N": "nope"}),  # fails before the lookup
        ("/shop/items", {"X-Tenant": "a", "X-N": "2"}),
    ]
    answers = await observe(
        serve,
        preludes,
        policy(TENANT + PARSE + COUNT, after_lookup=SEEN, on_error=on_error),
        requests,
    )
    failed = answers[1]
    assert failed.status == (418 if on_error else 500)
    assert failed.calls == 1  # (no backend call, the statements after it skipped)
    if on_error:
        assert failed.headers["X-Source"] == "set-variable"
        assert failed.headers["X-Tenant-Var"] == "a"  # set before the failure
    assert answers[2].status == 200  # a hit


async def test_a_runaway_variable_exhausts_the_budget_as_in_the_whole_pipeline(
    serve: Serve, preludes: PreludeCounter
) -> None:
    requests: list[Request] = [("/shop/items", {"X-Tenant": "a"})] * 2
    answers = await observe(
        serve,
        preludes,
        policy(TENANT + LOOP, on_error=ECHO_LAST_ERROR),
        requests,
        expression_step_budget=1000,
    )
    for answer in answers:
        assert answer.status == 418
        assert "1000 steps" in answer.body
        assert answer.calls == 0


ALL_VARIABLES = set_header(
    "X-Seen",
    '@(string.Join("/", context.Variables.Select('
    'p => p.Key + "=" + (p.Value ?? "null").ToString())))',
)
"""Every variable of the request, in the order they were set."""


async def test_variables_that_cannot_fail_wait_for_the_runner(
    serve: Serve, preludes: PreludeCounter
) -> None:
    requests = TENANTS
    answers = await observe(
        serve, preludes, policy(TENANT + LITERAL, after_lookup=ALL_VARIABLES), requests, ahead=False
    )
    # A miss still set them, in their order, before the statements after the lookup.
    assert [answer.backend_saw for answer in answers] == [
        "tenant=a/plain=text",
        "tenant=a/plain=text",
        "tenant=b/plain=text",
        "tenant=none/plain=text",
        "tenant=none/plain=text",
    ]
    assert [answer.calls for answer in answers] == [1, 1, 2, 3, 3]


def _variable(value: str) -> str:
    escaped = value.replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    return f'value="{escaped}"'


_HEADERS = "context.Request.Headers."
_CANNOT_FAIL = (
    f'@({_HEADERS}GetValueOrDefault("X-Tenant", "none"))',
    f'@({_HEADERS}GetValueOrDefault("x-tenant"))',
    f'@({_HEADERS}GetValueOrDefault("X-Tenant", null))',
    f'@({_HEADERS}ContainsKey("X-N"))',
    "text",
    "@(60 * 5)",
)
_MAY_FAIL = (
    f'@(int.Parse({_HEADERS}GetValueOrDefault("X-N", "1")))',
    '@(context.Variables.GetValueOrDefault<string>("v0", "-") + "!")',
    f'@({_HEADERS}GetValueOrDefault("X-Tenant", "none").ToUpper())',
    # runs away when X-N says so
    '@{ var n = 0; while (context.Request.Headers.GetValueOrDefault("X-N", "") == "spin")'
    " { n++; } return n; }",
)


@st.composite
def _requests(draw: st.DrawFn) -> Request:
    headers = {}
    tenant = draw(st.sampled_from([None, "a", "a", "b"]))
    if tenant is not None:
        headers["X-Tenant"] = tenant
    n = draw(st.sampled_from([None, None, "1", "nope", "spin"]))
    if n is not None:
        headers["X-N"] = n
    if draw(st.integers(0, 5)) == 0:
        headers["Authorization"] = "Bearer x"  # never looked up
    return "/shop/items", headers


async def _both_lanes(
    policies: dict[str, str], requests: Sequence[Request]
) -> tuple[list[tuple[list[Seen], dict[str, Any]]], int]:
    """What a user sees of ``requests`` on the early lane and on the whole pipeline, and how
    often the set-variable steps ran ahead of the early lookup."""
    ran = 0
    original = runner.run_prelude

    def counted(x: Exchange) -> bool:
        nonlocal ran
        ran += 1
        return original(x)

    seen = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(middleware, "run_prelude", counted)
        for forced in (False, True):
            app, gateway, backends = build_app(
                policies, clock=FakeClock(), cache_status=forced, expression_step_budget=1000
            )
            async with TestClient(TestServer(app)) as client:
                seen.append(await _answers(Served(client, gateway, backends), requests))
    return seen, ran


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    variables=st.lists(st.sampled_from(_CANNOT_FAIL + _MAY_FAIL), max_size=4),
    on_error=st.sampled_from(["", ECHO_LAST_ERROR]),
    after_store=st.booleans(),
    requests=st.lists(_requests(), min_size=1, max_size=10),
)
def test_any_prelude_answers_as_the_whole_pipeline(
    variables: list[str], on_error: str, after_store: bool, requests: list[Request]
) -> None:
    # set-variable steps that may fail and ones that cannot, in any order, before the lookup;
    # whether a hit then ends the request or resumes outbound to show the variables
    before = "".join(
        f'<set-variable name="v{i}" {_variable(value)} />' for i, value in enumerate(variables)
    )
    policies = policy(
        before,
        after_lookup=ALL_VARIABLES,
        after_store=ALL_VARIABLES if after_store else "",
        on_error=on_error,
    )
    plan = Pipeline(policies).plan()
    assert plan.early_lookup is not None
    may_fail = [i for i, value in enumerate(variables) if value in _MAY_FAIL]
    assert len(plan.early_prelude) == (max(may_fail) + 1 if may_fail else 0)
    seen, ran = asyncio.run(_both_lanes(policies, requests))
    assert seen[0] == seen[1]
    assert ran == (len(requests) if plan.early_prelude else 0)
