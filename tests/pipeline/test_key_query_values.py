"""The key reads a query string without percent-escapes by scanning it (``_PlainQuery``), not
through the multidict ``request.query`` builds: it must find exactly the values that multidict
holds, for every name, whatever the string."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request
from hypothesis import given, settings
from hypothesis import strategies as st

from aiohttp_apim.pipeline.steps import caching

_QUERY = st.text(st.sampled_from("ab=&+;?/ 1,|!%"), max_size=24).map(
    lambda text: text.replace(" ", "+")
)
_NAME = st.sampled_from(["a", "b", "ab", "", " ", "a b", "a;b", "b?", "1"])


@settings(max_examples=500, deadline=None)
@given(query=_QUERY, name=_NAME)
def test_the_key_finds_the_values_request_query_holds(query: str, name: str) -> None:
    request = make_mocked_request("GET", "/item?" + query)
    expected = request.query.getall(name, None)
    found = caching._query_values(request).get(name)
    assert (None if found is None else list(found)) == expected


def test_a_plain_query_is_scanned_and_an_escaped_one_read_from_request_query() -> None:
    plain = caching._query_values(make_mocked_request("GET", "/item?id=1&id=2&x"))
    assert isinstance(plain, caching._PlainQuery)
    assert plain.get("id") == ["1", "2"]
    assert plain.get("x") == [""]
    assert plain.get("y") is None
    escaped = caching._query_values(make_mocked_request("GET", "/item?id=%26"))
    assert not isinstance(escaped, caching._PlainQuery)
    assert escaped.get("id") == ["&"]
