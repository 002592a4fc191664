"""A circuit breaker for a remote cache, so that a cache that is down costs no timeout per request.

States::

    closed ──(N consecutive failures)──► open ──(cool-down elapsed, next call)──► half-open
      ▲                                   ▲                                          │
      └────────────(the probe succeeds)───┼──────────────────────────────────────────┤
                                          └──(the probe fails: cool-down doubles)────┘

*Closed*: every call goes through; a success resets the failure count. *Open*: calls are refused
at once (the caller raises without touching the network). *Half-open*: the first call after the
cool-down is let through as the one probe, and every other call is refused until it reports. A
probe that succeeds closes the breaker and resets the cool-down; one that fails opens it again for
twice the cool-down, up to ``max_cooldown``. A probe abandoned without an outcome (its task was
cancelled) lets the next call probe straight away.

Each call reports its outcome with the ticket :meth:`CircuitBreaker.before_call` gave it, so a
late outcome of a call that began in an earlier state (a failure landing after the breaker opened,
an old probe's result) changes nothing.

The module is pure: no I/O besides logging, no event loop, time from an injectable monotonic
clock, so that its tests step time instead of sleeping. It logs each state change once: a warning
when it opens, info when it closes; probes that fail while open are logged at debug level.
"""

from __future__ import annotations

import enum
import logging
import math
import time
from collections.abc import Callable

__all__ = ["BreakerState", "CircuitBreaker"]

logger = logging.getLogger(__name__)


