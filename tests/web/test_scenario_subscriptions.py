"""Callers: subscription keys, APIM's 401 answers, product-scope policies and
what expressions see of context.User, context.Subscription and context.Product."""

from __future__ import annotations

import json

import pytest

from aiohttp_apim import Subscriptions
from tests.web.conftest import (
    Answer,
    Serve,
    key,
    policies_xml,
    set_header,
    subscriptions,
)

WHO = {
    "policy.xml": policies_xml(
        outbound=(
            set_header("X-User", '@(context.User == null ? "anonymous" : context.User.Id)')
            + set_header(
                "X-Subscription",
                '@(context.Subscription == null ? "none" : context.Subscription.Id)',
            )
            + set_header("X-Product", '@(context.Product == null ? "none" : context.Product.Id)')
        )
    )
}


def who(answer: Answer) -> tuple[str, str, str]:
    return (answer.headers["X-User"], answer.headers["X-Subscription"], answer.headers["X-Product"])


def apim_401_message(answer: Answer) -> str:
    assert answer.status == 401
    payload = json.loads(answer.body)
    assert payload["statusCode"] == 401
    message = payload["message"]
    assert isinstance(message, str)
    return message.lower()


# --- where the key comes from ---------------------------------------------------------------


async def test_key_in_the_header_identifies_the_subscription(serve: Serve) -> None:
    app = await serve(WHO, subscriptions=subscriptions())
    answer = await app.get(headers=key("k-alice-gold-2"))
    assert who(answer) == ("alice", "alice-gold-2", "gold")


async def test_key_in_the_query_parameter_identifies_the_subscription(serve: Serve) -> None:
    app = await serve(WHO, subscriptions=subscriptions())
    answer = await app.get(params={"subscription-key": "k-bob-gold"})
    assert who(answer) == ("bob", "bob-gold", "gold")


async def test_no_key_is_an_anonymous_caller_when_keys_are_not_required(serve: Serve) -> None:
    app = await serve(WHO, subscriptions=subscriptions())
    answer = await app.get()
    assert answer.status == 200
    assert who(answer) == ("anonymous", "none", "none")


async def test_unknown_key_is_an_anonymous_caller_when_keys_are_not_required(
    serve: Serve,
) -> None:
    app = await serve(WHO, subscriptions=subscriptions())
    answer = await app.get(headers=key("k-nobody"))
    assert answer.status == 200
    assert who(answer) == ("anonymous", "none", "none")


# --- required keys: APIM's 401 answers ------------------------------------------------------


async def test_missing_key_gets_401_when_keys_are_required(serve: Serve) -> None:
    app = await serve(WHO, subscriptions=subscriptions(required=True))
    answer = await app.get()
    assert "missing subscription key" in apim_401_message(answer)
    assert app.calls() == 0


async def test_unknown_key_gets_401_when_keys_are_required(serve: Serve) -> None:
    app = await serve(WHO, subscriptions=subscriptions(required=True))
    answer = await app.get(headers=key("k-nobody"))
    assert "invalid subscription key" in apim_401_message(answer)
    assert app.calls() == 0


async def test_key_of_a_product_without_this_api_gets_401_when_keys_are_required(
    serve: Serve,
) -> None:
    app = await serve(WHO, subscriptions=subscriptions(required=True))
    denied = await app.get(headers=key("k-bob-ledger"))
    assert "subscription key" in apim_401_message(denied)
    assert app.calls() == 0
    allowed = await app.get("/billing/invoices", headers=key("k-bob-ledger"))
    assert allowed.status == 200
    assert who(allowed) == ("bob", "bob-ledger", "ledger")


@pytest.mark.parametrize("where", ["header", "query"])
async def test_valid_key_passes_when_keys_are_required(serve: Serve, where: str) -> None:
    app = await serve(WHO, subscriptions=subscriptions(required=True))
    if where == "header":
        answer = await app.get(headers=key("k-alice-api"))
    else:
        answer = await app.get(params={"subscription-key": "k-alice-api"})
    assert answer.status == 200
    assert who(answer) == ("alice", "alice-api", "none")
    assert app.calls() == 1


# --- product-scope policies -----------------------------------------------------------------

