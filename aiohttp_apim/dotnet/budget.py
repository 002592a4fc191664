"""The expression budget: how much work the policy expressions of one request may do.

Expressions run on the event loop, so one that loops, backtracks or parses for long stalls every
other request. Each request therefore gets one :class:`Budget` that all of its expressions draw
from: loop iterations, the elements every LINQ operator passes on, regex matches (a match may run
only as long as the budget has time left), large strings built by builders and formatters, and
JSON/XML parsing (in proportion to the text). Two limits, whichever comes first:

* **steps**: a count of units of work, deterministic (a loop iteration or a LINQ element is one
  step; a string of ``n`` characters or a parse of ``n`` characters is about ``n / 1024``);
* **seconds**: CPU time of the thread spent inside the request's expressions (time spent between
  expressions, serving other requests, is not counted).

The check is cheap: callers take steps in slices (:meth:`Budget.take`) and count them down in a
local variable, and the CPU clock is read only when an evaluation first takes steps, then once
every :data:`CLOCK_EVERY` steps, and when a regex asks how long it may run. (An expression that
takes no steps, such as a cache key built from headers, never reads it.) Running out raises :class:`BudgetExceeded`, a ``BaseException`` that an
expression's ``catch`` cannot swallow; the compiled expression turns it into a .NET
``TimeoutException``, which the pipeline reports like any failing expression (``on-error`` with
``context.LastError``, Reason ``ExpressionValueEvaluationFailure``).

Which budget is drawn from is the :func:`current` one: the request's, which the pipeline sets in
:data:`CURRENT` for the request's task before each evaluation; outside a request (a compiled
expression called directly), a fresh budget of :data:`OUTSIDE_A_REQUEST` (loops of one evaluation
share theirs), or the one made current with :func:`using`.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, NoReturn, TypeVar

__all__ = [
    "CHARS_PER_STEP",
    "CLOCK_EVERY",
    "CURRENT",
    "DEFAULT_LIMITS",
    "FREE_CHARS",
    "OUTSIDE_A_REQUEST",
    "SLICE",
    "Budget",
    "BudgetExceeded",
    "BudgetLimits",
    "charge_chars",
    "current",
    "metered",
    "using",
]

T = TypeVar("T")

SLICE: Final = 1024
"""Most steps a loop or an enumeration takes at once (and so counts down before it asks again)."""

CLOCK_EVERY: Final = 1024
"""Most steps between two reads of the CPU clock (a read costs about as much as 10 loop
iterations); an evaluation also reads it when it first takes steps, which starts its count."""

CHARS_PER_STEP: Final = 1024
"""A string (or a text parsed) this long costs one step: strings are built at C speed."""

FREE_CHARS: Final = 8 * CHARS_PER_STEP
"""Strings shorter than this cost nothing extra (the step that made them is enough)."""


@dataclass(frozen=True, slots=True)
class BudgetLimits:
    """The limits of one request's budget (see the module docstring for what a step is)."""

    seconds: float = 0.05
    """CPU seconds the request's expressions may run, all together."""
    steps: int = 100_000
    """Steps the request's expressions may take, all together."""

    def __post_init__(self) -> None:
        if not 0 < self.seconds < float("inf"):
            raise ValueError(f"an expression budget needs seconds > 0, got {self.seconds!r}")
        if self.steps < 1:
            raise ValueError(f"an expression budget needs steps >= 1, got {self.steps!r}")


DEFAULT_LIMITS: Final = BudgetLimits()

OUTSIDE_A_REQUEST: Final = BudgetLimits(seconds=60.0, steps=DEFAULT_LIMITS.steps)
"""The limits of an evaluation outside a request (a compiled expression called directly): the
default steps, and CPU time that only guards against a runaway (the CPU budget protects the event
loop of a gateway, which such a call is not known to run on)."""


