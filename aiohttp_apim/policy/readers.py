"""One small reader per supported policy element: lxml element -> model statement.

Each reader gets the element, its spec (``policy.schema``), where it stands (``validate.Placement``)
and its attributes already read and checked (:class:`Attrs`). Readers read every part first and
build last, so every problem inside an element is reported before a missing value
(:class:`Broken`) gives up on building it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeAlias

from lxml import etree

from aiohttp_apim.policy.model import (
    Base,
    BodyTemplate,
    CacheLookup,
    CacheLookupValue,
    CacheRemoveValue,
    CacheStore,
    CacheStoreValue,
    Choose,
    Expr,
    ForwardRequest,
    IncludeFragment,
    Literal,
    Location,
    RateLimitByKey,
    ReturnResponse,
    SendRequest,
    SendRequestMode,
    SetBody,
    SetHeader,
    SetStatus,
    SetVariable,
    Statement,
    Trace,
    When,
)
from aiohttp_apim.policy.schema import PART_ELEMENTS, STATEMENTS, ElementSpec
from aiohttp_apim.policy.validate import Placement

if TYPE_CHECKING:
    from aiohttp_apim.policy.loader import Loader

__all__ = ["READERS", "Attrs", "Broken", "Reader"]

_Element = etree._Element
_AnyValue = Literal[Any] | Expr


class Broken(Exception):
    """A reader cannot build its statement; the problem has already been reported."""


class Attrs:
    """An element's attributes as read by ``validate.read_attributes``."""

    def __init__(self, values: dict[str, _AnyValue]) -> None:
        self._values = values

    def get(self, name: str) -> _AnyValue | None:
        return self._values.get(name)

    def need(self, name: str) -> _AnyValue:
        value = self._values.get(name)
        if value is None:
            raise Broken(name)
        return value

    def plain(self, name: str) -> Any:
        """The Python value of a literal-only attribute (None when absent or invalid)."""
        value = self._values.get(name)
        return value.value if isinstance(value, Literal) else None

    def need_plain(self, name: str) -> Any:
        value = self.need(name)
        if not isinstance(value, Literal):  # pragma: no cover - literal-only by the schema
            raise Broken(name)
        return value.value


Reader: TypeAlias = "Callable[[Loader, _Element, ElementSpec, Placement, Attrs], Statement]"


def _read_base(ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs) -> Base:
    ld.empty(el, spec)
    return Base(location=ld.loc(el), id=a.plain("id"))


