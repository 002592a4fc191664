"""Fuzzing what the pipeline reads back from a cache: whatever bytes sit under a key -- random,
a damaged entry, or an entry in our own format crafted by someone who can write to the cache
and compute its checksum -- a lookup is a valid hit or a miss, never another outcome.

Run through the real cache-lookup and cache-lookup-value steps (a plan, the runner, a cache),
so a failure anywhere on the read path shows. Bounded for CI by the ``ci`` Hypothesis profile;
``APIM_HYPOTHESIS_PROFILE=thorough`` runs many more examples. The time one read may take is
bounded by construction (the codecs' size, header and work-unit limits, pinned in
test_responsecodec.py and test_valuecodec.py), so no timing is asserted here.
"""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiohttp_apim.pipeline.cacherules import NEVER_STORED
from aiohttp_apim.pipeline.entryseal import EntrySeal
from aiohttp_apim.pipeline.exchange import Exchange
from aiohttp_apim.pipeline.valuecodec import MAGIC, encode_value
from tests.doubles import DictCache
from tests.pipeline.fakes import Pipeline, doc
from tests.pipeline.test_responsecodec import raw

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
STORE = '<cache-store duration="60" />'
LOOKUP_VALUE = '<cache-lookup-value key="v" variable-name="v" default-value="miss" />'


class Target:
    """A pipeline over a DictCache, and the cache key its lookup reads."""

    def __init__(self, policy: str, key: str | None) -> None:
        self.cache = DictCache(clock=lambda: 0.0)
        self.pipeline = Pipeline({"policy.xml": policy}, external_cache=self.cache)
        self.key = key

    async def read_back(self, data: bytes) -> Exchange:
        self.cache.entries.clear()
        if self.key is None:  # learn the key: one miss stores the backend's answer
            await self.pipeline.run()
            (self.key,) = self.cache.entries
        self.cache.entries[self.key] = (data, 60.0)
        return await self.pipeline.run()


RESPONSES = Target(doc(inbound=LOOKUP, outbound=STORE), None)
VALUES = Target(doc(inbound=LOOKUP_VALUE), "val:v")
SEAL = EntrySeal()


def sealed(target: Target, payload: bytes) -> bytes:
    assert target.key is not None
    return SEAL.seal(target.key, [payload])


texts = st.text(max_size=12) | st.sampled_from(["\r\n", "a\nb", "\x00", "\x7f", "é", "\t"])
names = (
    st.sampled_from([*sorted(NEVER_STORED), "X-A", "Content-Type", "Cache-Control", "X A", ""])
    | texts
)
crafted_responses = st.builds(
    raw,
    status=st.sampled_from([0, 100, 101, 199, 200, 206, 304, 404, 599, 600, 0xFFFF])
    | st.integers(0, 0xFFFF),
    reason=texts,
    headers=st.lists(st.tuples(names, texts), max_size=4),
    body=st.binary(max_size=40),
    marker=st.integers(0, 0xFFFF),
)


@st.composite
def damaged(draw: st.DrawFn, entries: st.SearchStrategy[bytes]) -> bytes:
    """An entry with a few bytes flipped, cut or added."""
    data = bytearray(draw(entries))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["flip", "cut", "add"]))
        if action == "flip" and data:
            data[draw(st.integers(0, len(data) - 1))] ^= draw(st.integers(1, 255))
        elif action == "cut" and data:
            del data[draw(st.integers(0, len(data) - 1)) :]
        else:
            data[draw(st.integers(0, len(data))) : 0] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


def check_response(x: Exchange, calls_before: int) -> None:
    response = x.response
    assert response is not None
    if RESPONSES.pipeline.adapter.calls == calls_before:  # a hit: a response an entry may be
        assert 200 <= response.status <= 599
        for name, value in response.headers.items():
            assert name.lower() not in NEVER_STORED
            assert not set(value) & {"\r", "\n", "\x00"}
    else:  # a miss: the backend's own answer
        assert (response.status, response.body) == (200, b"backend")


def run(target: Target, data: bytes) -> Exchange:
    return asyncio.run(target.read_back(data))


FUZZ = settings(suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=300) | damaged(crafted_responses) | crafted_responses, st.booleans())
def test_response_entries_read_back_are_a_valid_hit_or_a_miss(payload: bytes, seal: bool) -> None:
    run(RESPONSES, b"")  # learns the key
    calls = RESPONSES.pipeline.adapter.calls
    x = run(RESPONSES, sealed(RESPONSES, payload) if seal else payload)
    check_response(x, calls)


@FUZZ
@given(st.data())
def test_a_real_entry_damaged_is_a_valid_hit_or_a_miss(data: st.DataObject) -> None:
    run(RESPONSES, b"")
    assert RESPONSES.key is not None
    entry = raw(headers=[("Content-Type", "text/plain"), ("X-A", "1")], body=b"cached page")
    payload = data.draw(damaged(st.just(entry)))
    calls = RESPONSES.pipeline.adapter.calls
    x = run(RESPONSES, sealed(RESPONSES, payload) if data.draw(st.booleans()) else payload)
    check_response(x, calls)


values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.binary(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children)
    ),
    max_leaves=8,
)
value_payloads = (
    st.binary(max_size=200).map(lambda data: MAGIC + b"\x01" + data)
    | damaged(values.map(encode_value))
    | values.map(encode_value)
    | st.binary(max_size=200)
)


@FUZZ
@given(value_payloads, st.booleans())
def test_value_entries_read_back_are_a_value_or_a_miss(payload: bytes, seal: bool) -> None:
    x = run(VALUES, sealed(VALUES, payload) if seal else payload)
    assert x.response is not None
    assert (x.response.status, x.response.body) == (200, b"backend")
    assert "v" in x.variables  # the value read back, or the default of a miss
