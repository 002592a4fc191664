"""A compiled plan: the effective policy of one (product, API, operation) as step objects.

Plans are compiled once (at setup, or the first time a combination is seen) and shared by every
request of that combination; nothing in a plan changes per request.

A plan also knows what its requests need, so that the middleware takes the shortest lane the
plan allows: :attr:`Plan.forwards_only` -- nothing to do but call the handler -- lets a request
skip the pipeline altogether (no exchange, no header store, no response wrapper), a plan that
starts with a cache-lookup of literal attributes (:attr:`Plan.early_lookup`), perhaps after
set-variable steps (:attr:`Plan.early_prelude`), serves a hit with nothing left to run in
outbound the same way, a plan that only looks up, forwards and stores (:attr:`Plan.miss_lane`)
answers and stores a miss the same way, and the
expression ``context``, the request body, header copies and response wrappers are made only by
the steps that use them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.pipeline.misslane import MissLane
from aiohttp_apim.pipeline.steps.backend import ForwardRequestStep
from aiohttp_apim.pipeline.steps.base import Step
from aiohttp_apim.pipeline.steps.caching import CacheLookupStep
from aiohttp_apim.policy.scopes import ScopeKey

__all__ = ["Plan"]


@dataclass(frozen=True, slots=True)
class Plan:
    key: ScopeKey
    """(product id, API id, operation id) this plan is for."""
    inbound: tuple[Step, ...]
    backend: tuple[Step, ...]
    outbound: tuple[Step, ...]
    on_error: tuple[Step, ...]
    resume_after: tuple[tuple[Step, ...], ...]
    """Per cache-store of the outbound (in document order; its ``marker`` is the index): what
    outbound runs on a hit of an entry it stored -- the statements after it in its branch, then
    after the enclosing ``choose``, and so on outwards: APIM resumes a hit right after the
    ``cache-store``."""
    reads_request_body: bool
    """Whether an expression may read ``context.Request.Body``: the body is read up front, since
    expressions cannot wait."""
    api_view: ctx.Api | None
    operation_view: ctx.Operation | None
    forwards_only: bool = field(init=False)
    """Whether a request only goes to the handler and back: no inbound or outbound statement, and
    a backend that is one forward-request with a literal timeout and without
    fail-on-error-status-code (as every scope without policies has). Such a request needs
    the pipeline only if the handler fails (on-error, if any, then runs as usual)."""
    forward_timeout: float | None = field(init=False)
    """The handler's time limit on a :attr:`forwards_only` plan (None: none)."""
    early_lookup: CacheLookupStep | None = field(init=False)
    """The cache-lookup that starts inbound (after :attr:`early_prelude`), when it can run before
    the pipeline does (:attr:`CacheLookupStep.early`; the request body is not wanted up front):
    a hit it finds needs no runner, no response wrapper, and, without a prelude, no exchange,
    when nothing of outbound follows its entry's cache-store."""
    early_prelude: tuple[Step, ...] = field(init=False)
    """The steps before :attr:`early_lookup` (each :attr:`Step.before_lookup`: set-variable)
    up to the last one that may fail: they run first, in the exchange
    (:func:`~aiohttp_apim.pipeline.runner.run_prelude`), and the runner carries on after them
    (:attr:`after_prelude`). Those after it, which cannot fail (:meth:`Step.cannot_fail`: a
    variable set to a header read or a literal), wait for the runner: a hit that ends the
    request never runs them, which no one can tell. Empty: the lookup comes first."""
    after_prelude: tuple[Step, ...] = field(init=False)
    """Inbound after :attr:`early_prelude`: what the runner runs once the prelude ran."""
    served_early: frozenset[int] = field(init=False)
    """The cache-store markers whose hits have no outbound left to run (see
    :attr:`resume_after`): an early lookup serves those hits itself."""
    miss_lane: MissLane | None = field(init=False)
    """Set when the plan is nothing but an early lookup, a forward-request and a cache-store
    (see :meth:`MissLane.of`): a miss of the early lookup then calls the handler and stores its
    answer without an exchange."""

    def __post_init__(self) -> None:
        backend = self.backend
        forward = backend[0] if len(backend) == 1 else None
        only, timeout = False, None
        if (
            isinstance(forward, ForwardRequestStep)
            and forward.constant_timeout
            and not self.inbound
            and not self.outbound
            and not self.reads_request_body
        ):
            fail_on_status = forward.fail_on_error_status_code
            if fail_on_status.is_constant and not fail_on_status.get_constant():
                only, timeout = True, forward.constant_seconds()
        object.__setattr__(self, "forwards_only", only)
        object.__setattr__(self, "forward_timeout", timeout)
        inbound = self.inbound
        start = 0
        while start < len(inbound) and inbound[start].before_lookup:
            start += 1
        first = inbound[start] if start < len(inbound) else None
        early = (
            first
            if isinstance(first, CacheLookupStep) and first.early and not self.reads_request_body
            else None
        )
        object.__setattr__(self, "early_lookup", early)
        if early is None:
            start = 0
        # Steps that cannot fail (a header read, a literal) need not run ahead of the lookup:
        # they change nothing it reads, and a hit that ends the request cannot show whether they
        # ran; otherwise they still run first, in their place (the runner runs them).
        while start > 0 and inbound[start - 1].cannot_fail():
            start -= 1
        object.__setattr__(self, "early_prelude", inbound[:start])
        object.__setattr__(self, "after_prelude", inbound[start:])
        served = frozenset(i for i, steps in enumerate(self.resume_after) if not steps)
        object.__setattr__(self, "served_early", served)
        lane = MissLane.of(early, self.inbound, self.backend, self.outbound)
        object.__setattr__(self, "miss_lane", lane)

    def outbound_after_hit(self, marker: int) -> tuple[Step, ...]:
        """The outbound steps for a hit on an entry stored by cache-store ``marker``; the whole
        outbound when there is no such store (an entry of an older plan cannot be seen: the
        policy generation is part of every key)."""
        if 0 <= marker < len(self.resume_after):
            return self.resume_after[marker]
        return self.outbound
