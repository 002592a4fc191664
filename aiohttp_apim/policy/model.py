"""The typed model of a policy document: one frozen dataclass per policy element.

The loader (``policy.loader``) builds these from APIM policy XML; the pipeline compiles them to
steps. Every attribute value is either a :class:`Literal` (already converted to its declared type)
or an :class:`Expr` (a compiled policy expression evaluated per request); ``Value[T]`` is the union
of the two. Attributes where APIM forbids expressions (names, ``caching-type``...) are plain Python
values instead, so the pipeline never has to evaluate them.

Defaults that APIM documents are filled in by the loader (as literals whose ``raw`` is the default
text and whose location is the element's), so the pipeline does not repeat the documentation.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeAlias, TypeVar, Union

if TYPE_CHECKING:
    from aiohttp_apim.expressions import CompiledExpression

__all__ = [
    "Base",
    "BodyTemplate",
    "CacheLookup",
    "CacheLookupValue",
    "CacheRemoveValue",
    "CacheStore",
    "CacheStoreValue",
    "CachingType",
    "Choose",
    "DownstreamCachingType",
    "ExistsAction",
    "Expr",
    "ForwardRequest",
    "Fragment",
    "HttpVersion",
    "IncludeFragment",
    "Literal",
    "Location",
    "PolicyDocument",
    "RateLimitByKey",
    "ReturnResponse",
    "Section",
    "SectionName",
    "SendRequest",
    "SendRequestMode",
    "SetBody",
    "SetHeader",
    "SetStatus",
    "SetVariable",
    "Statement",
    "Trace",
    "TraceSeverity",
    "Value",
    "When",
    "XsiNil",
    "is_literal",
    "walk",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, slots=True)
class Location:
    """A position in a policy file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Literal(Generic[T_co]):
    """A constant attribute or element value, converted to the declared type at load time."""

    is_literal: ClassVar[bool] = True
    value: T_co
    raw: str
    """The text as written (after named-value substitution), or the documented default."""
    location: Location


@dataclass(frozen=True, slots=True)
class Expr:
    """A policy expression (``@(...)`` or ``@{...}``), compiled once at load time."""

    is_literal: ClassVar[bool] = False
    expression: CompiledExpression
    location: Location
    """Where the ``@`` is in the file (for a named value holding an expression: the ``{{``)."""

    @property
    def source(self) -> str:
        """The expression text as compiled (named values already substituted)."""
        return self.expression.source


# ``Value[int]`` is ``Literal[int] | Expr``. The pipeline tells the two apart with
# ``value.is_literal`` (a class attribute, no isinstance chain) or :func:`is_literal`.
Value: TypeAlias = Union[Literal[T], Expr]  # noqa: UP007 -- a generic alias needs Union at runtime


def is_literal(value: Literal[T] | Expr) -> bool:
    """True for a :class:`Literal` (narrowing helper for readers who prefer a function)."""
    return value.is_literal


class SectionName(enum.StrEnum):
    INBOUND = "inbound"
    BACKEND = "backend"
    OUTBOUND = "outbound"
    ON_ERROR = "on-error"


class CachingType(enum.StrEnum):
    INTERNAL = "internal"
    EXTERNAL = "external"
    PREFER_EXTERNAL = "prefer-external"


class DownstreamCachingType(enum.StrEnum):
    NONE = "none"
    PRIVATE = "private"
    PUBLIC = "public"


class ExistsAction(enum.StrEnum):
    OVERRIDE = "override"
    SKIP = "skip"
    APPEND = "append"
    DELETE = "delete"


class SendRequestMode(enum.StrEnum):
    NEW = "new"
    COPY = "copy"


class HttpVersion(enum.StrEnum):
    HTTP1 = "1"
    HTTP2_OR_1 = "2or1"
    HTTP2 = "2"


class XsiNil(enum.StrEnum):
    BLANK = "blank"
    NULL = "null"


class BodyTemplate(enum.StrEnum):
    LIQUID = "liquid"


