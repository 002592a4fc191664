"""The early miss lane: a plan that only looks up (early), forwards and stores answers a miss
without an exchange -- the handler called directly, its answer stored under cache-store's rules.
It must be indistinguishable from the whole pipeline: the same answers (status, headers, body),
the same counts, the same entries in the cache, the same stampede protection, the same APIM
error for a failing handler.

The differential test runs one sequence of requests through two gateways with the same policy:
one as it is (the lane), one with ``cache_status`` on, which observes the caching steps and so
keeps every request on the whole pipeline; the ``Cache-Status`` header is left out of the
comparison.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
import aiohttp_apim.web.middleware as middleware_module
from aiohttp_apim.cache import Cache
from aiohttp_apim.cache.base import CacheHit
from aiohttp_apim.web import misslane
from aiohttp_apim.web.deadlines import HandlerTimeout
from tests.doubles import DictCache
from tests.pipeline.fakes import Pipeline
from tests.web.conftest import FakeClock, policies_xml, set_header
from tests.web.test_scenario_stampede import POLICY as STAMPEDE_POLICY
from tests.web.test_scenario_stampede import Stampede, fails, plain

LOOKUP = (
    '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false"{extra}>'
    "<vary-by-query-parameter>id</vary-by-query-parameter></cache-lookup>"
)


def lane_policy(
    *,
    lookup: str = "",
    store: str = 'duration="60"',
    backend: str = "<forward-request />",
    inbound: str = "",
    outbound: str = "",
) -> str:
    """The lane's policy (``lookup``, ``store``: the caching steps' attributes), and more."""
    return policies_xml(
        inbound=LOOKUP.format(extra=lookup) + inbound,
        backend=backend,
        outbound=f"<cache-store {store} />" + outbound,
    )


# --- which plans take the lane -----------------------------------------------------------


_COUNT = "context.Request.Headers.Count"


@pytest.mark.parametrize(
    ("document", "lane"),
    [
        (lane_policy(), True),
        (
            lane_policy(
                backend='<forward-request timeout="5" />',
                store='duration="60" cache-response="true"',
            ),
            True,
        ),
        (lane_policy(store=f'duration="@({_COUNT} + 60)"'), False),
        (lane_policy(outbound=set_header("X-After", "1")), False),
        (lane_policy(inbound=set_header("X-Before", "1")), False),
        (lane_policy(backend='<forward-request fail-on-error-status-code="true" />'), False),
        (lane_policy(backend=f'<forward-request timeout="@({_COUNT} + 5)" />'), False),
    ],
    ids=[
        "lookup-forward-store",
        "literal-attributes",
        "duration-expression",
        "outbound-after-store",
        "inbound-after-lookup",
        "fail-on-error-status",
        "timeout-expression",
    ],
)
def test_the_plan_knows_when_a_miss_can_take_the_lane(document: str, lane: bool) -> None:
    plan = Pipeline({"policy.xml": document}).plan()
    assert (plan.miss_lane is not None) == lane


def test_an_in_process_cache_written_with_an_await_takes_the_pipeline() -> None:
    """The lane never awaits a write: a cache in process takes it only when it holds everything
    there (written at once), a remote one always (written in the background)."""
    lanes = {
        kind.__name__: Pipeline(
            {"policy.xml": lane_policy()}, external_cache=kind(clock=lambda: 0.0)
        )
        .plan()
        .miss_lane
        is not None
        for kind in (InProcessDictCache, HoldingDictCache, DictCache)
    }
    assert lanes == {"InProcessDictCache": False, "HoldingDictCache": True, "DictCache": True}


# --- the differential test ---------------------------------------------------------------


class InProcessDictCache(DictCache):
    """A dict cache that says it is in-process: entries are written before the answer goes."""

    @property
    def in_process(self) -> bool:
        return True


class HoldingDictCache(InProcessDictCache):
    """An in-process dict cache that holds everything here (``HoldsInProcess``): read and
    written without an await, and counting the writes made so."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        super().__init__(clock=clock)
        self.writes_now = 0

    def get_now(self, key: str) -> CacheHit | None:
        entry = self._live(key)
        return None if entry is None else CacheHit(entry[0], entry[1] - self.clock())

    def set_now(self, key: str, value: bytes, ttl: float) -> None:
        self._check_ttl(ttl)
        self.writes_now += 1
        self.entries[key] = (bytes(value), self.clock() + ttl)


