"""CircuitBreaker: pure state machine tests on a manual clock."""

from __future__ import annotations

import logging
import math

import pytest

from aiohttp_apim.cache.breaker import BreakerState, CircuitBreaker
from tests.cache.contract import ManualClock


def state(breaker: CircuitBreaker) -> BreakerState:
    """The breaker's state (a call, so that mypy does not narrow it from one assert to the next)."""
    return breaker.state


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def breaker(clock: ManualClock) -> CircuitBreaker:
    return CircuitBreaker(failure_threshold=3, cooldown=5.0, max_cooldown=60.0, clock=clock)


def fail(breaker: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        ticket = breaker.before_call()
        assert ticket is not None
        breaker.on_failure(ticket)


def succeed(breaker: CircuitBreaker) -> None:
    ticket = breaker.before_call()
    assert ticket is not None
    breaker.on_success(ticket)


def open_breaker(breaker: CircuitBreaker) -> None:
    fail(breaker, 3)
    assert state(breaker) is BreakerState.OPEN


# -- closed -----------------------------------------------------------------------------------


def test_a_new_breaker_is_closed_and_lets_calls_through(breaker: CircuitBreaker) -> None:
    assert state(breaker) is BreakerState.CLOSED
    for _ in range(10):
        succeed(breaker)
    assert breaker.retry_in() == 0.0


def test_it_opens_after_the_threshold_of_consecutive_failures(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    assert state(breaker) is BreakerState.CLOSED
    fail(breaker)
    assert state(breaker) is BreakerState.OPEN
    assert breaker.before_call() is None


def test_a_success_resets_the_failure_count(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    succeed(breaker)
    fail(breaker, 2)
    assert state(breaker) is BreakerState.CLOSED
    fail(breaker)
    assert state(breaker) is BreakerState.OPEN


def test_concurrent_calls_failing_together_count_each(breaker: CircuitBreaker) -> None:
    tickets = [breaker.before_call() for _ in range(5)]
    assert all(t is not None for t in tickets)
    for ticket in tickets:
        assert ticket is not None
        breaker.on_failure(ticket)
    assert state(breaker) is BreakerState.OPEN


def test_abandoned_ordinary_calls_change_nothing(breaker: CircuitBreaker) -> None:
    fail(breaker, 2)
    ticket = breaker.before_call()
    assert ticket is not None
    breaker.on_abandon(ticket)
    assert state(breaker) is BreakerState.CLOSED
    fail(breaker)  # still the third consecutive failure
    assert state(breaker) is BreakerState.OPEN


# -- open and half-open -----------------------------------------------------------------------


def test_open_refuses_until_the_cooldown_then_lets_one_probe_through(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    open_breaker(breaker)
    clock.advance(4.9)
    assert breaker.before_call() is None
    assert breaker.retry_in() == pytest.approx(0.1)
    clock.advance(0.1)
    probe = breaker.before_call()
    assert probe is not None
    assert state(breaker) is BreakerState.HALF_OPEN
    # Only one probe at a time.
    assert breaker.before_call() is None
    assert breaker.before_call() is None


def test_a_successful_probe_closes_the_breaker(breaker: CircuitBreaker, clock: ManualClock) -> None:
    open_breaker(breaker)
    clock.advance(5)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_success(probe)
    assert state(breaker) is BreakerState.CLOSED
    succeed(breaker)
    # Closed afresh: it takes the full threshold again to open.
    fail(breaker, 2)
    assert state(breaker) is BreakerState.CLOSED


def test_a_failed_probe_reopens_with_a_doubled_cooldown_up_to_the_maximum(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    open_breaker(breaker)
    waits = []
    for _ in range(7):
        waits.append(breaker.cooldown)
        clock.advance(breaker.cooldown - 0.01)
        assert breaker.before_call() is None
        clock.advance(0.01)
        probe = breaker.before_call()
        assert probe is not None
        breaker.on_failure(probe)
        assert state(breaker) is BreakerState.OPEN
    assert waits == [5, 10, 20, 40, 60, 60, 60]


def test_the_cooldown_resets_when_the_breaker_closes(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    open_breaker(breaker)
    clock.advance(5)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_failure(probe)
    assert breaker.cooldown == 10
    clock.advance(10)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_success(probe)
    assert breaker.cooldown == 5
    open_breaker(breaker)
    assert breaker.retry_in() == 5


def test_an_abandoned_probe_lets_the_next_call_probe_at_once(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    open_breaker(breaker)
    clock.advance(5)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_abandon(probe)
    assert state(breaker) is BreakerState.OPEN
    assert breaker.retry_in() == 0
    again = breaker.before_call()
    assert again is not None
    assert again != probe
    breaker.on_success(again)
    assert state(breaker) is BreakerState.CLOSED


def test_a_lost_probe_is_replaced_after_a_cooldown(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    open_breaker(breaker)
    clock.advance(5)
    lost = breaker.before_call()
    assert lost is not None
    clock.advance(4.9)
    assert breaker.before_call() is None
    clock.advance(0.1)
    probe = breaker.before_call()
    assert probe is not None
    # The lost probe's late outcome is not the current probe's: it changes nothing.
    breaker.on_success(lost)
    assert state(breaker) is BreakerState.HALF_OPEN
    breaker.on_success(probe)
    assert state(breaker) is BreakerState.CLOSED


def test_late_outcomes_of_calls_from_before_the_opening_change_nothing(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    slow = breaker.before_call()
    assert slow is not None
    open_breaker(breaker)
    breaker.on_success(slow)  # e.g. a reply that arrived just after the others failed
    assert state(breaker) is BreakerState.OPEN
    breaker.on_failure(slow)
    assert breaker.retry_in() == 5
    clock.advance(5)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_failure(slow)
    breaker.on_success(slow)
    assert state(breaker) is BreakerState.HALF_OPEN
    breaker.on_success(probe)
    assert state(breaker) is BreakerState.CLOSED


def test_a_threshold_of_one_opens_on_the_first_failure(clock: ManualClock) -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=clock)
    fail(breaker)
    assert state(breaker) is BreakerState.OPEN


# -- logging ----------------------------------------------------------------------------------


def test_state_changes_are_logged_once_not_per_call(
    breaker: CircuitBreaker, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    breaker.name = "redis cache at 127.0.0.1:6379/0"
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.cache.breaker")
    open_breaker(breaker)
    for _ in range(100):
        assert breaker.before_call() is None
    clock.advance(5)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_failure(probe)
    clock.advance(10)
    probe = breaker.before_call()
    assert probe is not None
    breaker.on_success(probe)
    for _ in range(100):
        succeed(breaker)
    records = [(r.levelno, r.getMessage()) for r in caplog.records]
    warnings = [m for level, m in records if level == logging.WARNING]
    infos = [m for level, m in records if level == logging.INFO]
    assert len(warnings) == 1
    assert "redis cache at 127.0.0.1:6379/0" in warnings[0]
    assert "open" in warnings[0]
    assert len(infos) == 1
    assert "closed" in infos[0]
    assert "15.0 s" in infos[0]  # the outage lasted 5 + 10 s
    assert len(records) == 3  # and one debug line for the failed probe


# -- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"failure_threshold": 0},
        {"cooldown": 0},
        {"cooldown": -1},
        {"cooldown": math.nan},
        {"cooldown": math.inf},
        {"cooldown": 10, "max_cooldown": 5},
        {"max_cooldown": math.inf},
    ],
)
def test_bad_parameters_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        CircuitBreaker(**kwargs)  # type: ignore[arg-type]


def test_defaults_and_repr() -> None:
    breaker = CircuitBreaker(name="x")
    assert breaker.cooldown == 1.0
    assert state(breaker) is BreakerState.CLOSED
    assert "closed" in repr(breaker)
    fail(breaker, 2)
    assert state(breaker) is BreakerState.CLOSED
    fail(breaker)
    assert state(breaker) is BreakerState.OPEN
    assert 0 < breaker.retry_in() <= 1.0


def test_failures_counts_consecutive_failures_while_closed(breaker: CircuitBreaker) -> None:
    assert breaker.failures == 0
    fail(breaker, 2)
    assert breaker.failures == 2
    succeed(breaker)
    assert breaker.failures == 0


def test_a_clone_has_the_settings_and_clock_but_not_the_state(
    breaker: CircuitBreaker, clock: ManualClock
) -> None:
    open_breaker(breaker)
    twin = breaker.clone("node 10.0.0.2:6379")
    assert twin.name == "node 10.0.0.2:6379"
    assert state(twin) is BreakerState.CLOSED
    assert twin.cooldown == breaker.cooldown
    fail(twin, 3)
    assert state(twin) is BreakerState.OPEN
    assert twin.retry_in() == breaker.cooldown  # on the same (stepped) clock
    clock.advance(twin.cooldown)
    assert twin.before_call() is not None


# -- an outage (no connection at all) ---------------------------------------------------------


def test_an_outage_opens_it_at_once_and_counts_once(
    breaker: CircuitBreaker, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aiohttp_apim.cache.breaker")
    tickets = [breaker.before_call() for _ in range(50)]  # calls in flight when it is found
    for ticket in tickets:
        assert ticket is not None
        breaker.on_outage(ticket, "refused")
    assert state(breaker) is BreakerState.OPEN
    assert breaker.failures == 1
    assert breaker.retry_in() == 5.0
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "unreachable: refused" in caplog.records[0].getMessage()
    # A probe that finds it still unreachable fails like any probe: the cool-down doubles.
    clock.advance(5.0)
    probe = breaker.before_call()
    assert probe  # a probe's ticket, not an ordinary call's (0)
    breaker.on_outage(probe, "refused")
    assert state(breaker) is BreakerState.OPEN
    assert breaker.retry_in() == 10.0
    clock.advance(10.0)
    succeed(breaker)
    assert state(breaker) is BreakerState.CLOSED
