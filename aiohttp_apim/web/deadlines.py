"""forward-request's time limit on the handler, at next to no cost per call.

Every forward-request has a timeout (APIM's default is 300 seconds), and nearly every call ends
long before it. ``asyncio.timeout()`` schedules and cancels a timer per call (about 4 us, more
than the rest of a forwarded request through the gateway). Here the calls running with one
timeout are kept in a dict in the order they started (by a call number that grows), so a call
costs one insertion and one removal -- and no clock: a call does not note when it started.
Instead one timer per event loop, while calls keep starting, marks the time every so often (the
:func:`resolution` of the shortest timeout running) together with the next call number: every call numbered below a mark
started at or before its time, so its deadline is at most that time plus its timeout. The timer
wakes when the oldest call's deadline so bounded is due and cancels the calls still running
past it, exactly as ``asyncio.timeout()`` would (the handler sees ``CancelledError``; the caller
gets :class:`HandlerTimeout`). A deadline never fires early, and at most its resolution late
(plus however late the event loop runs the timer): :data:`RESOLUTION` of the timeout, at least
:data:`FINEST` and at most :data:`COARSEST` seconds. A start after a quiet spell marks the
time itself, once, so the timer never wakes while nothing starts or expires.

A finished call leaves nothing behind: memory follows the calls in flight (and the marks between
them, a few per running call at most). (An earlier version kept finished calls on a heap
until it was rebuilt; the garbage it left cost a forwarded request about 3 us under load.)

A call is :meth:`Deadlines.call` (a coroutine), or its three synchronous steps written out around
the caller's own ``await`` (:meth:`~Deadlines.start`, :meth:`~Deadlines.cancelled`,
:meth:`~Deadlines.end`): the forward-only lane does that, as each coroutine awaited costs a
request about 1,200 instructions.
"""

from __future__ import annotations

import asyncio
import asyncio.tasks
import bisect
import inspect
import itertools
import math
from asyncio import current_task
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp_apim.errors import PolicyRuntimeError

__all__ = ["COARSEST", "FINEST", "RESOLUTION", "Deadlines", "HandlerTimeout", "resolution"]

T = TypeVar("T")
A = TypeVar("A")

RESOLUTION = 1 / 256
"""A deadline fires at most this share of its timeout late, kept within :data:`FINEST` and
:data:`COARSEST` seconds (:func:`resolution`; 1 s for APIM's default 300 s): while calls start,
the timer marks the time (and so wakes) once per the resolution of the shortest timeout
running."""

FINEST = 0.001
"""Seconds: the timer marks the time at most this often."""

COARSEST = 1.0
"""Seconds: a deadline fires at most this late, however long its timeout."""


def resolution(timeout: float) -> float:
    """How late (seconds) a deadline of ``timeout`` seconds may fire (see :data:`RESOLUTION`)."""
    return min(max(timeout * RESOLUTION, FINEST), COARSEST)


_SPARE_MARKS = 64
"""Marks kept beyond two per running call before the ones no call needs are dropped."""

_TaskOf = Callable[[asyncio.AbstractEventLoop], "asyncio.Task[object] | None"]


def _fast_task_of() -> _TaskOf:
    """``current_task(loop)`` without its Python call where that is all it does: on Python
    3.11 it is a Python function reading ``asyncio.tasks._current_tasks`` (the call cost a
    forwarded request about 1,200 instructions). Each loop a :class:`Deadlines` binds to
    checks the shortcut against ``current_task`` first (:meth:`Deadlines._reset`)."""
    tasks = getattr(asyncio.tasks, "_current_tasks", None)
    if inspect.isfunction(current_task) and isinstance(tasks, dict):
        return tasks.get
    return current_task


_TASK_OF = _fast_task_of()


class HandlerTimeout(PolicyRuntimeError):
    """The handler did not answer within forward-request's timeout (Reason ``Timeout``)."""


_Running = dict[int, tuple["asyncio.Task[object]", int]]
"""The calls running with one timeout, by call number, in the order they started: each one's
task, and how many cancellations that task had pending when the call started."""

