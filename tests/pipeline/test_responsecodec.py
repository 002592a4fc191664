"""The response snapshot codec: exact round trips, and anything else is a CodecError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.pipeline.responsecodec import (
    CodecError,
    ResponseSnapshot,
    decode_response,
    encode_response,
)

# Any str a policy can produce, lone surrogates included (undecodable request bytes leave them).
texts = st.text(
    st.characters(exclude_categories=()) | st.sampled_from(["\ud800", "\udcff", "\x00", "é"]),
    max_size=40,
)
snapshots = st.builds(
    ResponseSnapshot,
    status=st.integers(100, 999),
    reason=texts,
    headers=st.lists(st.tuples(texts, texts), max_size=8).map(tuple),
    body=st.binary(max_size=300),
    marker=st.integers(0, 0xFFFF),
)


def encode(snapshot: ResponseSnapshot) -> bytes:
    return encode_response(
        snapshot.status, snapshot.reason, snapshot.headers, snapshot.body, marker=snapshot.marker
    )


@given(snapshots)
def test_round_trip_is_exact(snapshot: ResponseSnapshot) -> None:
    assert decode_response(encode(snapshot)) == snapshot


@given(snapshots, st.data())
def test_every_truncation_or_extension_is_a_codec_error(
    snapshot: ResponseSnapshot, data: st.DataObject
) -> None:
    encoded = encode(snapshot)
    cut = data.draw(st.integers(0, len(encoded) - 1))
    with pytest.raises(CodecError):
        decode_response(encoded[:cut])
    with pytest.raises(CodecError):
        decode_response(encoded + data.draw(st.binary(min_size=1, max_size=5)))


@given(st.binary(max_size=200))
def test_garbage_never_raises_anything_but_codec_error(garbage: bytes) -> None:
    with contextlib.suppress(CodecError):
        decode_response(garbage)


@given(snapshots, st.data())
def test_flipped_bytes_decode_or_raise_codec_error(
    snapshot: ResponseSnapshot, data: st.DataObject
) -> None:
    encoded = bytearray(encode(snapshot))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] ^= data.draw(st.integers(1, 255))
    with contextlib.suppress(CodecError):
        decode_response(bytes(encoded))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"APR",
        b"APR\x02" + bytes(20),  # another version
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


@pytest.mark.parametrize("status", [99, 1000, -1])
def test_status_outside_three_digits_is_refused(status: int) -> None:
    with pytest.raises(CodecError):
        encode_response(status, "", [], b"")


def test_status_outside_three_digits_in_stored_bytes_is_a_codec_error() -> None:
    encoded = bytearray(encode_response(200, "", [], b""))
    encoded[6:8] = (42).to_bytes(2, "big")
    with pytest.raises(CodecError):
        decode_response(bytes(encoded))