class BreakerState(enum.Enum):
    """Where a :class:`CircuitBreaker` is."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


# The ticket of a call made while the breaker is closed; a probe's ticket is its serial, >= 1.
_ORDINARY = 0


class CircuitBreaker:
    """Refuses calls to a backend that keeps failing, and probes it now and then until it is back.

    ``failure_threshold`` consecutive failures open the breaker for ``cooldown`` seconds; each
    failed probe doubles the cool-down, up to ``max_cooldown``. ``clock`` returns monotonic
    seconds (default :func:`time.monotonic`). ``name`` says in log messages which backend the
    breaker guards (a cache given a breaker without a name gives it its own).

    Usage, for each call::

        ticket = breaker.before_call()
        if ticket is None:
            ...  # refused: fail at once
        try:
            result = await call()
        except asyncio.CancelledError:
            breaker.on_abandon(ticket)
            raise
        except BackendDown:
            breaker.on_failure(ticket)
            raise
        breaker.on_success(ticket)

    Not thread-safe: use it from one event loop's thread (nothing here awaits, so it is atomic
    among the tasks of a loop).
    """

    def __init__(
        self,
        *,
        failure_threshold: int = 3,
        cooldown: float = 1.0,
        max_cooldown: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        name: str = "",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError(f"failure_threshold must be >= 1, got {failure_threshold!r}")
        if not 0.0 < cooldown < math.inf:
            raise ValueError(f"cooldown must be a finite number of seconds > 0, got {cooldown!r}")
        if not cooldown <= max_cooldown < math.inf:
            raise ValueError(
                f"max_cooldown must be finite and >= cooldown ({cooldown!r}), got {max_cooldown!r}"
            )
        self.name = name
        self._threshold = failure_threshold
        self._base_cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._cooldown = cooldown
        self._retry_at = 0.0  # open: when the next probe may go
        self._opened_at = 0.0  # when the current outage began (for the "closed" log line)
        self._probe = _ORDINARY  # serial of the probe in flight (half-open)
        self._probe_started = 0.0
        self._serial = 0
        self.changes: dict[BreakerState, int] = dict.fromkeys(BreakerState, 0)
        """How many times the breaker has entered each state (metrics read them)."""

    def clone(self, name: str) -> CircuitBreaker:
        """A new breaker, closed, with this one's settings and clock (one per cluster node)."""
        return CircuitBreaker(
            failure_threshold=self._threshold,
            cooldown=self._base_cooldown,
            max_cooldown=self._max_cooldown,
            clock=self._clock,
            name=name,
        )

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self._who()!r} {self._state.value} failures={self._failures}>"

    # -- observation ------------------------------------------------------------------------

    @property
    def state(self) -> BreakerState:
        """The current state. An open breaker whose cool-down has passed still reads ``OPEN``
        until the next call becomes the probe."""
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures counted while closed (0 after a success)."""
        return self._failures

    @property
    def cooldown(self) -> float:
        """The cool-down that the breaker waits (or will wait) before its next probe, in seconds."""
        return self._cooldown

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through (0 when closed or due)."""
        if self._state is BreakerState.OPEN:
            return max(0.0, self._retry_at - self._clock())
        return 0.0

    # -- the call protocol ------------------------------------------------------------------

    def before_call(self) -> int | None:
        """Ask to make a call. Returns a ticket to report the outcome with, or ``None`` when
        the call must not be made (the breaker is open, or a probe is already in flight)."""
        state = self._state
        if state is BreakerState.CLOSED:
            return _ORDINARY
        now = self._clock()
        if state is BreakerState.OPEN:
            if now < self._retry_at:
                return None
            self._enter(BreakerState.HALF_OPEN)
            return self._start_probe(now)
        # Half-open with a probe in flight. Its outcome always comes back (callers report in a
        # finally), but should one ever be lost, a new probe goes after a cool-down rather than
        # the breaker staying half-open for good.
        if now - self._probe_started >= self._cooldown:
            return self._start_probe(now)
        return None

    def on_success(self, ticket: int) -> None:
        """Report that the call holding ``ticket`` reached the backend and got an answer."""
        if ticket == _ORDINARY:
            if self._state is BreakerState.CLOSED:
                self._failures = 0
            return
        if self._state is BreakerState.HALF_OPEN and ticket == self._probe:
            outage = self._clock() - self._opened_at
            self._enter(BreakerState.CLOSED)
            self._failures = 0
            self._cooldown = self._base_cooldown
            self._probe = _ORDINARY
            logger.info("%s is reachable again; circuit closed after %.1f s", self._who(), outage)

    def on_failure(self, ticket: int) -> None:
        """Report that the call holding ``ticket`` failed to reach the backend (or timed out)."""
        if ticket == _ORDINARY:
            if self._state is not BreakerState.CLOSED:
                return  # a call from before the breaker opened: already counted in
            self._failures += 1
            if self._failures >= self._threshold:
                self._open(f"failed {self._failures} times in a row")
            return
        if self._state is BreakerState.HALF_OPEN and ticket == self._probe:
            self._cooldown = min(self._cooldown * 2, self._max_cooldown)
            self._enter(BreakerState.OPEN)
            self._retry_at = self._clock() + self._cooldown
            self._probe = _ORDINARY
            logger.debug("%s probe failed; next probe in %.1f s", self._who(), self._cooldown)

    def on_outage(self, ticket: int, reason: str) -> None:
        """Report that the call holding ``ticket`` found no connection to the backend at all
        (``reason`` says why): the backend is down, so a closed breaker opens at once rather
        than after ``failure_threshold`` failures, and the calls that find it so while the
        breaker is open count for nothing. A probe's outcome is a failure like any other."""
        if ticket != _ORDINARY:
            self.on_failure(ticket)
        elif self._state is BreakerState.CLOSED:
            self._failures += 1
            self._open(f"is unreachable: {reason}")

    def on_abandon(self, ticket: int) -> None:
        """Report that the call holding ``ticket`` ended without an outcome (it was cancelled).

        An abandoned probe says nothing about the backend, so the next call probes at once.
        """
        if ticket != _ORDINARY and self._state is BreakerState.HALF_OPEN and ticket == self._probe:
            self._enter(BreakerState.OPEN)
            self._retry_at = self._clock()
            self._probe = _ORDINARY

    # -- internals --------------------------------------------------------------------------

    def _enter(self, state: BreakerState) -> None:
        self._state = state
        self.changes[state] += 1

    def _who(self) -> str:
        return self.name or "cache"

    def _open(self, why: str) -> None:
        now = self._clock()
        self._enter(BreakerState.OPEN)
        self._opened_at = now
        self._retry_at = now + self._cooldown
        logger.warning(
            "%s %s; circuit open: calls fail at once, next probe in %.1f s",
            self._who(),
            why,
            self._cooldown,
        )

    def _start_probe(self, now: float) -> int:
        self._serial += 1
        self._probe = self._serial
        self._probe_started = now
        return self._serial
