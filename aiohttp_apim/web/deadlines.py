"""forward-request's time limit on the handler, at next to no cost per call.

Every forward-request has a timeout (APIM's default is 300 seconds), and nearly every call ends
long before it. ``asyncio.timeout()`` schedules and cancels a timer per call (about 4 us, more
than the rest of a forwarded request through the gateway); here a call costs a push on a heap
and a flag when it ends, and one timer per event loop wakes up when the earliest deadline is
due -- at most once per :data:`RESOLUTION` -- and cancels the calls still running past theirs,
exactly as ``asyncio.timeout()`` would (the handler sees ``CancelledError``; the caller gets
:class:`HandlerTimeout`). A deadline fires at most :data:`RESOLUTION` late.

Finished calls stay on the heap until their deadline passes or they outnumber the running ones,
then the heap is rebuilt from the running calls: memory follows the calls in flight, not the
request rate times the timeout.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp_apim.errors import PolicyRuntimeError

__all__ = ["RESOLUTION", "Deadlines", "HandlerTimeout"]

T = TypeVar("T")
A = TypeVar("A")

RESOLUTION = 0.001
"""Seconds: the timer wakes at most this often, so a deadline fires at most this late."""

_REBUILD_AFTER = 1024
"""Finished calls tolerated on the heap (and at least as many as running ones) before it is
rebuilt."""


class HandlerTimeout(PolicyRuntimeError):
    """The handler did not answer within forward-request's timeout (Reason ``Timeout``)."""


# A call on the heap: [deadline, order, task (None once finished), expired]. A list, compared by
# deadline then order, made and changed in place without a class of its own (this is per call).
_DEADLINE, _ORDER, _TASK, _EXPIRED = range(4)


class Deadlines:
    """Time limits for the calls made on one event loop (see the module docstring)."""

    __slots__ = ("_finished", "_heap", "_loop", "_order", "_timer", "_wake_at")

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []
        self._order = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._wake_at = 0.0
        self._finished = 0
        """Finished calls still on the heap."""

    async def call(self, timeout: float, function: Callable[[A], Awaitable[T]], arg: A) -> T:
        """``await function(arg)``, cancelled after ``timeout`` seconds: then raises
        :class:`HandlerTimeout`."""
        task = asyncio.current_task()
        assert task is not None
        loop = task.get_loop()
        if loop is not self._loop:  # a new loop (tests make one each): the old one is gone
            self._reset(loop)
        deadline = loop.time() + timeout
        entry: list[Any] = [deadline, next(self._order), task, False]
        heap = self._heap
        heapq.heappush(heap, entry)
        if deadline < self._wake_at or self._timer is None:
            self._schedule(loop, deadline)
        cancelling = task.cancelling()
        try:
            return await function(arg)
        except asyncio.CancelledError as exc:
            if entry[_EXPIRED]:
                entry[_EXPIRED] = False  # (the cancellation is taken back here, not below)
                if task.uncancel() <= cancelling:
                    raise HandlerTimeout(
                        f"The backend (the route's handler) did not answer within {timeout} "
                        "seconds",
                        reason="Timeout",
                    ) from exc
            raise
        finally:
            if entry[_EXPIRED]:  # expired as it finished: take the cancellation back
                task.uncancel()
            entry[_TASK] = None
            if entry[_ORDER] >= 0:  # still on the heap
                self._finished += 1
                if self._finished > _REBUILD_AFTER and self._finished * 2 > len(self._heap):
                    self._rebuild()

    def _reset(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._loop = loop
        self._timer = None
        self._heap = []
        self._finished = 0

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
        heap = self._heap
        while heap and heap[0][_DEADLINE] <= now:
            entry = heapq.heappop(heap)
            entry[_ORDER] = -1  # off the heap
            task = entry[_TASK]
            if task is None:
                self._finished -= 1
            elif not task.done():
                entry[_EXPIRED] = True
                task.cancel()
        if heap:
            self._schedule(loop, max(heap[0][_DEADLINE], now + RESOLUTION))

    def _rebuild(self) -> None:
        kept = []
        for entry in self._heap:
            if entry[_TASK] is None:
                entry[_ORDER] = -1
            else:
                kept.append(entry)
        heapq.heapify(kept)
        self._heap = kept
        self._finished = 0
