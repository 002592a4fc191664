"""Warnings about policies that load but never cache, the ``<trace>`` element, ``ignore_policies``
and the census of a folder's policy elements -- through ``load_policies``/``read_policies``."""

from __future__ import annotations

import pytest

import aiohttp_apim
from aiohttp_apim.policy.advice import setup_warnings
from aiohttp_apim.policy.model import Trace, TraceSeverity
from aiohttp_apim.policy.sources import read_policies

LOOKUP = '<cache-lookup vary-by-developer="false" vary-by-developer-groups="false" />'
STORE = '<cache-store duration="60" />'


def doc(inbound: str = "", outbound: str = "", backend: str = "<base />") -> str:
    return (
        f"<policies><inbound>{inbound}</inbound><backend>{backend}</backend>"
        f"<outbound>{outbound}</outbound><on-error /></policies>"
    )


def warnings_of(files: dict[str, str]) -> list[str]:
    policies = aiohttp_apim.load_policies(files)
    return [w.message for w in policies.warnings]


# --- cache-store without cache-lookup ---------------------------------------------------------


def test_a_store_is_paired_with_a_lookup_of_any_scope_of_its_effective_policy() -> None:
    files = {
        "policy.xml": doc("<base />", "<base />", "<forward-request />"),
        "apis/shop/policy.xml": doc(f"<base />{LOOKUP}", "<base />"),
        "apis/shop/operations/get/policy.xml": doc("<base />", f"{STORE}<base />"),
        # No cache-lookup anywhere in the effective policy of shop:list (a real snippet's
        # mistake: "cache-store only"), nor of billing:list.
        "apis/billing/operations/list/policy.xml": doc("<base />", f"<base />{STORE}"),
    }
    assert warnings_of(files) == [
        "<cache-store> never stores anything: no effective policy that holds it has a "
        "<cache-lookup> in its inbound section (a response is stored under the key its "
        "cache-lookup computed)"
    ]
    problems = aiohttp_apim.load_policies(files).warnings
    assert [p.file for p in problems] == ["apis/billing/operations/list/policy.xml"]


def test_a_store_in_a_branch_with_a_lookup_in_a_branch_is_fine() -> None:
    files = {
        "policy.xml": doc(
            f'<choose><when condition="@(true)">{LOOKUP}</when></choose>',
            f'<choose><when condition="@(true)">{STORE}</when></choose>',
            "<forward-request />",
        )
    }
    assert warnings_of(files) == []


# --- cache-lookup-value keys ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lookup_key", "store_key", "warns"),
    [
        ("token", "token", False),
        ("token", "tokens", True),
        ('@("user-" + context.Request.Method)', "user-GET", False),
        ('@("user-" + context.Request.Method)', "group-GET", True),
        ("user-1", '@("user-" + context.Request.Method)', False),
        ("admin-1", '@("user-" + context.Request.Method)', True),
        ('@($"user-{context.Request.Method}")', '@("user-" + context.Request.Method)', False),
        ('@(string.Format("u-{0}", 1 + context.Request.Method.Length))', "v-1", True),
        ('@("a" + "b")', "ab", False),  # a constant expression is exactly its value
        # What cannot be seen is never guessed at: no false alarm.
        ("@(context.Request.Method)", "anything", False),
        ("token", "@(context.Request.Method)", False),
        ("token", '@{ return "token"; }', False),
    ],
)
def test_a_value_lookup_warns_only_when_no_store_can_make_its_key(
    lookup_key: str, store_key: str, warns: bool
) -> None:
    inbound = (
        f'<cache-lookup-value key="{lookup_key}" variable-name="v" />'
        f'<cache-store-value key="{store_key}" value="x" duration="5" />'
    )
    found = warnings_of({"policy.xml": doc(inbound, backend="<forward-request />")})
    assert bool(found) is warns, found
    if warns:
        assert (
            "always misses: no <cache-store-value> in the policies stores such a key" in (found[0])
        )
        assert "unless another application stores it in a shared cache" in found[0]


def test_a_value_stored_in_a_fragment_counts() -> None:
    files = {
        "policy.xml": doc(
            '<cache-lookup-value key="k" variable-name="v" />', backend="<forward-request />"
        ),
        "fragments/store.xml": (
            '<fragment><cache-store-value key="k" value="x" duration="5" /></fragment>'
        ),
    }
    assert warnings_of(files) == []


# --- setup warnings ---------------------------------------------------------------------------


