"""Warnings: policies that load and run, but can never do what they say.

Each is a :class:`~aiohttp_apim.errors.Problem` of kind ``warning``, located at the element it is
about. Nothing here is an error -- the same files run in APIM -- but each setup below silently
never caches, and a newcomer cannot tell why:

* :func:`policy_warnings`, from the policies alone: a ``cache-store`` that no effective policy
  pairs with a ``cache-lookup`` (it never stores: a response is stored under the key its lookup
  computed), and a ``cache-lookup-value`` whose key no ``cache-store-value`` of the policies can
  produce (it always misses, unless another application stores that key in a shared cache);
* :func:`setup_warnings`, from the policies and the gateway's setup: ``caching-type="external"``
  with no external cache (never caches), ``vary-by-developer="true"`` with no subscriptions
  (every caller is anonymous: one entry for all);
* :func:`ignored_warnings`: each policy skipped through ``ignore_policies``, named once.

No false alarms: a key computed by an expression is compared by its literal beginning when it has
one (``@("user-" + ...)``), else the comparison gives up; an attribute given by an expression is
never guessed at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from aiohttp_apim.errors import Problem
from aiohttp_apim.policy.loader import Census
from aiohttp_apim.policy.model import (
    CacheLookup,
    CacheLookupValue,
    CacheRemoveValue,
    CacheStore,
    CacheStoreValue,
    CachingType,
    Expr,
    Literal,
    Location,
    Statement,
    Value,
    walk,
)
from aiohttp_apim.policy.scopes import PolicySet

__all__ = ["ignored_warnings", "policy_warnings", "setup_warnings"]


def ignored_warnings(census: Census) -> list[Problem]:
    """One warning per policy skipped through ``ignore_policies``, at its first occurrence."""
    problems = []
    for name, location in sorted(census.first_ignored.items()):
        count = census.ignored[name]
        problems.append(
            _warning(
                location,
                f"<{name}> is skipped as ignore_policies asks ({count} element"
                f"{'s' if count != 1 else ''} in the policies); everything else runs",
            )
        )
    return problems


def policy_warnings(policies: PolicySet) -> list[Problem]:
    """Warnings that the policies alone show (see the module docstring)."""
    return _stores_without_lookup(policies) + _lookups_nothing_stores(policies)


def setup_warnings(
    policies: PolicySet, *, external_cache: bool, subscriptions: bool
) -> list[Problem]:
    """Warnings about the policies in a setup: whether it has an external cache, and whether it
    identifies callers by subscription."""
    problems: dict[tuple[Location, str], Problem] = {}
    for statement in _statements(policies):
        for message in _setup_messages(statement, external_cache, subscriptions):
            key = (statement.location, message)
            problems.setdefault(key, _warning(statement.location, message))
    return list(problems.values())


_EXTERNAL_EFFECT = {
    "cache-lookup": "never caches a response",
    "cache-lookup-value": "always misses",
    "cache-store-value": "never stores",
    "cache-remove-value": "removes nothing",
}


def _setup_messages(statement: Statement, external_cache: bool, subscriptions: bool) -> list[str]:
    messages = []
    if (
        isinstance(statement, (CacheLookup, CacheLookupValue, CacheStoreValue, CacheRemoveValue))
        and statement.caching_type is CachingType.EXTERNAL
        and not external_cache
    ):
        messages.append(
            f'<{statement.element} caching-type="external"> '
            f"{_EXTERNAL_EFFECT[statement.element]}: no external cache is configured (give "
            'setup() an external_cache, or use caching-type="prefer-external" to fall back on '
            "the internal cache)"
        )
    if isinstance(statement, CacheLookup) and not subscriptions:
        varied = [
            name
            for name, value in (
                ("vary-by-developer", statement.vary_by_developer),
                ("vary-by-developer-groups", statement.vary_by_developer_groups),
            )
            if _is_true(value)
        ]
        if varied:
            messages.append(
                f'<cache-lookup {varied[0]}="true"> varies by nothing: no subscriptions are '
                "configured, so every caller is anonymous and all callers share one entry "
                "(give setup() subscriptions to tell developers apart)"
            )
    return messages


# --- cache-store without cache-lookup ---------------------------------------------------------


def _stores_without_lookup(policies: PolicySet) -> list[Problem]:
    stores: dict[Location, CacheStore] = {}
    paired: set[Location] = set()
    for product, api, operation in policies.scope_keys():
        effective = policies.effective(product, api, operation)
        outbound = [
            s
            for s in walk(tuple(item.statement for item in effective.outbound))
            if isinstance(s, CacheStore)
        ]
        if not outbound:
            continue
        inbound = walk(tuple(item.statement for item in effective.inbound))
        has_lookup = any(isinstance(s, CacheLookup) for s in inbound)
        for store in outbound:
            stores.setdefault(store.location, store)
            if has_lookup:
                paired.add(store.location)
    return [
        _warning(
            location,
            "<cache-store> never stores anything: no effective policy that holds it has a "
            "<cache-lookup> in its inbound section (a response is stored under the key its "
            "cache-lookup computed)",
        )
        for location in stores
        if location not in paired
    ]


# --- cache-lookup-value keys that no cache-store-value produces ------------------------------


@dataclass(frozen=True, slots=True)
class _KeyShape:
    """What is known of a key: all of it (``exact``) or how it begins."""

    text: str
    exact: bool

    def meets(self, other: _KeyShape) -> bool:
        """Whether some key could have both shapes."""
        if self.exact and other.exact:
            return self.text == other.text
        if self.exact:
            return self.text.startswith(other.text)
        if other.exact:
            return other.text.startswith(self.text)
        return self.text.startswith(other.text) or other.text.startswith(self.text)

    def __str__(self) -> str:
        return repr(self.text) if self.exact else f"{self.text!r}..."


# The literal beginning of a key expression: "text" + ..., $"text{...}", string.Format("text{0}"
# or string.Concat("text", ...). Escapes make the comparison give up (no false alarms).
_LEADING_LITERAL = (
    re.compile(r'@\(\s*"([^"\\{}]*)"\s*\+'),
    re.compile(r'@\(\s*\$"([^"\\{}]*)\{'),
    re.compile(r'@\(\s*(?:string|String)\.Format\(\s*"([^"\\{}]*)\{'),
    re.compile(r'@\(\s*(?:string|String)\.Concat\(\s*"([^"\\{}]*)"\s*,'),
)


def _key_shape(value: Value[str]) -> _KeyShape | None:
    """The shape of a key attribute, or None when nothing useful is known of it."""
    if isinstance(value, Literal):
        if not isinstance(value.value, str) or "{{" in value.raw:
            return None  # a named value allowed to be missing: unknown
        return _KeyShape(value.value, exact=True)
    assert isinstance(value, Expr)
    expression = value.expression
    if expression.is_constant:
        constant = expression.constant
        return _KeyShape(constant, exact=True) if isinstance(constant, str) else None
    for pattern in _LEADING_LITERAL:
        match = pattern.match(value.source)
        if match and match.group(1):
            return _KeyShape(match.group(1), exact=False)
    return None


def _lookups_nothing_stores(policies: PolicySet) -> list[Problem]:
    statements = list(_statements(policies, fragments=True))
    stores: list[_KeyShape] = []
    for statement in statements:
        if isinstance(statement, CacheStoreValue):
            shape = _key_shape(statement.key)
            if shape is None:
                return []  # a key we cannot see may be any key: give up
            stores.append(shape)
    problems = []
    for statement in statements:
        if not isinstance(statement, CacheLookupValue):
            continue
        shape = _key_shape(statement.key)
        if shape is None or any(shape.meets(store) for store in stores):
            continue
        stored = ", ".join(sorted({str(store) for store in stores})) or "none"
        problems.append(
            _warning(
                statement.location,
                f"<cache-lookup-value> with key {shape} always misses: no <cache-store-value> "
                f"in the policies stores such a key (keys stored: {stored}), unless another "
                "application stores it in a shared cache",
            )
        )
    return problems


# --- helpers ----------------------------------------------------------------------------------


def _statements(policies: PolicySet, *, fragments: bool = False) -> Iterator[Statement]:
    """Every statement of every document (fragments inlined), each once; with ``fragments``
    also those of fragments no document includes."""
    seen: set[tuple[str, Location]] = set()
    sources = [section.items for _, document in policies.documents for section in document.sections]
    if fragments:
        sources += [fragment.items for _, fragment in sorted(policies.fragments.items())]
    for items in sources:
        for statement in walk(items):
            key = (statement.element, statement.location)
            if key not in seen:
                seen.add(key)
                yield statement


def _is_true(value: Value[bool]) -> bool:
    return isinstance(value, Literal) and value.value is True


def _warning(location: Location, message: str) -> Problem:
    return Problem("warning", location.file, location.line, location.column, message)
