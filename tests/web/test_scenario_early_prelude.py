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

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, NamedTuple

import pytest

from aiohttp_apim.pipeline import runner
from aiohttp_apim.pipeline.exchange import Exchange
from aiohttp_apim.web import middleware
from tests.pipeline.fakes import Pipeline
from tests.web.conftest import Serve, policies_xml, set_header

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
    **options: Any,
) -> list[Seen]:
    """Send ``requests`` through the early lane and through the whole pipeline: what a user
    sees of each, for comparison."""
    seen = []
    for forced in (False, True):
        counted = preludes.calls
        app = await serve(policies, cache_status=forced, **options)
        answers: list[Seen] = []
        for path, headers in requests:
            answer = await app.get(path, headers=dict(headers))
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
        stats = asdict(app.gateway.stats())  # type: ignore[attr-defined]
        seen.append((answers, stats))
        # (the comparison is between the two lanes: each request took the one meant)
        assert preludes.calls - counted == (0 if forced else len(requests))
    assert seen[0] == seen[1]
    return seen[0][0]


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


@pytest.mark.parametrize(
    ("before", "prelude"),
    [(TENANT, 1), (TENANT + COUNT + PARSE, 3), ("", 0), (set_header("X", "1") + TENANT, 0)],
    ids=["one-variable", "three-variables", "lookup-first", "set-header-first"],
)
def test_the_plan_knows_which_steps_run_before_its_early_lookup(before: str, prelude: int) -> None:
    plan = Pipeline(policy(before)).plan()
    early = plan.early_lookup is not None
    assert early == (prelude > 0 or not before)
    assert len(plan.early_prelude) == prelude
    assert plan.after_prelude == plan.inbound[prelude:]


async def test_hits_and_misses_answer_as_the_whole_pipeline(
    serve: Serve, preludes: PreludeCounter
) -> None:
    requests: list[Request] = [
        ("/shop/items", {"X-Tenant": "a"}),
        ("/shop/items", {"X-Tenant": "a"}),
        ("/shop/items", {"X-Tenant": "b"}),
        ("/shop/items", {}),
        ("/shop/items", {"X-Tenant": "b"}),
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
