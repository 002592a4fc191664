"""The seal on cache entries: what was sealed opens, for its key only; anything else (damaged,
moved to another key, written without the signing key) is a SealError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.pipeline.entryseal import MIN_KEY_BYTES, EntrySeal, SealError

KEY = b"k" * MIN_KEY_BYTES
SEALS = [EntrySeal(), EntrySeal(KEY)]
seals = st.sampled_from(SEALS)
keys = st.text(max_size=30) | st.sampled_from(["\ud800", "resp|x", ""])
parts = st.lists(st.binary(max_size=60), max_size=4)


@given(seals, keys, parts)
def test_a_sealed_entry_opens_for_its_key(seal: EntrySeal, key: str, pieces: list[bytes]) -> None:
    data = seal.seal(key, pieces)
    end = seal.open(key, data)
    assert data[:end] == b"".join(pieces)


@given(seals, keys, keys, parts)
def test_an_entry_moved_to_another_key_does_not_open(
    seal: EntrySeal, key: str, other: str, pieces: list[bytes]
) -> None:
    if key == other:
        return
    with pytest.raises(SealError):
        seal.open(other, seal.seal(key, pieces))


@given(seals, keys, parts, st.data())
def test_every_damage_is_found(
    seal: EntrySeal, key: str, pieces: list[bytes], data: st.DataObject
) -> None:
    sealed = seal.seal(key, pieces)
    cut = data.draw(st.integers(0, len(sealed) - 1))
    with pytest.raises(SealError):
        seal.open(key, sealed[:cut])
    with pytest.raises(SealError):
        seal.open(key, sealed + data.draw(st.binary(min_size=1, max_size=4)))
    flipped = bytearray(sealed)
    index = data.draw(st.integers(0, len(flipped) - 1))
    flipped[index] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(SealError):
        seal.open(key, bytes(flipped))


@given(seals, keys, st.binary(max_size=100))
def test_garbage_is_a_seal_error_and_nothing_else(seal: EntrySeal, key: str, data: bytes) -> None:
    with contextlib.suppress(SealError):
        seal.open(key, data)


def test_entries_written_without_the_key_never_open_with_it() -> None:
    signed, other_key, unsigned = EntrySeal(KEY), EntrySeal(b"o" * 32), EntrySeal()
    assert signed.signed
    assert not unsigned.signed
    with pytest.raises(SealError, match="requires a signature"):
        signed.open("k", unsigned.seal("k", [b"entry"]))
    with pytest.raises(SealError, match="signature mismatch"):
        signed.open("k", other_key.seal("k", [b"entry"]))
    with pytest.raises(SealError, match="no signing key"):
        unsigned.open("k", signed.seal("k", [b"entry"]))


def test_a_forged_checksum_does_not_pass_for_a_signature() -> None:
    # Someone who can write to the cache can compute a CRC, but not the HMAC.
    signed = EntrySeal(KEY)
    forged = EntrySeal().seal("k", [b"attacker's page"])[:-1] + signed.seal("k", [b""])[-1:]
    with pytest.raises(SealError):
        signed.open("k", forged)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        EntrySeal(b"x" * (MIN_KEY_BYTES - 1))


@given(seals, keys, parts)
def test_a_local_entry_opens_for_its_key_from_an_in_process_cache_only(
    seal: EntrySeal, key: str, pieces: list[bytes]
) -> None:
    data = seal.seal_local(key, pieces)
    end = seal.open(key, data, local=True)
    assert data[:end] == b"".join(pieces)
    if seal.signed:  # a key signs in every cache
        assert data == seal.seal(key, pieces)
        return
    with pytest.raises(SealError, match="not in-process"):
        seal.open(key, data)


@given(seals, keys, keys, parts)
def test_a_local_entry_moved_to_another_key_does_not_open(
    seal: EntrySeal, key: str, other: str, pieces: list[bytes]
) -> None:
    if key == other:
        return
    with pytest.raises(SealError):
        seal.open(other, seal.seal_local(key, pieces), local=True)


@given(keys, parts, st.data())
def test_a_cut_local_entry_does_not_open(
    key: str, pieces: list[bytes], data: st.DataObject
) -> None:
    # (Nothing in a process cuts a bytes object; what could, a foreign or broken cache, never
    # opens a local entry at all.)
    sealed = EntrySeal().seal_local(key, pieces)
    cut = data.draw(st.integers(0, len(sealed) - 1))
    with pytest.raises(SealError):
        EntrySeal().open(key, sealed[:cut], local=True)


@given(seals, keys, st.binary(max_size=100))
def test_garbage_read_locally_is_a_seal_error_and_nothing_else(
    seal: EntrySeal, key: str, data: bytes
) -> None:
    with contextlib.suppress(SealError):
        seal.open(key, data, local=True)


def test_a_signed_gateway_refuses_local_entries() -> None:
    local = EntrySeal().seal_local("k", [b"entry"])
    with pytest.raises(SealError, match="requires a signature"):
        EntrySeal(KEY).open("k", local, local=True)


def test_checksummed_entries_still_open_from_an_in_process_cache() -> None:
    seal = EntrySeal()
    assert seal.open("k", seal.seal("k", [b"entry"]), local=True) == len(b"entry")
