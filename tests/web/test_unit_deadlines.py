"""forward-request's time limit kept by one timer for every call (web/deadlines.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import aiohttp_apim
from aiohttp_apim.web.deadlines import Deadlines, HandlerTimeout, resolution
from tests.web.conftest import policies_xml, set_header


async def answer(value: int) -> int:
    await asyncio.sleep(0)
    return value


async def test_calls_that_end_in_time_answer_and_do_not_pile_up() -> None:
    deadlines = Deadlines()
    results = [await deadlines.call(300, answer, n) for n in range(5000)]
    assert results == list(range(5000))
    # A finished call leaves nothing behind.
    assert not any(deadlines._running.values())


async def test_a_call_past_its_deadline_is_cancelled_and_reported_as_a_timeout() -> None:
    deadlines = Deadlines()
    cancelled = asyncio.Event()

    async def stuck(_: None) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(HandlerTimeout) as raised:
        await deadlines.call(0.02, stuck, None)
    assert raised.value.reason == "Timeout"
    assert cancelled.is_set()
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    assert await deadlines.call(300, answer, 7) == 7  # and the next call is unaffected


async def test_many_concurrent_calls_each_get_their_own_deadline() -> None:
    deadlines = Deadlines()

    async def slow(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds

    # A deadline far from both the call that ends in time and the ones that never would: a
    # busy machine's loop that wakes late still ends the first before its deadline.
    outcomes = await asyncio.gather(
        *(deadlines.call(0.5, slow, s) for s in (0.0, 0.01, 60.0, 0.0, 60.0)),
        return_exceptions=True,
    )
    assert outcomes[0] == 0.0
    assert outcomes[1] == 0.01
    assert outcomes[3] == 0.0
    assert isinstance(outcomes[2], HandlerTimeout)
    assert isinstance(outcomes[4], HandlerTimeout)


async def test_a_cancellation_from_outside_is_not_a_timeout() -> None:
    deadlines = Deadlines()
    started = asyncio.Event()

    async def waits(_: None) -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.ensure_future(deadlines.call(300, waits, None))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


class _ShiftedClock(asyncio.SelectorEventLoop):
    """A loop whose clock is not the standard one (deadlines must keep to the loop's clock)."""

    def __init__(self, shift: float) -> None:
        super().__init__()
        self.shift = shift

    def time(self) -> float:
        return super().time() + self.shift


@pytest.mark.parametrize("shift", [1000.0, -1000.0])
def test_deadlines_keep_to_the_clock_of_a_loop_of_its_own(shift: float) -> None:
    async def main() -> None:
        deadlines = Deadlines()
        loop = asyncio.get_running_loop()

        async def slow(seconds: float) -> float:
            await asyncio.sleep(seconds)
            return seconds

        assert await deadlines.call(300, slow, 0.01, loop) == 0.01  # not expired at once
        async with asyncio.timeout(10):  # (turns a deadline that never comes into a failure)
            with pytest.raises(HandlerTimeout):
                await deadlines.call(0.02, slow, 300.0, loop)

    loop = _ShiftedClock(shift)
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


async def test_the_written_out_form_times_out_as_a_call_does() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()

    async def waits() -> None:
        number = deadlines.start(0.02, loop)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError as exc:
            deadlines.cancelled(number, exc)
            raise
        finally:
            deadlines.end(number, 0.02)

    with pytest.raises(HandlerTimeout):
        await waits()
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    assert not any(deadlines._running.values())
    assert not deadlines._expired


# --- the resolution: a deadline bounded by the marks, on a loop whose clock the test moves ------


class _MovedClock(asyncio.SelectorEventLoop):
    """A loop whose clock the test moves forward (its timers come due at once)."""

    def __init__(self) -> None:
        super().__init__()
        self.moved = 0.0

    def time(self) -> float:
        return super().time() + self.moved


async def _turns(count: int = 5) -> None:
    """Let the loop run what is due (a timer the clock passed runs in the next turn)."""
    for _ in range(count):
        await asyncio.sleep(0)


def _on_moved_clock(main: Callable[[_MovedClock], Awaitable[None]]) -> None:
    loop = _MovedClock()
    try:
        loop.run_until_complete(main(loop))
    finally:
        loop.close()


LATE = resolution(10)
"""How late a deadline of 10 s may fire."""


def test_a_deadline_fires_never_early_and_at_most_the_resolution_late() -> None:
    async def main(loop: _MovedClock) -> None:
        deadlines = Deadlines()
        assert await deadlines.call(10, answer, 1) == 1
        loop.moved += 100  # a quiet spell: the timer stops marking
        await _turns()
        call = asyncio.ensure_future(deadlines.call(10, asyncio.sleep, 3600))
        await _turns()
        loop.moved += 10 - LATE / 2
        await _turns()
        assert not call.done()  # (its start was marked when it came: not a moment early)
        loop.moved += LATE
        await _turns()
        assert call.done()
        with pytest.raises(HandlerTimeout):
            call.result()

    _on_moved_clock(main)


def test_calls_started_while_the_timer_marks_get_the_next_mark() -> None:
    async def main(loop: _MovedClock) -> None:
        deadlines = Deadlines()
        first = asyncio.ensure_future(deadlines.call(10, asyncio.sleep, 3600))
        await _turns()
        loop.moved += LATE / 2
        second = asyncio.ensure_future(deadlines.call(10, asyncio.sleep, 3600))
        await _turns()
        loop.moved += LATE  # the timer marks: the second call started by now
        await _turns()
        loop.moved += 10 - LATE / 4  # the first call's deadline has passed
        await _turns()
        assert first.done()
        assert not second.done()  # (marked after it started: never early)
        loop.moved += LATE
        await _turns()
        for call in (first, second):
            with pytest.raises(HandlerTimeout):
                call.result()

    _on_moved_clock(main)


def test_marks_do_not_pile_up_behind_a_long_call() -> None:
    async def main(loop: _MovedClock) -> None:
        deadlines = Deadlines()
        long = asyncio.ensure_future(deadlines.call(10_000, asyncio.sleep, 3600))
        await _turns()
        for n in range(2000):
            loop.moved += resolution(10_000)  # a mark per call
            assert await deadlines.call(10_000, answer, n) == n
        assert len(deadlines._mark_numbers) < 100
        assert not long.done()
        loop.moved += 10_000
        await _turns()
        with pytest.raises(HandlerTimeout):
            long.result()
        assert not any(deadlines._running.values())

    _on_moved_clock(main)


def test_a_forward_only_route_times_out_through_a_server_within_the_resolution() -> None:
    release = asyncio.Event()

    async def stuck(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    async def main(loop: _MovedClock) -> None:
        app = web.Application()
        app.router.add_get("/item", stuck, name="shop:item")
        echo = (
            '<return-response><set-status code="599" reason="Echo" />'
            + set_header("X-Reason", "@(context.LastError.Reason)")
            + "</return-response>"
        )
        policy = policies_xml(backend='<forward-request timeout="10" />', on_error=echo)
        aiohttp_apim.setup(app, {"policy.xml": policy})
        async with TestClient(TestServer(app)) as client:
            # (the second request finds the first one's call running: the lane's own start)
            first, second = (asyncio.ensure_future(client.get("/item")) for _ in range(2))
            await _turns(50)
            loop.moved += LATE  # the timer marks: both started by now
            await _turns(50)
            loop.moved += 10 - LATE * 3 / 2
            await _turns(50)
            assert not first.done()
            loop.moved += LATE
            async with await first as response:
                assert (response.status, response.headers["X-Reason"]) == (599, "Timeout")
            loop.moved += LATE
            async with await second as response:
                assert (response.status, response.headers["X-Reason"]) == (599, "Timeout")

    _on_moved_clock(main)
