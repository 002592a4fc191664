"""Policy documents per scope, and their merge into the effective sections of a request.

A :class:`PolicySet` holds at most one document per scope (global, product, API, operation) and
the policy fragments. :meth:`PolicySet.effective` expands ``<base/>`` as APIM does: the
narrowest scope that has a document drives; in each of its sections a ``<base/>`` is replaced in
place by the same section of the next broader scope that has a document; a missing section
behaves as ``<base/>`` alone and a present empty one inherits nothing. Fragments are inlined when the set is built, so every effective item is a plain
statement; each remembers the scope it came from (for ``context.LastError.Scope``).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from aiohttp_apim.errors import Problem
from aiohttp_apim.policy.loader import Census
from aiohttp_apim.policy.model import (
    Base,
    CacheLookup,
    Choose,
    ForwardRequest,
    Fragment,
    HttpVersion,
    IncludeFragment,
    Literal,
    Location,
    PolicyDocument,
    SectionName,
    Statement,
    walk,
)
from aiohttp_apim.policy.validate import placement_problems

__all__ = [
    "DEFAULT_FORWARD_REQUEST",
    "EffectiveItem",
    "EffectivePolicy",
    "PolicySet",
    "Scope",
    "ScopeKey",
    "check_fragment",
    "inline_fragments",
]


class Scope(enum.StrEnum):
    """The scopes a request can be subject to, broadest first."""

    GLOBAL = "global"
    PRODUCT = "product"
    API = "api"
    OPERATION = "operation"


@dataclass(frozen=True, slots=True)
class EffectiveItem:
    """A statement of an effective section and the scope whose document it came from."""

    statement: Statement
    scope: Scope


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """The four effective sections for one (product, api, operation), ``<base/>`` expanded."""

    inbound: tuple[EffectiveItem, ...]
    backend: tuple[EffectiveItem, ...]
    outbound: tuple[EffectiveItem, ...]
    on_error: tuple[EffectiveItem, ...]

    def section(self, name: SectionName) -> tuple[EffectiveItem, ...]:
        return {
            SectionName.INBOUND: self.inbound,
            SectionName.BACKEND: self.backend,
            SectionName.OUTBOUND: self.outbound,
            SectionName.ON_ERROR: self.on_error,
        }[name]


ScopeKey = tuple[str | None, str | None, str | None]
"""(product id, api id, operation id) of a request; None where it has none."""


@dataclass(frozen=True)
class PolicySet:
    """Every policy document of an application, by scope, with fragments already inlined."""

    global_policy: PolicyDocument | None = None
    products: Mapping[str, PolicyDocument] = field(default_factory=dict)
    apis: Mapping[str, PolicyDocument] = field(default_factory=dict)
    operations: Mapping[tuple[str, str], PolicyDocument] = field(default_factory=dict)
    """Keyed by (api id, operation id)."""
    fragments: Mapping[str, Fragment] = field(default_factory=dict)
    generation: str = ""
    """A digest of every policy text and named value: response-cache keys include it, so that a
    policy change rotates every key (APIM does the same) while two gateways (or processes) with
    the same policies share entries."""
    ignored_policies: frozenset[str] = frozenset()
    """The policy elements skipped at load (``ignore_policies``)."""
    warnings: tuple[Problem, ...] = ()
    """Problems of kind ``warning`` found at load: the policies run, but something in them can
    never do what it says (a cache-store with no cache-lookup, an element skipped...)."""
    census: Census = field(default_factory=Census, compare=False)
    """Every policy element met at load, by name: supported, ignored or refused."""
    _memo: dict[ScopeKey, EffectivePolicy] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def chain(
        self, product: str | None, api: str | None, operation: str | None
    ) -> list[tuple[Scope, PolicyDocument]]:
        """The documents that apply, narrowest first (scopes without a document skipped)."""
        found: list[tuple[Scope, PolicyDocument | None]] = [
            (
                Scope.OPERATION,
                self.operations.get((api, operation))
                if api is not None and operation is not None
                else None,
            ),
            (Scope.API, self.apis.get(api) if api is not None else None),
            (Scope.PRODUCT, self.products.get(product) if product is not None else None),
            (Scope.GLOBAL, self.global_policy),
        ]
        return [(scope, doc) for scope, doc in found if doc is not None]

    def effective(
        self, product: str | None = None, api: str | None = None, operation: str | None = None
    ) -> EffectivePolicy:
        """The effective sections for a request; computed once per key and remembered."""
        key = (product, api, operation)
        cached = self._memo.get(key)
        if cached is None:
            chain = self.chain(product, api, operation)
            cached = EffectivePolicy(
                *(tuple(_expand(chain, name)) for name in SectionName)  # life-cycle order
            )
            self._memo[key] = cached
        return cached

    @cached_property
    def documents(self) -> tuple[tuple[Scope, PolicyDocument], ...]:
        """Every document with its scope, in a stable order (global, products, apis, operations)."""
        docs: list[tuple[Scope, PolicyDocument]] = []
        if self.global_policy is not None:
            docs.append((Scope.GLOBAL, self.global_policy))
        docs += [(Scope.PRODUCT, d) for _, d in sorted(self.products.items())]
        docs += [(Scope.API, d) for _, d in sorted(self.apis.items())]
        docs += [(Scope.OPERATION, d) for _, d in sorted(self.operations.items())]
        return tuple(docs)

    def scope_keys(self) -> list[ScopeKey]:
        """Every (product, api, operation) combination whose effective policy can differ: each
        operation and API document, and the bare global scope, with and without each product."""
        targets: list[tuple[str | None, str | None]] = [(None, None)]
        targets += [(api, None) for api in sorted(self.apis)]
        targets += sorted(self.operations)
        products: list[str | None] = [None, *sorted(self.products)]
        return [(product, api, op) for api, op in targets for product in products]

    def check(self) -> list[Problem]:
        """Problems that only show once documents are merged: two ``cache-lookup`` in one
        effective inbound section."""
        problems: dict[tuple[str, int, int], Problem] = {}
        for product, api, op in self.scope_keys():
            inbound = tuple(item.statement for item in self.effective(product, api, op).inbound)
            lookups = [s for s in walk(inbound) if isinstance(s, CacheLookup)]
            if len(lookups) < 2:
                continue
            where = " and ".join(str(lookup.location) for lookup in lookups)
            subject = _describe(product, api, op)
            for lookup in lookups[1:]:
                loc = lookup.location
                problems.setdefault(
                    (loc.file, loc.line, loc.column),
                    Problem(
                        "validation",
                        loc.file,
                        loc.line,
                        loc.column,
                        f"the effective inbound section of {subject} has more than one "
                        f"cache-lookup ({where}); APIM allows one per request",
                    ),
                )
        return list(problems.values())


def _describe(product: str | None, api: str | None, operation: str | None) -> str:
    parts = []
    if operation is not None:
        parts.append(f"operation {api}:{operation}")
    elif api is not None:
        parts.append(f"API {api}")
    else:
        parts.append("requests outside any API")
    if product is not None:
        parts.append(f"in product {product}")
    return " ".join(parts)


_DEFAULT_LOCATION = Location("<default global backend>", 1, 1)
DEFAULT_FORWARD_REQUEST = ForwardRequest(
    location=_DEFAULT_LOCATION,
    timeout=Literal(300, "300", _DEFAULT_LOCATION),
    http_version=HttpVersion.HTTP1,
    follow_redirects=Literal(False, "false", _DEFAULT_LOCATION),
    buffer_request_body=Literal(False, "false", _DEFAULT_LOCATION),
    fail_on_error_status_code=Literal(False, "false", _DEFAULT_LOCATION),
)
"""The global scope's default backend section (a ``<forward-request/>``): what a backend expansion that reaches
past the global document gets (no global document, no backend section in it, or a global
``<base/>``). A present but empty global ``<backend/>`` calls no backend."""


def _expand(
    chain: list[tuple[Scope, PolicyDocument]], name: SectionName
) -> Iterable[EffectiveItem]:
    if not chain:
        if name is SectionName.BACKEND:
            yield EffectiveItem(DEFAULT_FORWARD_REQUEST, Scope.GLOBAL)
        return
    scope, doc = chain[0]
    section = doc.section(name)
    if not section.present:
        # A missing section is <base/> alone: the next broader scope, or past the global one
        # nothing -- except the backend's default <forward-request/> (above).
        yield from _expand(chain[1:], name)
        return
    for item in section.items:
        if isinstance(item, Base):
            yield from _expand(chain[1:], name)  # at global scope: nothing (or the default)
        else:
            yield EffectiveItem(item, scope)


# --- fragments -------------------------------------------------------------------------------


def inline_fragments(
    document: PolicyDocument, fragments: Mapping[str, Fragment]
) -> tuple[PolicyDocument, list[Problem]]:
    """``document`` with every ``<include-fragment>`` replaced by the fragment's statements
    (fragments may include fragments; a cycle or an unknown id is a problem)."""
    problems: list[Problem] = []
    sections = {}
    for section in document.sections:
        items = _inline(section.items, fragments, (), problems)
        if items != section.items:
            # Fragment statements meet their section only here: check where they landed.
            problems += placement_problems(items, section.name)
        sections[section.name] = dataclasses.replace(section, items=items)
    replaced = dataclasses.replace(
        document,
        inbound=sections[SectionName.INBOUND],
        backend=sections[SectionName.BACKEND],
        outbound=sections[SectionName.OUTBOUND],
        on_error=sections[SectionName.ON_ERROR],
    )
    return replaced, problems


def check_fragment(
    fragment_id: str, fragment: Fragment, fragments: Mapping[str, Fragment]
) -> list[Problem]:
    """Problems of a fragment on its own: unknown includes, include cycles, ``cache-lookup``."""
    problems: list[Problem] = []
    items = _inline(fragment.items, fragments, (fragment_id,), problems)
    for statement in walk(items):
        if isinstance(statement, CacheLookup):
            problems.append(
                _problem(
                    statement.location,
                    "cache-lookup is not allowed inside a policy fragment (APIM does not support "
                    "it there)",
                )
            )
    return problems


def _inline(
    items: tuple[Statement, ...],
    fragments: Mapping[str, Fragment],
    stack: tuple[str, ...],
    problems: list[Problem],
) -> tuple[Statement, ...]:
    out: list[Statement] = []
    for item in items:
        if isinstance(item, IncludeFragment):
            fragment = fragments.get(item.fragment_id)
            if fragment is None:
                known = ", ".join(sorted(fragments)) or "none"
                problems.append(
                    _problem(
                        item.location,
                        f"unknown fragment id '{item.fragment_id}' (fragments defined: {known}; "
                        "a fragment lives in fragments/<fragment-id>.xml)",
                    )
                )
            elif item.fragment_id in stack:
                cycle = " -> ".join([*stack, item.fragment_id])
                problems.append(_problem(item.location, f"fragments include each other: {cycle}"))
            else:
                out += _inline(fragment.items, fragments, (*stack, item.fragment_id), problems)
        elif isinstance(item, Choose):
            whens = tuple(
                dataclasses.replace(w, items=_inline(w.items, fragments, stack, problems))
                for w in item.whens
            )
            otherwise = (
                None
                if item.otherwise is None
                else _inline(item.otherwise, fragments, stack, problems)
            )
            out.append(dataclasses.replace(item, whens=whens, otherwise=otherwise))
        else:
            out.append(item)
    return tuple(out)


def _problem(location: Location, message: str) -> Problem:
    return Problem("validation", location.file, location.line, location.column, message)