def test_setup_warnings_need_the_setup() -> None:
    lookup = (
        '<cache-lookup vary-by-developer="@(true)" vary-by-developer-groups="true" '
        'caching-type="external" />'
    )
    policies = aiohttp_apim.load_policies(
        {"policy.xml": doc(lookup + '<cache-remove-value key="k" caching-type="internal" />')}
    )
    found = [w.message for w in setup_warnings(policies, external_cache=False, subscriptions=False)]
    assert len(found) == 2
    assert found[0].startswith('<cache-lookup caching-type="external"> never caches a response')
    # An expression is never guessed at: vary-by-developer-groups is the one named.
    assert found[1].startswith('<cache-lookup vary-by-developer-groups="true"> varies by nothing')
    assert setup_warnings(policies, external_cache=True, subscriptions=True) == []


# --- <trace> ----------------------------------------------------------------------------------


def test_the_trace_element_loads_as_documented() -> None:
    trace = (
        '<trace source="PetStore API" severity="information">'
        '<message>@((string)context.Variables["id"])</message>'
        '<metadata name="Operation Name" value="New-Order" /></trace>'
    )
    policies = aiohttp_apim.load_policies({"policy.xml": doc(trace, backend="<forward-request />")})
    assert policies.global_policy is not None
    [statement] = policies.global_policy.inbound.items
    assert isinstance(statement, Trace)
    assert (statement.source, statement.severity) == ("PetStore API", TraceSeverity.INFORMATION)
    assert [(n.raw, v.raw) for n, v in statement.metadata] == [("Operation Name", "New-Order")]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("trace", "message"),
    [
        ("<trace><message>m</message></trace>", "missing the required attribute 'source'"),
        ('<trace source="s" />', "<trace> needs at least one <message>"),
        (
            '<trace source="s" severity="loud"><message>m</message></trace>',
            "expected one of verbose, information, error",
        ),
        (
            '<trace source="@(1)"><message>m</message></trace>',
            "policy expressions aren't allowed in attribute 'source'",
        ),
        (
            '<trace source="s"><message>a</message><message>b</message></trace>',
            "<message> may appear only once in <trace>",
        ),
        ('<trace source="s"><message>m</message><metadata name="n" /></trace>', "'value'"),
    ],
)
def test_trace_element_problems(trace: str, message: str) -> None:
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.load_policies({"policy.xml": doc(trace, backend="<forward-request />")})
    assert message in str(caught.value)


# --- ignore_policies and the census -----------------------------------------------------------


def test_ignored_policies_are_counted_skipped_and_named_once() -> None:
    send = (
        '<send-request response-variable-name="r"><set-url>https://x.example/</set-url>'
        '<authentication-managed-identity resource="r" /></send-request>'
    )
    files = {
        "policy.xml": doc(
            '<authentication-managed-identity resource="a" />' + send + LOOKUP,
            STORE,
            "<forward-request />",
        ),
        "apis/shop/policy.xml": doc('<base /><validate-jwt header-name="A" />', "<base />"),
    }
    result = read_policies(files)
    assert result.policies is None
    assert sorted(result.census.refused.items()) == [
        ("authentication-managed-identity", 2),
        ("validate-jwt", 1),
    ]
    result = read_policies(
        files, ignore_policies={"authentication-managed-identity", "validate-jwt"}
    )
    assert result.policies is not None
    assert result.errors == ()
    assert [(w.file, w.message.split(" is skipped")[0]) for w in result.warnings] == [
        ("apis/shop/policy.xml", "<validate-jwt>"),
        ("policy.xml", "<authentication-managed-identity>"),
    ]
    assert "(2 elements in the policies)" in result.warnings[1].message
    assert result.census.ignored["authentication-managed-identity"] == 2
    assert result.census.supported["send-request"] == 1
    assert not result.census.refused
    # Skipping policies changes what runs: the generation (part of every cache key) differs.
    partly = read_policies(
        files | {"apis/shop/policy.xml": doc("<base />", "<base />")},
        ignore_policies={"authentication-managed-identity"},
    )
    assert partly.policies is not None
    assert partly.policies.generation != result.policies.generation


def test_a_policy_not_named_is_still_refused() -> None:
    files = {"policy.xml": doc('<validate-jwt header-name="A" /><ip-filter action="allow" />')}
    with pytest.raises(aiohttp_apim.PolicyError) as caught:
        aiohttp_apim.load_policies(files, ignore_policies={"validate-jwt"})
    [problem] = caught.value.problems
    assert "<ip-filter> is not supported" in problem.message
