"""send-request: call another HTTP service and keep its answer in a variable as an IResponse.

The request is built from the children in document order: ``set-url``, ``set-method`` (default
GET; in ``copy`` mode the current request's), every ``set-header`` applied as the policy of that
name would apply it, and ``set-body``. ``mode="copy"`` starts from the current request as
inbound has left it: its URL, method, headers (without the connection's own: Host,
Content-Length, hop-by-hop headers) and, except in outbound (APIM: "mode=copy does not
initialize the request body" there), its body.

The call goes through the gateway's one shared ``aiohttp.ClientSession`` (the web layer's
:class:`~aiohttp_apim.pipeline.exchange.Sender`), waits at most ``timeout`` seconds (default
60; 0 or less: no limit) and does not follow redirects. Any status is an answer: the variable
gets it as an IResponse (``StatusCode``, ``StatusReason``, ``Headers``, ``Body`` readable with
``As<string>()``, ``As<JObject>()`` and so on), which ``cache-store-value`` can store. No answer
-- a timeout (Reason ``Timeout``), a connection failure (``BackendConnectionFailure``) -- is an
error for on-error, unless ``ignore-error="true"``: then the variable is set to null. A URL that
is not an absolute http(s) URL is an error of the policy (``UriFormatException``) either way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from multidict import CIMultiDict
from yarl import URL

from aiohttp_apim.errors import ExpressionError, PolicyRuntimeError
from aiohttp_apim.pipeline.exchange import Exchange, Signal
from aiohttp_apim.pipeline.headers import HOP_BY_HOP, HeaderStore
from aiohttp_apim.pipeline.stats import ScopeCounts
from aiohttp_apim.pipeline.steps.base import Abort, Step, StepMeta
from aiohttp_apim.pipeline.steps.message import SetBodyStep, SetHeaderStep
from aiohttp_apim.pipeline.values import Val
from aiohttp_apim.policy.model import SendRequestMode

__all__ = ["SendRequestStep"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_NOT_COPIED = HOP_BY_HOP | {"host", "content-length"}
"""Headers that describe the client's connection to the gateway, not the request."""


class SendRequestStep(Step):
    __slots__ = (
        "body",
        "counts",
        "headers",
        "ignore_error",
        "in_outbound",
        "method",
        "mode",
        "timeout",
        "url",
        "variable",
    )

    def __init__(
        self,
        meta: StepMeta,
        *,
        mode: Val[SendRequestMode],
        variable: str,
        timeout: Val[int],
        ignore_error: bool,
        url: Val[str] | None,
        method: str | None,
        headers: tuple[SetHeaderStep, ...],
        body: Step | None,
        in_outbound: bool,
    ) -> None:
        super().__init__(meta, is_async=True)
        self.mode = mode
        self.variable = variable
        self.timeout = timeout
        self.ignore_error = ignore_error
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        """A SetBodyStep, or the step that refuses an unsupported set-body (a template)."""
        self.in_outbound = in_outbound
        self.counts = ScopeCounts()
        """Where call-outs are counted (the compiler gives the gateway's)."""

    async def run_async(self, x: Exchange) -> Signal | None:
        copy = self.mode.get(x) is SendRequestMode.COPY
        url = self._url(x, copy)
        method = self.method or (x.method if copy else "GET")
        body: bytes | None = None
        if copy:
            headers = HeaderStore(
                CIMultiDict(
                    (name, value)
                    for name, value in x.request_headers.items()
                    if name.lower() not in _NOT_COPIED
                ),
                owned=True,
            )
            if not self.in_outbound:
                await x.read_request_body()
                message = x.request_body
                body = None if message is None or not message.content else message.content
        else:
            headers = HeaderStore(CIMultiDict(), owned=True)
        for child in self.headers:
            _as_child(child, x, partial(child.apply, x, headers))
        body_step = self.body
        if body_step is not None:
            if isinstance(body_step, SetBodyStep):
                body = _as_child(body_step, x, lambda: body_step.body(x))
            else:
                _as_child(body_step, x, lambda: body_step.run(x))
        seconds = self.timeout.get(x)
        timeout = float(seconds) if seconds > 0 else None

        runtime = x.runtime
        sender = runtime.sender
        self.counts.send_requests += 1
        try:
            if sender is None:
                raise PolicyRuntimeError(
                    "send-request needs the gateway's HTTP client (no web layer here)",
                    reason="BackendConnectionFailure",
                )
            response = await sender.send(method, url, headers.items(), body, timeout)
        except PolicyRuntimeError as error:
            self.counts.send_request_errors += 1
            if not self.ignore_error:
                raise
            logger.info(
                "send-request (%s %s) failed, ignored (ignore-error): %s",
                self.meta.section,
                self.meta.path,
                error.message,
            )
            x.variables.set(self.variable, None)
            return None
        x.variables.set(self.variable, response)
        return None

    def _url(self, x: Exchange, copy: bool) -> str:
        if self.url is not None:
            text = self.url.get(x).strip()
        elif copy:
            return str(x.http.url)
        else:
            raise PolicyRuntimeError(
                '<send-request mode="new"> needs a <set-url>', reason="InvalidRequest"
            )
        try:
            parsed = URL(text)
        except ValueError:
            parsed = None
        if (
            parsed is None
            or not parsed.is_absolute()
            or parsed.scheme not in ("http", "https")
            or not parsed.host
        ):
            raise ExpressionError(
                "UriFormatException",
                f"Invalid URI: '{text}' is not an absolute http or https URL.",
            )
        return text


def _as_child(child: Step, x: Exchange, action: Callable[[], T]) -> T:
    """Run part of the request's making; a failure is reported where that child is
    (``send-request[1]\\set-header[2]``)."""
    try:
        return action()
    except Abort:
        raise
    except Exception as error:
        raise Abort(child.meta.failure(error, x)) from error
