"""Callers: users, groups, products and subscriptions, as APIM models them
(https://learn.microsoft.com/azure/api-management/api-management-subscriptions).

A subscription key identifies a subscription; the subscription belongs to a user (the developer)
and has a scope: one product (``product:<id>``), one API (``api:<id>``) or every API (``all``).
Only a product-scoped subscription brings a product, and with it the product's policies.

A subscription's ``id`` (``context.Subscription.Id``, what policies key rate limits and cached
values on) is the one the document gives, or else one derived from its primary key -- never the
position in the list, which would hand one caller's counters and values to another when the
list is reordered, and never the key itself, which is a secret.

Everything is resolved from plain data once, at construction: a request only looks its key up in
a dict. Pure Python, no aiohttp.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp_apim.errors import SubscriptionError

__all__ = [
    "Caller",
    "Group",
    "Product",
    "Subscription",
    "SubscriptionError",
    "Subscriptions",
    "User",
]

# APIM's built-in groups, which every user belongs to by role; users may name them explicitly.
_BUILTIN_GROUP_NAMES = {
    "administrators": "Administrators",
    "developers": "Developers",
    "guests": "Guests",
}


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class User:
    id: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    note: str = ""
    groups: tuple[Group, ...] = ()
    registration_date: datetime | None = None

    @property
    def group_ids(self) -> tuple[str, ...]:
        return tuple(group.id for group in self.groups)


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    apis: tuple[str, ...] = ()
    """API ids the product contains; empty means the product grants no API."""
    groups: tuple[Group, ...] = ()
    state: str = "Published"
    approval_required: bool = False
    subscription_required: bool = True
    subscriptions_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    name: str
    key: str
    """The key this caller used (primary or secondary)."""
    primary_key: str
    secondary_key: str
    scope: str
    """``product:<id>``, ``api:<id>`` or ``all``."""
    user: User | None
    product: Product | None
    created_date: datetime | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None

    def grants(self, api: str | None) -> bool:
        """Whether this subscription may call ``api`` (None: a route outside every API)."""
        if self.scope == "all" or api is None:
            return True
        if self.product is not None:
            return api in self.product.apis
        return self.scope == f"api:{api}"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the subscription (None for an anonymous caller), its user and product."""

    subscription: Subscription | None = None

    @property
    def user(self) -> User | None:
        return None if self.subscription is None else self.subscription.user

    @property
    def product(self) -> Product | None:
        """The product whose policies apply: only a product-scoped subscription has one."""
        return None if self.subscription is None else self.subscription.product


ANONYMOUS = Caller()


