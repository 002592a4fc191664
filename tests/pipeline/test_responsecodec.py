"""The response snapshot codec: exact round trips of what a response may be; anything else,
on either side, is a CodecError."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.pipeline.cacherules import NEVER_STORED
from aiohttp_apim.pipeline.responsecodec import (
    MAX_HEAD_BYTES,
    MAX_HEADER_LINES,
    CodecError,
    ResponseSnapshot,
    decode_response,
    encode_response,
)

# Any str a policy can produce without a control character: lone surrogates (undecodable
# request bytes leave them), tabs and non-ASCII included.
texts = st.text(
    st.characters(exclude_categories=["Cc"])
    | st.sampled_from(["\ud800", "\udcff", "\t", "é", "\x80", "\x9f"]),
    max_size=40,
)
names = st.from_regex(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}", fullmatch=True).filter(
    lambda name: name.lower() not in NEVER_STORED
)
snapshots = st.builds(
    ResponseSnapshot,
    status=st.integers(200, 599),
    reason=texts,
    headers=st.lists(st.tuples(names, texts), max_size=8).map(tuple),
    body=st.binary(max_size=300),
    marker=st.integers(0, 0xFFFF),
)


def encode(snapshot: ResponseSnapshot) -> bytes:
    return encode_response(
        snapshot.status, snapshot.reason, snapshot.headers, snapshot.body, marker=snapshot.marker
    )


def raw(
    status: int = 200,
    reason: str = "OK",
    headers: list[tuple[str, str]] | None = None,
    body: bytes = b"",
    *,
    marker: int = 0,
    count: int | None = None,
) -> bytes:
    """Bytes in the entry format, unchecked: what someone with write access to the cache can
    put there."""
    lines = headers or []
    out = b"APR\x02" + struct.pack(">HHH", marker, status, len(reason.encode()))
    out += reason.encode() + struct.pack(">H", len(lines) if count is None else count)
    for name, value in lines:
        out += struct.pack(">HI", len(name.encode()), len(value.encode()))
        out += name.encode() + value.encode()
    return out + struct.pack(">I", len(body)) + body


@given(snapshots)
def test_round_trip_is_exact(snapshot: ResponseSnapshot) -> None:
    assert decode_response(encode(snapshot)) == snapshot


@given(snapshots, st.binary(max_size=40))
def test_decoding_stops_where_told(snapshot: ResponseSnapshot, trailer: bytes) -> None:
    encoded = encode(snapshot)
    assert decode_response(encoded + trailer, len(encoded)) == snapshot


@given(snapshots, st.data())
def test_every_truncation_or_extension_is_a_codec_error(
    snapshot: ResponseSnapshot, data: st.DataObject
) -> None:
    encoded = encode(snapshot)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(CodecError):
        decode_response(encoded[:cut])
    with pytest.raises(CodecError):
        decode_response(encoded, cut)
    with pytest.raises(CodecError):
        decode_response(encoded + data.draw(st.binary(min_size=1, max_size=5)))


@given(st.binary(max_size=200))
def test_garbage_never_raises_anything_but_codec_error(garbage: bytes) -> None:
    with contextlib.suppress(CodecError):
        decode_response(garbage)


@given(snapshots, st.data())
def test_flipped_bytes_decode_to_a_valid_response_or_raise_codec_error(
    snapshot: ResponseSnapshot, data: st.DataObject
) -> None:
    encoded = bytearray(encode(snapshot))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] ^= data.draw(st.integers(1, 255))
    try:
        decoded = decode_response(bytes(encoded))
    except CodecError:
        return
    # Whatever decodes is a response an entry may hold: it encodes again, to the same bytes.
    assert encode(decoded) == bytes(encoded)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"APR",
        b"APR\x01" + bytes(20),  # the previous version: unsealed, unvalidated
        b"APR\x03" + bytes(20),
        b"\x80\x04\x95pickle",
        b'{"status": 200}',
    ],
)
def test_other_formats_are_codec_errors(data: bytes) -> None:
    with pytest.raises(CodecError):
        decode_response(data)


def test_invalid_utf8_text_is_a_codec_error() -> None:
    good = encode_response(200, "OK", [("X", "v")], b"")
    bad = good.replace(b"OK", b"\xff\xfe")
    with pytest.raises(CodecError):
        decode_response(bad)


# --- what no entry may hold, on either side ---------------------------------------------------


@pytest.mark.parametrize("status", [99, 100, 101, 199, 600, 999, 1000, -1])
def test_status_outside_200_to_599_is_refused(status: int) -> None:
    with pytest.raises(CodecError):
        encode_response(status, "", [], b"")
    if 0 <= status <= 0xFFFF:
        with pytest.raises(CodecError):
            decode_response(raw(status))


@pytest.mark.parametrize(
    "name",
    [
        "Content-Length",
        "content-length",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "TE",
        "Trailer",
        "Upgrade",
        "Proxy-Connection",
        "Set-Cookie",
    ],
)
def test_framing_headers_and_cookies_are_never_stored_nor_replayed(name: str) -> None:
    with pytest.raises(CodecError):
        encode_response(200, "OK", [(name, "1")], b"body")
    with pytest.raises(CodecError):
        decode_response(raw(headers=[(name, "1")], body=b"body"))


@pytest.mark.parametrize(
    "bad", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00b", "\x1b[31m", "\x7f"]
)
def test_control_characters_in_header_values_and_reasons_are_refused(bad: str) -> None:
    with pytest.raises(CodecError):
        encode_response(200, "OK", [("X-A", bad)], b"")
    with pytest.raises(CodecError):
        encode_response(200, bad, [], b"")
    with pytest.raises(CodecError):
        decode_response(raw(headers=[("X-A", bad)]))
    with pytest.raises(CodecError):
        decode_response(raw(reason=bad))


def test_a_tab_in_a_value_is_allowed() -> None:
    assert decode_response(encode_response(200, "O\tK", [("X", "a\tb")], b"")).headers == (
        ("X", "a\tb"),
    )


@pytest.mark.parametrize("name", ["", "X A", "X:A", "X\r\nY", "Ä", "(x)", "a/b"])
def test_header_names_that_are_not_tokens_are_refused(name: str) -> None:
    with pytest.raises(CodecError):
        encode_response(200, "OK", [(name, "v")], b"")
    with pytest.raises(CodecError):
        decode_response(raw(headers=[(name, "v")]))


def test_header_lines_and_bytes_are_bounded_on_both_sides() -> None:
    many = [("X-N", "v")] * (MAX_HEADER_LINES + 1)
    with pytest.raises(CodecError):
        encode_response(200, "OK", many, b"")
    with pytest.raises(CodecError):
        decode_response(raw(headers=many))
    assert len(decode_response(encode_response(200, "OK", many[:-1], b"")).headers) == (
        MAX_HEADER_LINES
    )
    long = [("X-Long", "v" * (MAX_HEAD_BYTES // 2))] * 3
    with pytest.raises(CodecError):
        encode_response(200, "OK", long, b"")
    with pytest.raises(CodecError):
        decode_response(raw(headers=long))


def test_a_header_count_beyond_the_lines_present_is_a_codec_error() -> None:
    with pytest.raises(CodecError):
        decode_response(raw(headers=[("X", "v")], count=MAX_HEADER_LINES))
