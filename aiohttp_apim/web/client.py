"""The gateway's HTTP client for send-request: one ``aiohttp.ClientSession`` for all requests.

The session is made the first time a request needs it (inside the running loop, as aiohttp
wants) and closed with the gateway (``Gateway.close()``, run on app cleanup by ``setup()``). It
keeps no cookies (one session serves every caller: a cookie one call-out receives must not ride
along on another caller's), ignores proxy settings of the environment, does not follow
redirects and does not invent a ``Content-Type`` for a body the policy gave none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import aiohttp
from multidict import CIMultiDict
from yarl import URL

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.expressions import context as ctx
from aiohttp_apim.web.options import DEFAULT_SEND_REQUEST_MAX_BYTES

__all__ = ["HttpSender"]

logger = logging.getLogger(__name__)


_DECODED = frozenset({"gzip", "x-gzip", "deflate", "br", "zstd"})


class HttpSender:
    """The :class:`~aiohttp_apim.pipeline.exchange.Sender` of a gateway."""

    def __init__(self, *, max_body_bytes: int = DEFAULT_SEND_REQUEST_MAX_BYTES) -> None:
        # (The gateway's settings check the option; a larger answer is a failure.)
        self.max_body_bytes = max_body_bytes
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The session, once a request has made it (None before, and after :meth:`close`)."""
        return self._session

    def _client(self) -> aiohttp.ClientSession:
        session = self._session
        if session is None or session.closed:
            session = self._session = aiohttp.ClientSession(
                cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
            )
        return session

    async def close(self) -> None:
        """Close the session (a later request makes a new one). Idempotent."""
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes | None,
        timeout: float | None,
    ) -> ctx.Response:
        where = _safe(url)
        try:
            async with self._client().request(
                method,
                url,
                headers=CIMultiDict(headers),
                data=body,
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
                skip_auto_headers=("Content-Type",),
            ) as answer:
                content = await self._read(answer, where)
                lines = list(answer.headers.items())
                status, reason = answer.status, answer.reason or ""
        except PolicyRuntimeError:
            raise
        except TimeoutError as exc:
            raise PolicyRuntimeError(
                f"The request to {where} did not complete within {timeout} seconds",
                reason="Timeout",
            ) from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise PolicyRuntimeError(
                f"The request to {where} failed: {type(exc).__name__}: {exc}",
                reason="BackendConnectionFailure",
            ) from exc
        headers_view = ctx.StringValuesDictionary(lines)
        encoding = headers_view.get_joined("Content-Encoding")
        if encoding is not None and encoding.strip().lower() in _DECODED:
            # aiohttp decoded the body: the headers must describe the bytes kept.
            headers_view.remove("Content-Encoding")
            headers_view.remove("Content-Length")
        return ctx.Response(
            status_code=status,
            status_reason=reason,
            headers=headers_view,
            body=ctx.MessageBody(content, headers_view.get_joined("Content-Type")),
        )

    async def _read(self, answer: aiohttp.ClientResponse, where: str) -> bytes:
        limit = self.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in answer.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise PolicyRuntimeError(
                    f"The answer of {where} is larger than {limit} bytes "
                    "(the gateway's send_request_max_bytes)",
                    reason="BackendConnectionFailure",
                )
            chunks.append(chunk)
        return b"".join(chunks)


def _safe(url: str) -> str:
    """The URL for messages, without credentials, query or fragment (they may hold secrets)."""
    try:
        parsed = URL(url)
        return str(parsed.with_user(None).with_query(None).with_fragment(None))
    except Exception:
        return "the URL"
