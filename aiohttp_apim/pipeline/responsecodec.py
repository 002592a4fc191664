"""The bytes a cached response is stored as: a small versioned binary format of our own.

Why not pickle: a cache may be shared (Redis), and unpickling what someone else wrote runs their
code. Why not JSON: bodies are bytes. The format is length-prefixed throughout, so decoding is a
handful of slices, and strict: anything that is not exactly what :func:`encode_response` writes
raises :class:`CodecError`, which the pipeline treats as a miss.

Layout, integers big-endian::

    b"APR" version(u8)=2
    marker(u16) status(u16) reason_len(u16) reason(utf-8)
    header_count(u16) { name_len(u16) name(ascii) value_len(u32) value(utf-8) } * header_count
    body_len(u32) body

(The pipeline seals the whole of it, see :mod:`~aiohttp_apim.pipeline.entryseal`: the bytes in
a cache are these followed by the seal's trailer, and :func:`decode_response` is told where
they end.)

Both sides check what a response may be, so that an entry can only replay a response that
aiohttp can send as it is: a status 200-599 (a 1xx would leave the client waiting for the real
answer), a reason phrase and header values without control characters (CR, LF or NUL would split
or cut the message), header names that are HTTP tokens, none of the framing headers
(``Content-Length``, ``Transfer-Encoding``, ``Connection``... aiohttp frames every response
itself; a stored one would put two responses on the wire, or hang the client) nor
``Set-Cookie``, at most :data:`MAX_HEADER_LINES` header lines and :data:`MAX_HEAD_BYTES` bytes
of reason and headers.

Text is UTF-8 with ``surrogatepass`` on the way in, so any ``str`` a policy produced comes back
equal. ``marker`` is the pipeline's: which ``cache-store`` of the plan stored the entry, so that
a hit resumes outbound right after that one, as APIM's does.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from typing import Final, NamedTuple

from aiohttp_apim.pipeline.cacherules import NEVER_STORED

__all__ = [
    "MAX_HEADER_LINES",
    "MAX_HEAD_BYTES",
    "CodecError",
    "ResponseSnapshot",
    "decode_response",
    "encode_head",
    "encode_response",
    "encode_response_parts",
    "with_body",
]

_MAGIC = b"APR\x02"
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_NAME_VALUE = struct.Struct(">HI")
_HEAD = struct.Struct(">HHH")
_MAX_U16 = 0xFFFF
_MAX_U32 = 0xFFFFFFFF

MAX_HEADER_LINES: Final = 500
"""The most header lines an entry holds."""
MAX_HEAD_BYTES: Final = 256 * 1024
"""The most bytes an entry's reason phrase and header lines take in all."""

# RFC 9110: a field name is a token; a field value and a reason phrase are visible characters,
# spaces and tabs (and obs-text: anything from U+0080 on).
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class CodecError(ValueError):
    """Bytes that are not a response snapshot of this format and version, or a response that
    cannot be one."""


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


def _check_status(status: int) -> None:
    if not 200 <= status <= 599:
        raise CodecError(f"status {status} is not a final HTTP status (200-599)")


def _check_reason(reason: str) -> None:
    if _CONTROL.search(reason):
        raise CodecError("the reason phrase contains a control character")


# Header names seen lately that an entry may hold: responses repeat a few names, so each is
# checked once. Cleared when full, so names made up per response cannot grow it.
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_MAX = 1024


def _check_header(name: str, value: str) -> None:
    if name not in _GOOD_NAMES:
        if not _TOKEN.fullmatch(name):
            raise CodecError(f"{name!r} is not a header name")
        if name.lower() in NEVER_STORED:
            raise CodecError(f"an entry never holds {name}")
        if len(_GOOD_NAMES) >= _GOOD_NAMES_MAX:
            _GOOD_NAMES.clear()
        _GOOD_NAMES.add(name)
    if _CONTROL.search(value):
        raise CodecError(f"the value of {name} contains a control character")


