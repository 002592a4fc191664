"""The middleware: one request through the gateway.

Per request it only looks things up -- the route's binding, the caller, the plan for the
caller's product -- and runs the plan, on the shortest lane the plan allows: a plan that only
forwards (:attr:`~aiohttp_apim.pipeline.plan.Plan.forwards_only`) calls the handler directly
and makes no exchange unless the handler fails (without subscriptions, every route's plan is
found in one lookup, :attr:`~aiohttp_apim.web.routes.Router.anonymous`, with nothing else
looked up); a plan that starts with a cache-lookup of
literal attributes (:attr:`~aiohttp_apim.pipeline.plan.Plan.early_lookup`) looks the cache up
first and answers a hit with nothing left to run straight from the entry; a plan that only
looks up, forwards and stores (:attr:`~aiohttp_apim.pipeline.plan.Plan.miss_lane`) answers a
plain miss the same way (:mod:`~aiohttp_apim.web.misslane`), and only another miss (or a hit
with outbound steps to run) makes the exchange, which carries what the cache said. A websocket upgrade is handed to its handler
once the caller is admitted: a long-lived connection is no request/response exchange for
policies to rewrite or cache.
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

from aiohttp_apim.errors import ApimRuntimeError, PolicyError
from aiohttp_apim.identity import ANONYMOUS
from aiohttp_apim.pipeline.exchange import Exchange, Runtime
from aiohttp_apim.pipeline.failures import LastError
from aiohttp_apim.pipeline.runner import run_exchange, run_failure, run_prelude, run_step_failure
from aiohttp_apim.pipeline.steps.caching import EarlyHit
from aiohttp_apim.web.adapters import WebAdapter, cached_response, finish
from aiohttp_apim.web.callers import Callers
from aiohttp_apim.web.misslane import answer_miss
from aiohttp_apim.web.routes import Router

__all__ = ["make_middleware"]

logger = logging.getLogger(__name__)


def make_middleware(router: Router, runtime: Runtime, callers: Callers) -> Middleware:
    """The ``@web.middleware`` running ``router``'s plans."""
    adapter = runtime.adapter
    assert isinstance(adapter, WebAdapter)
    deadlines = adapter.deadlines
    anyone = callers.anyone  # (a gateway's subscriptions are fixed: only reloads change plans)

    @web.middleware
    async def apim_policies(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not router.bound and not _bind_on_first_request(router, request):
            return _internal_error()
        match_info = request.match_info
        route = match_info.route
        caller = ANONYMOUS
        refused: LastError | None = None
        plan = router.anonymous.get(route)  # (filled only when nobody is identified)
        if plan is None:  # find the caller and its plan
            binding = router.by_route.get(route) or router.route(route.name, route)
            if not anyone:
                caller, refused = callers.identify(request, binding.api)
            if refused is None:
                product = caller.product
                plan = binding.plan(None if product is None else product.id)
                if anyone and route.resource is not None:  # (not a 404's or 405's route)
                    router.anonymous[route] = plan  # one lookup for the next ones
            else:
                plan = binding.plan(None)
        if plan.forwards_only and refused is None:  # the handler alone (a websocket upgrade too)
            # adapter.call_handler written out: no coroutine of its own per request.
            try:
                timeout = plan.forward_timeout
                if timeout is None:
                    return await handler(request)
                # Deadlines.start and .end written out as well, for the usual case (a call on
                # the loop of the previous one, with calls of this timeout running, the timer
                # marking): two method calls cost a request about 1,400 instructions.
                loop = deadlines._loop
                task = None if loop is None else deadlines._task_of(loop)
                running = deadlines._running.get(timeout)
                if task is None or running is None or not deadlines._ticking:
                    number = deadlines.start(timeout, None)  # (no loop given: see start)
                else:
                    number = next(deadlines._numbers)
                    running[number] = (task, task.cancelling())
                try:
                    return await handler(request)
                except asyncio.CancelledError as cancelled:
                    deadlines.cancelled(number, cancelled)  # HandlerTimeout if the deadline
                    raise
                finally:
                    if running is None or running.pop(number, None) is None:
                        deadlines.end(number, timeout)  # (expired, or started the long way)
            except Exception as exc:
                failed = Exchange(runtime, plan, request, handler, caller, match_info)
                return await _handler_failed(failed, adapter, exc)
        prefetched = None
        x: Exchange | None = None
        if refused is None:
            upgrade = request.headers.get(hdrs.UPGRADE)
            if upgrade is not None and upgrade.lower() == "websocket":
                return await handler(request)
            lookup = plan.early_lookup
            if lookup is not None and plan.early_prelude:  # set-variable steps first, once
                x = Exchange(runtime, plan, request, handler, caller, match_info)
                if not run_prelude(x):  # one failed: on to on-error, without a lookup
                    lookup = None
            if lookup is not None:  # a plan that starts with a cache-lookup of literals
                try:
                    early = await lookup.lookup_early(request, caller, runtime, plan.served_early)
                except Exception:  # a bug of ours: the pipeline looks up again, and reports it
                    logger.exception("aiohttp_apim's early cache lookup failed")
                    early = None
                if isinstance(early, EarlyHit):
                    if x is not None:
                        x.done()
                    return cached_response(early)
                prefetched = early
                lane = plan.miss_lane
                if lane is not None and early is not None and early.hit is None:
                    try:
                        answer = await answer_miss(lane, runtime, adapter, request, handler, early)
                    except Exception:
                        return _bug(request)
                    if isinstance(answer, web.StreamResponse):
                        return answer
                    handler = answer  # the pipeline's turn (see misslane)
        if x is None:
            x = Exchange(runtime, plan, request, handler, caller, match_info)
        x.prefetched = prefetched
        try:
            if refused is None:
                await run_exchange(x)
            else:
                await run_failure(x, refused)
            return finish(x)
        except (web.HTTPException, ConnectionError):
            # 413 from reading an oversized body, a client gone mid-body: aiohttp's business.
            raise
        except Exception:
            return _bug(request)

    return apim_policies


async def _handler_failed(x: Exchange, adapter: WebAdapter, exc: Exception) -> web.StreamResponse:
    """The forward-only lane's handler raised: answer as the whole pipeline would have."""
    try:
        try:
            adapter.handler_failed(x, exc)
        except ApimRuntimeError as error:
            await run_step_failure(x, x.plan.backend[0], error)
        return finish(x)
    except Exception:
        return _bug(x.http)


def _bug(request: web.Request | object) -> web.Response:
    # A bug of ours: the application log gets it all, the caller APIM's plain 500.
    assert isinstance(request, web.Request)
    logger.exception("aiohttp_apim failed on %s %s", request.method, request.path)
    return _internal_error()


def _bind_on_first_request(router: Router, request: web.Request) -> bool:
    """For ``policy_middleware`` (no app at hand when it was made): bind to the app that serves
    the first request. A binding problem is logged once; every request then gets a 500."""
    if router.binding_error is None:
        apps = request.match_info.apps
        try:
            router.bind(apps[0] if apps else request.app)
        except PolicyError as error:
            router.binding_error = error
            logger.error("aiohttp_apim cannot serve requests: %s", error)
    return router.binding_error is None


def _internal_error() -> web.Response:
    return web.Response(
        status=500,
        body=json.dumps({"statusCode": 500, "message": "Internal server error"}).encode(),
        content_type="application/json",
    )
