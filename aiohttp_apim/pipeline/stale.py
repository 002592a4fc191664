"""Serving stale responses (RFC 5861), an extension beyond APIM: how long past its expiry a
cached response may still answer, per API and operation.

``stale-while-revalidate``: within that many seconds past expiry, a hit is answered from the
expired entry and one background request through the handler refreshes it. ``stale-if-error``:
within that many seconds past expiry, a request goes to the handler, and the expired entry
answers if the handler fails. An entry is kept in the cache for its duration plus the longer of
the two windows, so a hit tells how long past expiry it is from its remaining lifetime alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ERROR_STATUSES", "StaleWindow", "StaleWindows"]

ERROR_STATUSES = frozenset({500, 502, 503, 504})
"""The answers a stale entry may replace (RFC 5861's errors)."""


@dataclass(frozen=True, slots=True)
class StaleWindow:
    """The two windows of one scope, in seconds past expiry."""

    while_revalidate: float
    if_error: float

    @property
    def extra(self) -> float:
        """How much longer than its duration an entry is kept."""
        return max(self.while_revalidate, self.if_error)


_OFF = StaleWindow(0.0, 0.0)


class StaleWindows:
    """The windows per API and operation, from the gateway's two options (each a number for
    every API, or a mapping keyed by ``"api"``, ``"api/operation"`` or ``"*"``)."""

    __slots__ = ("_if_error", "_while_revalidate")

    def __init__(
        self, while_revalidate: Mapping[str, float], if_error: Mapping[str, float]
    ) -> None:
        self._while_revalidate = while_revalidate
        self._if_error = if_error

    @classmethod
    def of(
        cls,
        *,
        while_revalidate: float | Mapping[str, float],
        if_error: float | Mapping[str, float],
    ) -> StaleWindows:
        """Checked (``ValueError``/``TypeError`` naming the option)."""
        return cls(
            _checked("stale_while_revalidate", while_revalidate),
            _checked("stale_if_error", if_error),
        )

    @property
    def enabled(self) -> bool:
        return any(self._while_revalidate.values()) or any(self._if_error.values())

    def window(self, api: str | None, operation: str | None) -> StaleWindow | None:
        """The windows of the scope (None: serving stale is off there)."""
        found = StaleWindow(
            _lookup(self._while_revalidate, api, operation), _lookup(self._if_error, api, operation)
        )
        return None if found == _OFF else found


def _lookup(windows: Mapping[str, float], api: str | None, operation: str | None) -> float:
    if api is not None:
        if operation is not None:
            seconds = windows.get(f"{api}/{operation}")
            if seconds is not None:
                return seconds
        seconds = windows.get(api)
        if seconds is not None:
            return seconds
    return windows.get("*", 0.0)


def _checked(name: str, value: object) -> Mapping[str, float]:
    items: dict[object, object] = dict(value) if isinstance(value, Mapping) else {"*": value}
    checked: dict[str, float] = {}
    for scope, seconds in items.items():
        if not isinstance(scope, str) or not scope or scope.count("/") > 1:
            raise ValueError(f"{name} keys are 'api', 'api/operation' or '*', got {scope!r}")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"{name}[{scope!r}] must be a number of seconds, got {seconds!r}")
        if not 0 <= seconds < math.inf:
            raise ValueError(f"{name}[{scope!r}] must be >= 0 seconds, got {seconds!r}")
        checked[scope] = float(seconds)
    return checked