def _read_forward_request(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> ForwardRequest:
    ld.empty(el, spec)
    timeout_ms = a.get("timeout-ms")
    timeout = a.get("timeout")
    if timeout_ms is not None and "timeout" in el.attrib:
        ld.report(
            "validation", el, "<forward-request> takes either 'timeout' or 'timeout-ms', not both"
        )
    if timeout_ms is not None and "timeout" not in el.attrib:
        timeout = None  # the documented 300 s default applies only without timeout-ms
    elif timeout is None:
        raise Broken("timeout")
    return ForwardRequest(
        location=ld.loc(el),
        id=a.plain("id"),
        timeout=timeout,
        timeout_ms=timeout_ms,
        continue_timeout=a.get("continue-timeout"),
        http_version=a.need_plain("http-version"),
        follow_redirects=a.need("follow-redirects"),
        buffer_request_body=a.need("buffer-request-body"),
        buffer_response=a.need_plain("buffer-response"),
        fail_on_error_status_code=a.need("fail-on-error-status-code"),
    )


def _read_set_variable(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> SetVariable:
    ld.empty(el, spec)
    return SetVariable(
        location=ld.loc(el), id=a.plain("id"), name=a.need_plain("name"), value=a.need("value")
    )


def _read_choose(ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs) -> Choose:
    whens: list[When] = []
    otherwise: tuple[Statement, ...] | None = None
    otherwise_location: Location | None = None
    inner = pl.nested("choose")
    for name, child in ld.parts(el, spec):
        if name == "when":
            if otherwise is not None:
                ld.report("validation", child, "<when> must come before <otherwise> in <choose>")
            when_attrs = ld.attributes(child, PART_ELEMENTS["when"])
            items = ld.statements(child, inner, "when")
            condition = when_attrs.get("condition")
            if condition is not None:
                whens.append(When(condition=condition, items=items, location=ld.loc(child)))
        else:
            ld.attributes(child, PART_ELEMENTS["otherwise"])
            otherwise = ld.statements(child, inner, "otherwise")
            otherwise_location = ld.loc(child)
    return Choose(
        location=ld.loc(el),
        id=a.plain("id"),
        whens=tuple(whens),
        otherwise=otherwise,
        otherwise_location=otherwise_location,
    )


def _read_set_header(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> SetHeader:
    values: list[_AnyValue] = []
    for _name, child in ld.parts(el, spec):
        value_spec = PART_ELEMENTS["value"]
        ld.attributes(child, value_spec)
        value = ld.content(child, value_spec)
        if value is not None:
            values.append(value)
    return SetHeader(
        location=ld.loc(el),
        id=a.plain("id"),
        name=a.need("name"),
        exists_action=a.need("exists-action"),
        values=tuple(values),
    )


def _read_set_status(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> SetStatus:
    ld.empty(el, spec)
    return SetStatus(
        location=ld.loc(el), id=a.plain("id"), code=a.need("code"), reason=a.get("reason")
    )


def _read_set_body(ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs) -> SetBody:
    template = a.plain("template")
    # Liquid uses {{...}} for its own variables: only defined named values are substituted.
    value = ld.content(el, spec, markup=True, lenient=template is BodyTemplate.LIQUID)
    if value is None:
        raise Broken("content")
    return SetBody(
        location=ld.loc(el),
        id=a.plain("id"),
        value=value,
        template=template,
        xsi_nil=a.need_plain("xsi-nil"),
        parse_date=a.need_plain("parse-date"),
    )


def _read_return_response(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> ReturnResponse:
    status: SetStatus | None = None
    headers: list[SetHeader] = []
    body: SetBody | None = None
    for _name, child in ld.parts(el, spec):
        part = ld.read(child, STATEMENTS[str(child.tag)], pl)
        if isinstance(part, SetStatus):
            status = part
        elif isinstance(part, SetHeader):
            headers.append(part)
        elif isinstance(part, SetBody):
            body = part
    return ReturnResponse(
        location=ld.loc(el),
        id=a.plain("id"),
        response_variable_name=a.plain("response-variable-name"),
        set_status=status,
        set_headers=tuple(headers),
        set_body=body,
    )


def _read_include_fragment(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> IncludeFragment:
    ld.empty(el, spec)
    return IncludeFragment(
        location=ld.loc(el), id=a.plain("id"), fragment_id=a.need_plain("fragment-id")
    )


def _read_cache_lookup(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> CacheLookup:
    headers: list[str] = []
    parameters: list[str] = []
    for name, child in ld.parts(el, spec):
        part_spec = PART_ELEMENTS[name]
        ld.attributes(child, part_spec)
        value = ld.content(child, part_spec)
        if not isinstance(value, Literal):
            continue
        if name == "vary-by-header":
            header = value.value.strip()
            if header:
                headers.append(header)
            else:
                ld.report("validation", child, "<vary-by-header> needs a header name")
        else:
            names = [p.strip() for p in value.value.split(";") if p.strip()]
            if names:
                parameters.extend(names)
            else:
                ld.report(
                    "validation",
                    child,
                    "<vary-by-query-parameter> needs at least one parameter name",
                )
    return CacheLookup(
        location=ld.loc(el),
        id=a.plain("id"),
        vary_by_developer=a.need("vary-by-developer"),
        vary_by_developer_groups=a.need("vary-by-developer-groups"),
        caching_type=a.need_plain("caching-type"),
        downstream_caching_type=a.need("downstream-caching-type"),
        must_revalidate=a.need("must-revalidate"),
        allow_private_response_caching=a.need("allow-private-response-caching"),
        vary_by_headers=tuple(headers),
        vary_by_query_parameters=tuple(parameters),
    )


def _read_cache_store(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> CacheStore:
    ld.empty(el, spec)
    return CacheStore(
        location=ld.loc(el),
        id=a.plain("id"),
        duration=a.need("duration"),
        cache_response=a.need("cache-response"),
    )


def _read_cache_lookup_value(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> CacheLookupValue:
    ld.empty(el, spec)
    return CacheLookupValue(
        location=ld.loc(el),
        id=a.plain("id"),
        key=a.need("key"),
        variable_name=a.need_plain("variable-name"),
        default_value=a.get("default-value"),
        caching_type=a.need_plain("caching-type"),
    )


def _read_cache_store_value(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> CacheStoreValue:
    ld.empty(el, spec)
    return CacheStoreValue(
        location=ld.loc(el),
        id=a.plain("id"),
        key=a.need("key"),
        value=a.need("value"),
        duration=a.need("duration"),
        caching_type=a.need_plain("caching-type"),
    )


def _read_cache_remove_value(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> CacheRemoveValue:
    ld.empty(el, spec)
    return CacheRemoveValue(
        location=ld.loc(el),
        id=a.plain("id"),
        key=a.need("key"),
        caching_type=a.need_plain("caching-type"),
        fail_on_cache_removal_error=a.need("fail-on-cache-removal-error"),
    )


def _read_rate_limit_by_key(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> RateLimitByKey:
    ld.empty(el, spec)
    return RateLimitByKey(
        location=ld.loc(el),
        id=a.plain("id"),
        calls=a.need("calls"),
        renewal_period=a.need("renewal-period"),
        counter_key=a.need("counter-key"),
        increment_condition=a.get("increment-condition"),
        increment_count=a.need("increment-count"),
        retry_after_header_name=a.need_plain("retry-after-header-name"),
        retry_after_variable_name=a.plain("retry-after-variable-name"),
        remaining_calls_header_name=a.plain("remaining-calls-header-name"),
        remaining_calls_variable_name=a.plain("remaining-calls-variable-name"),
        total_calls_header_name=a.plain("total-calls-header-name"),
    )


def _read_send_request(
    ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs
) -> SendRequest:
    url: _AnyValue | None = None
    method: str | None = None
    headers: list[SetHeader] = []
    body: SetBody | None = None
    seen_url = False
    for name, child in ld.parts(el, spec):
        seen_url = seen_url or name == "set-url"
        if name in ("set-url", "set-method"):
            part_spec = PART_ELEMENTS[name]
            ld.attributes(child, part_spec)
            value = ld.content(child, part_spec)
            if name == "set-url":
                url = value
            elif isinstance(value, Literal):
                method = value.value.strip()
                if not method:
                    ld.report("validation", child, "<set-method> needs an HTTP method")
            continue
        part = ld.read(child, STATEMENTS[name], pl)
        if isinstance(part, SetHeader):
            headers.append(part)
        elif isinstance(part, SetBody):
            body = part
    mode = a.get("mode")
    if isinstance(mode, Literal) and mode.value is SendRequestMode.NEW and not seen_url:
        ld.report("validation", el, '<send-request mode="new"> needs a <set-url>')
    return SendRequest(
        location=ld.loc(el),
        id=a.plain("id"),
        mode=a.need("mode"),
        response_variable_name=a.need_plain("response-variable-name"),
        timeout=a.need("timeout"),
        ignore_error=a.need_plain("ignore-error"),
        set_url=url,
        set_method=method,
        set_headers=tuple(headers),
        set_body=body,
    )


def _read_trace(ld: Loader, el: _Element, spec: ElementSpec, pl: Placement, a: Attrs) -> Trace:
    message: _AnyValue | None = None
    metadata: list[tuple[_AnyValue, _AnyValue]] = []
    for name, child in ld.parts(el, spec):
        part_spec = PART_ELEMENTS[name]
        part = ld.attributes(child, part_spec)
        if name == "message":
            message = ld.content(child, part_spec)
            continue
        ld.empty(child, part_spec)
        key, value = part.get("name"), part.get("value")
        if key is not None and value is not None:
            metadata.append((key, value))
    if message is None:
        raise Broken("message")
    return Trace(
        location=ld.loc(el),
        id=a.plain("id"),
        source=a.need_plain("source"),
        severity=a.need_plain("severity"),
        message=message,
        metadata=tuple(metadata),
    )


READERS: dict[str, Reader] = {
    "base": _read_base,
    "forward-request": _read_forward_request,
    "set-variable": _read_set_variable,
    "choose": _read_choose,
    "set-header": _read_set_header,
    "set-status": _read_set_status,
    "set-body": _read_set_body,
    "return-response": _read_return_response,
    "include-fragment": _read_include_fragment,
    "cache-lookup": _read_cache_lookup,
    "cache-store": _read_cache_store,
    "cache-lookup-value": _read_cache_lookup_value,
    "cache-store-value": _read_cache_store_value,
    "cache-remove-value": _read_cache_remove_value,
    "rate-limit-by-key": _read_rate_limit_by_key,
    "send-request": _read_send_request,
    "trace": _read_trace,
}
assert set(READERS) == set(STATEMENTS), "every supported policy needs a reader"
