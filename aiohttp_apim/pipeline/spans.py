"""OpenTelemetry spans around the policy sections, the caching steps and send-request.

``setup(..., tracing=True)`` (``pip install 'aiohttp_apim[otel]'``) makes the gateway's plans
hold span steps: each non-empty section (``apim inbound``, ``apim backend``, ``apim outbound``,
``apim on-error``) and each ``cache-lookup``, ``cache-store``, ``cache-lookup-value``,
``cache-store-value`` and ``send-request`` runs inside a span of the tracer provider's (the
global one, or ``tracer_provider=``), as a child of whatever span is current -- the server span
of an aiohttp instrumentation, if the app has one. A caching span carries what the step did
(``apim.cache.result``: hit, miss, bypass, stored...; ``apim.cache.detail``; ``apim.cache.ttl``
on a hit) and ``apim.cache.key_hash`` -- the key's hash, never the key, which holds header and
query values. A ``<trace>`` element's message becomes an event of the current span. A step that
fails marks its span (and the section's) as an error, with the ``LastError`` reason.

All of this is decided when plans compile: a gateway without ``tracing`` holds none of these
steps, and pays nothing per request; this module (and opentelemetry) is then not even imported.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.trace import (
    NoOpTracerProvider,
    ProxyTracerProvider,
    Span,
    SpanKind,
    Status,
    StatusCode,
    Tracer,
    TracerProvider,
)

from aiohttp_apim.errors import ApimRuntimeError, ExpressionError
from aiohttp_apim.pipeline.exchange import Signal
from aiohttp_apim.pipeline.observers import Site, key_hash
from aiohttp_apim.pipeline.steps.base import (
    Abort,
    CacheEvent,
    CacheObserver,
    Step,
    WrappingStep,
    run_steps,
)

if TYPE_CHECKING:
    from aiohttp_apim.pipeline.exchange import Exchange

__all__ = ["SectionSpan", "Spans", "StepSpan"]

logger = logging.getLogger(__name__)

_PREFIX = "apim "


class Spans:
    """The gateway's span maker: wraps steps and sections, and observes caching steps."""

    def __init__(self, provider: object = None) -> None:
        if provider is not None and not isinstance(provider, TracerProvider):
            raise TypeError(
                f"tracing takes True or an opentelemetry TracerProvider, not {provider!r}"
            )
        self.provider = provider
        self._warned = False
        self.tracer: Tracer = trace.get_tracer("aiohttp_apim", tracer_provider=provider)

    def enabled(self) -> bool:
        """Whether spans would be recorded: a provider was given, or one is set up globally
        (``trace.set_tracer_provider``) by the time the plans compile. With neither,
        OpenTelemetry's spans would all be no-ops, and each would still cost some
        microseconds: plans then hold none (logged once)."""
        provider = self.provider
        if provider is None:
            provider = trace.get_tracer_provider()
        if isinstance(provider, ProxyTracerProvider | NoOpTracerProvider):
            if not self._warned:
                self._warned = True
                logger.warning(
                    "tracing is on but no OpenTelemetry tracer provider is set up "
                    "(trace.set_tracer_provider) when the app starts: no spans are made"
                )
            return False
        return True

    def step(self, step: Step, api: str, operation: str) -> Step:
        """``step`` inside a span of its own."""
        return StepSpan(step, self.tracer, _attributes(api, operation, step))

    def section(self, name: str, steps: tuple[Step, ...], api: str, operation: str) -> Step:
        """The steps of a section as one step, inside a span."""
        return SectionSpan(name, steps, self.tracer, {"apim.api": api, "apim.operation": operation})

    def observer(self, site: Site) -> CacheObserver | None:
        return _Attributes(site.cache)

    @staticmethod
    def event(name: str, attributes: Mapping[str, str]) -> None:
        """An event on the current span (a ``<trace>`` element's message)."""
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(name, dict(attributes))


def _attributes(api: str, operation: str, step: Step) -> dict[str, str]:
    meta = step.meta
    found = {
        "apim.api": api,
        "apim.operation": operation,
        "apim.section": meta.section,
        "apim.path": meta.path,
    }
    if meta.location is not None:
        found["apim.location"] = str(meta.location)
    return found


def _failed(span: Span, error: BaseException) -> None:
    """Mark ``span`` as failed with the reason ``context.LastError`` will have."""
    if isinstance(error, Abort):
        reason, message = error.error.reason, error.error.message
    elif isinstance(error, ApimRuntimeError | ExpressionError):
        reason, message = error.reason, str(error)
    else:
        reason, message = type(error).__name__, ""
    span.set_status(Status(StatusCode.ERROR, f"{reason}: {message}" if message else reason))
    span.set_attribute("apim.error.reason", reason)


def _started(tracer: Tracer, name: str, attributes: dict[str, str]) -> AbstractContextManager[Span]:
    """A span made current until the block ends; the block records failures itself."""
    return tracer.start_as_current_span(
        name,
        kind=SpanKind.INTERNAL,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    )


class StepSpan(WrappingStep):
    """A step run inside a span named after its element."""

    __slots__ = ("attributes", "name", "tracer")

    def __init__(self, inner: Step, tracer: Tracer, attributes: dict[str, str]) -> None:
        super().__init__(inner)
        self.tracer = tracer
        self.name = _PREFIX + inner.meta.source
        self.attributes = attributes

    def run(self, x: Exchange) -> Signal | None:
        with _started(self.tracer, self.name, self.attributes) as span:
            try:
                return self.inner.run(x)
            except BaseException as error:
                _failed(span, error)
                raise

    async def run_async(self, x: Exchange) -> Signal | None:
        inner = self.inner
        with _started(self.tracer, self.name, self.attributes) as span:
            try:
                return await inner.run_async(x) if inner.is_async else inner.run(x)
            except BaseException as error:
                _failed(span, error)
                raise


class SectionSpan(WrappingStep):
    """A whole section run inside one span (the runner sees one step)."""

    __slots__ = ("attributes", "name", "steps", "tracer")

    def __init__(
        self, section: str, steps: tuple[Step, ...], tracer: Tracer, attributes: dict[str, str]
    ) -> None:
        super().__init__(steps[0], is_async=True)
        self.steps = steps
        self.tracer = tracer
        self.name = _PREFIX + section
        self.attributes = attributes

    async def run_async(self, x: Exchange) -> Signal | None:
        with _started(self.tracer, self.name, self.attributes) as span:
            try:
                signal = await run_steps(self.steps, x)
            except BaseException as error:
                _failed(span, error)
                raise
            if signal is Signal.HIT:
                span.set_attribute("apim.cache.hit", True)
            return signal


class _Attributes:
    """A caching step's outcome on its span (the current one when the step reports)."""

    __slots__ = ("cache",)

    def __init__(self, cache: str) -> None:
        self.cache = cache

    def __call__(self, x: Exchange, event: CacheEvent) -> None:
        span = trace.get_current_span()
        if not span.is_recording():
            return
        span.set_attribute("apim.cache.result", event.outcome)
        span.set_attribute("apim.cache.name", self.cache)
        if event.key:
            span.set_attribute("apim.cache.key_hash", key_hash(event.key))
        if event.detail:
            span.set_attribute("apim.cache.detail", event.detail)
        if event.ttl is not None:
            span.set_attribute("apim.cache.ttl", event.ttl)
