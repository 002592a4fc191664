"""A compiled plan: the effective policy of one (product, API, operation) as step objects.

Plans are compiled once (at setup, or the first time a combination is seen) and shared by every
request of that combination; nothing in a plan changes per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.pipeline.steps.base import Step
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
    after the enclosing ``choose``, and so on outwards (spec 4.6)."""
    reads_request_body: bool
    """Whether an expression may read ``context.Request.Body``: the body is read up front, since
    expressions cannot wait."""
    api_view: ctx.Api | None
    operation_view: ctx.Operation | None

    def outbound_after_hit(self, marker: int) -> tuple[Step, ...]:
        """The outbound steps for a hit on an entry stored by cache-store ``marker``; the whole
        outbound when there is no such store (an entry of an older plan cannot be seen: the
        policy generation is part of every key)."""
        if 0 <= marker < len(self.resume_after):
            return self.resume_after[marker]
        return self.outbound
