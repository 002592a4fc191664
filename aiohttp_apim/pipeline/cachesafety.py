"""What a gateway's options decide about its cache entries, in one object its plans share.

The gateway builds one :class:`CacheSafety` from its settings and the compiler hands it to every
caching step: the seal on entries (a checksum, or an HMAC with ``cache_signing_key``), whether
the backend's caching headers are honoured (``backend_cache_control``), whether the request's
host name is part of response keys (``vary_by_host``), the stampede protection
(``stampede_protection``), the stale windows (``stale_while_revalidate``,
``stale_if_error``), and the decoded response entries the hits share.
"""

from __future__ import annotations

from aiohttp_apim.pipeline.entryseal import EntrySeal
from aiohttp_apim.pipeline.responseentries import ResponseEntries
from aiohttp_apim.pipeline.stale import StaleWindows
from aiohttp_apim.pipeline.stampede import Coalescer

__all__ = ["CacheSafety"]


class CacheSafety:
    """The defaults are the safe ones, with no stampede protection (a gateway turns it on)."""

    __slots__ = (
        "coalescer",
        "honor_backend",
        "responses",
        "revalidating",
        "seal",
        "stale",
        "vary_by_host",
    )

    def __init__(
        self,
        *,
        seal: EntrySeal | None = None,
        honor_backend: bool = True,
        vary_by_host: bool = True,
        coalescer: Coalescer | None = None,
        stale: StaleWindows | None = None,
    ) -> None:
        self.seal = seal if seal is not None else EntrySeal()
        self.honor_backend = honor_backend
        """False: the backend's Cache-Control, Vary and Set-Cookie and a request's
        Proxy-Authorization are ignored, as APIM ignores them."""
        self.vary_by_host = vary_by_host
        self.coalescer = coalescer
        """None: every miss goes to the backend."""
        self.responses = ResponseEntries(self.seal)
        self.stale = stale
        """How long expired entries may still answer, per scope (None: never)."""
        self.revalidating: set[str] = set()
        """The keys a background refresh is running for (one per key at a time)."""
