"""The Cache-Control header the gateway sends downstream.

Only tokens are asserted (APIM documents no exact text): the presence or absence of ``public``, ``private``,
``must-revalidate`` and ``no-cache``, and that ``max-age``, when present, lies between 0 and the
configured duration (on a hit: at most the entry's remaining lifetime).
"""

from __future__ import annotations

import pytest

from tests.web.conftest import (
    Answer,
    FakeClock,
    Serve,
    Served,
    cache_control,
    policies_xml,
    set_header,
)

DIRECTIVES = {"public", "private", "must-revalidate", "no-cache", "max-age"}


def downstream(attributes: str, *, duration: int = 60, after_store: str = "") -> dict[str, str]:
    lookup = (
        f'<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" {attributes} />'
    )
    store = f'<cache-store duration="{duration}" />'
    return {"policy.xml": policies_xml(inbound=lookup, outbound=store + after_store)}


def max_age(answer: Answer) -> int:
    value = cache_control(answer)["max-age"]
    assert value is not None
    return int(value)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ("", {"no-cache"}),
        ('downstream-caching-type="none"', {"no-cache"}),
        ('downstream-caching-type="private"', {"private", "max-age", "must-revalidate"}),
        ('downstream-caching-type="private" must-revalidate="false"', {"private", "max-age"}),
        (
            'downstream-caching-type="public" must-revalidate="true"',
            {"public", "max-age", "must-revalidate"},
        ),
        ('downstream-caching-type="public" must-revalidate="false"', {"public", "max-age"}),
        (
            'downstream-caching-type="@("pub" + "lic")" must-revalidate="@(false)"',
            {"public", "max-age"},
        ),
    ],
    ids=[
        "default",
        "none",
        "private",
        "private-no-revalidate",
        "public",
        "public-no-revalidate",
        "expressions",
    ],
)
async def test_downstream_cache_control_on_the_stored_miss_and_on_the_hit(
    serve: Serve, attributes: str, expected: set[str]
) -> None:
    app = await serve(downstream(attributes))
    miss = await app.get()
    hit = await app.get()
    assert app.calls() == 1
    for answer in (miss, hit):
        directives = cache_control(answer)
        assert set(directives) & DIRECTIVES == expected
        if "max-age" in expected:
            assert 0 <= max_age(answer) <= 60


async def test_max_age_on_a_hit_is_at_most_the_remaining_lifetime(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(downstream('downstream-caching-type="public"', duration=100))
    await app.get()
    clock.advance(40)
    hit = await app.get()
    assert app.calls() == 1
    assert 0 <= max_age(hit) <= 60


async def test_downstream_header_replaces_the_backends_cache_control(serve: Serve) -> None:
    app = await serve(downstream('downstream-caching-type="private"'))
    app.backends["shop:list"].respond(headers={"Cache-Control": "public, max-age=999"})
    for answer in (await app.get(), await app.get()):
        directives = cache_control(answer)
        assert "private" in directives
        assert "public" not in directives
        assert 0 <= max_age(answer) <= 60


async def test_outbound_after_cache_store_can_override_the_downstream_header(
    serve: Serve,
) -> None:
    policies = downstream(
        'downstream-caching-type="public"', after_store=set_header("Cache-Control", "no-store")
    )
    app = await serve(policies)
    for answer in (await app.get(), await app.get()):
        assert answer.headers.getall("Cache-Control") == ["no-store"]
    assert app.calls() == 1


# --- responses that were not stored are left as they were -----------------------------------
# Each test ends with a stored response of the same app, which does get the downstream header.


async def assert_stored_response_gets_public(app: Served) -> None:
    app.backends["shop:list"].respond(headers={"Cache-Control": "max-age=5"})
    stored = await app.get()
    assert "public" in cache_control(stored)


async def test_unstored_404_keeps_the_backends_cache_control(serve: Serve) -> None:
    app = await serve(downstream('downstream-caching-type="public"'))
    app.backends["shop:list"].respond(status=404, headers={"Cache-Control": "max-age=5"})
    answer = await app.get()
    assert answer.status == 404
    assert answer.headers.getall("Cache-Control") == ["max-age=5"]
    await assert_stored_response_gets_public(app)


async def test_unstored_response_gets_no_cache_control_added(serve: Serve) -> None:
    app = await serve(downstream('downstream-caching-type="public"'))
    app.backends["shop:list"].respond(status=404)
    answer = await app.get()
    assert "Cache-Control" not in answer.headers
    await assert_stored_response_gets_public(app)


async def test_post_response_keeps_the_backends_cache_control(serve: Serve) -> None:
    app = await serve(downstream('downstream-caching-type="public"'))
    app.backends["shop:list"].respond(headers={"Cache-Control": "max-age=5"})
    answer = await app.request("POST", data=b"{}")
    assert answer.headers.getall("Cache-Control") == ["max-age=5"]
    await assert_stored_response_gets_public(app)


async def test_response_to_authorized_request_keeps_the_backends_cache_control(
    serve: Serve,
) -> None:
    app = await serve(downstream('downstream-caching-type="public"'))
    app.backends["shop:list"].respond(headers={"Cache-Control": "max-age=5"})
    answer = await app.get(headers={"Authorization": "Bearer a"})
    assert answer.headers.getall("Cache-Control") == ["max-age=5"]
    await assert_stored_response_gets_public(app)


async def test_a_backends_private_is_never_turned_into_public(serve: Serve) -> None:
    # Not stored (the backend keeps it private), so left as the backend sent it.
    app = await serve(downstream('downstream-caching-type="public"'))
    app.backends["shop:list"].respond(headers={"Cache-Control": "private, max-age=30"})
    for answer in (await app.get(), await app.get()):
        assert answer.headers.getall("Cache-Control") == ["private, max-age=30"]
    assert app.calls() == 2
    await assert_stored_response_gets_public(app)


async def test_with_backend_cache_control_ignored_private_becomes_public_as_in_apim(
    serve: Serve,
) -> None:
    app = await serve(
        downstream('downstream-caching-type="public"'), backend_cache_control="ignore"
    )
    app.backends["shop:list"].respond(headers={"Cache-Control": "private, max-age=30"})
    for answer in (await app.get(), await app.get()):
        directives = cache_control(answer)
        assert "public" in directives
        assert "private" not in directives
    assert app.calls() == 1