_Expired = dict[int, tuple["asyncio.Task[object]", int, float]]
"""The calls cancelled for their deadline that have not yet seen it, by call number: each one's
task, its pending cancellations when the call started, and its timeout."""


class Deadlines:
    """Time limits for the calls made on one event loop (see the module docstring).

    A call is :meth:`call`, or, to spare a coroutine per call, the same written out around the
    caller's own ``await``::

        number = deadlines.start(timeout, loop)
        try:
            return await function(arg)
        except asyncio.CancelledError as exc:
            deadlines.cancelled(number, exc)  # raises HandlerTimeout when it was the deadline
            raise
        finally:
            deadlines.end(number, timeout)

    The forward-only lane (``web/middleware.py``) writes ``start`` and ``end`` out too, for
    the usual case: when the bound loop's task is running (``_task_of(_loop)``), calls of
    the timeout are running (``_running[timeout]``) and the timer is marking (``_ticking``),
    a start is only ``running[next(_numbers)] = (task, task.cancelling())``, and an end
    ``running.pop(number)`` (calling :meth:`end` when that finds nothing). Anything else goes
    through :meth:`start`.
    """

    __slots__ = (
        "_expired",
        "_loop",
        "_mark_numbers",
        "_mark_times",
        "_numbers",
        "_period",
        "_running",
        "_task_of",
        "_ticking",
        "_timer",
        "_wake_at",
    )

    def __init__(self) -> None:
        self._running: dict[float, _Running] = {}
        """By timeout: the calls running with it."""
        self._expired: _Expired = {}
        self._numbers = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task_of: _TaskOf = current_task
        """The task running on the bound loop (None: none is), checked for that loop."""
        self._mark_times: list[float] = []
        self._mark_numbers: list[int] = []
        """The marks, oldest first: every call numbered below ``_mark_numbers[i]`` started at
        or before ``_mark_times[i]`` (the loop's time)."""
        self._ticking = False
        """Whether the timer marks the time every :attr:`_period` (calls keep starting)."""
        self._period = COARSEST
        """Seconds between marks: the resolution of the shortest timeout running."""
        self._timer: asyncio.TimerHandle | None = None
        self._wake_at = math.inf
        """When the timer wakes up (infinity: there is none)."""

    async def call(
        self,
        timeout: float,
        function: Callable[[A], Awaitable[T]],
        arg: A,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> T:
        """``await function(arg)``, cancelled after ``timeout`` seconds: then raises
        :class:`HandlerTimeout`. ``loop`` is the running loop, when the caller knows it (it
        costs nothing to leave out while the calls keep to one loop)."""
        number = self.start(timeout, loop)
        try:
            return await function(arg)
        except asyncio.CancelledError as exc:
            self.cancelled(number, exc)
            raise
        finally:
            self.end(number, timeout)

    def start(self, timeout: float, loop: asyncio.AbstractEventLoop | None) -> int:
        """Start a call of the current task with ``timeout`` seconds; its number, for
        :meth:`cancelled` and :meth:`end`. ``loop``: as for :meth:`call`."""
        bound = self._loop
        if (loop is not bound and loop is not None) or bound is None:
            return self._start_anew(timeout, loop)
        # (with no loop given, a task on the bound loop is this call's: this thread runs one
        # loop at a time, and a gateway's calls run on one loop)
        task = self._task_of(bound)
        if task is None:  # (not that loop's call: find the running one)
            return self._start_anew(timeout, None)
        running = self._running.get(timeout)
        if running is None:  # (a timeout new to the running calls: marks at its resolution)
            running = self._running[timeout] = {}
            self._ticking = False
        number = next(self._numbers)
        running[number] = (task, task.cancelling())
        if not self._ticking:  # the first call after a quiet spell: mark its start now
            self._mark(bound)
        return number

    def _start_anew(self, timeout: float, loop: asyncio.AbstractEventLoop | None) -> int:
        task = None if loop is None else current_task(loop)
        if task is None or loop is None:  # (none given, or not that loop's: find the running one)
            task = current_task()
            assert task is not None
            loop = task.get_loop()
        if loop is not self._loop:  # a new loop (tests make one each): the old one is gone
            self._reset(loop)
        return self.start(timeout, loop)

    def cancelled(self, number: int, exc: asyncio.CancelledError) -> None:
        """Call ``number`` was cancelled (``exc``): when its deadline did it, and no one else
        did too, the cancellation is taken back and :class:`HandlerTimeout` raised; otherwise
        nothing happens (the caller raises ``exc`` on)."""
        expired = self._expired.pop(number, None)
        if expired is not None:
            task, cancelling, timeout = expired
            if task.uncancel() <= cancelling:
                raise HandlerTimeout(
                    f"The backend (the route's handler) did not answer within {timeout} seconds",
                    reason="Timeout",
                ) from exc

    def end(self, number: int, timeout: float) -> None:
        """Call ``number`` (started with ``timeout``) ended, however it did."""
        running = self._running.get(timeout)
        if running is not None and running.pop(number, None) is not None:
            return
        expired = self._expired.pop(number, None)
        if expired is not None:  # expired as it finished: take the cancellation back
            expired[0].uncancel()

    def _reset(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._loop = loop
        task = current_task(loop)
        self._task_of = _TASK_OF if task is not None and _TASK_OF(loop) is task else current_task
        self._timer = None
        self._wake_at = math.inf
        self._ticking = False
        self._period = COARSEST
        self._mark_times = []
        self._mark_numbers = []
        self._running = {}
        self._expired = {}

    def _mark(self, loop: asyncio.AbstractEventLoop) -> None:
        """Mark the time: every call started so far started by now. The timer then marks it
        again every :attr:`_period` while calls keep starting."""
        now = loop.time()
        self._mark_times.append(now)
        self._mark_numbers.append(next(self._numbers))
        self._ticking = True
        self._period = resolution(min(self._running, default=math.inf))
        if now + self._period < self._wake_at:
            self._schedule(loop, now + self._period)

    def _schedule(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._wake_at = when
        self._timer = loop.call_at(when, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self._wake_at = math.inf
        loop = self._loop
        assert loop is not None
        now = loop.time()
        times, numbers = self._mark_times, self._mark_numbers
        number = next(self._numbers)
        if numbers and number == numbers[-1] + 1:  # nothing started since the last mark
            self._ticking = False
        else:
            times.append(now)
            numbers.append(number)
        due = self._expire(now)
        self._forget_marks()
        if self._ticking:
            self._period = resolution(min(self._running, default=math.inf))
            due = min(due, now + self._period)
        if due < math.inf:
            self._schedule(loop, max(due, now))

    def _expire(self, now: float) -> float:
        """Cancel the calls past their deadline; when the next one is due."""
        times, numbers = self._mark_times, self._mark_numbers
        due = math.inf
        for timeout, running in list(self._running.items()):
            while running:  # the oldest first: their deadlines come first
                number = next(iter(running))
                mark = bisect.bisect(numbers, number)
                if mark == len(numbers):  # started after the last mark: not due yet
                    break
                deadline = times[mark] + timeout
                if deadline > now:
                    due = min(due, deadline)
                    break
                task, cancelling = running.pop(number)
                if not task.done():
                    self._expired[number] = (task, cancelling, timeout)
                    task.cancel()
            if not running:
                del self._running[timeout]
        return due

    def _forget_marks(self) -> None:
        """Drop the marks no running call needs: those before the oldest one's, and, when a
        few calls run long while many others come and go, all but each call's own."""
        numbers = self._mark_numbers
        runs = self._running.values()  # (none empty after _expire)
        if not runs:  # (the last mark tells whether calls started since)
            del numbers[:-1], self._mark_times[:-1]
            return
        first = bisect.bisect(numbers, min(next(iter(running)) for running in runs))
        if first:
            del numbers[:first], self._mark_times[:first]
        if len(numbers) > _SPARE_MARKS + 2 * sum(map(len, runs)):
            times = self._mark_times
            # (a call's mark is the first one past its number: keeping a subset of the marks
            # that holds each call's keeps every call's)
            needed = {bisect.bisect(numbers, number) for running in runs for number in running}
            kept = sorted({i for i in needed if i < len(numbers)} | {len(numbers) - 1})
            self._mark_numbers = [numbers[i] for i in kept]
            self._mark_times = [times[i] for i in kept]
