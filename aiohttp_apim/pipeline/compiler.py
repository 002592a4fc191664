"""Compiling effective policies into plans: one step object per policy element, once.

Everything that does not depend on the request is decided here: literal attribute values (and
constant expressions) become constants, ``caching-type`` becomes the cache object itself, the
response-cache key's fixed part becomes a :class:`~aiohttp_apim.pipeline.keys.KeyShape`, every
step learns where it is (its ``LastError`` fields and its place in the policy files, all through
:meth:`StepMeta.of`), and the outbound statements a cache hit resumes with are flattened out of
any ``choose`` (a hit resumes after the cache-store that stored the entry).

The development trace is decided here too: with ``CompileOptions.trace`` every step is wrapped
in a :class:`~aiohttp_apim.pipeline.steps.trace.TracedStep`; without it, plans hold no trace of
tracing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from aiohttp_apim.cache.base import Cache
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.pipeline.cacheio import cache_label
from aiohttp_apim.pipeline.cachesafety import CacheSafety
from aiohttp_apim.pipeline.generations import ShapeRegistry
from aiohttp_apim.pipeline.keys import KeyShape
from aiohttp_apim.pipeline.observers import (
    OUTCOME_LOGGER,
    ObserverFactory,
    Site,
    SpanMaker,
    combine,
    log_outcomes,
)
from aiohttp_apim.pipeline.plan import Plan
from aiohttp_apim.pipeline.stats import Counters
from aiohttp_apim.pipeline.steps.backend import ForwardRequestStep
from aiohttp_apim.pipeline.steps.base import CacheObserver, Step, StepMeta, unwrapped
from aiohttp_apim.pipeline.steps.caching import (
    CacheLookupStep,
    CacheStoreStep,
    StaleCacheLookupStep,
)
from aiohttp_apim.pipeline.steps.control import (
    Branch,
    ChooseStep,
    ReturnResponseStep,
    SetVariableStep,
)
from aiohttp_apim.pipeline.steps.message import SetBodyStep, SetHeaderStep, SetStatusStep, Target
from aiohttp_apim.pipeline.steps.ratelimit import RateLimitByKeyStep
from aiohttp_apim.pipeline.steps.sendrequest import SendRequestStep
from aiohttp_apim.pipeline.steps.trace import RequestStep, TracedStep, TraceStep, describe_store
from aiohttp_apim.pipeline.steps.unsupported import NotSupportedStep
from aiohttp_apim.pipeline.steps.valuecache import (
    CacheLookupValueStep,
    CacheRemoveValueStep,
    CacheStoreValueStep,
)
from aiohttp_apim.pipeline.values import (
    Val,
    as_bool,
    as_cache_key,
    as_enum,
    as_int,
    as_str,
    compile_typed,
    compile_value,
)
from aiohttp_apim.policy import model as m
from aiohttp_apim.policy.scopes import EffectiveItem, PolicySet, ScopeKey

__all__ = ["CompileOptions", "compile_plan", "resume_points"]

_SECTION_TARGET = {
    m.SectionName.INBOUND: Target.REQUEST,
    m.SectionName.BACKEND: Target.REQUEST,
    m.SectionName.OUTBOUND: Target.RESPONSE,
    m.SectionName.ON_ERROR: Target.RESPONSE,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileOptions:
    """What plans are compiled against: the gateway's caches and limits."""

    generation: str
    internal_cache: Cache | None
    external_cache: Cache | None
    cache_timeout: float
    max_response_bytes: int
    trace: bool = False
    """Compile traced plans (the development trace: every step logs what it did)."""
    safety: CacheSafety = field(default_factory=CacheSafety)
    """How entries are sealed and which responses may be stored (the gateway's options)."""
    counters: Counters = field(default_factory=Counters)
    """Where the steps count (a cell per API, operation and cache)."""
    observers: tuple[ObserverFactory, ...] = ()
    """What observes the caching steps (``Cache-Status``, metrics...; see
    :mod:`~aiohttp_apim.pipeline.observers`)."""
    spans: SpanMaker | None = None
    """Makes tracing spans around sections and steps (None: no spans)."""
    shapes: ShapeRegistry | None = None
    """Where cache-lookups register their key shapes, for purges to retag (None: keys never
    hold purge generations)."""

    def cache_for(self, caching_type: m.CachingType) -> Cache | None:
        """``caching-type`` resolved as APIM does; None: no such cache here."""
        if caching_type is m.CachingType.INTERNAL:
            return self.internal_cache
        if caching_type is m.CachingType.EXTERNAL:
            return self.external_cache
        return self.external_cache if self.external_cache is not None else self.internal_cache


