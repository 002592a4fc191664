"""What every step is, how a sequence of steps runs, and how a failure becomes
``context.LastError``.

A step is one policy element compiled for one place in one plan. It carries :class:`StepMeta`:
the element name (``LastError.Source``), the scope its document belongs to, the section, its
path in the effective section (``choose[1]\\when[2]\\set-header[1]``, 1-based, counting
same-named siblings) and its ``id`` attribute. Any exception a step raises is turned, at the
innermost step, into :class:`Abort` carrying the ``LastError`` fields; enclosing ``choose``
steps let it through and the runner hands it to ``on-error``.

Steps that never wait (setting a header, a variable) are synchronous, and a run of them costs no
coroutine; ``is_async`` tells the runner which method to call.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp_apim.errors import ApimRuntimeError, ExpressionError
from aiohttp_apim.expressions.context import LastError
from aiohttp_apim.pipeline.exchange import Exchange, Signal

__all__ = ["Abort", "Step", "StepMeta", "run_steps", "run_steps_sync"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StepMeta:
    """Where a step is, for ``context.LastError`` (spec 1.4)."""

    source: str
    scope: str
    section: str
    path: str
    policy_id: str

    def nested(self, segment: str, *, source: str, policy_id: str | None) -> StepMeta:
        """The meta of something inside this step: a ``when[2]`` branch (whose condition fails
        as the ``choose``), or a child policy such as return-response's ``set-header[1]``."""
        return StepMeta(
            source=source,
            scope=self.scope,
            section=self.section,
            path=f"{self.path}\\{segment}",
            policy_id=policy_id or "",
        )

    def failure(self, error: Exception) -> LastError:
        """The ``LastError`` for ``error`` raised here."""
        if isinstance(error, ExpressionError):
            reason = error.reason
            message = f"Expression evaluation failed. {error.exception_type}: {error.message}"
        elif isinstance(error, ApimRuntimeError):
            reason, message = error.reason, error.message
        else:
            # A bug of ours, not of the policy: log it in full, tell the caller nothing of it.
            logger.error(
                "unexpected error in policy %s at %s (%s, %s scope)",
                self.source,
                self.path,
                self.section,
                self.scope,
                exc_info=error,
            )
            reason, message = "PolicyExecutionFailure", "The policy failed unexpectedly."
        return LastError(
            source=self.source,
            reason=reason,
            message=message,
            scope=self.scope,
            section=self.section,
            path=self.path,
            policy_id=self.policy_id,
        )


class Abort(Exception):
    """A step failed: the rest of the section is abandoned and ``on-error`` runs."""

    def __init__(self, error: LastError) -> None:
        super().__init__(error.message)
        self.error = error


class Step:
    """One compiled policy element. Subclasses set ``is_async`` and implement ``run`` (sync) or
    ``run_async``; either returns a :class:`Signal` or None to carry on."""

    __slots__ = ("is_async", "meta")

    def __init__(self, meta: StepMeta, *, is_async: bool = False) -> None:
        self.meta = meta
        self.is_async = is_async

    def run(self, x: Exchange) -> Signal | None:
        raise NotImplementedError(f"{type(self).__name__} is asynchronous")

    async def run_async(self, x: Exchange) -> Signal | None:
        return self.run(x)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.meta.section}:{self.meta.path}>"


async def run_steps(steps: Sequence[Step], x: Exchange) -> Signal | None:
    """Run ``steps`` in order until one signals; a failure becomes :class:`Abort`."""
    for step in steps:
        try:
            signal = await step.run_async(x) if step.is_async else step.run(x)
        except Abort:
            raise
        except Exception as error:
            raise Abort(step.meta.failure(error)) from error
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
            raise Abort(step.meta.failure(error)) from error
        if signal is not None:
            return signal
    return None
