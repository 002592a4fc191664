"""The declarative table of supported policy elements: attributes, children, placement.

One :class:`ElementSpec` per element we support, written from the attribute tables and "Usage"
sections of Microsoft's policy reference pages (newest versions we could read), and the
project's decisions where they are silent or contradict the gateway. The loader reads through
this table and ``validate`` enforces it, so a rule lives in exactly one place.

Where the documentation is silent on whether an attribute accepts policy expressions we allow
them: rejecting a policy APIM accepts is worse than evaluating a value at run time.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiohttp_apim.policy.model import (
    BodyTemplate,
    CachingType,
    DownstreamCachingType,
    ExistsAction,
    HttpVersion,
    SectionName,
    SendRequestMode,
    TraceSeverity,
    XsiNil,
)

__all__ = [
    "ALL_SECTIONS",
    "APIM_POLICIES",
    "ELEMENTS",
    "PART_ELEMENTS",
    "STATEMENTS",
    "SUPPORTED_POLICIES",
    "UNSUPPORTED_CHILDREN",
    "AttrSpec",
    "AttrType",
    "ChildSpec",
    "ElementSpec",
]

AttrType = type[int] | type[bool] | type[str] | type[enum.StrEnum]

ALL_SECTIONS: frozenset[SectionName] = frozenset(SectionName)


@dataclass(frozen=True, slots=True)
class AttrSpec:
    """One attribute: its type, whether it is required, its documented default (as text) and
    whether APIM accepts a policy expression in it. ``unit`` words integer messages
    ("expected an integer number of seconds")."""

    name: str
    type: AttrType = str
    required: bool = False
    default: str | None = None
    expressions: bool = True
    unit: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    """Documented bounds of an integer attribute (checked for literals; expressions can only be
    checked when they run)."""


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """A child element of a policy that is part of it (not a statement of its own)."""

    name: str
    max: int | None = None
    """How many times it may appear; None = any number."""
    required: bool = False


@dataclass(frozen=True, slots=True)
class ElementSpec:
    name: str
    attributes: tuple[AttrSpec, ...] = ()
    sections: frozenset[SectionName] = ALL_SECTIONS
    """Sections where the element may stand as a statement (at any depth inside them)."""
    once_per_section: bool = False
    once_at_top_level: bool = False
    """Once among the statements directly in a section (not counting those inside choose)."""
    in_fragment: bool = True
    children: tuple[ChildSpec, ...] = ()
    text: bool = False
    """True when the element's content is a value (text or expression), not child elements."""
    text_expressions: bool = True
    statement: bool = True
    """False for parts of another policy (``when``, ``value``, ``set-url``...)."""
    by_name: Mapping[str, AttrSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        attributes = self.attributes
        if self.statement:
            attributes = (*attributes, AttrSpec("id", expressions=False))
        object.__setattr__(self, "attributes", attributes)
        object.__setattr__(self, "by_name", {a.name: a for a in attributes})

    def child(self, name: str) -> ChildSpec | None:
        for spec in self.children:
            if spec.name == name:
                return spec
        return None


def _seconds(
    name: str,
    *,
    required: bool = False,
    default: str | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> AttrSpec:
    return AttrSpec(
        name,
        int,
        required=required,
        default=default,
        unit="seconds",
        minimum=minimum,
        maximum=maximum,
    )


_CACHING_TYPE = AttrSpec("caching-type", CachingType, default="prefer-external", expressions=False)

_SET_HEADER = ElementSpec(
    "set-header",
    attributes=(
        AttrSpec("name", required=True),
        AttrSpec("exists-action", ExistsAction, default="override"),
    ),
    children=(ChildSpec("value"),),
)
_SET_STATUS = ElementSpec(
    "set-status",
    # The docs mark reason required, but Microsoft's own samples (oauth-proxy) omit it and the
    # gateway accepts that: optional, like the status line's reason phrase.
    attributes=(AttrSpec("code", int, required=True), AttrSpec("reason")),
)
_SET_BODY = ElementSpec(
    "set-body",
    attributes=(
        AttrSpec("template", BodyTemplate, expressions=False),
        AttrSpec("xsi-nil", XsiNil, default="blank", expressions=False),
        AttrSpec("parse-date", bool, default="true", expressions=False),
    ),
    sections=frozenset({SectionName.INBOUND, SectionName.OUTBOUND, SectionName.BACKEND}),
    text=True,
)

_STATEMENT_SPECS: tuple[ElementSpec, ...] = (
    ElementSpec("base"),
    ElementSpec(
        "forward-request",
        attributes=(
            _seconds("timeout", default="300", minimum=0),
            AttrSpec("timeout-ms", int, unit="milliseconds", minimum=0),
            _seconds("continue-timeout", minimum=0),
            AttrSpec("http-version", HttpVersion, default="1", expressions=False),
            AttrSpec("follow-redirects", bool, default="false"),
            AttrSpec("buffer-request-body", bool, default="false"),
            AttrSpec("buffer-response", bool, default="true", expressions=False),
            AttrSpec("fail-on-error-status-code", bool, default="false"),
        ),
        sections=frozenset({SectionName.BACKEND}),
    ),
    ElementSpec(
        "set-variable",
        attributes=(
            AttrSpec("name", required=True, expressions=False),
            AttrSpec("value", required=True),
        ),
    ),
    ElementSpec("choose", children=(ChildSpec("when", required=True), ChildSpec("otherwise", 1))),
    ElementSpec(
        "return-response",
        attributes=(AttrSpec("response-variable-name", expressions=False),),
        children=(ChildSpec("set-status", 1), ChildSpec("set-header"), ChildSpec("set-body", 1)),
    ),
    _SET_HEADER,
    _SET_STATUS,
    _SET_BODY,
    ElementSpec(
        "include-fragment",
        attributes=(AttrSpec("fragment-id", required=True, expressions=False),),
    ),
    ElementSpec(
        "cache-lookup",
        attributes=(
            AttrSpec("vary-by-developer", bool, default="false"),
            AttrSpec("vary-by-developer-groups", bool, default="false"),
            _CACHING_TYPE,
            AttrSpec("downstream-caching-type", DownstreamCachingType, default="none"),
            AttrSpec("must-revalidate", bool, default="true"),
            AttrSpec("allow-private-response-caching", bool, default="false"),
        ),
        sections=frozenset({SectionName.INBOUND}),
        once_per_section=True,
        in_fragment=False,
        children=(ChildSpec("vary-by-header"), ChildSpec("vary-by-query-parameter")),
    ),
    ElementSpec(
        "cache-store",
        attributes=(
            _seconds("duration", required=True),
            AttrSpec("cache-response", bool, default="false"),
        ),
        sections=frozenset({SectionName.OUTBOUND}),
        once_per_section=True,
    ),
    ElementSpec(
        "cache-lookup-value",
        attributes=(
            AttrSpec("key", required=True),
            AttrSpec("variable-name", required=True, expressions=False),
            AttrSpec("default-value"),
            _CACHING_TYPE,
        ),
    ),
    ElementSpec(
        "cache-store-value",
        attributes=(
            AttrSpec("key", required=True),
            AttrSpec("value", required=True),
            _seconds("duration", required=True),
            _CACHING_TYPE,
        ),
        # The docs: "can only be used once in a policy section". Microsoft's own samples
        # (oauth-proxy, SAP token) store several values inside one <when>/<otherwise>, and
        # APIM accepts them, so the rule counts the section's direct statements only.
        once_at_top_level=True,
    ),
    ElementSpec(
        "cache-remove-value",
        attributes=(
            AttrSpec("key", required=True),
            _CACHING_TYPE,
            AttrSpec("fail-on-cache-removal-error", bool, default="false"),
        ),
    ),
    ElementSpec(
        "rate-limit-by-key",
        attributes=(
            AttrSpec("calls", int, required=True),
            _seconds("renewal-period", required=True, minimum=1, maximum=300),
            AttrSpec("counter-key", required=True),
            AttrSpec("increment-condition", bool),
            AttrSpec("increment-count", int, default="1"),
            AttrSpec("retry-after-header-name", default="Retry-After", expressions=False),
            AttrSpec("retry-after-variable-name", expressions=False),
            AttrSpec("remaining-calls-header-name", expressions=False),
            AttrSpec("remaining-calls-variable-name", expressions=False),
            AttrSpec("total-calls-header-name", expressions=False),
        ),
        sections=frozenset({SectionName.INBOUND}),
    ),
    ElementSpec(
        "send-request",
        attributes=(
            AttrSpec("mode", SendRequestMode, default="new"),
            # The newest docs allow expressions here; the pipeline contract wants a name known at
            # load time (the project's decision), so we keep it literal.
            AttrSpec("response-variable-name", required=True, expressions=False),
            _seconds("timeout", default="60", minimum=0),
            AttrSpec("ignore-error", bool, default="false", expressions=False),
        ),
        children=(
            ChildSpec("set-url", 1),
            ChildSpec("set-method", 1),
            ChildSpec("set-header"),
            ChildSpec("set-body", 1),
        ),
    ),
    ElementSpec(
        "trace",
        attributes=(
            AttrSpec("source", required=True, expressions=False),
            AttrSpec("severity", TraceSeverity, default="verbose", expressions=False),
        ),
        children=(ChildSpec("message", 1, required=True), ChildSpec("metadata")),
    ),
)

STATEMENTS: Mapping[str, ElementSpec] = {spec.name: spec for spec in _STATEMENT_SPECS}
"""Policies that may stand as statements in a section, a ``when``/``otherwise`` or a fragment."""

SUPPORTED_POLICIES: tuple[str, ...] = tuple(sorted(STATEMENTS))

PART_ELEMENTS: Mapping[str, ElementSpec] = {
    spec.name: spec
    for spec in (
        ElementSpec(
            "when", attributes=(AttrSpec("condition", bool, required=True),), statement=False
        ),
        ElementSpec("otherwise", statement=False),
        ElementSpec("value", text=True, statement=False),
        ElementSpec("vary-by-header", text=True, text_expressions=False, statement=False),
        ElementSpec("vary-by-query-parameter", text=True, text_expressions=False, statement=False),
        ElementSpec("set-url", text=True, statement=False),
        ElementSpec("set-method", text=True, text_expressions=False, statement=False),
        ElementSpec("message", text=True, statement=False),
        ElementSpec(
            "metadata",
            attributes=(AttrSpec("name", required=True), AttrSpec("value", required=True)),
            statement=False,
        ),
    )
}
"""Elements that are parts of a policy; their spec is looked up by name under their parent."""

UNSUPPORTED_CHILDREN: Mapping[str, frozenset[str]] = {
    "send-request": frozenset(
        {"authentication-certificate", "authentication-managed-identity", "proxy"}
    ),
}
"""Documented children of a supported policy that we do not implement (kind
``unsupported-policy``, like an unsupported policy)."""

ELEMENTS: Mapping[str, ElementSpec] = {**STATEMENTS, **PART_ELEMENTS}

APIM_POLICIES: frozenset[str] = frozenset(
    {
        "authentication-basic",
        "authentication-certificate",
        "authentication-managed-identity",
        "azure-openai-emit-token-metric",
        "azure-openai-semantic-cache-lookup",
        "azure-openai-semantic-cache-store",
        "azure-openai-token-limit",
        "check-header",
        "cors",
        "cosmosdb-data-source",
        "cross-domain",
        "emit-metric",
        "find-and-replace",
        "get-authorization-context",
        "http-data-source",
        "invoke-dapr-binding",
        "ip-filter",
        "json-to-xml",
        "jsonp",
        "limit-concurrency",
        "llm-content-safety",
        "llm-emit-token-metric",
        "llm-semantic-cache-lookup",
        "llm-semantic-cache-store",
        "llm-token-limit",
        "log-to-eventhub",
        "mock-response",
        "proxy",
        "publish-event",
        "publish-to-dapr",
        "quota",
        "quota-by-key",
        "rate-limit",
        "redirect-content-urls",
        "retry",
        "rewrite-uri",
        "send-one-way-request",
        "send-service-bus-message",
        "set-backend-service",
        "set-graphql-resolver",
        "set-method",
        "set-query-parameter",
        "sql-data-source",
        "validate-azure-ad-token",
        "validate-client-certificate",
        "validate-content",
        "validate-graphql-request",
        "validate-headers",
        "validate-jwt",
        "validate-odata-request",
        "validate-parameters",
        "validate-status-code",
        "wait",
        "xml-to-json",
        "xsl-transform",
        *STATEMENTS,
    }
)
"""Policy elements of APIM's policy reference (https://learn.microsoft.com/azure/api-management/
api-management-policies), supported here or not: a name outside this set is most likely a typo,
and gets a "did you mean"."""