@dataclass(frozen=True)
class Step:
    """One request and how the handler answers it (if it is called)."""

    key: str
    method: str = "GET"
    request_header: tuple[str, str] | None = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    size: int = 4
    cookie: bool = False
    """The handler sets a cookie with ``set_cookie`` (not a header line)."""
    exception: str | None = None
    streamed: bool = False
    payload: bool = False
    """The body is a string payload, not bytes."""
    advance: float = 0.0
    """Seconds the clock moves before the request."""


_REQUEST_CACHING = ("If-None-Match", "Range", "Cache-Control", "Accept", "Authorization")


def _exception(name: str) -> Exception:
    if name == "crash":
        return RuntimeError("the backend fell over")
    if name == "not-found":
        return web.HTTPNotFound(text="gone")
    if name == "ok":
        return web.HTTPOk(text="raised ok", headers={"X-Raised": "1"})
    assert name == "timeout"
    return HandlerTimeout("the handler took too long", reason="Timeout")


@dataclass
class Scripted:
    """An app whose handler answers as the current :class:`Step` says."""

    step: Step = field(default_factory=lambda: Step("0"))
    calls: int = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.calls += 1
        step = self.step
        if step.exception is not None:
            raise _exception(step.exception)
        # What the handler saw of the request's own caching headers (a miss strips them).
        saw = ",".join(name for name in _REQUEST_CACHING if name in request.headers)
        body = f"#{self.calls}:{saw}:".encode() + b"x" * step.size
        if step.streamed:
            stream = web.StreamResponse(status=step.status, headers=dict(step.headers))
            await stream.prepare(request)
            await stream.write(body)
            await stream.write_eof()
            return stream
        response = web.Response(status=step.status, headers=list(step.headers))
        if step.payload:
            response.text = body.decode()
        else:
            response.body = body
        if step.cookie:
            response.set_cookie("session", "s1")
        return response


_ACTIVITY = re.compile(rb'"activityId": "[0-9a-f-]+"')
_IGNORED = frozenset({"date", "cache-status"})

Seen = tuple[int, dict[str, list[str]], bytes]


async def answer_to(client: TestClient[Any, Any], step: Step) -> Seen:
    """What the client saw for ``step``'s request: status, headers (lower-cased, without those
    that differ between runs) and body (its activity id masked)."""
    headers = [step.request_header] if step.request_header else []
    async with client.request(
        step.method, "/shop/items", params={"id": step.key}, headers=headers
    ) as response:
        body = _ACTIVITY.sub(b'"activityId": "-"', await response.read())
        lines: dict[str, list[str]] = {}
        for name, value in response.headers.items():
            if name.lower() not in _IGNORED:
                lines.setdefault(name.lower(), []).append(value)
        return response.status, lines, body


def scripted_app(
    scripted: Scripted, policy: str, cache: Cache, clock: FakeClock, **options: Any
) -> tuple[web.Application, aiohttp_apim.Gateway]:
    """An app whose route ``/shop/items`` answers as ``scripted`` says, behind a gateway with
    ``policy`` on ``cache`` (the internal cache if it is in process, else the external one)."""
    app = web.Application()
    app.router.add_route("*", "/shop/items", scripted.handle, name="shop:list")
    local = cache.in_process
    gateway = aiohttp_apim.setup(
        app,
        policies={"policy.xml": policy},
        clock=clock,
        internal_cache=cache if local else None,
        external_cache=None if local else cache,
        **options,
    )
    return app, gateway


