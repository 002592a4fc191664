"""What makes two GET requests share a cached response, seen over HTTP.

Two requests share an entry when the second one does not reach the backend. Every test stores
with the same 60-second cache-store and varies one thing at a time.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from tests.web.conftest import (
    STORE,
    FakeClock,
    Serve,
    add_routes,
    key,
    policies_xml,
    subscriptions,
)


def lookup(attributes: str = "", *, varies: str = "") -> dict[str, str]:
    """Global policies caching every GET with this cache-lookup (attributes and vary elements)."""
    attributes = attributes or 'vary-by-developer="false" vary-by-developer-groups="false"'
    element = f"<cache-lookup {attributes}>{varies}</cache-lookup>"
    return {"policy.xml": policies_xml(inbound=element, outbound=STORE)}


def by_header(*names: str) -> dict[str, str]:
    return lookup(varies="".join(f"<vary-by-header>{n}</vary-by-header>" for n in names))


def by_query(*elements: str) -> dict[str, str]:
    return lookup(
        varies="".join(f"<vary-by-query-parameter>{e}</vary-by-query-parameter>" for e in elements)
    )


# --- the URL --------------------------------------------------------------------------------


async def test_different_paths_are_different_entries(serve: Serve) -> None:
    app = await serve(lookup())
    await app.get("/shop/items/1")
    await app.get("/shop/items/2")
    assert app.calls("shop:get") == 2
    assert (await app.get("/shop/items/1")).body == b"shop:get #1"
    assert app.calls("shop:get") == 2


async def test_without_vary_by_query_parameter_the_query_string_is_ignored(serve: Serve) -> None:
    app = await serve(lookup())
    await app.get(params={"page": "1"})
    hit = await app.get(params={"page": "2"})
    assert hit.body == b"shop:list #1"
    assert app.calls() == 1


# --- vary-by-header -------------------------------------------------------------------------


async def test_vary_by_header_keeps_one_entry_per_value(serve: Serve) -> None:
    app = await serve(by_header("Accept"))
    await app.get(headers={"Accept": "application/json"})
    await app.get(headers={"Accept": "application/xml"})
    assert app.calls() == 2
    hit = await app.get(headers={"Accept": "application/json"})
    assert hit.body == b"shop:list #1"
    assert app.calls() == 2


async def test_vary_by_header_names_compare_case_insensitively(serve: Serve) -> None:
    app = await serve(by_header("X-TENANT"))
    await app.get(headers={"x-tenant": "a"})
    await app.get(headers={"X-Tenant": "b"})
    assert app.calls() == 2
    await app.get(headers={"X-Tenant": "a"})
    assert app.calls() == 2


async def test_vary_by_header_absent_and_empty_are_distinct(serve: Serve) -> None:
    app = await serve(by_header("X-Tenant"))
    await app.get()
    await app.get(headers={"X-Tenant": ""})
    assert app.calls() == 2
    await app.get()
    await app.get(headers={"X-Tenant": ""})
    assert app.calls() == 2


async def test_vary_by_header_values_are_case_sensitive(serve: Serve) -> None:
    app = await serve(by_header("X-Tenant"))
    await app.get(headers={"X-Tenant": "abc"})
    await app.get(headers={"X-Tenant": "ABC"})
    assert app.calls() == 2
    await app.get(headers={"X-Tenant": "ABC"})
    assert app.calls() == 2


async def test_headers_not_listed_are_not_part_of_the_key(serve: Serve) -> None:
    app = await serve(by_header("X-Tenant"))
    await app.get(headers={"X-Tenant": "a", "X-Other": "1"})
    await app.get(headers={"X-Tenant": "a", "X-Other": "2"})
    assert app.calls() == 1


async def test_several_vary_by_headers_combine(serve: Serve) -> None:
    app = await serve(by_header("Accept", "Accept-Language"))
    await app.get(headers={"Accept": "text/html", "Accept-Language": "en"})
    await app.get(headers={"Accept": "text/html", "Accept-Language": "fr"})
    await app.get(headers={"Accept": "text/plain", "Accept-Language": "en"})
    assert app.calls() == 3
    await app.get(headers={"Accept": "text/html", "Accept-Language": "fr"})
    assert app.calls() == 3


# --- vary-by-query-parameter ----------------------------------------------------------------


async def test_one_vary_by_query_element_lists_several_names(serve: Serve) -> None:
    app = await serve(by_query("a;b"))
    await app.get(params={"a": "1", "b": "2"})
    await app.get(params={"a": "1", "b": "3"})
    await app.get(params={"a": "2", "b": "2"})
    assert app.calls() == 3
    await app.get(params={"a": "1", "b": "2"})
    assert app.calls() == 3


async def test_several_vary_by_query_elements_combine(serve: Serve) -> None:
    app = await serve(by_query("a", "b"))
    await app.get(params={"a": "1", "b": "2"})
    await app.get(params={"a": "1", "b": "3"})
    assert app.calls() == 2
    await app.get(params={"a": "1", "b": "3"})
    assert app.calls() == 2


async def test_vary_by_query_names_are_trimmed_and_empty_names_dropped(serve: Serve) -> None:
    app = await serve(by_query(" a ; ;b "))
    await app.get(params={"a": "1", "b": "2"})
    await app.get(params={"a": "1", "b": "3"})
    assert app.calls() == 2
    await app.get(params={"a": "1", "b": "2", "c": "9"})
    assert app.calls() == 2


async def test_query_parameters_not_listed_are_ignored(serve: Serve) -> None:
    app = await serve(by_query("a"))
    await app.get(params={"a": "1", "c": "1"})
    hit = await app.get(params={"a": "1", "c": "2"})
    assert hit.body == b"shop:list #1"
    await app.get(params={"a": "1"})
    assert app.calls() == 1


async def test_query_parameter_absent_and_empty_are_distinct(serve: Serve) -> None:
    app = await serve(by_query("a"))
    await app.get()
    await app.get(params={"a": ""})
    assert app.calls() == 2
    await app.get(params={"a": ""})
    assert app.calls() == 2


async def test_query_parameter_values_are_case_sensitive(serve: Serve) -> None:
    app = await serve(by_query("a"))
    await app.get(params={"a": "x"})
    await app.get(params={"a": "X"})
    assert app.calls() == 2
    await app.get(params={"a": "X"})
    assert app.calls() == 2


async def test_query_parameter_order_in_the_url_does_not_matter(serve: Serve) -> None:
    app = await serve(by_query("a;b"))
    await app.get(params=[("a", "1"), ("b", "2")])
    await app.get(params=[("b", "2"), ("a", "1")])
    assert app.calls() == 1


# --- Authorization --------------------------------------------------------------------------

PRIVATE = (
    'vary-by-developer="false" vary-by-developer-groups="false" '
    'allow-private-response-caching="true"'
)


async def test_authorization_is_not_part_of_the_key_even_with_private_caching(
    serve: Serve,
) -> None:
    app = await serve(lookup(PRIVATE))
    await app.get(headers={"Authorization": "Bearer alice"})
    shared = await app.get(headers={"Authorization": "Bearer bob"})
    assert shared.body == b"shop:list #1"
    assert app.calls() == 1


async def test_vary_by_header_authorization_separates_callers(serve: Serve) -> None:
    app = await serve(lookup(PRIVATE, varies="<vary-by-header>Authorization</vary-by-header>"))
    await app.get(headers={"Authorization": "Bearer alice"})
    await app.get(headers={"Authorization": "Bearer bob"})
    assert app.calls() == 2
    await app.get(headers={"Authorization": "Bearer alice"})
    assert app.calls() == 2


# --- developers, groups and products --------------------------------------------------------

BY_DEVELOPER = 'vary-by-developer="true" vary-by-developer-groups="false"'
BY_GROUPS = 'vary-by-developer="false" vary-by-developer-groups="true"'


async def test_two_subscriptions_of_one_user_share_entries_when_varying_by_developer(
    serve: Serve,
) -> None:
    app = await serve(lookup(BY_DEVELOPER), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-gold-1"))
    await app.get(headers=key("k-alice-gold-2"))
    assert app.calls() == 1


async def test_different_users_get_separate_entries_when_varying_by_developer(
    serve: Serve,
) -> None:
    app = await serve(lookup(BY_DEVELOPER), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-gold-1"))
    bob = await app.get(headers=key("k-bob-gold"))
    assert bob.body == b"shop:list #2"
    assert (await app.get(headers=key("k-bob-gold"))).body == b"shop:list #2"
    assert app.calls() == 2


async def test_anonymous_caller_and_a_developer_are_separate_when_varying_by_developer(
    serve: Serve,
) -> None:
    attributes = 'vary-by-developer="@(1 + 1 == 2)" vary-by-developer-groups="false"'
    app = await serve(lookup(attributes), subscriptions=subscriptions())
    await app.get()
    await app.get(headers=key("k-alice-all"))
    assert app.calls() == 2
    await app.get()
    await app.get(headers=key("k-alice-all"))
    assert app.calls() == 2


async def test_different_users_share_entries_without_vary_by_developer(serve: Serve) -> None:
    app = await serve(lookup(), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-gold-1"))
    shared = await app.get(headers=key("k-bob-gold"))
    assert shared.body == b"shop:list #1"
    assert app.calls() == 1


async def test_users_in_the_same_groups_share_entries_when_varying_by_groups(
    serve: Serve,
) -> None:
    app = await serve(lookup(BY_GROUPS), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-gold-1"))
    await app.get(headers=key("k-carol-gold"))
    assert app.calls() == 1


async def test_users_in_different_groups_get_separate_entries_when_varying_by_groups(
    serve: Serve,
) -> None:
    app = await serve(lookup(BY_GROUPS), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-gold-1"))
    await app.get(headers=key("k-bob-gold"))
    assert app.calls() == 2
    await app.get(headers=key("k-bob-gold"))
    assert app.calls() == 2


async def test_same_request_through_two_products_makes_two_entries(serve: Serve) -> None:
    app = await serve(lookup(), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-gold-1"))
    await app.get(headers=key("k-alice-silver"))
    assert app.calls() == 2
    await app.get(headers=key("k-alice-silver"))
    assert app.calls() == 2


async def test_callers_without_a_product_share_entries(serve: Serve) -> None:
    # API-scoped and all-APIs subscriptions bring no product, nor does an anonymous call.
    app = await serve(lookup(), subscriptions=subscriptions())
    await app.get(headers=key("k-alice-api"))
    await app.get(headers=key("k-alice-all"))
    await app.get()
    assert app.calls() == 1


# --- the host name (safety beyond APIM) -----------------------------------------------------


async def test_a_request_for_another_host_never_poisons_this_one(serve: Serve) -> None:
    app = await serve(lookup())
    await app.get(headers={"Host": "evil.example"})
    page = await app.get(headers={"Host": "shop.example"})
    assert page.body == b"shop:list #2"
    assert (await app.get(headers={"Host": "shop.example"})).body == b"shop:list #2"
    assert app.calls() == 2


async def test_the_host_name_is_compared_without_case_and_port(serve: Serve) -> None:
    app = await serve(lookup())
    await app.get(headers={"Host": "shop.example"})
    await app.get(headers={"Host": "SHOP.Example:8443"})
    await app.get(headers={"Host": "shop.example:80"})
    assert app.calls() == 1


async def test_vary_by_host_false_shares_entries_across_host_names(serve: Serve) -> None:
    app = await serve(lookup(), vary_by_host=False)
    await app.get(headers={"Host": "a.example"})
    shared = await app.get(headers={"Host": "b.example"})
    assert shared.body == b"shop:list #1"
    assert app.calls() == 1


async def test_the_host_a_forwarded_headers_middleware_sets_is_the_one_keyed(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    # The app trusts its proxy's X-Forwarded-Host (as aiohttp-remotes does): request.host is
    # the forwarded one, and so is the key.
    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        host = request.headers.get("X-Forwarded-Host")
        return await handler(request if host is None else request.clone(host=host))

    app = web.Application(middlewares=[forwarded])
    backends = add_routes(app)
    aiohttp_apim.setup(app, policies=lookup(), clock=clock)
    client = await aiohttp_client(app)
    gateway = app[aiohttp_apim.GATEWAY]
    for host in ("a.example", "b.example", "A.example"):
        async with client.get("/shop/items", headers={"X-Forwarded-Host": host}) as answer:
            assert answer.status == 200
        await gateway.drain()
    assert backends["shop:list"].calls == 2


# --- repeated values ------------------------------------------------------------------------


async def test_a_repeated_query_parameter_and_one_joined_value_are_different_entries(
    serve: Serve,
) -> None:
    app = await serve(by_query("a"))
    await app.get(params=[("a", "1"), ("a", "2")])
    joined = await app.get(params=[("a", "1,2")])
    assert joined.body == b"shop:list #2"
    assert app.backends["shop:list"].last.query.getall("a") == ["1,2"]
    await app.get(params=[("a", "1"), ("a", "2")])
    await app.get(params=[("a", "1,2")])
    assert app.calls() == 2


async def test_a_repeated_header_and_one_joined_value_are_different_entries(serve: Serve) -> None:
    app = await serve(by_header("X-Tenant"))
    await app.get(headers=[("X-Tenant", "a"), ("X-Tenant", "b")])
    await app.get(headers=[("X-Tenant", "a,b")])
    assert app.calls() == 2
    await app.get(headers=[("X-Tenant", "a"), ("X-Tenant", "b")])
    assert app.calls() == 2