def compile_plan(
    policies: PolicySet,
    key: ScopeKey,
    options: CompileOptions,
    *,
    operation_method: str = "",
    url_template: str = "",
) -> Plan:
    product, api, operation = key
    effective = policies.effective(product, api, operation)
    compiler = _Compiler(key, options)
    inbound = compiler.section(m.SectionName.INBOUND, effective.inbound)
    if options.trace:
        inbound = (RequestStep(), *inbound)
    backend = compiler.section(m.SectionName.BACKEND, effective.backend)
    outbound = compiler.section(m.SectionName.OUTBOUND, effective.outbound)
    on_error = compiler.section(m.SectionName.ON_ERROR, effective.on_error)
    plan = Plan(
        key=key,
        inbound=inbound,
        backend=backend,
        outbound=outbound,
        on_error=on_error,
        resume_after=resume_points(outbound),
        reads_request_body="Body" in compiler.names and "Request" in compiler.names,
        api_view=None if api is None else ctx.Api(id=api, name=api),
        operation_view=None
        if operation is None
        else ctx.Operation(
            id=operation,
            method="" if operation_method == "*" else operation_method,
            name=operation,
            url_template=url_template,
        ),
    )
    spans = compiler.spans
    if spans is None or plan.forwards_only:
        return plan
    return _in_spans(plan, spans, api or "", operation or "")


