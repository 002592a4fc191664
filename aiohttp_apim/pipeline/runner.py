"""Running a plan: inbound, backend, outbound; on an error, on-error
(https://learn.microsoft.com/azure/api-management/api-management-error-handling-policies).

A cache hit skips the rest of inbound and the backend and resumes outbound after the cache-store
that stored the entry; return-response ends the request with its response. Any failure abandons
the section and runs the effective on-error section with ``context.LastError`` set and
``context.Response`` already APIM's default error answer, so an on-error that does nothing (or
is absent) answers with that default, and one that fails too answers with the default for its
own error. Nothing of a Python traceback ever reaches the caller.

Once the answer is decided, whatever way, the exchange's finishing work runs: the headers
rate-limit-by-key promised every response (remaining and total calls) are set, then what steps
deferred to the end of the pipeline (rate-limit-by-key's increment when its condition or count
is an expression).
"""

from __future__ import annotations

import json
import logging

from aiohttp_apim.pipeline.exchange import Exchange, ResponseState, Signal
from aiohttp_apim.pipeline.failures import RATE_LIMIT_EXCEEDED, LastError
from aiohttp_apim.pipeline.steps.base import Abort, Step, run_steps

__all__ = [
    "default_error_response",
    "finish_exchange",
    "run_exchange",
    "run_failure",
    "run_prelude",
    "run_step_failure",
]

logger = logging.getLogger(__name__)

_UNAUTHORIZED = frozenset({"SubscriptionKeyNotFound", "SubscriptionKeyInvalid"})
_JSON = ("Content-Type", "application/json; charset=utf-8")


def run_prelude(x: Exchange) -> bool:
    """Run the steps of ``x``'s plan that come before its early cache-lookup
    (:attr:`~aiohttp_apim.pipeline.plan.Plan.early_prelude`: set-variable steps), ahead of the
    lookup and of :func:`run_exchange`, which then carries on after them. False: one failed;
    its error waits in ``x`` for :func:`run_exchange`, which goes to on-error with it exactly as
    if the step had failed there (the steps after it do not run)."""
    x.prelude_ran = True
    for step in x.plan.early_prelude:  # (run_steps_sync's loop: these never signal)
        try:
            step.run(x)
        except Abort as abort:
            x.prelude_error = abort.error
            return False
        except Exception as error:
            x.prelude_error = step.meta.failure(error, x)
            return False
    return True


async def run_exchange(x: Exchange) -> None:
    """Run ``x``'s plan; afterwards ``x.response`` (or ``x.passthrough``) is the answer."""
    plan = x.plan
    try:
        if plan.reads_request_body:
            await x.read_request_body()
        if x.prelude_ran:  # (set-variable steps ran before the early lookup: not again)
            failed = x.prelude_error
            if failed is not None:
                raise Abort(failed)
            signal = await run_steps(plan.after_prelude, x)
        else:
            signal = await run_steps(plan.inbound, x)
        if signal is Signal.HIT:
            resumed = plan.outbound_after_hit(x.resume)
            if resumed:
                await run_steps(resumed, x)
        elif (
            signal is not Signal.RETURN
            and await run_steps(plan.backend, x) is not Signal.RETURN
            and x.passthrough is None
        ):
            if x.response is None:  # a backend section that calls no backend
                x.set_response(x.runtime.adapter.new_response(200, "OK", (), b""))
            await run_steps(plan.outbound, x)
    except Abort as abort:
        await run_failure(x, abort.error)
    if x.extra_headers is not None or x.finishers is not None:
        await finish_exchange(x)


async def finish_exchange(x: Exchange) -> None:
    """The work left for when the response is final (see the module docstring)."""
    headers = x.extra_headers
    response = x.response
    if headers is not None and response is not None and x.passthrough is None:
        for name, value in headers:
            response.headers.set(name, (value,))
    finishers, x.finishers = x.finishers, None
    for finisher in finishers or ():
        try:
            await finisher(x)
        except Exception:  # a finisher handles its own failures; this is a bug of ours
            logger.exception("finishing a request failed")


async def run_step_failure(x: Exchange, step: Step, error: Exception) -> None:
    """``step`` failed with ``error`` outside :func:`run_exchange` (the middleware's
    forward-only lane calls the handler itself): what the runner would have done -- on-error,
    then the finishing work."""
    await run_failure(x, step.meta.failure(error, x))
    if x.extra_headers is not None or x.finishers is not None:
        await finish_exchange(x)


async def run_failure(x: Exchange, error: LastError) -> None:
    """Handle ``error``: the default error answer, then the effective on-error section."""
    x.set_last_error(error)
    x.set_response(default_error_response(x, error))
    try:
        await run_steps(x.plan.on_error, x)
    except Abort as again:
        logger.info(
            "on-error failed too (%s at %s: %s); answering with the default error response",
            again.error.source,
            again.error.path,
            again.error.message,
        )
        x.set_last_error(again.error)
        x.set_response(default_error_response(x, again.error))


def default_error_response(x: Exchange, error: LastError) -> ResponseState:
    """APIM's own answer to an error no policy handled: 401 for subscription keys (with the
    documented messages), 429 with ``Retry-After`` for a rate limit, else 500 with the
    request's activity id."""
    payload: dict[str, object]
    if error.reason == RATE_LIMIT_EXCEEDED:
        status, reason = 429, "Too Many Requests"
        payload = {"statusCode": 429, "message": error.message}
        headers = [_JSON]
        if x.retry_after is not None:
            name, seconds = x.retry_after
            headers.append((name, str(seconds)))
    elif error.reason in _UNAUTHORIZED:
        status, reason = 401, "Unauthorized"
        payload = {"statusCode": 401, "message": error.message}
        headers = [
            _JSON,
            (
                "WWW-Authenticate",
                'AzureApiManagementKey realm="aiohttp_apim",name="Ocp-Apim-Subscription-Key",'
                'type="header"',
            ),
        ]
    else:
        status, reason = 500, "Internal Server Error"
        payload = {
            "statusCode": 500,
            "message": "Internal server error",
            "activityId": str(x.request_id),
        }
        headers = [_JSON]
    body = json.dumps(payload).encode("utf-8")
    return x.runtime.adapter.new_response(status, reason, headers, body)
