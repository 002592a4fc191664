"""A key made straight from the request target (``plain_key``, what a miss's lookup uses) is the
key the general path makes from the request aiohttp parsed (``key_of`` over ``rel_url`` and the
query values): for any target the client sends, any host, any shape that does not vary by
headers or the caller."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from unittest import mock

import pytest
from aiohttp.http_parser import HttpRequestParser
from hypothesis import example, given, settings
from hypothesis import strategies as st
from yarl import URL

from aiohttp_apim.pipeline.keys import KeyShape, key_of, plain_key
from aiohttp_apim.pipeline.steps import caching

_PLAIN = "ab1/?&=+|!,.;~"
"""What a target is made of, mostly: nothing to decode or split off, so ``plain_key`` makes it."""
_TEXT = st.text(st.sampled_from(_PLAIN), max_size=8) | st.text(
    st.sampled_from(_PLAIN + "%#"), max_size=8
)
_NAME = st.sampled_from(["a", "b", "", "a|b", "=", "a+b", "+"])
_HOST = st.sampled_from(["localhost", "Example.COM:8080", "[::1]:80", "h|o=s!t,", ""])
_FIELD = st.tuples(_NAME, st.sampled_from(["", "="]), _TEXT).map("".join)


@st.composite
def _request(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A target -- a path, a query of fields, then anything (more fields, a fragment...) -- and
    the names a shape varies by: mostly names of its fields."""
    fields = draw(st.lists(_FIELD, max_size=4))
    target = f"/{draw(_TEXT)}?{'&'.join(fields)}{draw(_TEXT)}"
    used = [field.partition("=")[0].replace("+", " ") for field in fields]
    names = draw(st.lists(st.sampled_from(used) | _NAME if used else _NAME, max_size=3))
    return target, names


@pytest.fixture(scope="module")
def parse() -> Iterator[HttpRequestParser]:
    loop = asyncio.new_event_loop()
    yield HttpRequestParser(mock.Mock(), loop, 2**16, max_line_size=8190, max_field_size=8190)
    loop.close()


def _parsed_url(parser: HttpRequestParser, target: str) -> URL:
    """``request.rel_url`` of a request for ``target``, as aiohttp's own parser makes it."""
    messages, _, _ = parser.feed_data(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    url = messages[0][0].url
    assert isinstance(url, URL)
    return url


def _general_key(shape: KeyShape, url: URL, host: str) -> str:
    # What CacheLookupStep._key passes key_of for a caller-independent shape without headers.
    request = SimpleNamespace(rel_url=url, query=url.query)
    return key_of(
        shape, url.raw_path, caching._NO_QUERY, caching._query_values(request), host,
        False, None, False, (),
    )  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(request=_request(), host=_HOST, by_host=st.booleans())
@example(request=("/item?id=1&id=2&x&=3&id+", ["id", "x", "id "]), host="localhost", by_host=True)
@example(request=("/a|b?c=d,e=f!", ["c"]), host="h", by_host=False)
@example(request=("/?&a&", ["", "a"]), host="h", by_host=False)  # (empty fields are no fields)
def test_a_key_from_the_target_is_the_key_from_the_parsed_request(
    parse: HttpRequestParser, request: tuple[str, list[str]], host: str, by_host: bool
) -> None:
    target, names = request
    shape = KeyShape.build(
        generation="g", product="p", api="a", revision="1", operation="o",
        vary_by_headers=(), vary_by_query_parameters=names, vary_by_host=by_host,
    )  # fmt: skip
    key = plain_key(shape, target, host)
    if key is not None:
        assert key == _general_key(shape, _parsed_url(parse, target), host)
    else:  # (only a target with something to decode or split off is left to the general path)
        assert "%" in target or "#" in target


def test_it_declines_what_is_not_plain_and_a_shape_varying_by_headers() -> None:
    shape = KeyShape.build(
        generation="g", product=None, api=None, revision="1", operation=None,
        vary_by_headers=(), vary_by_query_parameters=["id"],
    )  # fmt: skip
    assert plain_key(shape, "/item?id=1", "h") == "resp|g|p=!|a=!;rev=1|o=!|u=/item|q:id=1"
    assert plain_key(shape, "/item?id=%31", "h") is None
    assert plain_key(shape, "/item#id", "h") is None
    assert plain_key(shape, "http://h/item?id=1", "h") is None
    assert plain_key(shape, "*", "h") is None
    by_header = KeyShape.build(
        generation="g", product=None, api=None, revision="1", operation=None,
        vary_by_headers=["X-Tenant"], vary_by_query_parameters=[],
    )  # fmt: skip
    assert plain_key(by_header, "/item", "h") is None
