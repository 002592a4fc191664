"""Keeping a repeated failure from writing one log line per request.

A cache that is down, or a policy expression that throws on every request, fails thousands of
times a second; the log should say so once in a while, with how many it left out. The throttle
decides, per *slot* (what failed, and where), whether a line is written now.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

__all__ = ["LogThrottle"]


class LogThrottle:
    """At most one line per ``interval`` seconds per slot; the ones in between are counted and
    reported with the next line written."""

    def __init__(self, interval: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.interval = interval
        self._clock = clock
        self._last: dict[Hashable, float] = {}
        self._suppressed: dict[Hashable, int] = {}

    def admit(self, slot: Hashable) -> int | None:
        """None: leave this line out (it is counted). Otherwise write it, saying how many lines
        of the slot were left out since the last one written (the returned number)."""
        now = self._clock()
        last = self._last.get(slot)
        if last is not None and now - last < self.interval:
            self._suppressed[slot] = self._suppressed.get(slot, 0) + 1
            return None
        self._last[slot] = now
        return self._suppressed.pop(slot, 0)

    @staticmethod
    def note(suppressed: int) -> str:
        """The suffix of a line that follows ``suppressed`` left-out ones."""
        return f" ({suppressed} similar failures not logged)" if suppressed else ""
