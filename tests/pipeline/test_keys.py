"""Response-cache key composition: what varies the key and what does not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiohttp_apim.pipeline.keys import (
    KeyShape,
    host_name,
    rate_limit_key,
    response_cache_key,
    value_cache_key,
)


def shape(**changes: object) -> KeyShape:
    arguments: dict[str, object] = {
        "generation": "g1",
        "product": "gold",
        "api": "shop",
        "revision": "1",
        "operation": "list",
        "vary_by_headers": ["Accept", "accept", "X-Tenant"],
        "vary_by_query_parameters": ["page", "size", "page"],
        "vary_by_host": True,
    }
    return KeyShape.build(**{**arguments, **changes})  # type: ignore[arg-type]


SHAPE = shape()


def key(**kwargs: object) -> str:
    args: dict[str, object] = {
        "url": "https://shop.test:443/items",
        "headers": {},
        "query": {},
        "host": "shop.test",
    }
    args.update(kwargs)
    return response_cache_key(SHAPE, **args)  # type: ignore[arg-type]


def test_header_names_are_case_insensitive_and_deduplicated() -> None:
    assert SHAPE.headers == ("accept", "x-tenant")
    assert SHAPE.query == ("page", "size")
    assert SHAPE.varied_headers == {"accept", "x-tenant", "host"}


def test_the_host_name_is_part_of_the_key_when_the_shape_says_so() -> None:
    assert key(host="shop.test") != key(host="evil.example")
    assert key(host="") != key(host="shop.test")
    assert key(host="Shop.Test:8080") == key(host="shop.test")
    without = shape(vary_by_headers=(), vary_by_query_parameters=(), vary_by_host=False)
    assert not without.host
    assert without.varied_headers == frozenset()
    one = response_cache_key(without, url="/x", headers={}, query={}, host="a.example")
    two = response_cache_key(without, url="/x", headers={}, query={}, host="b.example")
    assert one == two


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("Shop.Example", "shop.example"),
        ("shop.example:8080", "shop.example"),
        ("SHOP.example:", "shop.example"),
        ("[::1]:8080", "[::1]"),
        ("[2001:DB8::1]", "[2001:db8::1]"),
        ("10.0.0.1:443", "10.0.0.1"),
        ("", ""),
        ("shop.example.", "shop.example."),
        ("a:b:c", "a:b:c"),
        ("host:port", "host:port"),
    ],
)
def test_host_names_are_lower_cased_without_port(host: str, name: str) -> None:
    assert host_name(host) == name


def test_repeated_values_never_collide_with_one_joined_value() -> None:
    assert key(query={"page": ["1", "2"]}) != key(query={"page": ["1,2"]})
    assert key(query={"page": ["1,", "2"]}) != key(query={"page": ["1", ",2"]})
    assert key(query={"page": ["", ""]}) != key(query={"page": [","]})
    assert key(headers={"accept": ["a", "b"]}) != key(headers={"accept": ["a,b"]})


def test_absent_is_distinct_from_empty() -> None:
    assert key(headers={"accept": [""]}) != key(headers={})
    assert key(query={"page": [""]}) != key(query={})


def test_unlisted_query_parameters_and_headers_are_ignored() -> None:
    assert key(query={"other": ["1"]}, headers={"user-agent": ["x"]}) == key()


def test_values_are_case_sensitive_and_exact() -> None:
    assert key(headers={"accept": ["A"]}) != key(headers={"accept": ["a"]})
    assert key(query={"page": ["1 "]}) != key(query={"page": ["1"]})


def test_product_api_operation_and_generation_vary_the_key() -> None:
    base = {
        "generation": "g1",
        "product": "gold",
        "api": "shop",
        "revision": "1",
        "operation": "list",
        "vary_by_headers": (),
        "vary_by_query_parameters": (),
    }
    shapes = {
        KeyShape.build(**{**base, field: value}).prefix  # type: ignore[arg-type]
        for field, value in [
            ("generation", "g1"),
            ("generation", "g2"),
            ("product", None),
            ("product", "silver"),
            ("api", "other"),
            ("operation", "get"),
            ("revision", "2"),
        ]
    }
    assert len(shapes) == 7


def test_developer_and_groups_count_only_when_varied() -> None:
    assert key(developer="alice") == key(developer="bob")
    assert key(vary_by_developer=True, developer="alice") != key(
        vary_by_developer=True, developer="bob"
    )
    assert key(vary_by_developer=True, developer=None) != key(vary_by_developer=True, developer="")
    assert key(vary_by_groups=True, groups=["b", "a"]) == key(
        vary_by_groups=True, groups=["a", "b"]
    )
    assert key(vary_by_groups=True, groups=["a"]) != key(vary_by_groups=True, groups=["a,b"])


texts = st.text(max_size=6) | st.sampled_from([",", "%2C", "|", "=", "!", "%"])
value_lists = st.none() | st.lists(texts, min_size=1, max_size=3)


@st.composite
def requests(draw: st.DrawFn) -> dict[str, object]:
    headers = {n: v for n in ("accept", "x-tenant") if (v := draw(value_lists)) is not None}
    query = {n: v for n in ("page", "size") if (v := draw(value_lists)) is not None}
    return {
        "host": draw(st.sampled_from(["", "a.example", "b.example", "a.example|u=", "h=,"])),
        "url": draw(st.sampled_from(["https://a:443/x", "https://a:443/x|y", "https://a:443/"])),
        "headers": headers,
        "query": query,
        "vary_by_developer": True,
        "developer": draw(st.none() | texts),
        "vary_by_groups": True,
        "groups": draw(st.lists(texts, max_size=2)),
    }


def meaning(request: dict[str, object]) -> object:
    """What a key must distinguish: everything a handler can read differently, so every value
    of a repeated header or parameter, in order."""

    def values(mapping: object, names: tuple[str, ...]) -> tuple[tuple[str, ...] | None, ...]:
        assert isinstance(mapping, dict)
        return tuple(None if n not in mapping else tuple(mapping[n]) for n in names)

    groups = request["groups"]
    assert isinstance(groups, list)
    return (
        request["host"],
        request["url"],
        request["developer"],
        tuple(sorted(groups)),
        values(request["headers"], SHAPE.headers),
        values(request["query"], SHAPE.query),
    )


@given(requests(), requests())
def test_keys_are_equal_exactly_when_requests_mean_the_same(
    one: dict[str, object], two: dict[str, object]
) -> None:
    assert (key(**one) == key(**two)) == (meaning(one) == meaning(two))


def test_value_and_counter_keys_are_the_policy_key_in_their_own_namespace() -> None:
    assert value_cache_key("profile-1") == "val:profile-1"
    assert rate_limit_key("10.0.0.1") == "rl:10.0.0.1"
    # No policy key can name a response entry or a counter, nor a value a counter.
    for key in ("", "resp|x", "rl:x", "val:x"):
        assert value_cache_key(key).startswith("val:")
        assert not value_cache_key(key).startswith(("resp|", "rl:"))
        assert not rate_limit_key(key).startswith(("resp|", "val:"))
