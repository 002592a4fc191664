"""Errors raised by aiohttp_apim.

The exception tree, every exception a user of the package can catch::

    Exception
    ├── PolicyError            load time: a policy set that cannot run (xml, expression,
    │                          unsupported-policy, validation, binding); carries every Problem found
    │                          (warnings -- setups that load but never cache -- never raise)
    ├── CacheUnavailable       a cache backend could not do an operation (down, slow, garbled
    │                          reply); the gateway turns it into a miss or a no-op, a caller of
    │                          a cache's own methods sees it
    ├── ApimRuntimeError       run time: something a policy did failed; the pipeline turns
    │   │                      it into ``context.LastError`` and runs ``on-error``
    │   ├── ExpressionError    a policy expression threw (Reason
    │   │                      ``ExpressionValueEvaluationFailure``); ``exception_type`` names
    │   │                      the .NET exception it stands for
    │   └── PolicyRuntimeError a policy itself failed (Reason given by the policy)
    └── ValueError
        └── SubscriptionError  subscription data that cannot be used (``Subscriptions``)

Bad arguments to the package's own functions raise ``TypeError`` (an unknown ``setup()``
keyword, a wrong type) or ``ValueError`` (a timeout <= 0, a negative size), as Python does.

Nothing here imports aiohttp or redis: errors are shared by every layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ApimRuntimeError",
    "CacheBusy",
    "CacheUnavailable",
    "ExpressionError",
    "PolicyError",
    "PolicyRuntimeError",
    "Problem",
    "ProblemKind",
    "SubscriptionError",
    "did_you_mean",
]

ProblemKind = Literal["xml", "expression", "unsupported-policy", "validation", "binding", "warning"]
"""What a problem is about. ``warning`` is the one kind that is not an error: the policies load
and run, but something in them (or in the setup) can never do what it says -- a ``cache-store``
with no ``cache-lookup``, ``caching-type="external"`` with no external cache."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a policy set, located in its file (line and column are 1-based)."""

    kind: ProblemKind
    file: str
    line: int
    column: int
    message: str
    text: str = ""
    """The offending text (an attribute value, an element, an expression), when there is one."""

    @property
    def severity(self) -> Literal["error", "warning"]:
        """``"warning"`` for a problem of kind ``warning``, else ``"error"``."""
        return "warning" if self.kind == "warning" else "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: {self.kind}: {self.message}"
        return f"{where}\n    {self.text}" if self.text else where


class PolicyError(Exception):
    """A policy set that cannot be loaded; ``problems`` lists every problem found, in file order
    (errors only: warnings are reported beside a policy set that loads)."""

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(
            sorted(problems, key=lambda p: (p.file, p.line, p.column, p.kind, p.message))
        )
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the policies"
        super().__init__("\n".join([head + ":", *(str(p) for p in self.problems)]))


class ApimRuntimeError(Exception):
    """Base of the errors a policy raises while a request runs (mapped to ``context.LastError``)."""

    reason: str = "PolicyError"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class ExpressionError(ApimRuntimeError):
    """A policy expression threw. ``exception_type`` is the .NET type name it stands for,
    e.g. ``"KeyNotFoundException"``, ``"NullReferenceException"``, ``"FormatException"``."""

    reason = "ExpressionValueEvaluationFailure"

    def __init__(self, exception_type: str, message: str) -> None:
        super().__init__(message)
        self.exception_type = exception_type

    def __str__(self) -> str:
        return f"{self.exception_type}: {self.message}"


class PolicyRuntimeError(ApimRuntimeError):
    """A policy failed at run time for a reason of its own (``reason`` is APIM's code)."""


class CacheUnavailable(Exception):
    """A cache backend could not do an operation for a reason of its own: I/O failure, timeout,
    a garbled reply. Backends raise it rather than leak their client's exception types."""


class CacheBusy(CacheUnavailable):
    """A cache operation could not start within its time budget for a reason of this process
    (no connection to the backend ready yet), not because the backend failed. Reads and writes
    treat it like any unavailability; a rate limit waits and tries again rather than let the
    call through uncounted."""


class SubscriptionError(ValueError):
    """Subscription data that cannot be used (unknown user, product or scope, a key or id used twice)."""


def did_you_mean(name: str, candidates: Iterable[str], *, quote: str = "'") -> str:
    """`` (did you mean 'x'?)`` naming the candidate closest to a misspelt ``name``, or ``""``
    when none is close. ``quote`` wraps the suggestion (``"<"`` gives ``<x>``)."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
    if not close:
        return ""
    end = ">" if quote == "<" else quote
    return f" (did you mean {quote}{close[0]}{end}?)"
