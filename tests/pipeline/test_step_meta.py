"""Where steps are (their place in the policy files), the development trace compiled in only when
asked for, and the log throttle shared by cache and policy failures."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from aiohttp_apim.pipeline.compiler import compile_plan
from aiohttp_apim.pipeline.steps.base import Step
from aiohttp_apim.pipeline.steps.caching import CacheLookupStep, CacheStoreStep
from aiohttp_apim.pipeline.steps.control import ChooseStep, ReturnResponseStep
from aiohttp_apim.pipeline.steps.trace import RequestStep, TracedStep
from aiohttp_apim.pipeline.throttle import LogThrottle
from aiohttp_apim.policy.model import Location
from tests.pipeline.fakes import Pipeline, doc

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
INBOUND = (
    '<set-variable name="a" value="1" />\n'
    '<choose><when condition="@(context.Request.Method == &quot;GET&quot;)">\n'
    '<return-response><set-status code="418" reason="teapot" /></return-response>\n'
    f"</when></choose>{LOOKUP}"
)


def every_step(steps: tuple[Step, ...]) -> list[Step]:
    found: list[Step] = []
    for step in steps:
        found.append(step)
        inner = step.inner if isinstance(step, TracedStep) else step
        if isinstance(inner, ChooseStep):
            for branch in inner.branches():
                found += every_step(branch)
        if isinstance(inner, ReturnResponseStep):
            found += inner.children
    return found


def test_every_step_knows_its_element_in_the_file() -> None:
    pipeline = Pipeline({"policy.xml": doc(inbound=INBOUND)})
    setter, choose, lookup = pipeline.plan().inbound
    line = 1  # doc() is one line: "<policies><inbound>" then INBOUND's lines
    assert setter.meta.location == Location("policy.xml", line, 20)
    assert choose.meta.location == Location("policy.xml", line + 1, 1)
    assert isinstance(choose, ChooseStep)
    # A condition fails as its choose, at its own <when>.
    assert choose.whens[0].meta.location == Location("policy.xml", line + 1, 9)
    [answer] = choose.whens[0].steps
    assert isinstance(answer, ReturnResponseStep)
    assert answer.meta.location == Location("policy.xml", line + 2, 1)
    assert answer.children[0].meta.location == Location("policy.xml", line + 2, 18)
    assert lookup.meta.location == Location("policy.xml", line + 3, 17)


def test_without_the_trace_a_plan_holds_nothing_of_it() -> None:
    pipeline = Pipeline(
        {"policy.xml": doc(inbound=INBOUND, outbound='<cache-store duration="9" />')}
    )
    plan = pipeline.plan()
    steps = every_step(plan.inbound + plan.outbound)
    assert not any(isinstance(s, TracedStep | RequestStep) for s in steps)
    lookups = [s for s in steps if isinstance(s, CacheLookupStep)]
    assert lookups
    assert all(s.observer is None for s in lookups)


def test_with_the_trace_every_step_is_wrapped_and_hits_still_resume_after_their_store() -> None:
    outbound = '<set-header name="A" exists-action="override"><value>a</value></set-header>'
    outbound += '<cache-store duration="9" />'
    outbound += '<set-header name="B" exists-action="override"><value>b</value></set-header>'
    pipeline = Pipeline({"policy.xml": doc(inbound=INBOUND, outbound=outbound)})
    options = dataclasses.replace(pipeline.options, trace=True)
    plan = compile_plan(pipeline.policies, (None, "shop", "list"), options)
    assert isinstance(plan.inbound[0], RequestStep)
    assert all(isinstance(s, TracedStep) for s in plan.inbound[1:] + plan.outbound)
    [lookup] = [s.inner for s in plan.inbound[1:] if isinstance(s.inner, CacheLookupStep)]  # type: ignore[attr-defined]
    assert lookup.observer is not None
    store = plan.outbound[1]
    assert isinstance(store, TracedStep)
    assert isinstance(store.inner, CacheStoreStep)
    assert plan.resume_after == ((plan.outbound[2],),)


def test_the_throttle_admits_one_line_per_interval_and_counts_the_rest() -> None:
    now = [0.0]
    throttle = LogThrottle(10.0, clock=lambda: now[0])
    assert throttle.admit("a") == 0
    assert throttle.admit("a") is None
    assert throttle.admit("b") == 0  # slots are independent
    assert throttle.admit("a") is None
    now[0] = 10.0
    assert throttle.admit("a") == 2
    assert LogThrottle.note(2) == " (2 similar failures not logged)"
    assert LogThrottle.note(0) == ""


async def test_a_failure_in_on_error_is_logged_too(caplog: pytest.LogCaptureFixture) -> None:
    failing = '<set-variable name="n" value="@(int.Parse(context.Request.Method))" />'
    pipeline = Pipeline(
        {"policy.xml": doc(inbound=failing, on_error=failing.replace('"n"', '"m"'))}
    )
    caplog.set_level(logging.WARNING, logger="aiohttp_apim")
    await pipeline.run()
    records = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.apim_section for r in records] == ["inbound", "on-error"]  # type: ignore[attr-defined]