class TraceSeverity(enum.StrEnum):
    """``<trace severity>``, lowest first."""

    VERBOSE = "verbose"
    INFORMATION = "information"
    ERROR = "error"


# --- statements -------------------------------------------------------------------------------
# Every statement carries its location (the "<" of its start tag) and the optional policy ``id``
# attribute (surfaces as context.LastError.PolicyId). ``element`` is the XML element name, which
# is also what APIM reports as LastError.Source.


@dataclass(frozen=True, slots=True, kw_only=True)
class _Statement:
    element: ClassVar[str]
    location: Location
    id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Base(_Statement):
    """``<base/>``: the same section of the next broader scope goes here."""

    element: ClassVar[str] = "base"


@dataclass(frozen=True, slots=True, kw_only=True)
class ForwardRequest(_Statement):
    """``<forward-request>``: call the backend (here: the aiohttp handler of the route).

    ``timeout`` is None only when ``timeout_ms`` is given (APIM allows one of the two)."""

    element: ClassVar[str] = "forward-request"
    timeout: Value[int] | None
    timeout_ms: Value[int] | None = None
    continue_timeout: Value[int] | None = None
    http_version: HttpVersion = HttpVersion.HTTP1
    follow_redirects: Value[bool]
    buffer_request_body: Value[bool]
    buffer_response: bool = True
    fail_on_error_status_code: Value[bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class SetVariable(_Statement):
    element: ClassVar[str] = "set-variable"
    name: str
    value: Value[str]
    """A literal is stored as a string; an expression keeps its result type."""


@dataclass(frozen=True, slots=True, kw_only=True)
class When:
    """One ``<when condition="...">`` branch of a ``<choose>``."""

    condition: Value[bool]
    items: tuple[Statement, ...]
    location: Location


@dataclass(frozen=True, slots=True, kw_only=True)
class Choose(_Statement):
    element: ClassVar[str] = "choose"
    whens: tuple[When, ...]
    otherwise: tuple[Statement, ...] | None = None
    """None when there is no ``<otherwise>``; an empty tuple for an empty one."""
    otherwise_location: Location | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetHeader(_Statement):
    element: ClassVar[str] = "set-header"
    name: Value[str]
    exists_action: Value[ExistsAction]
    values: tuple[Value[str], ...] = ()
    """One per ``<value>`` child, in order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetStatus(_Statement):
    element: ClassVar[str] = "set-status"
    code: Value[int]
    reason: Value[str] | None = None
    """None: the standard reason phrase of the code."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SetBody(_Statement):
    """``<set-body>``: the element's content is the body (text, an expression, or -- for
    Liquid templates and literal XML bodies -- markup kept as written)."""

    element: ClassVar[str] = "set-body"
    value: Value[str]
    template: BodyTemplate | None = None
    xsi_nil: XsiNil = XsiNil.BLANK
    parse_date: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ReturnResponse(_Statement):
    element: ClassVar[str] = "return-response"
    response_variable_name: str | None = None
    set_status: SetStatus | None = None
    set_headers: tuple[SetHeader, ...] = ()
    set_body: SetBody | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncludeFragment(_Statement):
    element: ClassVar[str] = "include-fragment"
    fragment_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheLookup(_Statement):
    element: ClassVar[str] = "cache-lookup"
    vary_by_developer: Value[bool]
    vary_by_developer_groups: Value[bool]
    caching_type: CachingType = CachingType.PREFER_EXTERNAL
    downstream_caching_type: Value[DownstreamCachingType]
    must_revalidate: Value[bool]
    allow_private_response_caching: Value[bool]
    vary_by_headers: tuple[str, ...] = ()
    """Header names in document order (each ``<vary-by-header>`` text, trimmed)."""
    vary_by_query_parameters: tuple[str, ...] = ()
    """Query parameter names in document order: every ``<vary-by-query-parameter>`` text split
    on ``;``, trimmed, empty names dropped."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStore(_Statement):
    element: ClassVar[str] = "cache-store"
    duration: Value[int]
    cache_response: Value[bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheLookupValue(_Statement):
    element: ClassVar[str] = "cache-lookup-value"
    key: Value[str]
    variable_name: str
    default_value: Value[str] | None = None
    """None: a miss leaves the variable unset."""
    caching_type: CachingType = CachingType.PREFER_EXTERNAL


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStoreValue(_Statement):
    element: ClassVar[str] = "cache-store-value"
    key: Value[str]
    value: Value[str]
    duration: Value[int]
    caching_type: CachingType = CachingType.PREFER_EXTERNAL


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheRemoveValue(_Statement):
    element: ClassVar[str] = "cache-remove-value"
    key: Value[str]
    caching_type: CachingType = CachingType.PREFER_EXTERNAL
    fail_on_cache_removal_error: Value[bool]


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimitByKey(_Statement):
    element: ClassVar[str] = "rate-limit-by-key"
    calls: Value[int]
    renewal_period: Value[int]
    counter_key: Value[str]
    increment_condition: Value[bool] | None = None
    increment_count: Value[int]
    retry_after_header_name: str = "Retry-After"
    retry_after_variable_name: str | None = None
    remaining_calls_header_name: str | None = None
    remaining_calls_variable_name: str | None = None
    total_calls_header_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SendRequest(_Statement):
    element: ClassVar[str] = "send-request"
    mode: Value[SendRequestMode]
    response_variable_name: str
    timeout: Value[int]
    ignore_error: bool = False
    set_url: Value[str] | None = None
    set_method: str | None = None
    set_headers: tuple[SetHeader, ...] = ()
    set_body: SetBody | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trace(_Statement):
    """``<trace>``: a custom message for the trace (here: the ``aiohttp_apim.trace`` logger)."""

    element: ClassVar[str] = "trace"
    source: str
    severity: TraceSeverity = TraceSeverity.VERBOSE
    message: Value[str]
    metadata: tuple[tuple[Value[str], Value[str]], ...] = ()
    """(name, value) of each ``<metadata>``, in order."""


Statement: TypeAlias = Union[  # noqa: UP007 -- evaluated at runtime, Union reads better here
    Base,
    CacheLookup,
    CacheLookupValue,
    CacheRemoveValue,
    CacheStore,
    CacheStoreValue,
    Choose,
    ForwardRequest,
    IncludeFragment,
    RateLimitByKey,
    ReturnResponse,
    SendRequest,
    SetBody,
    SetHeader,
    SetStatus,
    SetVariable,
    Trace,
]


# --- documents --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Section:
    """One section of a document. ``present`` is False when the document has no such element:
    a missing section behaves as ``<base/>`` alone, a present empty one inherits nothing
    (as in APIM). A missing section's location is the ``<policies>`` element's."""

    name: SectionName
    items: tuple[Statement, ...]
    location: Location
    present: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyDocument:
    file: str
    inbound: Section
    backend: Section
    outbound: Section
    on_error: Section

    def section(self, name: SectionName) -> Section:
        return {
            SectionName.INBOUND: self.inbound,
            SectionName.BACKEND: self.backend,
            SectionName.OUTBOUND: self.outbound,
            SectionName.ON_ERROR: self.on_error,
        }[name]

    @property
    def sections(self) -> tuple[Section, Section, Section, Section]:
        """The four sections in life-cycle order."""
        return (self.inbound, self.backend, self.outbound, self.on_error)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fragment:
    """A policy fragment (``<fragment>`` root): statements inlined by ``<include-fragment>``."""

    file: str
    items: tuple[Statement, ...]
    location: Location


def walk(items: tuple[Statement, ...]) -> Iterator[Statement]:
    """Every statement in ``items``, depth first in document order, including those inside
    ``<choose>`` branches (not the children of return-response/send-request, which are parts
    of their parent rather than statements of the section)."""
    for item in items:
        yield item
        if isinstance(item, Choose):
            for when in item.whens:
                yield from walk(when.items)
            if item.otherwise is not None:
                yield from walk(item.otherwise)