async def _run(
    policy: str, steps: list[Step], make_cache: Callable[[FakeClock], Cache], **options: Any
) -> tuple[list[Seen], dict[str, Any], dict[str, tuple[bytes, float]], int, int]:
    """The answers to ``steps``, the gateway's counts, the cache's entries, the handler's
    calls and how many answers the lane made itself."""
    clock = FakeClock()
    cache = make_cache(clock)
    assert isinstance(cache, DictCache)
    scripted = Scripted()
    app, gateway = scripted_app(scripted, policy, cache, clock, **options)
    answered = 0
    real = misslane.answer_miss

    async def counting(*args: Any) -> Any:
        nonlocal answered
        answer = await real(*args)
        if isinstance(answer, web.StreamResponse):
            answered += 1
        return answer

    seen: list[Seen] = []
    with pytest.MonkeyPatch.context() as patch:
        # (The middleware calls the lane by this name: counting its own answers tells that the
        # lane, not the pipeline, answered them.)
        patch.setattr(middleware_module, "answer_miss", counting)
        async with TestClient(TestServer(app)) as client:
            for step in steps:
                clock.advance(step.advance)
                scripted.step = step
                seen.append(await answer_to(client, step))
                await gateway.drain()
    counted = asdict(gateway.stats())
    return seen, counted, dict(cache.entries), scripted.calls, answered


_CACHE_CONTROL = st.sampled_from(
    [None, "public, max-age=10", "private", "no-store", "no-cache", 'private="X"', "max-age=0"]
)
_VARY = st.sampled_from([None, "Accept", "*", "id"])


@st.composite
def steps(draw: st.DrawFn) -> Step:
    headers: list[tuple[str, str]] = [("Content-Type", "text/plain")]
    cache_control = draw(_CACHE_CONTROL)
    if cache_control is not None:
        headers.append(("Cache-Control", cache_control))
    vary = draw(_VARY)
    if vary is not None:
        headers.append(("Vary", vary))
    if draw(st.integers(0, 5)) == 0:
        headers.append(("Set-Cookie", "a=b"))
    if draw(st.booleans()):
        headers.append(("X-Extra", draw(st.sampled_from(["1", "two", "ä"]))))
    unusual = draw(st.integers(0, 9))
    method = draw(st.sampled_from(["GET", "GET", "GET", "GET", "HEAD", "POST"]))
    return Step(
        key=draw(st.sampled_from(["1", "2", "3"])),
        method=method,
        request_header=draw(
            st.sampled_from(
                [
                    None,
                    None,
                    None,
                    ("If-None-Match", '"x"'),
                    ("Range", "bytes=0-1"),
                    ("Authorization", "Bearer x"),
                    ("Cache-Control", "no-cache"),
                    ("Accept", "a/b"),
                ]
            )
        ),
        status=draw(st.sampled_from([200, 200, 200, 203, 404, 500, 206])),
        headers=tuple(headers),
        size=draw(st.sampled_from([0, 4, 90, 200])),
        cookie=unusual == 1,
        exception=draw(st.sampled_from(["crash", "not-found", "ok", "timeout"]))
        if unusual == 2
        else None,
        streamed=unusual == 3 and method != "HEAD",  # (a body HEAD must not have)
        payload=unusual == 4,
        advance=draw(st.sampled_from([0.0, 0.0, 0.0, 30.0, 61.0])),
    )


_POLICIES = [
    lane_policy(),
    lane_policy(
        lookup=' downstream-caching-type="public" must-revalidate="true"',
        store='duration="45" cache-response="true"',
        backend='<forward-request timeout="30" />',
    ),
    lane_policy(lookup=' downstream-caching-type="private"', store='duration="0"'),
]
_CACHES: list[Callable[[FakeClock], Cache]] = [
    lambda clock: HoldingDictCache(clock=clock),
    lambda clock: DictCache(clock=clock),
]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    policy=st.sampled_from(range(len(_POLICIES))),
    cache=st.sampled_from(range(len(_CACHES))),
    honor=st.sampled_from(["honor", "ignore"]),
    stampede=st.booleans(),
    sequence=st.lists(steps(), min_size=1, max_size=12),
)
def test_the_lane_answers_stores_and_counts_exactly_as_the_whole_pipeline(
    policy: int, cache: int, honor: str, stampede: bool, sequence: list[Step]
) -> None:
    def run(**extra: Any) -> Awaitable[Any]:
        return _run(
            _POLICIES[policy],
            sequence,
            _CACHES[cache],
            backend_cache_control=honor,
            stampede_protection=stampede,
            max_response_bytes=100,
            **extra,
        )

    async def both() -> tuple[Any, Any]:
        return await run(), await run(cache_status=True)

    lane, full = asyncio.run(both())
    assert full[4] == 0  # the whole pipeline answered every request of the second gateway
    for index, (fast, slow) in enumerate(zip(lane[0], full[0], strict=True)):
        assert fast == slow, f"request {index} ({sequence[index]})"
    assert lane[1:4] == full[1:4]


