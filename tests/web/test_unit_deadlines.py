"""forward-request's time limit kept by one timer for every call (web/deadlines.py)."""

from __future__ import annotations

import asyncio

import pytest

from aiohttp_apim.web.deadlines import Deadlines, HandlerTimeout


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
