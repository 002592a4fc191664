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
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp_apim.errors import PolicyRuntimeError

__all__ = ["RESOLUTION", "Deadlines", "HandlerTimeout"]

T = TypeVar("T")
A = TypeVar("A")

RESOLUTION = 0.001
"""Seconds: the timer wakes at most this often, so a deadline fires at most this late."""


class HandlerTimeout(PolicyRuntimeError):
    """The handler did not answer within forward-request's timeout (Reason ``Timeout``)."""


_Running = dict[int, tuple[float, "asyncio.Task[object]"]]
"""The calls running with one timeout, by call number, in the order they started: each one's
deadline and task."""


class Deadlines:
    """Time limits for the calls made on one event loop (see the module docstring)."""

    __slots__ = ("_expired", "_loop", "_numbers", "_running", "_timer", "_wake_at")

    def __init__(self) -> None:
        self._running: dict[float, _Running] = {}
        """By timeout: the calls running with it."""
        self._expired: set[int] = set()
        """The calls cancelled for their deadline that have not yet seen it."""
        self._numbers = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._wake_at = 0.0

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
        task = None if loop is None else asyncio.current_task(loop)
        if task is None or loop is None:  # (none given, or not that loop's: find the running one)
            task = asyncio.current_task()
            assert task is not None
            loop = task.get_loop()
        if loop is not self._loop:  # a new loop (tests make one each): the old one is gone
            self._reset(loop)
        deadline = loop.time() + timeout
        running = self._running.get(timeout)
        if running is None:
            running = self._running[timeout] = {}
        number = next(self._numbers)
        running[number] = (deadline, task)
        if self._timer is None or deadline < self._wake_at:
            self._schedule(loop, deadline)
        cancelling = task.cancelling()
        try:
            return await function(arg)
        except asyncio.CancelledError as exc:
            if number in self._expired:
                self._expired.discard(number)  # (the cancellation is taken back here)
                if task.uncancel() <= cancelling:
                    raise HandlerTimeout(
                        f"The backend (the route's handler) did not answer within {timeout} "
                        "seconds",
                        reason="Timeout",
                    ) from exc
            raise
        finally:
            if running.pop(number, None) is None and number in self._expired:
                # Expired as it finished: take the cancellation back.
                self._expired.discard(number)
                task.uncancel()

    def _reset(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._loop = loop
        self._timer = None
        self._running = {}
        self._expired = set()

    def _schedule(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._wake_at = when
        self._timer = loop.call_at(when, self._expire)

    def _expire(self) -> None:
        self._timer = None
        loop = self._loop
        assert loop is not None
        now = loop.time()
        earliest = math.inf
        for timeout, running in list(self._running.items()):
            while running:  # the oldest first: their deadlines come first
                number = next(iter(running))
                deadline, task = running[number]
                if deadline > now:
                    earliest = min(earliest, deadline)
                    break
                del running[number]
                if not task.done():
                    self._expired.add(number)
                    task.cancel()
            if not running:
                del self._running[timeout]
        if earliest < math.inf:
            self._schedule(loop, max(earliest, now + RESOLUTION))
