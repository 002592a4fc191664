"""Errors raised by aiohttp_apim.

The exception tree, every exception a user of the package can catch::

    Exception
    ├── PolicyError            load time: a policy set that cannot run (xml, expression,
    │                          unsupported-policy, validation, binding); carries every Problem found
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

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "ApimRuntimeError",
    "CacheUnavailable",
    "ExpressionError",
    "PolicyError",
    "PolicyRuntimeError",
    "Problem",
    "ProblemKind",
    "SubscriptionError",
]

ProblemKind = Literal["xml", "expression", "unsupported-policy", "validation", "binding"]


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

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: {self.kind}: {self.message}"
        return f"{where}\n    {self.text}" if self.text else where


class PolicyError(Exception):
    """A policy set that cannot be loaded; ``problems`` lists every problem found, in file order."""

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


class SubscriptionError(ValueError):
    """Subscription data that cannot be used (unknown user, product or scope, duplicate key)."""