def _in_spans(plan: Plan, spans: SpanMaker, api: str, operation: str) -> Plan:
    """``plan`` with each non-empty section inside a span (the shortest lane keeps none)."""

    def section(name: m.SectionName, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        return (spans.section(name.value, steps, api, operation),) if steps else ()

    return dataclasses.replace(
        plan,
        inbound=section(m.SectionName.INBOUND, plan.inbound),
        backend=section(m.SectionName.BACKEND, plan.backend),
        outbound=section(m.SectionName.OUTBOUND, plan.outbound),
        on_error=section(m.SectionName.ON_ERROR, plan.on_error),
        resume_after=tuple(section(m.SectionName.OUTBOUND, r) for r in plan.resume_after),
    )


def resume_points(outbound: tuple[Step, ...]) -> tuple[tuple[Step, ...], ...]:
    """For each cache-store in ``outbound`` (depth first, document order), the steps a hit of
    its entries runs: the rest of its own sequence, then the rest of each enclosing one. Sets
    each store's ``marker`` to its index."""
    points: list[tuple[Step, ...]] = []

    def walk(steps: tuple[Step, ...], after: tuple[Step, ...]) -> None:
        for index, step in enumerate(steps):
            rest = steps[index + 1 :] + after
            inner = unwrapped(step)
            if isinstance(inner, CacheStoreStep):
                inner.marker = len(points)
                points.append(rest)
            elif isinstance(inner, ChooseStep):
                for branch in inner.branches():
                    walk(branch, rest)

    walk(outbound, ())
    return tuple(points)


class _Compiler:
    def __init__(self, key: ScopeKey, options: CompileOptions) -> None:
        self.key = key
        self.options = options
        self.names: set[str] = set()
        self.lookup_cache = ""
        """The name of the cache of the plan's cache-lookup: where its cache-store writes."""
        spans = options.spans
        self.spans = spans if spans is not None and spans.enabled() else None
        """The span maker, when spans would be recorded (decided as the plan compiles)."""
        observers = tuple(o for o in options.observers if o is not spans or self.spans)
        if OUTCOME_LOGGER.isEnabledFor(logging.DEBUG):
            observers = (*observers, log_outcomes)
        self.observers = observers

    # --- values -------------------------------------------------------------------------------

    def value(self, value: m.Literal[Any] | m.Expr, convert: Callable[[object], Any]) -> Val[Any]:
        compiled = compile_value(value, convert)
        self.names |= compiled.names
        return compiled

    def typed(self, value: m.Literal[Any] | m.Expr) -> Val[object]:
        compiled = compile_typed(value)
        self.names |= compiled.names
        return compiled

    # --- sequences ----------------------------------------------------------------------------

    def section(self, name: m.SectionName, items: tuple[EffectiveItem, ...]) -> tuple[Step, ...]:
        paths = _paths((item.statement.element for item in items), "")
        return tuple(
            self.traced(
                self.statement(
                    item.statement,
                    StepMeta.of(
                        item.statement, scope=item.scope.value, section=name.value, path=path
                    ),
                    name,
                )
            )
            for item, path in zip(items, paths, strict=True)
        )

    def statements(
        self, items: tuple[m.Statement, ...], parent: StepMeta, section: m.SectionName
    ) -> tuple[Step, ...]:
        return tuple(self.traced(step) for step in self.parts(items, parent, section))

    def parts(
        self,
        items: tuple[m.Statement, ...],
        parent: StepMeta,
        section: m.SectionName,
        target: Target | None = None,
    ) -> list[Step]:
        """The steps of ``items`` inside ``parent``, their paths below its path."""
        steps = []
        paths = _paths((statement.element for statement in items), parent.path + "\\")
        for statement, path in zip(items, paths, strict=True):
            meta = StepMeta.of(statement, scope=parent.scope, section=parent.section, path=path)
            steps.append(self.statement(statement, meta, section, target))
        return steps

    def traced(self, step: Step) -> Step:
        """``step`` as the plan holds it: counting into the gateway's counters, told to its
        observers, in a span, wrapped for the development trace -- each only when on."""
        observed = self.count(step)
        found: list[CacheObserver | None] = []
        if observed is not None:
            found = [factory.observer(observed) for factory in self.observers]
        planned = step
        spans = self.spans
        if spans is not None:
            _product, api, operation = self.key
            if observed is not None or isinstance(step, SendRequestStep):
                planned = spans.step(step, api or "", operation or "")
            elif isinstance(step, TraceStep):
                step.span_event = spans.event
        if self.options.trace:
            traced = TracedStep(
                planned, describe_store if isinstance(step, CacheStoreStep) else None
            )
            found.insert(0, traced.observe)
            planned = traced
        if isinstance(step, _OBSERVED):
            step.observer = combine(found)
        return planned

    def count(self, step: Step) -> Site | None:
        """Give a counting step its cell of the gateway's counters (per API, operation and
        cache); for a caching step, the :class:`Site` its observers see."""
        if not isinstance(step, _COUNTED):
            return None
        if isinstance(step, CacheStoreStep):
            cache = self.lookup_cache  # a store writes where its lookup looked
        elif isinstance(step, SendRequestStep) or step.cache is None:
            cache = ""
        else:
            cache = cache_label(step.cache)
        if isinstance(step, CacheLookupStep):
            self.lookup_cache = cache
        _product, api, operation = self.key
        step.counts = self.options.counters.cell(api, operation, cache)
        if not isinstance(step, _OBSERVED):
            return None
        return Site(step.meta.source, api or "", operation or "", cache, step.meta)

    # --- statements ---------------------------------------------------------------------------

    def statement(
        self,
        s: m.Statement,
        meta: StepMeta,
        section: m.SectionName,
        target: Target | None = None,
    ) -> Step:
        """The step of ``s``; ``target`` overrides the message set-header and set-body change
        (the section's, unless the statement is part of a send-request or return-response)."""
        if target is None:
            target = _SECTION_TARGET[section]
        if isinstance(s, m.SetVariable):
            return SetVariableStep(meta, s.name, self.typed(s.value))
        if isinstance(s, m.SetHeader):
            return self.set_header(s, meta, target)
        if isinstance(s, m.SetStatus):
            return self.set_status(s, meta)
        if isinstance(s, m.SetBody):
            return self.set_body(s, meta, target)
        if isinstance(s, m.Choose):
            return self.choose(s, meta, section)
        if isinstance(s, m.ReturnResponse):
            return self.return_response(s, meta, section)
        if isinstance(s, m.ForwardRequest):
            return ForwardRequestStep(
                meta,
                timeout=None if s.timeout is None else self.value(s.timeout, as_int),
                timeout_ms=None if s.timeout_ms is None else self.value(s.timeout_ms, as_int),
                fail_on_error_status_code=self.value(s.fail_on_error_status_code, as_bool),
            )
        if isinstance(s, m.CacheLookup):
            return self.cache_lookup(s, meta)
        if isinstance(s, m.CacheStore):
            return CacheStoreStep(
                meta,
                duration=self.value(s.duration, as_int),
                cache_response=self.value(s.cache_response, as_bool),
                max_bytes=self.options.max_response_bytes,
                safety=self.options.safety,
            )
        if isinstance(s, m.CacheLookupValue):
            return CacheLookupValueStep(
                meta,
                key=self.value(s.key, as_cache_key),
                variable=s.variable_name,
                default=None if s.default_value is None else self.typed(s.default_value),
                cache=self.options.cache_for(s.caching_type),
                timeout=self.options.cache_timeout,
                seal=self.options.safety.seal,
            )
        if isinstance(s, m.CacheStoreValue):
            return CacheStoreValueStep(
                meta,
                key=self.value(s.key, as_cache_key),
                value=self.typed(s.value),
                duration=self.value(s.duration, as_int),
                cache=self.options.cache_for(s.caching_type),
                seal=self.options.safety.seal,
            )
        if isinstance(s, m.CacheRemoveValue):
            return CacheRemoveValueStep(
                meta,
                key=self.value(s.key, as_cache_key),
                fail_on_error=self.value(s.fail_on_cache_removal_error, as_bool),
                cache=self.options.cache_for(s.caching_type),
                caching_type=s.caching_type.value,
                timeout=self.options.cache_timeout,
            )
        if isinstance(s, m.RateLimitByKey):
            return self.rate_limit_by_key(s, meta)
        if isinstance(s, m.SendRequest):
            return self.send_request(s, meta, section)
        if isinstance(s, m.Trace):
            return TraceStep(
                meta,
                source=s.source,
                severity=s.severity,
                message=self.value(s.message, as_str),
                metadata=tuple(
                    (self.value(name, as_str), self.value(value, as_str))
                    for name, value in s.metadata
                ),
            )
        # base and include-fragment never get here (scopes expands and inlines them).
        return NotSupportedStep(meta)

    def rate_limit_by_key(self, s: m.RateLimitByKey, meta: StepMeta) -> RateLimitByKeyStep:
        # Counters follow prefer-external: shared by every process on an external cache.
        cache = self.options.cache_for(m.CachingType.PREFER_EXTERNAL)
        assert cache is not None, "the internal cache always exists"
        return RateLimitByKeyStep(
            meta,
            calls=self.value(s.calls, as_int),
            renewal_period=self.value(s.renewal_period, as_int),
            counter_key=self.value(s.counter_key, as_cache_key),
            increment_condition=None
            if s.increment_condition is None
            else self.value(s.increment_condition, as_bool),
            increment_count=self.value(s.increment_count, as_int),
            retry_after_header=s.retry_after_header_name,
            retry_after_variable=s.retry_after_variable_name,
            remaining_header=s.remaining_calls_header_name,
            remaining_variable=s.remaining_calls_variable_name,
            total_header=s.total_calls_header_name,
            cache=cache,
            timeout=self.options.cache_timeout,
        )

    def send_request(
        self, s: m.SendRequest, meta: StepMeta, section: m.SectionName
    ) -> SendRequestStep:
        parts: list[m.SetHeader | m.SetBody] = [*s.set_headers]
        if s.set_body is not None:
            parts.append(s.set_body)
        headers: list[SetHeaderStep] = []
        body: Step | None = None
        for step in self.parts(tuple(parts), meta, section, Target.REQUEST):
            if isinstance(step, SetHeaderStep):
                headers.append(step)
            else:
                body = step
        return SendRequestStep(
            meta,
            mode=self.value(s.mode, as_enum(m.SendRequestMode)),
            variable=s.response_variable_name,
            timeout=self.value(s.timeout, as_int),
            ignore_error=s.ignore_error,
            url=None if s.set_url is None else self.value(s.set_url, as_str),
            method=s.set_method,
            headers=tuple(headers),
            body=body,
            in_outbound=section is m.SectionName.OUTBOUND,
        )

    def set_header(self, s: m.SetHeader, meta: StepMeta, target: Target) -> SetHeaderStep:
        return SetHeaderStep(
            meta,
            target,
            self.value(s.name, as_str),
            self.value(s.exists_action, as_enum(m.ExistsAction)),
            tuple(self.value(v, as_str) for v in s.values),
        )

    def set_status(self, s: m.SetStatus, meta: StepMeta) -> SetStatusStep:
        return SetStatusStep(
            meta,
            self.value(s.code, as_int),
            None if s.reason is None else self.value(s.reason, as_str),
        )

    def set_body(self, s: m.SetBody, meta: StepMeta, target: Target) -> Step:
        if s.template is not None:
            return NotSupportedStep(meta, f'<set-body template="{s.template.value}">')
        return SetBodyStep(meta, target, self.typed(s.value))

    def choose(self, s: m.Choose, meta: StepMeta, section: m.SectionName) -> ChooseStep:
        whens = []
        for index, when in enumerate(s.whens, start=1):
            branch_meta = StepMeta.of(
                s,
                scope=meta.scope,
                section=meta.section,
                path=f"{meta.path}\\when[{index}]",
                location=when.location,
            )
            whens.append(
                Branch(
                    self.value(when.condition, as_bool),
                    self.statements(when.items, branch_meta, section),
                    branch_meta,
                )
            )
        otherwise: tuple[Step, ...] = ()
        if s.otherwise is not None:
            otherwise_meta = StepMeta.of(
                s,
                scope=meta.scope,
                section=meta.section,
                path=f"{meta.path}\\otherwise[1]",
                location=s.otherwise_location,
            )
            otherwise = self.statements(s.otherwise, otherwise_meta, section)
        return ChooseStep(meta, tuple(whens), otherwise)

    def return_response(
        self, s: m.ReturnResponse, meta: StepMeta, section: m.SectionName
    ) -> ReturnResponseStep:
        parts: list[m.SetStatus | m.SetHeader | m.SetBody] = []
        if s.set_status is not None:
            parts.append(s.set_status)
        parts += s.set_headers
        if s.set_body is not None:
            parts.append(s.set_body)
        children = self.parts(tuple(parts), meta, section, Target.RESPONSE)
        return ReturnResponseStep(meta, s.response_variable_name, tuple(children))

    def cache_lookup(self, s: m.CacheLookup, meta: StepMeta) -> CacheLookupStep:
        product, api, operation = self.key
        options = self.options
        stale = options.safety.stale
        window = None if stale is None else stale.window(api, operation)
        compiled = KeyShape.build(
            generation=options.generation,
            product=product,
            api=api,
            revision="1",
            operation=operation,
            vary_by_headers=s.vary_by_headers,
            vary_by_query_parameters=s.vary_by_query_parameters,
            vary_by_host=options.safety.vary_by_host,
        )
        shapes = options.shapes
        step = (
            CacheLookupStep if window is None else partial(StaleCacheLookupStep, window=window)
        )(
            meta,
            shape=compiled if shapes is None else shapes.shape(api, operation, compiled),
            cache=options.cache_for(s.caching_type),
            timeout=options.cache_timeout,
            vary_by_developer=self.value(s.vary_by_developer, as_bool),
            vary_by_groups=self.value(s.vary_by_developer_groups, as_bool),
            downstream=self.value(s.downstream_caching_type, as_enum(m.DownstreamCachingType)),
            must_revalidate=self.value(s.must_revalidate, as_bool),
            allow_private=self.value(s.allow_private_response_caching, as_bool),
            safety=options.safety,
        )
        if shapes is not None:
            shapes.track(step, api, operation, compiled)
        return step


_OBSERVED = (CacheLookupStep, CacheStoreStep, CacheLookupValueStep, CacheStoreValueStep)
"""The caching steps: they report what they did to an ``observer``."""
_COUNTED = (*_OBSERVED, CacheRemoveValueStep, RateLimitByKeyStep, SendRequestStep)
"""The steps that count what they did (``counts``)."""


def _paths(elements: Iterable[str], prefix: str) -> list[str]:
    """The path of each element: ``prefix + element[n]``, ``n`` counting same-named siblings
    from 1 (the XPath-like ``choose[3]`` of ``LastError.Path``)."""
    counts: dict[str, int] = {}
    paths = []
    for element in elements:
        counts[element] = counts.get(element, 0) + 1
        paths.append(f"{prefix}{element}[{counts[element]}]")
    return paths
