"""The miss lane sends a request carrying any header the pipeline strips on a miss (its
conditions, its range, its own caching headers) to the pipeline: in any case, among any other
headers, repeated or not -- the same answer as lower-casing every header name and looking it up."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import given
from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_apim.pipeline.cacherules import CACHE_REQUEST_NAMES
from aiohttp_apim.pipeline.misslane import MissLane

_CASES = (str.lower, str.upper, str.title, lambda name: name)
names = st.sampled_from(
    [*sorted(CACHE_REQUEST_NAMES), "Host", "Accept", "X-Range", "If", "Ranges", "Cache-Controls"]
)
cased = st.tuples(names, st.sampled_from(_CASES)).map(lambda pair: pair[1](pair[0]))
headers = st.lists(st.tuples(cased, st.text(max_size=3)), max_size=6)


@given(headers)
def test_conditional_is_any_header_the_pipeline_strips_in_any_case(
    lines: list[tuple[str, str]],
) -> None:
    expected = any(name.lower() in CACHE_REQUEST_NAMES for name, _ in lines)
    assert MissLane.conditional(CIMultiDictProxy(CIMultiDict(lines))) is expected