@dataclass(frozen=True)
class Subscriptions:
    """Every subscription the gateway knows, by key.

    ``required``: a request whose key is missing or unknown (or not valid for the API called)
    gets APIM's 401 answer; otherwise such a request runs as an anonymous caller.
    """

    by_key: Mapping[str, Subscription] = field(default_factory=dict)
    users: Mapping[str, User] = field(default_factory=dict)
    products: Mapping[str, Product] = field(default_factory=dict)
    required: bool = False
    header_name: str = "Ocp-Apim-Subscription-Key"
    query_name: str = "subscription-key"

    def lookup(self, key: str | None) -> Subscription | None:
        return None if key is None else self.by_key.get(key)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Subscriptions:
        """Read a JSON file holding the object :meth:`from_dict` takes."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SubscriptionError(f"{path}: cannot read subscriptions: {exc}") from exc
        try:
            return cls.from_dict(data)
        except SubscriptionError as exc:
            raise SubscriptionError(f"{path}: {exc}") from exc

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Subscriptions:
        """Build from ``{"required", "users", "groups", "products", "subscriptions"}``.

        ``subscriptions`` is a list of objects: ``key`` (or ``primary_key``; required),
        ``secondary_key``, ``id`` (default: derived from the primary key, see
        :func:`derived_id`; unique), ``name`` (default: the id), ``user`` (a key of ``users``),
        ``scope`` (``product:<id>``, ``api:<id>`` or ``all``, the default) and ISO 8601
        ``created_date``, ``start_date``, ``end_date``. ``users`` maps a user id to ``email``,
        ``first_name``, ``last_name``, ``note``, ``groups`` (group ids) and
        ``registration_date``; ``groups`` maps a group id to its ``name``; ``products`` maps a
        product id to ``name``, ``apis`` (API ids), ``groups``, ``state``,
        ``approval_required``, ``subscription_required`` and ``subscriptions_limit``. A problem
        is a :class:`SubscriptionError` that says where."""
        if not isinstance(data, Mapping):
            raise SubscriptionError("expected a JSON object at the top")
        group_names = dict(_BUILTIN_GROUP_NAMES)
        for group_id, spec in _mapping(data, "groups").items():
            group_names[group_id] = str(
                _mapping_of(spec, f"groups.{group_id}").get("name", group_id)
            )

        def group(group_id: object, where: str) -> Group:
            if not isinstance(group_id, str):
                raise SubscriptionError(f"{where}: a group id must be a string")
            return Group(group_id, group_names.get(group_id, group_id))

        users: dict[str, User] = {}
        for user_id, spec in _mapping(data, "users").items():
            where = f"users.{user_id}"
            spec = _mapping_of(spec, where)
            users[user_id] = User(
                id=user_id,
                email=_str(spec, "email", where),
                first_name=_str(spec, "first_name", where),
                last_name=_str(spec, "last_name", where),
                note=_str(spec, "note", where),
                groups=tuple(group(g, where) for g in _list(spec, "groups", where)),
                registration_date=_date(spec, "registration_date", where),
            )

        products: dict[str, Product] = {}
        for product_id, spec in _mapping(data, "products").items():
            where = f"products.{product_id}"
            spec = _mapping_of(spec, where)
            limit = spec.get("subscriptions_limit")
            products[product_id] = Product(
                id=product_id,
                name=_str(spec, "name", where) or product_id,
                apis=tuple(str(a) for a in _list(spec, "apis", where)),
                groups=tuple(group(g, where) for g in _list(spec, "groups", where)),
                state=_str(spec, "state", where) or "Published",
                approval_required=bool(spec.get("approval_required", False)),
                subscription_required=bool(spec.get("subscription_required", True)),
                subscriptions_limit=limit if isinstance(limit, int) else None,
            )

        by_key: dict[str, Subscription] = {}
        ids: set[str] = set()
        raw_subscriptions = data.get("subscriptions", [])
        if not isinstance(raw_subscriptions, list):
            raise SubscriptionError("subscriptions: expected a list")
        for index, spec in enumerate(raw_subscriptions):
            where = f"subscriptions[{index}]"
            spec = _mapping_of(spec, where)
            primary = _str(spec, "key", where) or _str(spec, "primary_key", where)
            if not primary:
                raise SubscriptionError(f"{where}: a subscription needs a 'key'")
            secondary = _str(spec, "secondary_key", where)
            owner = spec.get("user")
            user = None
            if owner is not None:
                if owner not in users:
                    raise SubscriptionError(f"{where}: unknown user {owner!r}")
                user = users[owner]
            scope = _str(spec, "scope", where) or "all"
            product = None
            if scope.startswith("product:"):
                product_id = scope.removeprefix("product:")
                if product_id not in products:
                    raise SubscriptionError(f"{where}: unknown product {product_id!r}")
                product = products[product_id]
            elif not (scope == "all" or (scope.startswith("api:") and len(scope) > 4)):
                raise SubscriptionError(
                    f"{where}: scope must be 'product:<id>', 'api:<id>' or 'all', not {scope!r}"
                )
            sub_id = _str(spec, "id", where) or derived_id(primary)
            if sub_id in ids:
                raise SubscriptionError(
                    f"{where}: the id {sub_id!r} is used twice (ids must be unique)"
                )
            ids.add(sub_id)
            for key in (primary, secondary):
                if not key:
                    continue
                if key in by_key:
                    raise SubscriptionError(f"{where}: the key {key!r} is used twice")
                by_key[key] = Subscription(
                    id=sub_id,
                    name=_str(spec, "name", where) or sub_id,
                    key=key,
                    primary_key=primary,
                    secondary_key=secondary,
                    scope=scope,
                    user=user,
                    product=product,
                    created_date=_date(spec, "created_date", where),
                    start_date=_date(spec, "start_date", where),
                    end_date=_date(spec, "end_date", where),
                )
        return cls(
            by_key=by_key,
            users=users,
            products=products,
            required=bool(data.get("required", False)),
        )


def derived_id(primary_key: str) -> str:
    """The id of a subscription the document gives none: ``sub-`` and 16 hex digits of the
    SHA-256 of its primary key. Stable wherever the subscription sits in the list and on every
    instance; it changes when the primary key does (give an ``id`` to keep it across key
    rotation)."""
    return "sub-" + hashlib.sha256(primary_key.encode("utf-8")).hexdigest()[:16]


def _mapping(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    return _mapping_of(data.get(name, {}), name)


def _mapping_of(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SubscriptionError(f"{where}: expected an object")
    return value


def _list(spec: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = spec.get(name, [])
    if not isinstance(value, list):
        raise SubscriptionError(f"{where}.{name}: expected a list")
    return value


def _str(spec: Mapping[str, Any], name: str, where: str) -> str:
    value = spec.get(name, "")
    if not isinstance(value, str):
        raise SubscriptionError(f"{where}.{name}: expected a string")
    return value


def _date(spec: Mapping[str, Any], name: str, where: str) -> datetime | None:
    text = _str(spec, name, where)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SubscriptionError(f"{where}.{name}: not an ISO 8601 date: {text!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