def encode_head(
    status: int,
    reason: str,
    headers: Iterable[tuple[str, str]],
    *,
    marker: int = 0,
) -> bytes:
    """The snapshot's bytes before the body: everything but the body's length and the body
    (see :func:`encode_response_parts`). Raises :class:`CodecError` as that does."""
    _check_status(status)
    if not 0 <= marker <= _MAX_U16:
        raise CodecError(f"marker {marker} does not fit the format")
    _check_reason(reason)
    reason_bytes = _text(reason)
    head = len(reason_bytes)
    parts = [_MAGIC + _U16.pack(marker), _U16.pack(status), _U16.pack(0), reason_bytes, b""]
    count = 0
    for name, value in headers:
        _check_header(name, value)
        name_bytes, value_bytes = _text(name), _text(value)
        head += len(name_bytes) + len(value_bytes)
        parts += (_NAME_VALUE.pack(len(name_bytes), len(value_bytes)), name_bytes, value_bytes)
        count += 1
    if count > MAX_HEADER_LINES:
        raise CodecError(f"more than {MAX_HEADER_LINES} header lines")
    if head > MAX_HEAD_BYTES:
        raise CodecError(f"reason and headers longer than {MAX_HEAD_BYTES} bytes")
    parts[2] = _U16.pack(len(reason_bytes))
    parts[4] = _U16.pack(count)
    return b"".join(parts)


def with_body(head: bytes, body: bytes) -> tuple[bytes, bytes, bytes]:
    """The snapshot of ``head`` (:func:`encode_head`) and ``body``, in pieces. Raises
    :class:`CodecError` for a body the format cannot hold."""
    if len(body) > _MAX_U32:
        raise CodecError("the body is too long to store")
    return head, _U32.pack(len(body)), body


def encode_response_parts(
    status: int,
    reason: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    marker: int = 0,
) -> tuple[bytes, bytes, bytes]:
    """The snapshot's bytes, in pieces (joined, they are :func:`encode_response`'s result; the
    pipeline seals and joins them in one go). Raises :class:`CodecError` for a response no
    entry may hold (see the module docstring) or one the format cannot hold."""
    return with_body(encode_head(status, reason, headers, marker=marker), body)


def encode_response(
    status: int,
    reason: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    marker: int = 0,
) -> bytes:
    """The snapshot's bytes (see :func:`encode_response_parts`)."""
    return b"".join(encode_response_parts(status, reason, headers, body, marker=marker))


def decode_response(data: bytes, end: int | None = None) -> ResponseSnapshot:
    """The snapshot in ``data[:end]``; :class:`CodecError` for anything else (other formats,
    other versions, truncation, trailing bytes, invalid text, a response no entry may hold)."""
    if end is None:
        end = len(data)
    if data[:4] != _MAGIC:
        raise CodecError("not a response snapshot (or another format version)")
    # This runs on every hit the memo does not catch: plain slices and one try block. A length
    # field pointing past the end either fails an unpack or leaves ``pos`` beyond ``end``.
    try:
        marker, status, reason_len = _HEAD.unpack_from(data, 4)
        _check_status(status)
        pos = 10 + reason_len
        if pos > end or reason_len > MAX_HEAD_BYTES:
            raise CodecError("truncated response snapshot")
        reason = data[10:pos].decode("utf-8", "surrogatepass")
        _check_reason(reason)
        (count,) = _U16.unpack_from(data, pos)
        if count > MAX_HEADER_LINES:
            raise CodecError(f"more than {MAX_HEADER_LINES} header lines")
        pos += 2
        head = reason_len
        headers = []
        for _ in range(count):
            name_len, value_len = _NAME_VALUE.unpack_from(data, pos)
            pos += 6
            head += name_len + value_len
            if head > MAX_HEAD_BYTES:
                raise CodecError(f"reason and headers longer than {MAX_HEAD_BYTES} bytes")
            name_end = pos + name_len
            value_end = name_end + value_len
            if value_end > end:
                raise CodecError("truncated response snapshot")
            name = data[pos:name_end].decode("ascii")
            value = data[name_end:value_end].decode("utf-8", "surrogatepass")
            _check_header(name, value)
            headers.append((name, value))
            pos = value_end
        (body_len,) = _U32.unpack_from(data, pos)
    except struct.error as exc:
        raise CodecError("truncated response snapshot") from exc
    except UnicodeDecodeError as exc:
        raise CodecError("invalid text in a response snapshot") from exc
    pos += 4
    if pos + body_len != end:
        raise CodecError("response snapshot length mismatch")
    return ResponseSnapshot(status, reason, tuple(headers), data[pos:end], marker)
