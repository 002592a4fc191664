"""forward-request's time limit on the handler, at next to no cost per call.

Every forward-request has a timeout (APIM's default is 300 seconds), and nearly every call ends
long before it. ``asyncio.timeout()`` schedules and cancels a timer per call (about 4 us, more
than the rest of a forwarded request through the gateway). Here the calls running with one
timeout are kept in a dict in the order they started -- which, for one timeout, is the order of
their deadlines -- so a call costs one insertion and one removal, and one timer per event loop
wakes up when the earliest deadline is due (at most once per :data:`RESOLUTION`) and cancels the
calls still running past theirs, exactly as ``asyncio.timeout()`` would (the handler sees
``CancelledError``; the caller gets :class:`HandlerTimeout`). A deadline fires at most
:data:`RESOLUTION` late.

A finished call leaves nothing behind: memory follows the calls in flight. (An earlier version
kept finished calls on a heap until it was rebuilt; the garbage it left cost a forwarded
request about 3 us under load.)

A call is :meth:`Deadlines.call` (a coroutine), or its three synchronous steps written out around
the caller's own ``await`` (:meth:`~Deadlines.start`, :meth:`~Deadlines.cancelled`,
:meth:`~Deadlines.end`): the forward-only lane does that, as each coroutine awaited costs a
request about 1,200 instructions.
"""

from __future__ import annotations

import asyncio
import asyncio.tasks
import inspect
import itertools
import math
import time
from asyncio import current_task
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp_apim.errors import PolicyRuntimeError

__all__ = ["RESOLUTION", "Deadlines", "HandlerTimeout"]

T = TypeVar("T")
A = TypeVar("A")

RESOLUTION = 0.001
"""Seconds: the timer wakes at most this often, so a deadline fires at most this late."""

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


_Running = dict[int, tuple[float, "asyncio.Task[object]", int]]
"""The calls running with one timeout, by call number, in the order they started: each one's
deadline, task, and how many cancellations that task had pending when the call started."""

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
    """

    __slots__ = (
        "_clock",
        "_expired",
        "_loop",
        "_numbers",
        "_running",
        "_task_of",
        "_timer",
        "_wake_at",
    )

    def __init__(self) -> None:
        self._running: dict[float, _Running] = {}
        """By timeout: the calls running with it."""
        self._expired: _Expired = {}
        self._numbers = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: Callable[[], float] = time.monotonic
        self._task_of: _TaskOf = current_task
        """The task running on the bound loop (None: none is), checked for that loop."""
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
        :class:`HandlerTimeout`. ``loop`` is the running loop, when the caller knows it: finding
        it costs a system call (``asyncio.get_running_loop`` checks the process id, and
        ``getpid`` is not cached), about a tenth of this call's cost."""
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
        :meth:`cancelled` and :meth:`end`. ``loop``: as for :meth:`call`; None costs nothing
        here when the call runs on the loop of the previous one."""
        bound = self._loop
        if (loop is not bound and loop is not None) or bound is None:
            return self._start_anew(timeout, loop)
        # (with no loop given, a task on the bound loop is this call's: this thread runs one
        # loop at a time, and a gateway's calls run on one loop)
        task = self._task_of(bound)
        if task is None:  # (not that loop's call: find the running one)
            return self._start_anew(timeout, None)
        deadline = self._clock() + timeout
        running = self._running.get(timeout)
        if running is None:
            running = self._running[timeout] = {}
        number = next(self._numbers)
        running[number] = (deadline, task, task.cancelling())
        if deadline < self._wake_at:  # (no timer: it wakes at infinity)
            self._schedule(bound, deadline)
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
        # The standard loop's clock, read without the Python call (exactly what loop.time() is).
        standard = getattr(type(loop), "time", None) is asyncio.BaseEventLoop.time
        self._clock = time.monotonic if standard else loop.time
        task = current_task(loop)
        self._task_of = _TASK_OF if task is not None and _TASK_OF(loop) is task else current_task
        self._timer = None
        self._wake_at = math.inf
        self._running = {}
        self._expired = {}

    def _schedule(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._wake_at = when
        self._timer = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        self._timer = None
        self._wake_at = math.inf
        loop = self._loop
        assert loop is not None
        now = loop.time()
        earliest = math.inf
        for timeout, running in list(self._running.items()):
            while running:  # the oldest first: their deadlines come first
                number = next(iter(running))
                deadline, task, cancelling = running[number]
                if deadline > now:
                    earliest = min(earliest, deadline)
                    break
                del running[number]
                if not task.done():
                    self._expired[number] = (task, cancelling, timeout)
                    task.cancel()
            if not running:
                del self._running[timeout]
        if earliest < math.inf:
            self._schedule(loop, max(earliest, now + RESOLUTION))