PRODUCT_POLICIES = {
    "policy.xml": policies_xml(),
    "products/gold/policy.xml": policies_xml(
        inbound="<base />",
        backend="<base />",
        outbound="<base />" + set_header("X-Product-Policy", "gold"),
    ),
    "products/silver/policy.xml": policies_xml(
        inbound="<base />",
        backend="<base />",
        outbound="<base />" + set_header("X-Product-Policy", "silver"),
    ),
}


async def test_the_policies_of_the_subscriptions_own_product_apply(serve: Serve) -> None:
    app = await serve(PRODUCT_POLICIES, subscriptions=subscriptions())
    gold = await app.get(headers=key("k-alice-gold-1"))
    silver = await app.get(headers=key("k-alice-silver"))
    assert gold.headers.getall("X-Product-Policy") == ["gold"]
    assert silver.headers.getall("X-Product-Policy") == ["silver"]


@pytest.mark.parametrize(
    "subscription_key", ["k-alice-api", "k-alice-all", None], ids=["api", "all", "anonymous"]
)
async def test_product_policies_are_skipped_for_api_and_all_scoped_keys_and_anonymous_callers(
    serve: Serve, subscription_key: str | None
) -> None:
    app = await serve(PRODUCT_POLICIES, subscriptions=subscriptions())
    answer = await app.get(headers=None if subscription_key is None else key(subscription_key))
    assert answer.status == 200
    assert "X-Product-Policy" not in answer.headers
    # The same user's product-scoped key does bring the product's policies.
    gold = await app.get(headers=key("k-alice-gold-1"))
    assert gold.headers.getall("X-Product-Policy") == ["gold"]


# --- what expressions see -------------------------------------------------------------------


async def test_expressions_see_the_user(serve: Serve) -> None:
    outbound = set_header(
        "X-User",
        '@(context.User.Id + "|" + context.User.Email + "|" + context.User.FirstName'
        ' + "|" + context.User.LastName)',
    )
    app = await serve(
        {"policy.xml": policies_xml(outbound=outbound)}, subscriptions=subscriptions()
    )
    answer = await app.get(headers=key("k-alice-api"))
    assert answer.headers["X-User"] == "alice|alice@example.com|Alice|Archer"


async def test_expressions_see_the_subscription_and_the_key_used(serve: Serve) -> None:
    outbound = set_header(
        "X-Subscription", '@(context.Subscription.Id + "|" + context.Subscription.Key)'
    )
    app = await serve(
        {"policy.xml": policies_xml(outbound=outbound)}, subscriptions=subscriptions()
    )
    answer = await app.get(headers=key("k-alice-gold-2"))
    assert answer.headers["X-Subscription"] == "alice-gold-2|k-alice-gold-2"


async def test_expressions_see_the_product(serve: Serve) -> None:
    outbound = set_header("X-Product", '@(context.Product == null ? "none" : context.Product.Name)')
    app = await serve(
        {"policy.xml": policies_xml(outbound=outbound)}, subscriptions=subscriptions()
    )
    assert (await app.get(headers=key("k-alice-gold-1"))).headers["X-Product"] == "Gold"
    assert (await app.get(headers=key("k-alice-api"))).headers["X-Product"] == "none"


async def test_inbound_expressions_see_the_caller_before_the_backend(serve: Serve) -> None:
    inbound = set_header("X-Caller", '@(context.User == null ? "anonymous" : context.User.Id)')
    app = await serve({"policy.xml": policies_xml(inbound=inbound)}, subscriptions=subscriptions())
    await app.get(headers=key("k-carol-gold"))
    assert app.backends["shop:list"].last.headers["X-Caller"] == "carol"


async def test_a_subscription_listed_without_an_id_has_a_stable_one_that_hides_its_key(
    serve: Serve,
) -> None:
    listed = [{"key": "k-first"}, {"key": "k-second"}]
    ids = []
    for order in (listed, listed[::-1]):
        app = await serve(WHO, subscriptions=Subscriptions.from_dict({"subscriptions": order}))
        ids.append((await app.get(headers=key("k-first"))).headers["X-Subscription"])
    assert ids[0] == ids[1]
    assert ids[0].startswith("sub-")
    assert "k-first" not in ids[0]