def test_the_differential_test_sees_the_lane_answer() -> None:
    """(The comparison above means something: plain misses are the lane's own answers, and a
    cache that holds everything in process is written without an await.)"""
    sequence = [Step("1"), Step("2"), Step("1"), Step("3", status=404)]
    made: list[HoldingDictCache] = []

    def make(clock: FakeClock) -> Cache:
        made.append(HoldingDictCache(clock=clock))
        return made[-1]

    answers, counted, entries, calls, answered = asyncio.run(_run(lane_policy(), sequence, make))
    assert made[0].writes_now == 2  # both stores written at once
    assert answered == 3
    assert calls == 3
    assert len(entries) == 2
    assert counted["response_misses"] == 3
    assert counted["response_hits"] == 1
    assert counted["response_stores"] == 2
    assert [status for status, _headers, _body in answers] == [200, 200, 200, 404]
    assert answers[0][1]["cache-control"] == ["no-cache"]
    assert answers[2][2] == answers[0][2]


# --- stampede protection and failures through the lane -----------------------------------


@pytest.mark.parametrize("full", [False, True], ids=["lane", "pipeline"])
async def test_concurrent_misses_of_one_key_reach_the_handler_once(
    aiohttp_client: AiohttpClient, clock: FakeClock, full: bool
) -> None:
    assert Pipeline(STAMPEDE_POLICY).plan().miss_lane is not None
    stampede = Stampede(50, plain)
    await stampede.start(aiohttp_client, clock, cache_status=full)
    answers = await stampede.run(50)
    assert stampede.calls == 1
    assert answers == [(200, "item #1")] * 50


@pytest.mark.parametrize("full", [False, True], ids=["lane", "pipeline"])
async def test_a_failing_first_call_lets_every_waiter_through_with_the_same_error(
    aiohttp_client: AiohttpClient, clock: FakeClock, full: bool
) -> None:
    stampede = Stampede(10, fails)
    await stampede.start(aiohttp_client, clock, cache_status=full)
    answers = await stampede.run(10)
    assert stampede.calls == 10
    failed = [text for status, text in answers if status == 500]
    assert len(failed) == 1
    assert '"message": "Internal server error"' in failed[0]
    assert sorted(text for status, text in answers if status == 200) == sorted(
        f"item #{n}" for n in range(2, 11)
    )


async def test_a_failing_handler_gets_the_apim_error_and_stores_nothing(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    async def crash(request: web.Request) -> web.Response:
        raise RuntimeError("the backend fell over")

    app = web.Application()
    app.router.add_get("/shop/items", crash, name="shop:list")
    gateway = aiohttp_apim.setup(
        app,
        policies={
            "policy.xml": policies_xml(
                inbound=LOOKUP.format(extra=""),
                outbound='<cache-store duration="60" />',
                on_error=set_header("X-On-Error", "@(context.LastError.Reason)"),
            )
        },
        clock=clock,
    )
    client = await aiohttp_client(app)
    async with client.get("/shop/items", params={"id": "1"}) as answer:
        body = await answer.json()
        assert answer.status == 500
        assert answer.headers["X-On-Error"] == "BackendConnectionFailure"
    assert body["message"] == "Internal server error"
    counted = gateway.stats()
    assert (counted.response_misses, counted.response_stores) == (1, 0)
