"""What every step is, how a sequence of steps runs, and how a failure becomes
``context.LastError``.

A step is one policy element compiled for one place in one plan. It carries :class:`StepMeta`:
the element name (``LastError.Source``), the scope its document belongs to, the section, its
path in the effective section (``choose[1]\\when[2]\\set-header[1]``, 1-based, counting
same-named siblings), its ``id`` attribute and where it is in the policy files. Any exception a
step raises is turned, at the innermost step, into :class:`Abort` carrying the ``LastError``
fields; enclosing ``choose`` steps let it through and the runner hands it to ``on-error``.

Each such failure is logged once, at WARNING on this module's logger, with the request's
activity id (``context.RequestId``), the API and operation, the section, the element and the
``file:line:column`` of the element and of the failing expression, and the .NET exception text
-- at most once per interval per element and reason, as cache failures are
(:class:`~aiohttp_apim.pipeline.throttle.LogThrottle`), so a policy that fails on every request
does not flood the log. A rate limit refusing a call is no error of the policy: DEBUG.

Steps that never wait (setting a header, a variable) are synchronous, and a run of them costs no
coroutine; ``is_async`` tells the runner which method to call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from aiohttp_apim.errors import ApimRuntimeError, ExpressionError
from aiohttp_apim.expressions.context import LastError
from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.failures import RATE_LIMIT_EXCEEDED
from aiohttp_apim.pipeline.throttle import LogThrottle
from aiohttp_apim.pipeline.values import EXPRESSION_LOCATION

if TYPE_CHECKING:
    from aiohttp_apim.policy.model import Location, Statement

__all__ = [
    "Abort",
    "CacheEvent",
    "CacheObserver",
    "CacheOutcome",
    "Step",
    "StepMeta",
    "WrappingStep",
    "run_steps",
    "run_steps_sync",
    "unwrapped",
]

logger = logging.getLogger(__name__)

_NOT_ERRORS = frozenset({RATE_LIMIT_EXCEEDED})
"""Reasons that are a policy doing its job, not failing: logged at DEBUG only."""


@dataclass(frozen=True, slots=True)
class StepMeta:
    """Where a step is: for ``context.LastError`` and for the log."""

    source: str
    scope: str
    section: str
    path: str
    policy_id: str
    location: Location | None = None
    """The element in its file (None for steps the gateway made, such as the default
    backend)."""

    @classmethod
    def of(
        cls,
        statement: Statement,
        *,
        scope: str,
        section: str,
        path: str,
        location: Location | None = None,
    ) -> StepMeta:
        """The meta of ``statement`` at ``path`` (the one way to make one). ``location``
        defaults to the statement's own; a ``when`` branch passes its own (its condition fails
        as the ``choose``, at the ``when``)."""
        return cls(
            source=statement.element,
            scope=scope,
            section=section,
            path=path,
            policy_id=statement.id or "",
            location=statement.location if location is None else location,
        )

    def failure(self, error: Exception, x: Exchange) -> LastError:
        """The ``LastError`` for ``error`` raised here while running ``x`` (logged)."""
        expression_at = getattr(error, EXPRESSION_LOCATION, None)
        expected = True
        if isinstance(error, ExpressionError):
            reason = error.reason
            message = f"Expression evaluation failed. {error.exception_type}: {error.message}"
        elif isinstance(error, ApimRuntimeError):
            reason, message = error.reason, error.message
        else:
            # A bug of ours, not of the policy: log it in full, tell the caller nothing of it.
            expected = False
            reason, message = "PolicyExecutionFailure", "The policy failed unexpectedly."
        last = LastError(
            source=self.source,
            reason=reason,
            message=message,
            scope=self.scope,
            section=self.section,
            path=self.path,
            policy_id=self.policy_id,
            location="" if self.location is None else str(self.location),
            expression_location="" if expression_at is None else str(expression_at),
        )
        _log_failure(last, error, x, expected)
        return last


def _log_failure(last: LastError, error: Exception, x: Exchange, expected: bool) -> None:
    if last.reason in _NOT_ERRORS:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s at %s: %s", last.reason, last.location or last.path, last.message)
        return
    suppressed = x.runtime.failures.throttle.admit(
        ("policy", last.location or last.path, last.reason)
    )
    if suppressed is None:
        return
    _product, api, operation = x.plan.key
    where = last.location or "(no file)"
    if last.expression_location:
        where += f", expression at {last.expression_location}"
    detail = str(error) if isinstance(error, ExpressionError) else last.message
    fields = {
        "apim_activity_id": str(x.request_id),
        "apim_api": api,
        "apim_operation": operation,
        "apim_section": last.section,
        "apim_element": last.source,
        "apim_path": last.path,
        "apim_location": last.location,
        "apim_expression_location": last.expression_location,
        "apim_reason": last.reason,
    }
    logger.log(
        logging.WARNING if expected else logging.ERROR,
        "policy error in <%s> at %s (%s section, %s; API %s, operation %s; activity %s): %s: %s%s",
        last.source,
        where,
        last.section,
        last.path,
        api or "-",
        operation or "-",
        fields["apim_activity_id"],
        last.reason,
        detail if expected else f"{type(error).__name__}: {error}",
        LogThrottle.note(suppressed),
        exc_info=None if expected else error,
        extra=fields,
    )


CacheOutcome = Literal["hit", "stale", "collapsed", "miss", "bypass", "stored", "not-stored"]
"""What a caching step did for one request: a lookup is a ``hit``, a ``stale`` hit (an expired
entry served), ``collapsed`` (served the entry another request filled while this one waited),
a ``miss`` or a ``bypass`` (the cache was not used: ``detail`` says why); a store is
``stored`` or ``not-stored``."""


@dataclass(frozen=True, slots=True)
class CacheEvent:
    """What a caching step did for one request."""

    outcome: CacheOutcome
    key: str = ""
    """The cache key, if there was one (observers outside the development trace show only its
    hash)."""
    detail: str = ""
    """Why, in a few words: for a bypass one of ``method``, ``authorization``,
    ``cache-unavailable``; for a store not made, a token, a colon and the reason in words
    (``not-storable: the response says Cache-Control: private``)."""
    ttl: float | None = None
    """A hit's seconds left, when known."""
    seconds: float | None = None
    """How long the cache call took, when timed."""


