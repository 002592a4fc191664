"""The response of a cache hit served before any exchange: an ordinary ``web.Response`` that,
when nothing has changed it, goes out as one block of bytes prepared once per entry per second.

aiohttp prepares every response the same way: it copies the headers into a new multidict,
decides keep-alive, chunking, ``Content-Length``, ``Date`` and ``Server`` in Python, then
serialises the lot. For a hit that work is the same on every request for the same entry within
a second -- only ``Date`` and the downstream ``Cache-Control`` (its ``max-age``) ever change, and
both at most once a second -- and it cost a hit more than all of the gateway's own work. So the
header block aiohttp would write is made once per entry, ``Cache-Control`` and ``Date``, and
handed to the connection's writer as it is.

The block is used only when it is exactly what aiohttp would have written:

- nobody changed the response after it was made (its headers' version, status, reason, body,
  cookies, compression, chunking and keep-alive are as made): an outer middleware that adds a
  header gets it written, the ordinary way;
- no application on the route has an ``on_response_prepare`` handler (they may change it);
- the request is HTTP/1.1 and keeps the connection alive (no ``Connection`` header to write),
  the status has a body (not 1xx, 204 or 304), and the writer is aiohttp's own.

Otherwise :meth:`PreparedHit.prepare` is ``web.Response.prepare``, unchanged. A test compares
the bytes on the wire of both ways for the same entries.
"""

from __future__ import annotations

import inspect
from typing import Any, cast

from aiohttp import hdrs, web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import SERVER_SOFTWARE, HttpVersion11, StreamWriter
from multidict import CIMultiDict, getversion

from aiohttp_apim.pipeline.responseentries import CachedResponse

__all__ = ["PreparedHit"]

_NO_BODY_STATUSES = frozenset({204, 304})

_SEND_HEAD_FIRST = 128 * 1024
"""Bodies of at least this many bytes are written after the head instead of joined to it."""

_ZLIB_EXECUTOR_SIZE: int = inspect.signature(web.Response).parameters["zlib_executor_size"].default
"""web.Response's default (what it compresses inline before using an executor)."""


class PreparedHit(web.Response):
    """A hit's response: ``entry``'s status, reason, headers (copied: each response is
    independent) and body (the entry's own bytes, never copied), with ``cache_control`` as its
    ``Cache-Control``. See the module's documentation for when it is written as prepared."""

    def __init__(self, entry: CachedResponse, cache_control: str) -> None:
        headers: CIMultiDict[str] = entry.headers.copy()
        headers[hdrs.CACHE_CONTROL] = cache_control
        # What web.Response.__init__ sets for a bytes body and headers of its own, without its
        # argument checks (a sixth of a hit's own cost); a test holds the two to the same
        # attributes, so an aiohttp that sets more fails it rather than a request.
        web.StreamResponse.__init__(
            self, status=entry.status, reason=entry.reason, _real_headers=headers
        )
        self._body = entry.body
        self._compressed_body = None
        self._zlib_executor_size = _ZLIB_EXECUTOR_SIZE
        self._zlib_executor = None
        self._entry = entry
        self._cache_control = cache_control
        self._made = _version(headers)

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        writer = request._payload_writer
        if self._payload_writer is not None or self._eof_sent or not self._unchanged(request):
            return await super().prepare(request)
        if type(writer) is not StreamWriter:  # (its buffer is what the block is handed to)
            return await super().prepare(request)
        head = _head(self._entry, self._cache_control, self._headers)
        if head is None:  # a header aiohttp would refuse: let it say so, the ordinary way
            return await super().prepare(request)
        self._req = request
        self._must_be_empty_body = False
        self._keep_alive = True
        self._payload_writer = writer
        size = writer.length = len(self._entry.body)
        # What StreamWriter.write_headers leaves for write_eof to send with the body.
        writer._headers_buf = head
        writer._headers_written = False
        if size >= _SEND_HEAD_FIRST:
            # aiohttp sends head and body in one write, joined into a new bytes object on
            # Python before 3.12.9 (it skips writelines there): for a large body that copy
            # costs more than a second system call, so the head goes now and the body as it is.
            # (On a later Python this is one system call more per large hit, and no copy less.)
            writer.send_headers()
        return writer

    def _unchanged(self, request: web.BaseRequest) -> bool:
        entry = self._entry
        status = self._status
        if (
            _version(self._headers) != self._made
            or status != entry.status
            or self._reason != entry.reason
            or self._body is not entry.body
            or self._cookies
            or self._compression
            or self._chunked
            or self._keep_alive is not None
            or status < 200
            or status in _NO_BODY_STATUSES
            or request.version != HttpVersion11
            or not request.keep_alive
        ):
            return False
        # (A low-level server's BaseRequest has no applications, hence no handlers.)
        match_info: Any = getattr(request, "match_info", None)
        if match_info is not None:
            for app in match_info.apps:
                if app.on_response_prepare:
                    return False
        return True


def _version(headers: CIMultiDict[str]) -> int:
    """The multidict's version: it changes with every change made to it."""
    return getversion(cast(Any, headers))


def _head(entry: CachedResponse, cache_control: str, headers: CIMultiDict[str]) -> bytes | None:
    """The status line and header block aiohttp writes for ``headers`` and ``entry``'s body on
    a keep-alive HTTP/1.1 connection now; remembered on the entry until ``Cache-Control`` or
    the second changes. None when a name or value holds a line break, a name a colon, or a
    value text that UTF-8 cannot encode: aiohttp is left to answer those its own way."""
    date = rfc822_formatted_time()
    known = entry.wire
    if known is not None and known[0] == cache_control and known[1] == date:
        return known[2]
    lines = [(name, value) for name, value in headers.items()]
    if hdrs.CONTENT_LENGTH not in headers:  # (Response._start)
        lines.append((hdrs.CONTENT_LENGTH, str(len(entry.body))))
    if entry.body and hdrs.CONTENT_TYPE not in headers:  # (StreamResponse._prepare_headers)
        lines.append((hdrs.CONTENT_TYPE, "application/octet-stream"))
    if hdrs.DATE not in headers:
        lines.append((hdrs.DATE, date))
    if hdrs.SERVER not in headers:
        lines.append((hdrs.SERVER, SERVER_SOFTWARE))
    for name, value in lines:
        if "\r" in name or "\n" in name or ":" in name or "\r" in value or "\n" in value:
            return None
    text = f"HTTP/1.1 {entry.status} {entry.reason}\r\n"
    text += "".join(f"{name}: {value}\r\n" for name, value in lines) + "\r\n"
    try:
        head = text.encode("utf-8")
    except UnicodeEncodeError:  # (a lone surrogate a policy put in a value)
        return None
    entry.wire = (cache_control, date, head)
    return head