class BudgetExceeded(BaseException):
    """The budget ran out. Deliberately not an ``Exception`` (nor an ExpressionError), so that
    neither an expression's ``catch`` nor the library's conversion of a lambda's exceptions can
    swallow it; ``message`` is the .NET TimeoutException's message the expression fails with."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Budget:
    """One request's budget (one evaluation's, outside a request). Not thread-safe: a request's
    expressions run one at a time, on one thread."""

    __slots__ = ("_spent", "_until_clock", "limits", "started", "steps_left")

    def __init__(self, limits: BudgetLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.steps_left = limits.steps
        self._spent = 0.0  # CPU seconds of earlier evaluations
        self.started: float | None = None
        """The thread's CPU clock when this evaluation began to count (None: not counting)."""
        self._until_clock = CLOCK_EVERY

    # -- drawing -------------------------------------------------------------------------------

    def take(self, n: int = SLICE) -> int:
        """Charge ``n`` steps now (the caller counts them down itself) and return ``n``."""
        left = self.steps_left - n
        self.steps_left = left
        if left < 0:
            self._out_of_steps()
        until = self._until_clock - n
        if until <= 0 or self.started is None:
            self._check_clock()
            until = CLOCK_EVERY
        self._until_clock = until
        return n

    def seconds_left(self) -> float:
        """CPU seconds left, read from the clock now (for work that bounds itself by time, such
        as a regex match); raises :class:`BudgetExceeded` when none are."""
        left = self.limits.seconds - self._used(time.thread_time())
        if left <= 0:
            self._out_of_time()
        return left

    def pause(self) -> None:
        """An evaluation ended: stop counting CPU time until the next one reads the clock."""
        since = self.started
        if since is not None:
            self._spent += time.thread_time() - since
            self.started = None

    # -- running out ---------------------------------------------------------------------------

    def _used(self, now: float) -> float:
        since = self.started
        if since is None:
            self.started = since = now
        return self._spent + (now - since)

    def _check_clock(self) -> None:
        if self._used(time.thread_time()) > self.limits.seconds:
            self._out_of_time()

    def _out_of_steps(self) -> NoReturn:
        self.steps_left = -1  # every later draw fails too
        raise BudgetExceeded(
            "The policy expressions of this request exceeded their budget of "
            f"{self.limits.steps} steps (loop iterations, LINQ elements, parsing and string "
            "building)."
        )

    def exhausted(self) -> NoReturn:
        """Fail for lack of time (work that bounded itself by :meth:`seconds_left` ran out)."""
        self._out_of_time()

    def _out_of_time(self) -> NoReturn:
        self.steps_left = -1
        raise BudgetExceeded(
            "The policy expressions of this request exceeded their budget of "
            f"{self.limits.seconds * 1000:g} ms of CPU time."
        )


CURRENT: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "aiohttp_apim_expression_budget", default=None
)
"""The budget of the running request (the pipeline sets it); None outside a request."""


def current() -> Budget:
    """The budget work is drawn from now: the request's, or a fresh one (`OUTSIDE_A_REQUEST`)."""
    budget = CURRENT.get()
    return Budget(OUTSIDE_A_REQUEST) if budget is None else budget


@contextlib.contextmanager
def using(budget: Budget) -> Iterator[Budget]:
    """``with using(Budget(limits)):`` -- expressions run inside the block (called directly,
    outside a request) draw from ``budget``."""
    token = CURRENT.set(budget)
    try:
        yield budget
    finally:
        CURRENT.reset(token)


def metered(items: Iterable[T]) -> Iterator[T]:
    """``items``, charging one step of the current budget per item (in growing slices, so that
    a short enumeration takes few steps it does not use)."""
    budget = current()
    left = 0
    size = 16
    for item in items:
        left -= 1
        if left < 0:
            left = budget.take(size) - 1
            if size < SLICE:
                size *= 4
        yield item


def charge_chars(n: int) -> None:
    """Charge the current budget for a string (or a text parsed) of ``n`` characters; short
    ones are free."""
    if n >= FREE_CHARS:
        current().take(n // CHARS_PER_STEP)