class CacheObserver(Protocol):
    """Told what a caching step did for one request (a :class:`CacheEvent`).

    The gateway's observers (the development trace, ``Cache-Status``, metrics, tracing spans,
    the DEBUG log line) are set on the caching steps at compile time, combined into one
    (:func:`aiohttp_apim.pipeline.observers.combine`); with none of them on, a step's
    ``observer`` is None, and looking at it is all a request pays."""

    def __call__(self, x: Exchange, event: CacheEvent) -> None:
        """Record one outcome; must not raise."""


class Abort(Exception):
    """A step failed: the rest of the section is abandoned and ``on-error`` runs."""

    def __init__(self, error: LastError) -> None:
        super().__init__(error.message)
        self.error = error


class Step:
    """One compiled policy element. Subclasses set ``is_async`` and implement ``run`` (sync) or
    ``run_async``; either returns a :class:`Signal` or None to carry on."""

    before_lookup = False
    """Whether the step may run ahead of an early cache-lookup that follows it
    (:attr:`~aiohttp_apim.pipeline.plan.Plan.early_prelude`): it never waits and changes nothing
    a lookup reads (the request, the caller) -- only the variables. Such a step still runs in the
    exchange, once, in its place in the order, so its failures go to on-error as usual."""

    __slots__ = ("is_async", "meta")

    def __init__(self, meta: StepMeta, *, is_async: bool = False) -> None:
        self.meta = meta
        self.is_async = is_async

    def cannot_fail(self) -> bool:
        """Whether running this :attr:`before_lookup` step can never fail: then an early
        cache-lookup after it need not wait for it (see
        :attr:`~aiohttp_apim.pipeline.plan.Plan.early_prelude`). Asked once, when the plan is
        made."""
        return False

    def run(self, x: Exchange) -> Signal | None:
        raise NotImplementedError(f"{type(self).__name__} is asynchronous")

    async def run_async(self, x: Exchange) -> Signal | None:
        return self.run(x)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.meta.section}:{self.meta.path}>"


class WrappingStep(Step):
    """A step that runs another one (``inner``) with something around it: the development
    trace's logging, a tracing span. What a plan is made of is found by looking through
    these (:func:`unwrapped`)."""

    __slots__ = ("inner",)

    def __init__(self, inner: Step, *, is_async: bool | None = None) -> None:
        super().__init__(inner.meta, is_async=inner.is_async if is_async is None else is_async)
        self.inner = inner


def unwrapped(step: Step) -> Step:
    """The step a :class:`WrappingStep` (or a stack of them) runs."""
    while isinstance(step, WrappingStep):
        step = step.inner
    return step


async def run_steps(steps: Sequence[Step], x: Exchange) -> Signal | None:
    """Run ``steps`` in order until one signals; a failure becomes :class:`Abort`."""
    for step in steps:
        try:
            signal = await step.run_async(x) if step.is_async else step.run(x)
        except Abort:
            raise
        except Exception as error:
            raise Abort(step.meta.failure(error, x)) from error
        if signal is not None:
            return signal
    return None


def run_steps_sync(steps: Sequence[Step], x: Exchange) -> Signal | None:
    """:func:`run_steps` for a sequence of synchronous steps only."""
    for step in steps:
        try:
            signal = step.run(x)
        except Abort:
            raise
        except Exception as error:
            raise Abort(step.meta.failure(error, x)) from error
        if signal is not None:
            return signal
    return None
