"""Value caching over HTTP: cache-lookup-value, cache-store-value, cache-remove-value.

Values go through a real MemoryCache and, where the Redis fixtures allow, a real Redis: each
.NET type an expression can store comes back with its type in a later request. What a policy
saw is reported in response headers set by outbound expressions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pytest_aiohttp import AiohttpClient

import aiohttp_apim
from aiohttp_apim.cache import Cache
from tests.doubles import FailingCache, GatedCache, HangingCache
from tests.redis_server import RedisServer
from tests.web.conftest import (
    FakeClock,
    Serve,
    Served,
    build_app,
    policies_xml,
    set_header,
)

V = 'context.Variables["v"]'
HAS_V = set_header("X-Has", '@(context.Variables.ContainsKey("v").ToString())')
SHOW_V = set_header("X-V", f"@({V}.ToString())")
ECHO_ERROR = (
    set_header("X-Source", "@(context.LastError.Source)")
    + set_header("X-Reason", "@(context.LastError.Reason)")
    + set_header("X-Message", "@(context.LastError.Message)")
)


def when(mode: str, statements: str) -> str:
    """``statements`` run only for requests sent with ``X-Mode: <mode>``."""
    condition = f'@(context.Request.Headers.GetValueOrDefault("X-Mode", "") == "{mode}")'
    return f'<choose><when condition="{condition}">{statements}</when></choose>'


def gateway_of(served: Served) -> aiohttp_apim.Gateway:
    gateway = served.gateway
    assert isinstance(gateway, aiohttp_apim.Gateway)
    return gateway


def mode(name: str) -> dict[str, str]:
    return {"X-Mode": name}


# --- caches under test ------------------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
async def value_cache(
    request: pytest.FixtureRequest, clock: FakeClock
) -> AsyncIterator[tuple[str, Cache]]:
    """A real cache for values: the in-process one, or a Redis (as the external cache)."""
    if request.param == "memory":
        yield "internal", aiohttp_apim.MemoryCache(clock=clock)
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    prefix: str = request.getfixturevalue("redis_prefix")
    cache = aiohttp_apim.RedisCache.from_url(server.url, prefix=prefix)
    try:
        yield "external", cache
    finally:
        await cache.close()


async def serve_with(serve: Serve, where: tuple[str, Cache], document: str) -> Served:
    kind, cache = where
    if kind == "internal":
        return await serve({"policy.xml": document}, internal_cache=cache)
    return await serve({"policy.xml": document}, external_cache=cache)


# --- every type round-trips with its type ---------------------------------------------------------

ROUND_TRIPS: dict[str, tuple[str, str, str]] = {
    # case: (value expression, check expression, what the check shows)
    "string": (
        '@("hello")',
        f'@({V} is string ? "string " + (string){V} : "other")',
        "string hello",
    ),
    "empty-string": ('@("")', f'@({V} is string ? "empty:" + (string){V} : "other")', "empty:"),
    "int": ("@(42)", f'@({V} is int ? "int " + {V} : "other")', "int 42"),
    "long": ("@(9000000000L)", f'@({V} is long ? "long " + {V} : "other")', "long 9000000000"),
    "bool": ("@(1 > 0)", f'@({V} is bool ? "bool " + {V} : "other")', "bool True"),
    "datetime": (
        "@(new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc))",
        f'@({V} is DateTime ? ((DateTime){V}).ToString("o") : "other")',
        "2024-05-06T07:08:09.0000000Z",
    ),
    "timespan": (
        "@(TimeSpan.FromMinutes(90))",
        f'@({V} is TimeSpan ? ((TimeSpan){V}).TotalMinutes.ToString() : "other")',
        "90",
    ),
    "guid": (
        '@(new Guid("0f8fad5b-d9cb-469f-a165-70867728950e"))',
        f'@({V} is Guid ? "guid " + {V} : "other")',
        "guid 0f8fad5b-d9cb-469f-a165-70867728950e",
    ),
    "jobject": (
        '@(JObject.Parse("{\\"a\\": [1, {\\"b\\": \\"x\\"}], \\"n\\": 2.5}"))',
        f'@({V} is JObject ? (string)((JObject){V})["a"][1]["b"] + (int)((JObject){V})["a"][0]'
        f' + ((JObject){V})["n"].Type : "other")',
        "x1Float",
    ),
    "bytes": (
        '@(Encoding.UTF8.GetBytes("bytes!"))',
        f'@({V} is byte[] ? Encoding.UTF8.GetString((byte[]){V}) : "other")',
        "bytes!",
    ),
}


@pytest.mark.parametrize("case", sorted(ROUND_TRIPS))
async def test_a_stored_value_comes_back_with_its_type(
    serve: Serve, value_cache: tuple[str, Cache], case: str
) -> None:
    value, check, expected = ROUND_TRIPS[case]
    app = await serve_with(
        serve,
        value_cache,
        policies_xml(
            inbound=when(
                "store", f'<cache-store-value key="typed" value="{value}" duration="60" />'
            )
            + when("read", '<cache-lookup-value key="typed" variable-name="v" />'),
            outbound=when("read", set_header("X-Check", check)),
        ),
    )
    assert (await app.get(headers=mode("store"))).status == 200
    answer = await app.get(headers=mode("read"))
    assert answer.status == 200, answer.headers
    assert answer.headers["X-Check"] == expected


async def test_a_stored_response_comes_back_as_an_iresponse(
    serve: Serve, value_cache: tuple[str, Cache]
) -> None:
    r = f"((IResponse){V})"
    app = await serve_with(
        serve,
        value_cache,
        policies_xml(
            inbound=when("read", '<cache-lookup-value key="resp" variable-name="v" />'),
            outbound=when(
                "store",
                '<cache-store-value key="resp" value="@(context.Response)" duration="60" />',
            )
            + when(
                "read",
                set_header(
                    "X-Check",
                    f'@({r}.StatusCode + "|" + {r}.StatusReason + "|" + '
                    f'{r}.Headers.GetValueOrDefault("X-Backend", "-") + "|" + {r}.Body.As<string>())',
                ),
            ),
        ),
    )
    app.backends["shop:list"].respond(status=201, headers={"X-Backend": "b1"}, body=b"made")
    await app.get(headers=mode("store"))
    answer = await app.get(headers=mode("read"))
    assert answer.headers["X-Check"] == "201|Created|b1|made"


# --- hits, misses and the default -----------------------------------------------------------------

LOOKUP_V = '<cache-lookup-value key="k" variable-name="v" />'
STORE_V = '<cache-store-value key="k" value="@(context.Request.Headers.GetValueOrDefault(&quot;X-Value&quot;, &quot;&quot;))" duration="60" />'


async def test_a_miss_without_default_leaves_the_variable_unset(serve: Serve) -> None:
    app = await serve({"policy.xml": policies_xml(inbound=LOOKUP_V, outbound=HAS_V)})
    answer = await app.get()
    assert answer.headers["X-Has"] == "False"


async def test_a_miss_without_default_leaves_an_existing_variable_as_it_was(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<set-variable name="v" value="@(7)" />' + LOOKUP_V,
                outbound=set_header("X-V", f'@({V} is int ? "int " + {V} : "other")'),
            )
        }
    )
    assert (await app.get()).headers["X-V"] == "int 7"


async def test_a_literal_default_is_a_string_and_an_expression_default_keeps_its_type(
    serve: Serve,
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup-value key="a" variable-name="a" default-value="42" />'
                '<cache-lookup-value key="b" variable-name="b" default-value="@(42)" />',
                outbound=set_header(
                    "X-A", '@(context.Variables["a"] is string ? "string" : "other")'
                )
                + set_header("X-B", '@(context.Variables["b"] is int ? "int" : "other")'),
            )
        }
    )
    answer = await app.get()
    assert (answer.headers["X-A"], answer.headers["X-B"]) == ("string", "int")


async def test_a_hit_sets_the_stored_value_not_the_default(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when("store", STORE_V)
                + '<cache-lookup-value key="k" variable-name="v" default-value="dflt" />',
                outbound=SHOW_V,
            )
        }
    )
    # The store is asynchronous for APIM; here the in-process cache has it at once, so the
    # lookup right after it in the same request already hits.
    stored = await app.get(headers={**mode("store"), "X-Value": "stored"})
    assert stored.headers["X-V"] == "stored"
    assert (await app.get()).headers["X-V"] == "stored"


async def test_values_expire_after_their_duration(serve: Serve, clock: FakeClock) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when("store", STORE_V)
                + '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    await app.get(headers={**mode("store"), "X-Value": "fresh"})
    clock.advance(59)
    assert (await app.get()).headers["X-V"] == "fresh"
    clock.advance(1)
    assert (await app.get()).headers["X-V"] == "miss"


async def test_a_store_overwrites_the_value_and_restarts_its_ttl(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when("store", STORE_V)
                + '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    await app.get(headers={**mode("store"), "X-Value": "one"})
    clock.advance(50)
    await app.get(headers={**mode("store"), "X-Value": "two"})
    clock.advance(50)
    assert (await app.get()).headers["X-V"] == "two"


async def test_a_null_value_is_not_stored_and_leaves_the_entry_there(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when("store", STORE_V)
                + when("null", '<cache-store-value key="k" value="@(null)" duration="60" />')
                + when(
                    "null-var",
                    '<cache-store-value key="k" value="@(context.Variables'
                    '.GetValueOrDefault&lt;string&gt;(&quot;nothing&quot;))" '
                    'duration="60" />',
                )
                + '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    await app.get(headers={**mode("store"), "X-Value": "kept"})
    assert (await app.get(headers=mode("null"))).headers["X-V"] == "kept"
    assert (await app.get(headers=mode("null-var"))).headers["X-V"] == "kept"


@pytest.mark.parametrize(
    ("duration", "stored"),
    [
        ('"0"', False),
        ('"-5"', False),
        ('"@(0)"', False),
        ('"@(&quot;30&quot;)"', True),  # a string that parses (a published snippet does this)
        ('"@(30L)"', True),
        ('"@(99999999999L)"', True),  # beyond int32: clamped (a literal is refused at load)
    ],
)
async def test_duration_rules(serve: Serve, duration: str, stored: bool) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when(
                    "store", f'<cache-store-value key="k" value="x" duration={duration} />'
                )
                + '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    assert (await app.get(headers=mode("store"))).status == 200
    assert (await app.get()).headers["X-V"] == ("x" if stored else "miss")


async def test_a_duration_that_is_not_a_number_goes_to_on_error(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="k" value="x" duration="@(&quot;soon&quot;)" />',
                on_error=ECHO_ERROR,
            )
        }
    )
    answer = await app.get()
    assert answer.status == 500
    assert (answer.headers["X-Source"], answer.headers["X-Reason"]) == (
        "cache-store-value",
        "ExpressionValueEvaluationFailure",
    )


async def test_value_caching_is_not_restricted_to_get(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when("store", STORE_V)
                + '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    await app.request("POST", headers={**mode("store"), "X-Value": "posted"}, data=b"{}")
    assert (await app.request("DELETE")).headers["X-V"] == "posted"


async def test_value_policies_run_in_every_section(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<set-variable name="fail" value="@(context.Variables[&quot;no&quot;])" />',
                on_error='<cache-store-value key="err" value="@(context.LastError.Reason)" duration="9" />'
                '<cache-lookup-value key="err" variable-name="v" />' + SHOW_V,
            )
        }
    )
    assert (await app.get()).headers["X-V"] == "ExpressionValueEvaluationFailure"


# --- keys -----------------------------------------------------------------------------------------


async def test_keys_are_strings_by_dotnet_tostring(serve: Serve) -> None:
    # @(42) and "42" name one entry; @(1 > 0) is "True".
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when(
                    "store",
                    '<cache-store-value key="@(42)" value="int-key" duration="60" />'
                    '<cache-store-value key="@(1 &gt; 0)" value="bool-key" '
                    'duration="60" />',
                )
                + '<cache-lookup-value key="42" variable-name="a" default-value="miss" />'
                '<cache-lookup-value key="True" variable-name="b" default-value="miss" />',
                outbound=set_header("X-A", '@((string)context.Variables["a"])')
                + set_header("X-B", '@((string)context.Variables["b"])'),
            )
        }
    )
    await app.get(headers=mode("store"))
    answer = await app.get()
    assert (answer.headers["X-A"], answer.headers["X-B"]) == ("int-key", "bool-key")


@pytest.mark.parametrize(
    "policy",
    [
        '<cache-lookup-value key="@((string)null)" variable-name="v" default-value="d" />',
        '<cache-store-value key="@((string)context.Variables.GetValueOrDefault&lt;string&gt;'
        '(&quot;user&quot;))" value="x" duration="60" />',
        '<cache-remove-value key="@((string)null)" />',
    ],
)
async def test_a_null_key_is_an_error_not_a_shared_entry(serve: Serve, policy: str) -> None:
    app = await serve({"policy.xml": policies_xml(inbound=policy, on_error=ECHO_ERROR)})
    answer = await app.get()
    assert answer.status == 500
    assert answer.headers["X-Reason"] == "ExpressionValueEvaluationFailure"
    assert "ArgumentNullException" in answer.headers["X-Message"]
    assert app.calls() == 0


async def test_values_live_in_their_own_namespace(serve: Serve, clock: FakeClock) -> None:
    cache = aiohttp_apim.MemoryCache(clock=clock)
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
                '<cache-store-value key="profile" value="v" duration="60" />',
                outbound='<cache-store duration="60" />',
            )
        },
        internal_cache=cache,
    )
    await app.get()
    keys = list(cache._entries)  # a look inside: which keys the gateway wrote
    assert "val:profile" in keys
    assert all(k == "val:profile" or k.startswith("resp|") for k in keys)
    assert len(keys) == 2


async def test_values_are_shared_across_policy_versions_and_apps(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    cache = aiohttp_apim.MemoryCache(clock=clock)
    writer, writer_gw, _ = build_app(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="shared" value="from v1" duration="60" />'
            )
        },
        clock=clock,
        internal_cache=cache,
    )
    # Another policy set (another generation), another app: the same key is the same value.
    reader, _, _ = build_app(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup-value key="shared" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        },
        clock=clock,
        internal_cache=cache,
    )
    writer_client = await aiohttp_client(writer)
    reader_client = await aiohttp_client(reader)
    async with writer_client.get("/shop/items") as answer:
        assert answer.status == 200
    await writer_gw.drain()
    async with reader_client.get("/shop/items") as answer:
        assert answer.headers["X-V"] == "from v1"


# --- caching types --------------------------------------------------------------------------------


async def test_external_without_an_external_cache_is_unavailable_and_the_default_applies(
    serve: Serve,
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="k" value="x" duration="60" caching-type="external" />'
                '<cache-lookup-value key="k" variable-name="v" default-value="dflt" '
                'caching-type="external" />'
                '<cache-lookup-value key="k" variable-name="w" caching-type="external" />'
                '<cache-remove-value key="k" caching-type="external" />',
                outbound=SHOW_V
                + set_header("X-W", '@(context.Variables.ContainsKey("w").ToString())'),
            )
        }
    )
    answer = await app.get()
    assert answer.status == 200
    assert (answer.headers["X-V"], answer.headers["X-W"]) == ("dflt", "False")
    stats = gateway_of(app).stats()
    assert (stats.value_stores, stats.value_misses, stats.value_hits) == (0, 2, 0)


async def test_prefer_external_uses_the_external_cache_and_internal_stays_separate(
    serve: Serve, clock: FakeClock
) -> None:
    internal = aiohttp_apim.MemoryCache(clock=clock)
    external = aiohttp_apim.MemoryCache(clock=clock)
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="k" value="ext" duration="60" />'
                # (one cache-store-value per section, at its top level)
                '<choose><when condition="true"><cache-store-value key="k" value="int" duration="60" '
                'caching-type="internal" /></when></choose>'
                '<cache-lookup-value key="k" variable-name="v" caching-type="external" />'
                '<cache-lookup-value key="k" variable-name="w" caching-type="internal" />',
                outbound=SHOW_V + set_header("X-W", '@((string)context.Variables["w"])'),
            )
        },
        internal_cache=internal,
        external_cache=external,
    )
    answer = await app.get()
    assert (answer.headers["X-V"], answer.headers["X-W"]) == ("ext", "int")


# --- cache-remove-value ---------------------------------------------------------------------------


async def test_remove_value_removes_and_a_missing_key_is_no_error(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound=when("store", STORE_V)
                + when(
                    "remove", '<cache-remove-value key="k" fail-on-cache-removal-error="true" />'
                )
                + '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    await app.get(headers={**mode("store"), "X-Value": "here"})
    assert (await app.get()).headers["X-V"] == "here"
    assert (await app.get(headers=mode("remove"))).headers["X-V"] == "miss"
    removed_again = await app.get(headers=mode("remove"))
    assert (removed_again.status, removed_again.headers["X-V"]) == (200, "miss")
    assert gateway_of(app).stats().value_removes == 2


async def test_a_failed_removal_is_ignored_by_default(serve: Serve, clock: FakeClock) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-remove-value key="k" />'
                '<cache-remove-value key="k" fail-on-cache-removal-error="false" />',
            )
        },
        internal_cache=FailingCache(clock=clock),
    )
    answer = await app.get()
    assert (answer.status, answer.body) == (200, b"shop:list #1")
    assert gateway_of(app).stats().cache_errors == 2


async def test_a_failed_removal_fails_the_request_when_asked_to(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-remove-value id="rm" key="profile-1" '
                'fail-on-cache-removal-error="@(1 &gt; 0)" />',
                on_error=ECHO_ERROR,
            )
        },
        external_cache=FailingCache(clock=clock),
    )
    answer = await app.get()
    assert answer.status == 500
    assert app.calls() == 0
    assert answer.headers["X-Source"] == "cache-remove-value"
    assert answer.headers["X-Reason"] == "CacheRemovalFailure"
    assert "profile-1" in answer.headers["X-Message"]
    assert "connection refused" in answer.headers["X-Message"]


async def test_removal_from_an_unconfigured_cache_fails_only_when_asked_to(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-remove-value key="k" caching-type="external" />'
                + when(
                    "strict",
                    '<cache-remove-value key="k" caching-type="external" '
                    'fail-on-cache-removal-error="true" />',
                ),
                on_error=ECHO_ERROR,
            )
        }
    )
    assert (await app.get()).status == 200
    strict = await app.get(headers=mode("strict"))
    assert (strict.status, strict.headers["X-Reason"]) == (500, "CacheRemovalFailure")
    assert "external" in strict.headers["X-Message"]


# --- best effort ----------------------------------------------------------------------------------


async def test_a_cache_that_is_down_is_a_miss_and_a_store_is_a_no_op(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup-value key="k" variable-name="v" default-value="fallback" />'
                '<cache-store-value key="k" value="x" duration="60" />',
                outbound=SHOW_V,
            )
        },
        external_cache=FailingCache(clock=clock),
    )
    for _ in range(3):
        answer = await app.get()
        assert (answer.status, answer.headers["X-V"]) == (200, "fallback")
    stats = gateway_of(app).stats()
    assert (stats.value_misses, stats.cache_errors, stats.failed_writes) == (3, 3, 3)
    assert app.calls() == 3


async def test_bytes_that_are_not_a_value_entry_are_a_miss(serve: Serve, clock: FakeClock) -> None:
    cache = aiohttp_apim.MemoryCache(clock=clock)
    await cache.set("val:k", b"not a value entry", 60)
    await cache.set("val:pickle", b"\x80\x04\x95", 60)
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup-value key="k" variable-name="v" default-value="miss" />'
                '<cache-lookup-value key="pickle" variable-name="w" default-value="miss" />',
                outbound=SHOW_V + set_header("X-W", '@((string)context.Variables["w"])'),
            )
        },
        internal_cache=cache,
    )
    answer = await app.get()
    assert (answer.status, answer.headers["X-V"], answer.headers["X-W"]) == (200, "miss", "miss")
    assert gateway_of(app).stats().cache_errors == 2


async def test_a_value_that_cannot_be_cached_is_not_stored_and_the_request_goes_on(
    serve: Serve,
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="k" value="@(context.Request)" duration="60" />'
                '<cache-lookup-value key="k" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        }
    )
    answer = await app.get()
    assert (answer.status, answer.headers["X-V"]) == (200, "miss")
    assert gateway_of(app).stats().cache_errors == 1


async def test_stored_values_are_copies(serve: Serve) -> None:
    # A JObject changed after it was stored (or after it was read) changes nothing cached.
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<set-variable name="o" value="@(JObject.Parse(&quot;{\\&quot;n\\&quot;: 1}&quot;))" />'
                '<cache-store-value key="o" value="@(context.Variables[&quot;o&quot;])" duration="60" />'
                '<set-variable name="changed" value="@{ var o = (JObject)context.Variables[&quot;o&quot;];'
                ' o[&quot;n&quot;] = 2; return true; }" />'
                '<cache-lookup-value key="o" variable-name="v" />',
                outbound=set_header("X-N", f'@(((JObject){V})["n"].ToString())'),
            )
        }
    )
    assert (await app.get()).headers["X-N"] == "1"


# --- background writes: bounded, counted, drained -------------------------------------------------


async def test_writes_past_the_bound_are_dropped_and_counted_then_drained(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    cache = GatedCache(clock=clock)
    app, gateway, _ = build_app(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="@(context.Request.Url.Query.GetValueOrDefault('
                '&quot;k&quot;, &quot;&quot;))" value="stored" duration="60" />'
                '<cache-lookup-value key="@(context.Request.Url.Query.GetValueOrDefault('
                '&quot;k&quot;, &quot;&quot;))" variable-name="v" default-value="miss" />',
                outbound=SHOW_V,
            )
        },
        clock=clock,
        external_cache=cache,
        max_pending_writes=2,
    )
    assert isinstance(gateway, aiohttp_apim.Gateway)
    client = await aiohttp_client(app)
    for k in "abcd":  # the response never waits for the write
        async with client.get("/shop/items", params={"k": k}) as answer:
            assert (answer.status, answer.headers["X-V"]) == (200, "miss")
    await asyncio.sleep(0)  # let the two accepted writes start
    stats = gateway.stats()
    assert (stats.pending_writes, stats.dropped_writes, stats.value_stores) == (2, 2, 2)
    assert cache.started == 2
    cache.gate.set()
    await gateway.drain()
    assert gateway.stats().pending_writes == 0
    for k, stored in (("a", True), ("b", True), ("c", False), ("d", False)):
        assert (await cache.get(f"val:{k}") is not None) is stored


async def test_app_shutdown_drains_pending_writes(
    aiohttp_client: AiohttpClient, clock: FakeClock
) -> None:
    cache = GatedCache(clock=clock)
    app, _, _ = build_app(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="k" value="v" duration="60" />'
            )
        },
        clock=clock,
        external_cache=cache,
    )
    client = await aiohttp_client(app)
    async with client.get("/shop/items") as answer:
        assert answer.status == 200
    assert (cache.started, cache.finished) == (1, 0)
    cache.gate.set()
    await client.close()  # app cleanup: the gateway drains before closing the caches
    assert cache.finished == 1


async def test_a_write_that_raises_is_logged_and_counted(
    serve: Serve, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-store-value key="k" value="v" duration="60" />'
            )
        },
        external_cache=FailingCache(
            ("set",), clock=clock, error=RuntimeError("a bug in a custom backend")
        ),
    )
    assert (await app.get()).status == 200
    assert gateway_of(app).stats().failed_writes == 1
    assert any("a bug in a custom backend" in r.getMessage() for r in caplog.records)


async def test_stats_count_hits_and_misses_per_kind(serve: Serve) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
                '<cache-lookup-value key="k" variable-name="v" />'
                '<cache-store-value key="k" value="x" duration="60" />',
                outbound='<cache-store duration="60" />',
            )
        }
    )
    await app.get()  # response miss, value miss, then stored
    await app.get()  # response hit: inbound stops there
    await app.get("/shop/items/1")  # response miss, value hit
    stats = gateway_of(app).stats()
    assert (stats.response_hits, stats.response_misses) == (1, 2)
    assert (stats.value_hits, stats.value_misses, stats.value_stores) == (1, 1, 2)
    assert stats.as_dict()["value_hits"] == 1


async def test_a_cache_that_does_not_answer_costs_at_most_cache_timeout(
    serve: Serve, clock: FakeClock
) -> None:
    app = await serve(
        {
            "policy.xml": policies_xml(
                inbound='<cache-lookup-value key="k" variable-name="v" default-value="fallback" />'
                '<cache-remove-value key="k" />'
                '<rate-limit-by-key calls="1" renewal-period="60" counter-key="k" />',
                outbound=SHOW_V,
            )
        },
        external_cache=HangingCache(clock=clock),
        cache_timeout=0.05,
    )
    for _ in range(2):
        answer = await asyncio.wait_for(app.get(), timeout=5)
        assert (answer.status, answer.headers["X-V"]) == (200, "fallback")
    stats = gateway_of(app).stats()
    assert (stats.cache_errors, stats.rate_limit_errors) == (6, 2)
