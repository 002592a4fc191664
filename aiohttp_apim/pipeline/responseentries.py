"""Response entries between the pipeline and a cache: sealed and encoded on the way in; opened,
validated and decoded on the way out -- once per entry, not once per hit.

A hit is the path that must be cheap. An in-process cache hands back the very same bytes object
on every hit (a shared one equal bytes), so :class:`ResponseEntries` remembers what it decoded
per key: a hit whose bytes are the ones it already opened and decoded (the same object, or equal
bytes) costs neither the seal's check nor the decode, and its body is handed to the response as
the one ``bytes`` object it already is -- no copy at any size.

What is remembered is bounded (:data:`MEMO_ENTRIES` entries, :data:`MEMO_BYTES` bytes counting
the entry and its body); eviction is CLOCK (the oldest entry goes unless it was hit since it
was last looked at), so a hit costs one attribute store, not a reordering.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from multidict import CIMultiDict

from aiohttp_apim.pipeline.entryseal import EntrySeal
from aiohttp_apim.pipeline.responsecodec import (
    decode_response,
    encode_head,
    encode_response_parts,
    with_body,
)

__all__ = ["MEMO_BYTES", "MEMO_ENTRIES", "CachedResponse", "ResponseEntries"]

MEMO_ENTRIES: Final = 256
"""The most decoded entries a gateway remembers."""
MEMO_BYTES: Final = 16 * 1024 * 1024
"""The most bytes of entries (and their bodies) a gateway remembers."""


class CachedResponse:
    """A stored entry opened and decoded: its bytes (to recognise it), and what a hit needs to
    make a response -- the header lines (without ``Cache-Control``, which a hit sets) as a
    multidict that each response copies, so every response stays independent."""

    __slots__ = ("body", "headers", "marker", "reason", "size", "status", "used", "value", "wire")

    def __init__(self, value: bytes, end: int) -> None:
        snapshot = decode_response(value, end)
        self.value = value
        self.status = snapshot.status
        self.reason = snapshot.reason
        headers: CIMultiDict[str] = CIMultiDict(snapshot.headers)
        headers.popall("Cache-Control", None)
        self.headers = headers
        self.body = snapshot.body
        self.marker = snapshot.marker
        self.size = len(value) + len(snapshot.body)
        self.used = False
        self.wire: tuple[str, str, bytes] | None = None
        """The web layer's memo of the header block it last wrote for this entry: for which
        ``Cache-Control`` and ``Date``, and the bytes."""


class ResponseEntries:
    """The response entries of one gateway: :meth:`write` makes an entry's bytes, :meth:`read`
    turns bytes read back into a :class:`CachedResponse`."""

    __slots__ = ("_bytes", "_memo", "seal")

    def __init__(self, seal: EntrySeal) -> None:
        self.seal = seal
        self._memo: dict[str, CachedResponse] = {}
        self._bytes = 0

    def write(
        self,
        key: str,
        status: int,
        reason: str,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        marker: int,
    ) -> bytes:
        """The sealed entry for ``key``. Raises ``CodecError`` for a response no entry may hold
        (see :mod:`~aiohttp_apim.pipeline.responsecodec`)."""
        parts = encode_response_parts(status, reason, headers, body, marker=marker)
        return self.seal.seal(key, parts)

    @staticmethod
    def head(status: int, reason: str, headers: Iterable[tuple[str, str]], marker: int) -> bytes:
        """An entry's status, reason, headers and marker encoded, for :meth:`write_with_head`
        (responses that share them share it). Raises ``CodecError`` as :meth:`write` does."""
        return encode_head(status, reason, headers, marker=marker)

    def write_with_head(self, key: str, head: bytes, body: bytes, local: bool = False) -> bytes:
        """The sealed entry for ``key`` of ``head`` (:meth:`head`) and ``body``; ``local``: for a
        cache that keeps it in this process's memory (see :meth:`EntrySeal.seal_local`)."""
        if local:
            return self.seal.seal_local(key, with_body(head, body))
        return self.seal.seal(key, with_body(head, body))

    def read(self, key: str, value: bytes, local: bool = False) -> CachedResponse:
        """The entry ``value`` read back from under ``key`` (``local``: from a cache that keeps
        entries in this process's memory). Raises ``SealError`` or ``CodecError`` for bytes that
        are not an intact entry of ours for that key."""
        memo = self._memo
        known = memo.get(key)
        if known is not None:
            if known.value is value or known.value == value:
                known.used = True
                return known
            del memo[key]
            self._bytes -= known.size
        entry = CachedResponse(value, self.seal.open(key, value, local))
        size = entry.size
        if size <= MEMO_BYTES:
            while memo and (len(memo) >= MEMO_ENTRIES or self._bytes + size > MEMO_BYTES):
                self._evict_one()
            memo[key] = entry
            self._bytes += size
        return entry

    def _evict_one(self) -> None:
        memo = self._memo
        while True:
            key = next(iter(memo))
            entry = memo.pop(key)
            if not entry.used:
                self._bytes -= entry.size
                return
            entry.used = False  # a second chance, at the back of the line
            memo[key] = entry
