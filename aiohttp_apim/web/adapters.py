"""Between aiohttp and the pipeline: making responses, calling the handler, finishing up.

The pipeline's response state is carried by a real ``web.Response`` from the start (``origin``):
the handler's own when it answered (so cookies it set with ``set_cookie`` and compression it
enabled survive the policies), or one made here. Finishing a request only writes back what the
policies changed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import cast

from aiohttp import hdrs, web
from aiohttp.payload import BytesPayload
from multidict import CIMultiDict

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.pipeline.exchange import Exchange, ResponseState
from aiohttp_apim.pipeline.headers import HeaderStore
from aiohttp_apim.pipeline.steps.caching import EarlyHit
from aiohttp_apim.web.deadlines import Deadlines, HandlerTimeout
from aiohttp_apim.web.hitresponse import PreparedHit

__all__ = ["Handler", "WebAdapter", "cached_response", "finish", "forwarded_request"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebAdapter:
    """The pipeline's :class:`~aiohttp_apim.pipeline.exchange.Adapter` on aiohttp."""

    __slots__ = ("deadlines",)

    def __init__(self) -> None:
        self.deadlines = Deadlines()
        """The handler's time limits (the forward-only lane keeps them itself, see there)."""

    def new_response(
        self,
        status: int,
        reason: str | None,
        headers: Iterable[tuple[str, str]] | CIMultiDict[str],
        body: bytes,
    ) -> ResponseState:
        # Response() copies the lines (or a multidict, the fastest) into a CIMultiDict of its
        # own: pass them as they are.
        lines = headers if isinstance(headers, _HEADER_COLLECTIONS) else tuple(headers)
        response = web.Response(status=status, reason=reason, headers=lines, body=body)
        return ResponseState(
            status, response.reason, HeaderStore(response.headers, owned=True), body, response
        )

    async def forward(self, x: Exchange, timeout: float | None) -> None:
        request = x.http
        assert isinstance(request, web.Request)
        handler = cast(Handler, x.handler)
        forwarded = forwarded_request(x, request)
        try:
            answer = await self.call_handler(handler, forwarded, timeout)
        except Exception as exc:
            self.handler_failed(x, exc)
            return
        await _adopt(x, answer)

    def handler_failed(self, x: Exchange, exc: Exception) -> None:
        """The handler raised ``exc``: an ``HTTPException`` is aiohttp's way to answer, so it
        becomes the response like any other; anything else is APIM's backend failure (raised as
        :class:`PolicyRuntimeError`, for on-error)."""
        request = x.http
        assert isinstance(request, web.Request)
        if isinstance(exc, web.HTTPException):
            body = _bytes_of(exc.body) or b""
            x.set_response(self.new_response(exc.status, exc.reason, exc.headers.items(), body))
            return
        if isinstance(exc, HandlerTimeout):
            raise exc
        raise _backend_failure(request, exc) from exc

    def call_handler(
        self, handler: Handler, request: web.Request, timeout: float | None
    ) -> Awaitable[web.StreamResponse]:
        """``handler(request)`` within ``timeout`` seconds (None: no limit); raises
        :class:`HandlerTimeout` when they pass first."""
        if timeout is None:
            return handler(request)
        # (request.task is the connection's task, not this request's, but on the same loop)
        return self.deadlines.call(timeout, handler, request, request.task.get_loop())


_HEADER_COLLECTIONS = (tuple, list, CIMultiDict)


def _backend_failure(request: web.Request, exc: Exception) -> PolicyRuntimeError:
    # The handler's bug is the application's to see in its log; the caller gets APIM's answer.
    logger.error("the handler of %s %s raised", request.method, request.path, exc_info=exc)
    return PolicyRuntimeError(
        "The backend (the route's handler) failed; see the application log",
        reason="BackendConnectionFailure",
    )


def _bytes_of(body: object) -> bytes | None:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, bytearray):
        return bytes(body)
    return None


async def _adopt(x: Exchange, answer: web.StreamResponse) -> None:
    """Make the handler's answer the current response -- unless it cannot be buffered: a
    ``StreamResponse`` the handler prepared (or one that is not a plain ``Response``, like a file)
    or a streaming payload passes through as it is, without outbound and never cached."""
    if isinstance(answer, web.Response) and not answer.prepared:
        body = answer.body
        data = _bytes_of(body)
        if data is None and isinstance(body, BytesPayload):
            data = await body.as_bytes()
        if data is not None:
            # What set_cookie() set becomes header lines now, as aiohttp would make them when
            # sending: policies see them, and the cache knows the answer sets cookies. (Read
            # through _cookies: the public property makes an empty SimpleCookie, ~2 us, on
            # every response that has none.)
            cookies = answer._cookies
            if cookies:
                for cookie in cookies.values():
                    answer.headers.add(hdrs.SET_COOKIE, cookie.output(header="")[1:])
                cookies.clear()
            x.set_response(
                ResponseState(
                    answer.status,
                    answer.reason,
                    HeaderStore(answer.headers, owned=True),
                    data,
                    answer,
                )
            )
            return
    x.set_response(None)
    x.passthrough = answer


def forwarded_request(x: Exchange, request: web.Request) -> web.Request:
    """The request as inbound left it: the original when nothing changed, else a clone with the
    new headers and body."""
    headers_changed = x.request_headers.changed
    message = x.request_body
    body_changed = message is not None and (x.request_body_changed or message.consumed)
    if not headers_changed and not body_changed:
        return request
    headers = CIMultiDict(x.request_headers.items())
    content = b""
    if message is not None and body_changed:
        content = message.content
        headers.popall(hdrs.TRANSFER_ENCODING, None)
        headers[hdrs.CONTENT_LENGTH] = str(len(content))
    # aiohttp refuses to clone a request whose body was read (its stream is spent), so the
    # clone is made as if unread and given the bytes: read()/text()/json() see them.
    read = request._read_bytes
    request._read_bytes = None
    try:
        clone = request.clone(headers=headers)
    finally:
        request._read_bytes = read
    if body_changed:
        clone._read_bytes = content
    elif read is not None:
        clone._read_bytes = read
    return clone


def cached_response(hit: EarlyHit) -> web.Response:
    """The response of a hit served before any exchange (see
    :class:`~aiohttp_apim.web.hitresponse.PreparedHit`)."""
    return PreparedHit(hit.entry, hit.cache_control)


def finish(x: Exchange) -> web.StreamResponse:
    """The aiohttp response for ``x``, with every change the policies made written back."""
    x.done()
    if x.passthrough is not None:
        assert isinstance(x.passthrough, web.StreamResponse)
        return x.passthrough
    state = x.response
    assert state is not None, "the runner always leaves a response"
    response = state.origin
    assert isinstance(response, web.Response)
    if response.status != state.status or response.reason != state.reason:
        response.set_status(state.status, state.reason)
    store = state.headers
    headers = response.headers
    if store.multidict is not headers:  # an expression took the headers over
        lines = store.items()
        headers.clear()
        headers.extend(lines)
    if state.body_changed:
        headers.popall(hdrs.CONTENT_LENGTH, None)
        response.body = state.body
    return response
