"""A seal on every cache entry: a checksum by default, an HMAC with a key the instances share.

A cache may be shared (Redis), and whoever can write to it can write any bytes under any key.
Every entry the pipeline writes (a response snapshot or a value) ends with a trailer over the
cache key and the whole entry; an entry whose trailer does not match is never decoded. The cache
key is part of what is sealed, so an entry copied under another key (one caller's entry moved
to another caller's key) does not open either.

* Without a key the trailer is a CRC-32: it catches truncated, damaged and foreign bytes, at
  about 4 GB/s. It is no defence against someone who writes to the cache on purpose: they can
  compute it too. The codecs' validation is (they never hand out a framing header, a status
  outside 200-599 or unbounded work), and a signing key is.
* With a key (the gateway option ``cache_signing_key``, the same on every instance) the trailer
  is an HMAC-SHA256: bytes written by anyone without the key never open. (HMAC-SHA256 runs on
  the CPU's SHA extensions where there are some: twice BLAKE2b's speed on such machines.)

* In a cache that keeps entries in this process's memory (:attr:`Cache.in_process
  <aiohttp_apim.cache.base.Cache.in_process>`), a gateway without a key writes a *local* trailer
  instead: the cache key's ``hash()``, no checksum. What a checksum catches cannot happen to such
  an entry -- it is the very ``bytes`` object written (immutable; the cache keeps no copy anywhere
  else), never sent, stored or read back through anything that could truncate or damage it --
  and the CRC-32 over the body was most of what a stored miss spent on the entry. What stays
  true: the entry is bound to its key (an entry moved to another key does not open, but for a
  64-bit hash collision, and ``hash()`` is salted per process: a local trailer means nothing
  outside the process that wrote it), and the codec validates everything it decodes, as for
  every entry. Only a read from an in-process cache accepts a local trailer; one from any other
  cache refuses it. With a key, entries are signed in every cache (the key says so).

Layout: ``entry || tag || kind``, ``kind`` one byte saying which trailer it is (a gateway with a
key refuses checksummed entries, and one without refuses signed entries it cannot check).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
import zlib
from collections.abc import Sequence
from typing import Final

__all__ = ["MIN_KEY_BYTES", "EntrySeal", "SealError"]

MIN_KEY_BYTES: Final = 16
"""The shortest signing key accepted (128 bits)."""

_CRC32: Final = 0xC1
_HMAC: Final = 0xA5
_LOCAL: Final = 0x1C
_CRC_TAG: Final = 4
_HMAC_TAG: Final = 32
_LOCAL_TAG: Final = 8
_LOCAL_TRAILER = struct.Struct(">qB")
"""The local trailer: the key's hash (a signed 64-bit int), then the kind byte."""
_CONTEXT: Final = b"aiohttp_apim cache entry 1\x00"


class SealError(ValueError):
    """An entry whose seal does not open: damaged, foreign, or written without the key."""


class EntrySeal:
    """Seals entries and opens them, with ``key`` (HMAC-SHA256) or without (CRC-32)."""

    __slots__ = ("_kind", "_kind_byte", "_mac", "_tag")

    def __init__(self, key: bytes | None = None) -> None:
        if key is None:
            self._kind = _CRC32
            self._tag = _CRC_TAG
            self._mac: hmac.HMAC | None = None
            self._kind_byte = bytes((_CRC32,))
            return
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"a signing key must have at least {MIN_KEY_BYTES} bytes")
        self._kind = _HMAC
        self._tag = _HMAC_TAG
        self._mac = hmac.new(key, _CONTEXT, hashlib.sha256)
        self._kind_byte = bytes((_HMAC,))

    @property
    def signed(self) -> bool:
        """Whether entries are authenticated with a key (else only checksummed)."""
        return self._mac is not None

    def seal(self, cache_key: str, parts: Sequence[bytes]) -> bytes:
        """The entry made of ``parts`` (joined) with its trailer for ``cache_key``."""
        # Checksummed part by part (a response entry is three: head, body length, body), then
        # joined once with the trailer: the body is copied once, whatever its size.
        name = _name(cache_key)
        mac = self._mac
        if mac is None:
            crc = zlib.crc32(name)
            for part in parts:
                crc = zlib.crc32(part, crc)
            tag = crc.to_bytes(4, "big")
        else:
            h = mac.copy()
            h.update(name)
            for part in parts:
                h.update(part)
            tag = h.digest()
        return b"".join((*parts, tag, self._kind_byte))

    def seal_local(self, cache_key: str, parts: Sequence[bytes]) -> bytes:
        """The entry made of ``parts`` for ``cache_key`` in a cache that keeps it in this
        process's memory: with the local trailer (see the module docstring), or signed as
        :meth:`seal` signs when the gateway has a key."""
        if self._mac is not None:
            return self.seal(cache_key, parts)
        return b"".join((*parts, _LOCAL_TRAILER.pack(hash(cache_key), _LOCAL)))

    def open(self, cache_key: str, data: bytes, local: bool = False) -> int:
        """Where the entry in ``data`` (stored under ``cache_key``) ends: its trailer matched.
        ``local``: ``data`` was read from a cache that keeps entries in this process's memory
        (only then does a local trailer open). Raises :class:`SealError` otherwise."""
        size = len(data)
        if not size:
            raise SealError("an empty entry")
        kind = data[-1]
        if kind == _LOCAL and self._mac is None:
            end = size - 1 - _LOCAL_TAG
            if not local:
                raise SealError("an in-process entry read from a cache that is not in-process")
            if end < 0:
                raise SealError("too short to be a sealed entry")
            if _LOCAL_TRAILER.unpack_from(data, end)[0] != hash(cache_key):
                raise SealError("the entry was not written under this key")
            return end
        if kind != self._kind:
            if kind == _HMAC:
                raise SealError("the entry is signed, and this gateway has no signing key")
            if kind in (_CRC32, _LOCAL):
                raise SealError("the entry is not signed, and this gateway requires a signature")
            raise SealError("not a sealed entry")
        end = size - 1 - self._tag
        if end < 0:
            raise SealError("too short to be a sealed entry")
        entry = memoryview(data)[:end]
        mac = self._mac
        if mac is None:
            if zlib.crc32(entry, zlib.crc32(_name(cache_key))) != int.from_bytes(
                data[end : size - 1], "big"
            ):
                raise SealError("checksum mismatch: the entry is damaged or not ours")
            return end
        h = mac.copy()
        h.update(_name(cache_key))
        h.update(entry)
        if not hmac.compare_digest(h.digest(), data[end : size - 1]):
            raise SealError("signature mismatch: the entry was not written with this key")
        return end


def _name(cache_key: str) -> bytes:
    """The key as sealed: its length, then its UTF-8 (so no key is a prefix of another's)."""
    raw = cache_key.encode("utf-8", "surrogatepass")
    return len(raw).to_bytes(4, "big") + raw
