"""The early miss lane on aiohttp: a miss of a plan that only looks up, forwards and stores
(:attr:`~aiohttp_apim.pipeline.plan.Plan.miss_lane`) answered without an exchange.

The lane does what the pipeline does on such a miss, in the same order: join stampede
protection, call the handler (within forward-request's time limit), store a plain answer under
cache-store's rules, settle the lead, and send the handler's own response with the downstream
``Cache-Control`` set as the pipeline sets it. Anything else takes the pipeline, which stays the
one definition of a miss: a request with conditional or range headers (the pipeline strips them)
or another request's entry to share goes there before the handler is called; a handler that
raises, or answers with anything but an unsent ``web.Response`` with a bytes body and no cookies
set through ``set_cookie``, goes there after, with what the handler did replayed
(:class:`_Replay`) and the stampede answer already had (``Prefetched.joined``), so that neither
the handler nor the coalescer is asked twice.
"""

from __future__ import annotations

import asyncio

from aiohttp import hdrs, web

from aiohttp_apim.cache.base import CacheHit
from aiohttp_apim.pipeline.exchange import Prefetched, Runtime
from aiohttp_apim.pipeline.misslane import MissLane
from aiohttp_apim.web.adapters import Handler, WebAdapter

__all__ = ["answer_miss"]


class _Replay:
    """A handler that answers what the route's handler already answered (or raises what it
    raised): the pipeline's forward-request calls it instead."""

    __slots__ = ("answer", "error")

    def __init__(self, answer: web.StreamResponse | None, error: Exception | None) -> None:
        self.answer = answer
        self.error = error

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        error = self.error
        if error is not None:
            raise error
        assert self.answer is not None
        return self.answer


async def answer_miss(
    lane: MissLane,
    runtime: Runtime,
    adapter: WebAdapter,
    request: web.Request,
    handler: Handler,
    prefetched: Prefetched,
) -> web.StreamResponse | Handler:
    """The answer to a request the early lookup missed (``prefetched``: its key); or the
    handler the pipeline is to run the request with, when the lane does not answer it."""
    if lane.conditional(request.headers):
        return handler
    key = prefetched.key
    coalescer = lane.coalescer
    lead = None
    if coalescer is not None:
        lead = coalescer.lead(key)
        if lead is None:
            joined = await coalescer.join(key)
            if isinstance(joined, CacheHit):  # another request's entry: the pipeline serves it
                prefetched.joined = (joined,)
                return handler
            lead = joined
    timeout = lane.timeout
    try:
        if timeout is None:
            answer = await handler(request)
        else:  # (adapter.call_handler written out: a coroutine less per miss)
            deadlines = adapter.deadlines
            number = deadlines.start(timeout, None)  # (the loop of the calls before: cheap)
            try:
                answer = await handler(request)
            except asyncio.CancelledError as cancelled:
                deadlines.cancelled(number, cancelled)  # HandlerTimeout if it was the deadline
                raise
            finally:
                deadlines.end(number, timeout)
    except Exception as error:
        prefetched.joined = (lead,)
        return _Replay(None, error)
    except BaseException:  # cancelled: whoever waits on this request goes to the handler
        if lead is not None:
            lead.settle(None)
        raise
    body = answer.body if isinstance(answer, web.Response) else None
    if not isinstance(body, bytes) or answer.prepared or answer._cookies:
        prefetched.joined = (lead,)
        return _Replay(answer, None)
    headers = answer.headers
    cache_control = lane.store(
        runtime, key, lead, answer.status, answer.reason, headers.items(), body
    )
    if cache_control is not None:  # (set as the pipeline sets it: the line goes last)
        headers.popall(hdrs.CACHE_CONTROL, None)
        headers.add(hdrs.CACHE_CONTROL, cache_control)
    return answer
