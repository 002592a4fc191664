"""Tracing: APIM's ``<trace>`` element, and the gateway's development trace.

Both write to the ``aiohttp_apim.trace`` logger, each line starting with the request's activity
id (``context.RequestId``) in brackets.

* :class:`TraceStep` is the ``<trace source="..." severity="...">`` element: its message (and
  metadata) are logged at the level its severity maps to -- verbose: DEBUG, information: INFO,
  error: ERROR -- and evaluated only when that level is enabled.
* The development trace (``setup(..., trace=True)`` or ``AIOHTTP_APIM_TRACE=1``) is decided when
  plans compile: every step of a traced plan is wrapped in a :class:`TracedStep`, which logs at
  INFO that it ran, what it did to ``context.Variables``, and for caching steps the outcome --
  hit, miss or bypass and why, with the cache key (through the steps' ``observer``, see
  :class:`~aiohttp_apim.pipeline.steps.base.CacheObserver`); a first :class:`RequestStep` names
  the request and its operation. Plans compiled without it hold none of this: tracing off costs
  nothing per request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.steps.base import CacheEvent, Step, StepMeta, WrappingStep
from aiohttp_apim.pipeline.values import Val
from aiohttp_apim.policy.model import TraceSeverity

__all__ = ["TRACE_LOGGER", "RequestStep", "TraceStep", "TracedStep"]

SpanEvent = Callable[[str, Mapping[str, str]], None]
"""Adds an event (a name, its attributes) to the current tracing span."""

TRACE_LOGGER = logging.getLogger("aiohttp_apim.trace")
"""Where ``<trace>`` messages and the development trace go."""

_LEVELS = {
    TraceSeverity.VERBOSE: logging.DEBUG,
    TraceSeverity.INFORMATION: logging.INFO,
    TraceSeverity.ERROR: logging.ERROR,
}
_SHOWN = 120
"""How much of a value a trace line shows."""


class TraceStep(Step):
    """``<trace>``: log the message (with its metadata) on :data:`TRACE_LOGGER`, and add it to
    the current span as an event when the gateway makes spans (``span_event``)."""

    __slots__ = ("level", "message", "metadata", "severity", "span_event", "trace_source")

    def __init__(
        self,
        meta: StepMeta,
        *,
        source: str,
        severity: TraceSeverity,
        message: Val[str],
        metadata: tuple[tuple[Val[str], Val[str]], ...],
    ) -> None:
        super().__init__(meta)
        self.trace_source = source
        self.severity = severity
        self.level = _LEVELS[severity]
        self.message = message
        self.metadata = metadata
        self.span_event: SpanEvent | None = None
        """Set at compile time when the gateway makes tracing spans."""

    def run(self, x: Exchange) -> Signal | None:
        event = self.span_event
        logged = TRACE_LOGGER.isEnabledFor(self.level)
        if not logged and event is None:
            return None  # nothing is evaluated for a message nobody reads
        message = self.message.get(x)
        pairs = {name.get(x): value.get(x) for name, value in self.metadata}
        if logged:
            shown = " {" + ", ".join(f"{k}={v}" for k, v in pairs.items()) + "}" if pairs else ""
            TRACE_LOGGER.log(
                self.level,
                "[%s] %s: %s%s",
                x.request_id,
                self.trace_source,
                message,
                shown,
                extra={"apim_trace_source": self.trace_source, "apim_trace_metadata": pairs},
            )
        if event is not None:
            attributes = {
                "apim.trace.source": self.trace_source,
                "apim.trace.severity": self.severity.value,
                "apim.trace.message": message,
            }
            for name, value in pairs.items():
                attributes[f"apim.trace.metadata.{name}"] = value
            event("apim.trace", attributes)
        return None


class TracedStep(WrappingStep):
    """A step of a traced plan: runs ``inner`` and logs what it did."""

    __slots__ = ("_outcomes", "describe")

    def __init__(self, inner: Step, describe: Callable[[Exchange], str] | None = None) -> None:
        super().__init__(inner)
        self.describe = describe
        """What to say of a step that reports no outcome itself (a cache-store's)."""
        # Outcomes the inner step reported, per request (an exchange runs one step at a time).
        self._outcomes: dict[int, str] = {}

    def observe(self, x: Exchange, event: CacheEvent) -> None:
        """The inner step's :class:`~aiohttp_apim.pipeline.steps.base.CacheObserver`."""
        text: str = event.outcome
        if event.detail:
            text += f" ({event.detail})"
        if event.key:
            text += f", key {_clip(event.key)}"
        self._outcomes[id(x)] = text

    def run(self, x: Exchange) -> Signal | None:
        if not TRACE_LOGGER.isEnabledFor(logging.INFO):
            try:
                return self.inner.run(x)
            finally:
                self._outcomes.pop(id(x), None)
        before = _variables(x)
        try:
            signal = self.inner.run(x)
        except BaseException as error:
            self._log(x, f"failed: {type(error).__name__}: {error}", before)
            raise
        self._log(x, _signalled(signal), before)
        return signal

    async def run_async(self, x: Exchange) -> Signal | None:
        inner = self.inner
        if not TRACE_LOGGER.isEnabledFor(logging.INFO):
            try:
                return await inner.run_async(x) if inner.is_async else inner.run(x)
            finally:
                self._outcomes.pop(id(x), None)
        before = _variables(x)
        try:
            signal = await inner.run_async(x) if inner.is_async else inner.run(x)
        except BaseException as error:
            self._log(x, f"failed: {type(error).__name__}: {error}", before)
            raise
        self._log(x, _signalled(signal), before)
        return signal

    def _log(self, x: Exchange, what: str, before: dict[str, object]) -> None:
        outcome = self._outcomes.pop(id(x), None)
        if outcome is None and self.describe is not None:
            outcome = self.describe(x)
        parts = [p for p in (outcome, what) if p]
        after = _variables(x)
        changed = [
            f"{name} = {_clip(repr(value))}"
            for name, value in after.items()
            if name not in before or before[name] is not value
        ]
        if changed:
            parts.append("set " + ", ".join(changed))
        meta = self.meta
        TRACE_LOGGER.info(
            "[%s] %s %s%s: %s",
            x.request_id,
            meta.section,
            meta.path,
            "" if meta.location is None else f" ({meta.location})",
            "; ".join(parts) or "ran",
        )


class RequestStep(Step):
    """The first step of a traced plan: names the request and what it is to the gateway."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(StepMeta("request", "", "inbound", "request", ""))

    def run(self, x: Exchange) -> Signal | None:
        product, api, operation = x.plan.key
        http = x.http
        TRACE_LOGGER.info(
            "[%s] %s %s: API %s, operation %s, product %s",
            x.request_id,
            x.method,
            http.rel_url,
            api or "-",
            operation or "-",
            product or "-",
        )
        return None


def describe_store(x: Exchange) -> str:
    """A cache-store's outcome, from the record its cache-lookup left."""
    record = x.lookup
    if record is None:
        return "not-stored (no cache-lookup missed for this request)"
    if record.cache is None:
        return "not-stored (no cache of the lookup's caching-type is configured)"
    if record.stored:
        return f"stored, key {_clip(record.key)}"
    return "not-stored (status, duration, size or method), key " + _clip(record.key)


def _signalled(signal: Signal | None) -> str:
    if signal is Signal.RETURN:
        return "returns the response"
    if signal is Signal.HIT:
        return "answers from the cache"
    return ""


def _variables(x: Exchange) -> dict[str, object]:
    return x.variables.as_dict()


def _clip(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
