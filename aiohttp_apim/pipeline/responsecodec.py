"""The bytes a cached response is stored as: a small versioned binary format of our own.

Why not pickle: a cache may be shared (Redis), and unpickling what someone else wrote runs their
code. Why not JSON: bodies are bytes. The format is length-prefixed throughout, so decoding is a
handful of slices, and strict: anything that is not exactly what :func:`encode_response` writes
raises :class:`CodecError`, which the pipeline treats as a miss.

Layout, integers big-endian::

    b"APR" version(u8)=1
    marker(u16) status(u16) reason_len(u16) reason(utf-8)
    header_count(u16) { name_len(u16) name(utf-8) value_len(u32) value(utf-8) } * header_count
    body_len(u32) body

Text is UTF-8 with ``surrogatepass``, so any ``str`` a policy produced comes back equal.
``marker`` is the pipeline's: which ``cache-store`` of the plan stored the entry, so that a hit
resumes outbound right after that one (spec 4.6).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import NamedTuple

__all__ = ["CodecError", "ResponseSnapshot", "decode_response", "encode_response"]

_MAGIC = b"APR\x01"
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_NAME_VALUE = struct.Struct(">HI")
_HEAD = struct.Struct(">HHH")
_MAX_U16 = 0xFFFF
_MAX_U32 = 0xFFFFFFFF


class CodecError(ValueError):
    """Bytes that are not a response snapshot of this format and version."""


class ResponseSnapshot(NamedTuple):
    """A response as ``cache-store`` saw it: status, reason, header lines in order, body, and
    the pipeline's ``marker``. (A named tuple: one is made on every cache hit, and a tuple is
    the cheapest immutable record to make.)"""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    marker: int = 0


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def encode_response(
    status: int,
    reason: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    marker: int = 0,
) -> bytes:
    """The snapshot's bytes. Raises :class:`CodecError` for what the format cannot hold (a
    status outside 100-999, more than 65535 header lines, a part longer than its length field)."""
    if not 100 <= status <= 999:
        raise CodecError(f"status {status} is not a 3-digit HTTP status")
    if not 0 <= marker <= _MAX_U16:
        raise CodecError(f"marker {marker} does not fit the format")
    reason_bytes = _text(reason)
    parts = [_MAGIC + _U16.pack(marker), _U16.pack(status), _len16(reason_bytes), reason_bytes, b""]
    count = 0
    for name, value in headers:
        name_bytes, value_bytes = _text(name), _text(value)
        if len(name_bytes) > _MAX_U16 or len(value_bytes) > _MAX_U32:
            raise CodecError("a header is too long to store")
        parts += (_NAME_VALUE.pack(len(name_bytes), len(value_bytes)), name_bytes, value_bytes)
        count += 1
    if count > _MAX_U16:
        raise CodecError("too many header lines to store")
    parts[4] = _U16.pack(count)
    if len(body) > _MAX_U32:
        raise CodecError("the body is too long to store")
    parts += (_U32.pack(len(body)), body)
    return b"".join(parts)


def _len16(data: bytes) -> bytes:
    if len(data) > _MAX_U16:
        raise CodecError("the reason phrase is too long to store")
    return _U16.pack(len(data))


def decode_response(data: bytes) -> ResponseSnapshot:
    """The snapshot in ``data``; :class:`CodecError` for anything else (other formats, other
    versions, truncation, trailing bytes, invalid text)."""
    if data[:4] != _MAGIC:
        raise CodecError("not a response snapshot (or another format version)")
    # This runs on every cache hit: plain slices and one try block. A length field pointing
    # past the end either fails an unpack or leaves ``pos`` beyond the data (checked last).
    try:
        marker, status, reason_len = _HEAD.unpack_from(data, 4)
        pos = 10 + reason_len
        reason = data[10:pos].decode("utf-8", "surrogatepass")
        (count,) = _U16.unpack_from(data, pos)
        pos += 2
        headers = []
        for _ in range(count):
            name_len, value_len = _NAME_VALUE.unpack_from(data, pos)
            pos += 6
            name_end = pos + name_len
            end = name_end + value_len
            headers.append(
                (
                    data[pos:name_end].decode("utf-8", "surrogatepass"),
                    data[name_end:end].decode("utf-8", "surrogatepass"),
                )
            )
            pos = end
        (body_len,) = _U32.unpack_from(data, pos)
    except struct.error as exc:
        raise CodecError("truncated response snapshot") from exc
    except UnicodeDecodeError as exc:
        raise CodecError("invalid text in a response snapshot") from exc
    pos += 4
    if pos + body_len != len(data):
        raise CodecError("response snapshot length mismatch")
    if not 100 <= status <= 999:
        raise CodecError(f"status {status} in a response snapshot")
    return ResponseSnapshot(status, reason, tuple(headers), data[pos:], marker)
