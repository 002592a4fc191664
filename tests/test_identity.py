"""Subscriptions from their JSON document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiohttp_apim.identity import SubscriptionError, Subscriptions, derived_id

DATA = {
    "required": True,
    "users": {
        "alice": {
            "email": "alice@example.com",
            "first_name": "Alice",
            "groups": ["developers", "partners"],
        },
        "bob": {"email": "bob@example.com"},
    },
    "groups": {"partners": {"name": "Partners"}},
    "products": {"gold": {"name": "Gold", "apis": ["shop"]}},
    "subscriptions": [
        {
            "key": "k-alice-gold-1",
            "secondary_key": "k-alice-gold-2",
            "user": "alice",
            "scope": "product:gold",
        },
        {"key": "k-alice-api", "user": "alice", "scope": "api:shop"},
        {"key": "k-bob-all", "user": "bob", "scope": "all"},
    ],
}


def test_keys_resolve_to_user_groups_and_product() -> None:
    subs = Subscriptions.from_dict(DATA)
    assert subs.required
    gold = subs.lookup("k-alice-gold-2")
    assert gold is not None
    assert gold.key == "k-alice-gold-2"
    assert gold.primary_key == "k-alice-gold-1"
    assert gold.product is not None
    assert gold.product.name == "Gold"
    assert gold.user is not None
    assert gold.user.group_ids == ("developers", "partners")
    assert [g.name for g in gold.user.groups] == ["Developers", "Partners"]
    assert gold.grants("shop")
    assert not gold.grants("billing")


def test_api_and_all_scopes_have_no_product() -> None:
    subs = Subscriptions.from_dict(DATA)
    api = subs.lookup("k-alice-api")
    everything = subs.lookup("k-bob-all")
    assert api is not None
    assert everything is not None
    assert api.product is None
    assert everything.product is None
    assert api.grants("shop")
    assert not api.grants("billing")
    assert everything.grants("billing")
    # Two subscriptions of one user share the user: vary-by-developer keys on the user.
    gold = subs.lookup("k-alice-gold-1")
    assert gold is not None
    assert api.user == gold.user


def test_unknown_key_is_none() -> None:
    subs = Subscriptions.from_dict(DATA)
    assert subs.lookup("nope") is None
    assert subs.lookup(None) is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subscriptions": [{"key": "k", "user": "carol"}]}, "unknown user"),
        ({"subscriptions": [{"key": "k", "scope": "product:tin"}]}, "unknown product"),
        ({"subscriptions": [{"key": "k", "scope": "everything"}]}, "scope must be"),
        ({"subscriptions": [{"key": "k"}, {"key": "k"}]}, "used twice"),
        ({"subscriptions": [{"user": "alice"}]}, "needs a 'key'"),
        ({"users": []}, "expected an object"),
    ],
)
def test_bad_data_is_refused_with_a_clear_message(change: dict[str, object], message: str) -> None:
    with pytest.raises(SubscriptionError, match=message):
        Subscriptions.from_dict({**DATA, **change})


def test_from_file(tmp_path: Path) -> None:
    path = tmp_path / "subscriptions.json"
    path.write_text(json.dumps(DATA), encoding="utf-8")
    assert Subscriptions.from_file(path).lookup("k-bob-all") is not None
    path.write_text("{", encoding="utf-8")
    with pytest.raises(SubscriptionError, match=r"subscriptions\.json"):
        Subscriptions.from_file(path)


def test_a_subscription_without_an_id_gets_one_derived_from_its_key() -> None:
    subs = Subscriptions.from_dict(DATA)
    gold, bob = subs.lookup("k-alice-gold-1"), subs.lookup("k-bob-all")
    assert gold is not None
    assert bob is not None
    assert gold.id == derived_id("k-alice-gold-1") != bob.id
    # The secondary key names the same subscription; the id never shows the secret.
    secondary = subs.lookup("k-alice-gold-2")
    assert secondary is not None
    assert secondary.id == gold.id
    assert "k-alice" not in gold.id
    assert gold.name == gold.id


def test_ids_do_not_depend_on_the_order_of_the_list() -> None:
    """Policies key rate limits and cached values on ``context.Subscription.Id``: reordering
    the list (or two instances holding it in different orders) must not swap callers' ids."""
    listed = DATA["subscriptions"]
    assert isinstance(listed, list)
    reordered = {**DATA, "subscriptions": listed[::-1]}
    before, after = Subscriptions.from_dict(DATA), Subscriptions.from_dict(reordered)
    for key in ("k-alice-gold-1", "k-alice-api", "k-bob-all"):
        first, second = before.lookup(key), after.lookup(key)
        assert first is not None
        assert second is not None
        assert first.id == second.id


def test_an_explicit_id_is_kept_and_must_be_unique() -> None:
    data = {**DATA, "subscriptions": [{"key": "k1", "id": "alice-main", "name": "Main"}]}
    subscription = Subscriptions.from_dict(data).lookup("k1")
    assert subscription is not None
    assert (subscription.id, subscription.name) == ("alice-main", "Main")
    twice = {**DATA, "subscriptions": [{"key": "k1", "id": "s"}, {"key": "k2", "id": "s"}]}
    with pytest.raises(SubscriptionError, match=r"subscriptions\[1\]: the id 's' is used twice"):
        Subscriptions.from_dict(twice)
