"""The closed ``context`` object model of policy expressions, built from plain data
(https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#ContextVariables).

The pipeline builds one `ExpressionContext` per request. Construction is cheap: URLs are parsed,
header dictionaries built and bodies decoded only when an expression first reads them. The
pipeline mutates the objects from Python between steps (``context.response = Response(...)``,
``context.variables.set(...)``, ``response.headers.set(...)``, ``body.set(...)``); expressions
see every object read-only (no setters are declared for them).

Choices the pipeline must know:

* ``Headers.GetValueOrDefault(name, default)`` joins multiple values with "," (no space), as the
  APIM documents ("comma-joined"); header names are case-insensitive, ``Keys`` keep the first spelling.
* ``Url.Query`` and ``MatchedParameters`` are case-insensitive too; query values are URL-decoded.
* ``MessageBody.As<T>()`` consumes the body unless ``preserveContent`` is true: afterwards
  ``As<string>()`` is "", ``As<byte[]>()`` empty and ``As<JObject/JToken/JArray>()`` (and
  ``As<XDocument/XElement/XNode>()``, see xml.py) null; `MessageBody.content` is what a
  forwarder must send (b"" once consumed).
* ``Variables.GetValueOrDefault<T>`` casts like ``(T)object`` in generic code: exact type for
  value types (a stored long is not an int), no JToken conversions.
* ``Timestamp`` is UTC; ``Elapsed`` is ``clock() - timestamp`` with the context's clock.
"""

from __future__ import annotations

import codecs
import enum
import re
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NoReturn, Protocol, overload
from urllib.parse import parse_qsl, urlsplit

from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates as dotnet_time
from aiohttp_apim.dotnet import json, linq, strings, xml
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.core import TypeRef, arity, declare
from aiohttp_apim.dotnet.primitives import Guid, NetEnum, set_out, to_string
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "NOT_SERVED",
    "Api",
    "ContextParts",
    "Deployment",
    "ExpressionContext",
    "GatewayInfo",
    "Group",
    "HeaderDictionary",
    "HeaderLookup",
    "LastError",
    "MessageBody",
    "Operation",
    "Product",
    "ProductState",
    "Request",
    "Response",
    "StringValuesDictionary",
    "Subscription",
    "SubscriptionKeyParameterNames",
    "Url",
    "UrlSource",
    "User",
    "UserIdentity",
    "Variables",
    "Workspace",
    "request_has_header",
    "request_header_or_default",
]

HeaderSource = (
    Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]] | Iterable[tuple[bytes, bytes]]
)
TimeValue = float | datetime | dotnet_time.DateTime | None
Instant = float | datetime | dotnet_time.DateTime
"""A point in time: seconds since the epoch, a datetime or a DateTime."""


@overload
def _to_datetime(v: Instant) -> dotnet_time.DateTime: ...
@overload
def _to_datetime(v: None) -> None: ...
def _to_datetime(v: TimeValue) -> dotnet_time.DateTime | None:
    if v is None or isinstance(v, dotnet_time.DateTime):
        return v
    if isinstance(v, datetime):
        return dotnet_time.from_datetime(v)
    return dotnet_time.from_unix(float(v))


def _key_not_found(key: object) -> NoReturn:
    raise ExpressionError(
        "KeyNotFoundException",
        f"The given key '{to_string(key)}' was not present in the dictionary.",
    )


# ---------------------------------------------------------------- string -> string[] dictionaries


class StringValuesDictionary:
    """IReadOnlyDictionary<string, string[]> (headers, query, JWT claims), built lazily.

    ``source``: a mapping name → str | list[str], or (name, value) pairs (repeated names
    accumulate; bytes pairs such as aiohttp's ``raw_headers`` are decoded as latin-1).

    A case-insensitive multidict (aiohttp's headers) is read in place -- a lookup by name asks it
    directly -- until a write or a walk over every entry copies it into the dictionary: serving
    one ``GetValueOrDefault`` never copies the headers. Its owner must not change it meanwhile
    (:attr:`live` tells whether it is still read)."""

    __slots__ = ("_data", "_live", "_source", "case_insensitive")

    def __init__(
        self, source: HeaderSource | None = None, *, case_insensitive: bool = True
    ) -> None:
        self._source = source
        self._data: dict[str, tuple[str, list[str]]] | None = None
        self.case_insensitive = case_insensitive
        self._live: CIMultiDict[str] | CIMultiDictProxy[str] | None = (
            source if case_insensitive and isinstance(source, _MULTIDICTS) else None
        )

    @property
    def live(self) -> CIMultiDict[str] | CIMultiDictProxy[str] | None:
        """The multidict still read in place (None once copied, or never given one)."""
        return self._live

    def _k(self, name: str) -> str:
        return name.lower() if self.case_insensitive else name

    def _map(self) -> dict[str, tuple[str, list[str]]]:
        data = self._data
        if data is None:
            data = {}
            src = self._source
            pairs: Iterable[tuple[object, object]]
            if src is None:
                pairs = ()
            elif isinstance(src, Mapping):
                pairs = src.items()
            else:
                pairs = src
            for name, value in pairs:
                n = name.decode("latin-1") if isinstance(name, bytes) else str(name)
                values: list[str]
                if isinstance(value, bytes):
                    values = [value.decode("latin-1")]
                elif isinstance(value, str):
                    values = [value]
                else:
                    values = [str(x) for x in value]
                entry = data.get(self._k(n))
                if entry is None:
                    data[self._k(n)] = (n, values)
                else:
                    entry[1].extend(values)
            self._data = data
            self._source = None
            self._live = None
        return data

    # Python-side API (for the pipeline)
    def get(self, name: str) -> list[str] | None:
        live = self._live
        if live is not None:
            return live.getall(name, None)
        entry = self._map().get(self._k(name))
        return None if entry is None else list(entry[1])

    def get_joined(self, name: str, default: str | None = None) -> str | None:
        values = self.get(name)
        return default if values is None else ",".join(values)

    def set(self, name: str, values: str | Sequence[str]) -> None:
        vals = [values] if isinstance(values, str) else list(values)
        data = self._map()
        entry = data.get(self._k(name))
        data[self._k(name)] = (entry[0] if entry else name, vals)

    def add(self, name: str, value: str) -> None:
        data = self._map()
        entry = data.get(self._k(name))
        if entry is None:
            data[self._k(name)] = (name, [value])
        else:
            entry[1].append(value)

    def remove(self, name: str) -> bool:
        return self._map().pop(self._k(name), None) is not None

    def items(self) -> list[tuple[str, list[str]]]:
        return [(n, list(v)) for n, v in self._map().values()]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        live = self._live
        return name in live if live is not None else self._k(name) in self._map()

    def __len__(self) -> int:
        return len(self._map())


_MULTIDICTS = (CIMultiDict, CIMultiDictProxy)


HeaderDictionary = StringValuesDictionary


def _svd_key(a: Sequence[object], i: int = 0) -> str:
    k = a[i] if len(a) > i else None
    if k is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'key')")
    if not isinstance(k, str):
        raise ExpressionError("ArgumentException", "Argument 'key': cannot convert to 'string'")
    return k


def _svd_index(d: StringValuesDictionary, a: Sequence[object]) -> object:
    arity("IReadOnlyDictionary", "this[]", a, 1)
    v = d.get(_svd_key(a))
    if v is None:
        _key_not_found(a[0])
    return v


def _svd_try_get(d: StringValuesDictionary, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IReadOnlyDictionary", "TryGetValue", a, 2)
    v = d.get(_svd_key(a))
    set_out(a, 1, v)
    return v is not None


def _svd_get_or_default(
    d: StringValuesDictionary, a: Sequence[object], t: Sequence[TypeRef]
) -> object:
    # hot in cache-key expressions: GetValueOrDefault(name, default) → comma-joined values
    n = len(a)
    if n == 2:
        name, default = a
    elif n == 1:
        name, default = a[0], None
    else:
        arity("IReadOnlyDictionary", "GetValueOrDefault", a, 1, 2)
    if type(name) is not str:
        name = _svd_key(a)
    live = d._live
    if live is not None:  # aiohttp's headers, read in place
        found = live.getall(name, None)
        if found is None:
            return default
        return found[0] if len(found) == 1 else ",".join(found)
    data = d._data if d._data is not None else d._map()
    entry = data.get(name.lower() if d.case_insensitive else name)
    if entry is None:
        return default
    values = entry[1]
    return values[0] if len(values) == 1 else ",".join(values)


NOT_SERVED: Final = object()
"""What the compiler's fast header reads return when they cannot serve the read: the general
form of the expression then runs (and fails as it fails)."""


def _request_headers(c: object) -> HeaderLookup | None:
    """Where ``context.Request.Headers`` of ``c`` reads -- the built request's dictionary, or,
    before a request is built, the lookup the context's parts make it of -- or None when ``c``
    is not a plain context whose request is a plain :class:`Request` (null, or something else:
    the general form's errors and dispatch are then the ones to get)."""
    if type(c) is not ExpressionContext:
        return None
    request = c._request
    if request is _UNSET:
        parts = c._parts
        assert parts is not None  # (only a lazily made context has unset members)
        return parts.request_headers(c._owner)
    if type(request) is Request and type(headers := request.headers) is StringValuesDictionary:
        return headers
    return None


def request_header_or_default(c: object, name: str, default: object) -> object:
    """``context.Request.Headers.GetValueOrDefault(name, default)`` for a constant ``name`` and
    ``default`` (the compiler's fast form): the values comma-joined, as
    :func:`_svd_get_or_default` joins them, read where the ``Headers`` view reads, without
    making the request's view; :data:`NOT_SERVED` when it cannot be read so."""
    headers = _request_headers(c)
    if headers is None:
        return NOT_SERVED
    values = headers.get(name)
    if values is None:
        return default
    return values[0] if len(values) == 1 else ",".join(values)


def request_has_header(c: object, name: str) -> object:
    """``context.Request.Headers.ContainsKey(name)`` for a constant ``name`` (the compiler's
    fast form, as :func:`request_header_or_default`)."""
    headers = _request_headers(c)
    if headers is None:
        return NOT_SERVED
    return headers.get(name) is not None


SVD = declare(
    "IReadOnlyDictionary",
    "System.Collections.Generic.IReadOnlyDictionary`2",
    (StringValuesDictionary,),
    aliases=("IReadOnlyDictionary`2", "IHeaderDictionary"),
    bases=(linq.IENUMERABLE,),
)
SVD.indexer = _svd_index
SVD.iterate = lambda d: [linq.KeyValuePair(n, list(v)) for n, v in d.items()]
SVD.members.update(
    {
        "Count": lambda d: len(d),
        "Keys": lambda d: linq.CollectionView(n for n, _ in d.items()),
        "Values": lambda d: linq.CollectionView(v for _, v in d.items()),
    }
)
SVD.methods.update(
    {
        "ContainsKey": lambda d, a, t: (
            arity("IReadOnlyDictionary", "ContainsKey", a, 1),
            _svd_key(a) in d,
        )[1],
        "TryGetValue": _svd_try_get,
        "GetValueOrDefault": _svd_get_or_default,
    }
)


class StringDictionary:
    """IReadOnlyDictionary<string, string> (MatchedParameters), case-insensitive."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, str] | None = None) -> None:
        self._data = {k.lower(): (k, v) for k, v in (data or {}).items()}

    def get(self, name: str) -> str | None:
        e = self._data.get(name.lower())
        return None if e is None else e[1]

    def items(self) -> list[tuple[str, str]]:
        return list(self._data.values())


def _sd_get_or_default(d: StringDictionary, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("IReadOnlyDictionary", "GetValueOrDefault", a, 1, 2)
    v = d.get(_svd_key(a))
    return v if v is not None else (a[1] if len(a) == 2 else None)


def _sd_try_get(d: StringDictionary, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IReadOnlyDictionary", "TryGetValue", a, 2)
    v = d.get(_svd_key(a))
    set_out(a, 1, v)
    return v is not None


SD = declare(
    "IReadOnlyDictionary<string,string>",
    "System.Collections.Generic.IReadOnlyDictionary`2",
    (StringDictionary,),
    bases=(linq.IENUMERABLE,),
    owns=True,
)
SD.indexer = lambda d, a: (
    d.get(_svd_key(a)) if d.get(_svd_key(a)) is not None else _key_not_found(a[0])
)
SD.iterate = lambda d: [linq.KeyValuePair(k, v) for k, v in d.items()]
SD.members.update(
    {
        "Count": lambda d: len(d._data),
        "Keys": lambda d: linq.CollectionView(k for k, _ in d.items()),
        "Values": lambda d: linq.CollectionView(v for _, v in d.items()),
    }
)
SD.methods.update(
    {
        "ContainsKey": lambda d, a, t: d.get(_svd_key(a)) is not None,
        "TryGetValue": _sd_try_get,
        "GetValueOrDefault": _sd_get_or_default,
    }
)


# ---------------------------------------------------------------- Url


class UrlSource(Protocol):
    """Something with a ``url`` (an ``aiohttp.web.Request``): a :class:`Url` made from it reads
    ``str(source.url)`` only when an expression needs the text."""

    @property
    def url(self) -> object: ...


class Url:
    """IUrl, parsed on first access. ``text`` may also be a :class:`UrlSource` (the pipeline's
    request, whose URL most requests never read): its URL is made into text when first needed,
    and nothing is allocated for it until then."""

    __slots__ = ("_parts", "_query", "_text")

    def __init__(self, text: str | UrlSource) -> None:
        self._text = text
        self._parts: tuple[str, str, int, str, str] | None = None
        self._query: StringValuesDictionary | None = None

    @property
    def text(self) -> str:
        text = self._text
        if not isinstance(text, str):
            text = self._text = str(text.url)
        return text

    def parts(self) -> tuple[str, str, int, str, str]:
        """(scheme, host, port, path, query-without-'?')."""
        if self._parts is None:
            try:
                s = urlsplit(self.text)
                port = s.port
            except ValueError:
                s = urlsplit("http://invalid/")
                port = None
            scheme = s.scheme.lower() or "http"
            if port is None:
                port = {"https": 443, "http": 80, "wss": 443, "ws": 80}.get(scheme, -1)
            self._parts = (scheme, (s.hostname or "").lower(), port, s.path or "/", s.query)
        return self._parts

    def query(self) -> StringValuesDictionary:
        if self._query is None:
            self._query = StringValuesDictionary(parse_qsl(self.parts()[4], keep_blank_values=True))
        return self._query

    def __str__(self) -> str:
        scheme, host, port, path, query = self.parts()
        default = {"https": 443, "http": 80}.get(scheme)
        auth = host if port in (default, -1) else f"{host}:{port}"
        return f"{scheme}://{auth}{path}" + (f"?{query}" if query else "")


@overload
def _url(v: str | Url) -> Url: ...
@overload
def _url(v: None) -> None: ...
def _url(v: str | Url | None) -> Url | None:
    return v if isinstance(v, Url) or v is None else Url(v)


URL = declare(
    "IUrl",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.IUrl",
    (Url,),
    aliases=("Url",),
)
URL.members.update(
    {
        "Host": lambda u: u.parts()[1],
        "Path": lambda u: u.parts()[3],
        "Port": lambda u: u.parts()[2],
        "Scheme": lambda u: u.parts()[0],
        "Query": Url.query,
        "QueryString": lambda u: ("?" + u.parts()[4]) if u.parts()[4] else "",
    }
)
URL.methods["ToString"] = lambda u, a, t: str(u)


# ---------------------------------------------------------------- bodies, requests, responses


class MessageBody:
    """IMessageBody. ``content`` is what is left to forward (b"" once consumed)."""

    __slots__ = ("_consumed", "_content", "content_type")

    def __init__(self, content: bytes = b"", content_type: str | None = None) -> None:
        self._content = content
        self._consumed = False
        self.content_type = content_type

    @property
    def content(self) -> bytes:
        return b"" if self._consumed else self._content

    @property
    def consumed(self) -> bool:
        return self._consumed

    def set(self, content: bytes, content_type: str | None = None) -> None:
        self._content = content
        self._consumed = False
        if content_type is not None:
            self.content_type = content_type

    def text(self) -> str:
        charset = "utf-8"
        if self.content_type:
            m = re.search(r"charset\s*=\s*\"?([\w.:-]+)", self.content_type, re.IGNORECASE)
            if m:
                charset = m.group(1)
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"
        data = self.content
        if charset.lower().replace("-", "") == "utf8" and data.startswith(codecs.BOM_UTF8):
            data = data[3:]
        return clr.check_length(data.decode(charset, errors="replace"))


def _body_as(b: MessageBody, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("IMessageBody", "As", a, 0, 1)
    if not t:
        raise ExpressionError("ArgumentException", "As<T>() needs a type argument")
    preserve = bool(a[0]) if a else False
    if a and type(a[0]) is not bool:
        raise ExpressionError(
            "ArgumentException", "Argument 'preserveContent': cannot convert to 'bool'"
        )
    target = t[0]
    name = target.name
    was_consumed = b.consumed
    if name == "String":
        result: object = b.text()
    elif name == "Byte[]":
        result = b.content
    elif name in ("JObject", "JToken", "JArray"):
        result = None if was_consumed else json.parse(b.text(), name)
    elif name in ("XDocument", "XNode", "XContainer"):
        result = None if was_consumed else xml.parse_document(b.text())
    elif name == "XElement":
        result = None if was_consumed else xml.parse_element(b.text())
    else:
        raise ExpressionError(
            "NotSupportedException",
            f"As<{name}>() is not supported; use string, byte[], JObject, JToken, JArray, "
            "XDocument, XElement or XNode",
        )
    if not preserve:
        b._consumed = True
    return result


BODY = declare(
    "IMessageBody",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.IMessageBody",
    (MessageBody,),
    aliases=("MessageBody",),
)
BODY.methods["As"] = _body_as


def _body_as_form(b: MessageBody, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    """``AsFormUrlEncodedContent(preserveContent)``: the body as an
    application/x-www-form-urlencoded dictionary (name → values; null once consumed)."""
    arity("IMessageBody", "AsFormUrlEncodedContent", a, 0, 1)
    if a and type(a[0]) is not bool:
        raise ExpressionError(
            "ArgumentException", "Argument 'preserveContent': cannot convert to 'bool'"
        )
    result = (
        None
        if b.consumed
        else StringValuesDictionary(
            parse_qsl(b.text(), keep_blank_values=True), case_insensitive=False
        )
    )
    if not (a and a[0]):
        b._consumed = True
    return result


BODY.methods["AsFormUrlEncodedContent"] = _body_as_form


def _body(v: bytes | str | MessageBody | None) -> MessageBody | None:
    if v is None or isinstance(v, MessageBody):
        return v
    return MessageBody(v.encode("utf-8") if isinstance(v, str) else v)


def _headers(v: HeaderSource | StringValuesDictionary | None) -> StringValuesDictionary:
    return v if isinstance(v, StringValuesDictionary) else StringValuesDictionary(v)


class RemoteSource(Protocol):
    """Something with a ``remote`` address (an ``aiohttp.web.Request``): a :class:`Request`
    made from it reads the address only when an expression asks for ``IpAddress``."""

    @property
    def remote(self) -> str | None: ...


class Request:
    """IRequest. Attributes are the pipeline's to change (e.g. ``body``)."""

    __slots__ = (
        "_ip",
        "_matched",
        "body",
        "certificate",
        "headers",
        "method",
        "original_url",
        "url",
    )

    def __init__(
        self,
        *,
        method: str = "GET",
        url: str | Url = "http://localhost/",
        headers: HeaderSource | StringValuesDictionary | None = None,
        body: bytes | str | MessageBody | None = None,
        ip_address: str = "",
        matched_parameters: Mapping[str, str] | None = None,
        original_url: str | Url | None = None,
        certificate: object = None,
    ) -> None:
        self.method = method
        self.url: Url = _url(url)
        self.original_url: Url = _url(original_url) or self.url
        self.headers = _headers(headers)
        self.body = _body(body)
        self._ip: str | RemoteSource = ip_address
        self._matched: Mapping[str, str] | StringDictionary | None = matched_parameters
        self.certificate = certificate

    @property
    def ip_address(self) -> str:
        ip = self._ip
        if not isinstance(ip, str):
            ip = self._ip = ip.remote or ""
        return ip

    @ip_address.setter
    def ip_address(self, value: str) -> None:
        self._ip = value

    @classmethod
    def of(
        cls,
        method: str,
        url: Url,
        headers: StringValuesDictionary,
        body: MessageBody | None,
        ip_address: str | RemoteSource,
        matched_parameters: Mapping[str, str],
    ) -> Request:
        """A request of parts already of their types (the pipeline's way: one per request
        whose expressions read ``context.Request``), without the keyword arguments' work;
        ``original_url`` is ``url``, no certificate. ``ip_address`` may be the request the
        address is read from when an expression first asks for it."""
        self = cls.__new__(cls)
        self.method = method
        self.url = self.original_url = url
        self.headers = headers
        self.body = body
        self._ip = ip_address
        self._matched = matched_parameters
        self.certificate = None
        return self

    def matched(self) -> StringDictionary:
        m = self._matched
        if isinstance(m, StringDictionary):
            return m
        built = StringDictionary(m)
        self._matched = built
        return built


class Response:
    """IResponse (context.Response, and what send-request stores in a variable)."""

    __slots__ = ("body", "headers", "status_code", "status_reason")

    def __init__(
        self,
        *,
        status_code: int = 200,
        status_reason: str | None = None,
        headers: HeaderSource | StringValuesDictionary | None = None,
        body: bytes | str | MessageBody | None = None,
    ) -> None:
        self.status_code = status_code
        if status_reason is None:
            from http import HTTPStatus

            try:
                status_reason = HTTPStatus(status_code).phrase
            except ValueError:
                status_reason = ""
        self.status_reason = status_reason
        self.headers = _headers(headers)
        self.body = _body(body)


REQUEST = declare(
    "IRequest",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.IRequest",
    (Request,),
    aliases=("Request",),
)
REQUEST.members.update(
    {
        "Body": lambda r: r.body,
        "Certificate": lambda r: r.certificate,
        "Headers": lambda r: r.headers,
        "IpAddress": lambda r: r.ip_address,
        "MatchedParameters": Request.matched,
        "Method": lambda r: r.method,
        "OriginalUrl": lambda r: r.original_url,
        "Url": lambda r: r.url,
        "PrivateEndpointConnection": lambda r: None,
    }
)
RESPONSE = declare(
    "IResponse",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.IResponse",
    (Response,),
    aliases=("Response", "IMessageResponse"),
)
RESPONSE.members.update(
    {
        "Body": lambda r: r.body,
        "Headers": lambda r: r.headers,
        "StatusCode": lambda r: r.status_code,
        "StatusReason": lambda r: r.status_reason,
    }
)


# ---------------------------------------------------------------- Variables


class Variables:
    """context.Variables: IReadOnlyDictionary<string, object> (ordinal keys)."""

    __slots__ = ("_data",)

    def __init__(self, initial: Mapping[str, object] | None = None) -> None:
        self._data: dict[str, object] = {} if initial is None else dict(initial)

    def get(self, name: str, default: object = None) -> object:
        return self._data.get(name, default)

    def set(self, name: str, value: object) -> None:
        self._data[name] = value

    def remove(self, name: str) -> bool:
        return self._data.pop(name, _MISSING) is not _MISSING

    def as_dict(self) -> dict[str, object]:
        return dict(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    def __len__(self) -> int:
        return len(self._data)


_MISSING = object()


def strict_cast(target: TypeRef, value: object) -> object:
    """``(T)(object)value`` in generic code: unboxing needs the exact type; no conversions."""
    if target.name == "Object":
        return value
    if target.nullable_of is not None:
        if value is None:
            return None
        target = target.nullable_of
    if value is None:
        if target.value_type:
            raise ExpressionError(
                "NullReferenceException", "Object reference not set to an instance of an object."
            )
        return None
    # unboxing needs exactly the boxed type
    ok = type(value) in target.py_types if target.value_type else target.is_instance(value)
    if not ok:
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{clr.net_name(value, full=True)}' "
            f"to type '{target.full_name}'.",
        )
    return value


_INFER = {str: "String", bool: "Boolean", int: "Int32", float: "Double"}


def _vars_get_or_default(v: Variables, a: Sequence[object], t: Sequence[TypeRef]) -> object:
    arity("IReadOnlyDictionary", "GetValueOrDefault", a, 1, 2)
    name = _svd_key(a)
    target = t[0] if t else None
    if target is None and len(a) == 2 and a[1] is not None:
        target = clr.type_of(a[1])
        inferred = _INFER.get(type(a[1]))
        if inferred is not None:
            target = clr.lookup(inferred)
    if name in v._data:
        value = v._data[name]
        return value if target is None else strict_cast(target, value)
    if len(a) == 2:
        return a[1]
    if target is None:
        return None
    return None if target.nullable_of is not None or not target.value_type else target.default


def _vars_index(v: Variables, a: Sequence[object]) -> object:
    if len(a) == 1:
        name = a[0]
        data = v._data
        if type(name) is str and name in data:
            return data[name]
    arity("IReadOnlyDictionary", "this[]", a, 1)
    _key_not_found(_svd_key(a))


def _vars_try_get(v: Variables, a: Sequence[object], t: Sequence[TypeRef]) -> bool:
    arity("IReadOnlyDictionary", "TryGetValue", a, 2)
    name = _svd_key(a)
    ok = name in v._data
    set_out(a, 1, v._data.get(name))
    return ok


VARIABLES = declare(
    "Variables",
    "System.Collections.Generic.IReadOnlyDictionary`2[System.String,System.Object]",
    (Variables,),
    bases=(linq.IENUMERABLE,),
)
VARIABLES.indexer = _vars_index
VARIABLES.iterate = lambda v: [linq.KeyValuePair(k, x) for k, x in v._data.items()]
VARIABLES.members.update(
    {
        "Count": lambda v: len(v._data),
        "Keys": lambda v: linq.CollectionView(v._data.keys()),
        "Values": lambda v: linq.CollectionView(v._data.values()),
    }
)
VARIABLES.methods.update(
    {
        "ContainsKey": lambda v, a, t: (
            arity("IReadOnlyDictionary", "ContainsKey", a, 1),
            _svd_key(a) in v._data,
        )[1],
        "TryGetValue": _vars_try_get,
        "GetValueOrDefault": _vars_get_or_default,
    }
)


# ---------------------------------------------------------------- descriptive objects


class ProductState(NetEnum):
    NotPublished = 0
    Published = 1


@dataclass(frozen=True, slots=True)
class SubscriptionKeyParameterNames:
    header: str = "Ocp-Apim-Subscription-Key"
    query: str = "subscription-key"


@dataclass(frozen=True, slots=True)
class Api:
    id: str = ""
    name: str = ""
    path: str = ""
    service_url: str | None = None
    version: str = ""
    revision: str = "1"
    is_current_revision: bool = True
    protocols: tuple[str, ...] = ("https",)
    subscription_key_parameter_names: SubscriptionKeyParameterNames = field(
        default_factory=SubscriptionKeyParameterNames
    )


@dataclass(frozen=True, slots=True)
class Operation:
    id: str = ""
    method: str = ""
    name: str = ""
    url_template: str = ""


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class UserIdentity:
    id: str
    provider: str = "Basic"


@dataclass(frozen=True, slots=True)
class User:
    id: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    groups: tuple[Group, ...] = ()
    identities: tuple[UserIdentity, ...] = ()
    note: str = ""
    registration_date: TimeValue = None


@dataclass(frozen=True, slots=True)
class Product:
    id: str = ""
    name: str = ""
    apis: tuple[Api, ...] = ()
    groups: tuple[Group, ...] = ()
    approval_required: bool = False
    state: ProductState = ProductState.Published
    subscription_limit: int | None = None
    subscription_required: bool = True


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str = ""
    key: str = ""
    name: str = ""
    primary_key: str = ""
    secondary_key: str = ""
    created_date: TimeValue = None
    start_date: TimeValue = None
    end_date: TimeValue = None


@dataclass(frozen=True, slots=True)
class Deployment:
    gateway_id: str = "managed"
    region: str = ""
    service_name: str = ""
    service_id: str = ""
    instance_id: str = ""
    """``context.Deployment.Gateway.InstanceId``: this gateway instance (empty unless given)."""


@dataclass(frozen=True, slots=True)
class GatewayInfo:
    """``context.Deployment.Gateway`` (IGateway): made from the deployment's gateway id."""

    id: str = "managed"
    instance_id: str = ""

    @property
    def is_managed(self) -> bool:
        return self.id == "managed"


@dataclass(frozen=True, slots=True)
class Workspace:
    """``context.Workspace`` (IWorkspace): the API's workspace; empty (id and name "") for an
    API outside any workspace, which is every API this gateway serves."""

    id: str = ""
    name: str = ""


NO_WORKSPACE: Final = Workspace()


@dataclass(frozen=True, slots=True)
class LastError:
    source: str = ""
    reason: str = ""
    message: str = ""
    scope: str = ""
    section: str = ""
    path: str = ""
    policy_id: str = ""
    location: str = ""
    """``file:line:column`` of the failing element (an aiohttp_apim extension)."""
    expression_location: str = ""
    """``file:line:column`` of the failing expression's ``@``, when an expression failed."""


def _seq(items: Iterable[object]) -> linq.CollectionView:
    return linq.CollectionView(items)


dotnet.declare_enum(
    "ProductState",
    "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions.ProductState",
    ProductState,
)
_NS = "Microsoft.WindowsAzure.ApiManagement.Proxy.Gateway.Policies.Expressions."
SKPN = declare(
    "ISubscriptionKeyParameterNames",
    _NS + "ISubscriptionKeyParameterNames",
    (SubscriptionKeyParameterNames,),
)
SKPN.members.update({"Header": lambda s: s.header, "Query": lambda s: s.query})
API = declare("IApi", _NS + "IApi", (Api,), aliases=("Api",))
API.members.update(
    {
        "Id": lambda x: x.id,
        "IsCurrentRevision": lambda x: x.is_current_revision,
        "Name": lambda x: x.name,
        "Path": lambda x: x.path,
        "Revision": lambda x: x.revision,
        "ServiceUrl": lambda x: None if x.service_url is None else Url(x.service_url),
        "Version": lambda x: x.version,
        "Protocols": lambda x: _seq(x.protocols),
        "SubscriptionKeyParameterNames": lambda x: x.subscription_key_parameter_names,
    }
)
OPERATION = declare("IOperation", _NS + "IOperation", (Operation,), aliases=("Operation",))
OPERATION.members.update(
    {
        "Id": lambda x: x.id,
        "Method": lambda x: x.method,
        "Name": lambda x: x.name,
        "UrlTemplate": lambda x: x.url_template,
    }
)
GROUP = declare("IGroup", _NS + "IGroup", (Group,))
GROUP.members.update({"Id": lambda x: x.id, "Name": lambda x: x.name})
IDENTITY = declare("IUserIdentity", _NS + "IUserIdentity", (UserIdentity,))
IDENTITY.members.update({"Id": lambda x: x.id, "Provider": lambda x: x.provider})
USER = declare("IUser", _NS + "IUser", (User,), aliases=("User",))
USER.members.update(
    {
        "Id": lambda x: x.id,
        "Email": lambda x: x.email,
        "FirstName": lambda x: x.first_name,
        "LastName": lambda x: x.last_name,
        "Groups": lambda x: _seq(x.groups),
        "Identities": lambda x: _seq(x.identities),
        "Note": lambda x: x.note,
        "RegistrationDate": lambda x: _to_datetime(x.registration_date) or dotnet_time.DateTime(0),
    }
)
PRODUCT = declare("IProduct", _NS + "IProduct", (Product,), aliases=("Product",))
PRODUCT.members.update(
    {
        "Id": lambda x: x.id,
        "Name": lambda x: x.name,
        "Apis": lambda x: _seq(x.apis),
        "Groups": lambda x: _seq(x.groups),
        "ApprovalRequired": lambda x: x.approval_required,
        "State": lambda x: x.state,
        "SubscriptionLimit": lambda x: x.subscription_limit,
        "SubscriptionRequired": lambda x: x.subscription_required,
    }
)
SUBSCRIPTION = declare(
    "ISubscription", _NS + "ISubscription", (Subscription,), aliases=("Subscription",)
)
SUBSCRIPTION.members.update(
    {
        "Id": lambda x: x.id,
        "Key": lambda x: x.key,
        "Name": lambda x: x.name,
        "PrimaryKey": lambda x: x.primary_key,
        "SecondaryKey": lambda x: x.secondary_key,
        "CreatedDate": lambda x: _to_datetime(x.created_date) or dotnet_time.DateTime(0),
        "StartDate": lambda x: _to_datetime(x.start_date),
        "EndDate": lambda x: _to_datetime(x.end_date),
    }
)
DEPLOYMENT = declare("IDeployment", _NS + "IDeployment", (Deployment,), aliases=("Deployment",))
DEPLOYMENT.members.update(
    {
        "GatewayId": lambda x: x.gateway_id,
        "Region": lambda x: x.region,
        "ServiceName": lambda x: x.service_name,
        "ServiceId": lambda x: x.service_id,
        "Certificates": lambda x: {},
        "Gateway": lambda x: GatewayInfo(x.gateway_id, x.instance_id),
    }
)
GATEWAY = declare("IGateway", _NS + "IGateway", (GatewayInfo,))
GATEWAY.members.update(
    {
        "Id": lambda x: x.id,
        "InstanceId": lambda x: x.instance_id,
        "IsManaged": lambda x: x.is_managed,
    }
)
WORKSPACE = declare("IWorkspace", _NS + "IWorkspace", (Workspace,))
WORKSPACE.members.update({"Id": lambda x: x.id, "Name": lambda x: x.name})
LAST_ERROR = declare("ILastError", _NS + "ILastError", (LastError,), aliases=("LastError",))
LAST_ERROR.members.update(
    {
        "Source": lambda x: x.source,
        "Reason": lambda x: x.reason,
        "Message": lambda x: x.message,
        "Scope": lambda x: x.scope,
        "Section": lambda x: x.section,
        "Path": lambda x: x.path,
        "PolicyId": lambda x: x.policy_id,
        # aiohttp_apim's own: where in the policy files the error happened.
        "Location": lambda x: x.location,
        "ExpressionLocation": lambda x: x.expression_location,
    }
)


# ---------------------------------------------------------------- the context


class HeaderLookup(Protocol):
    """Where a request's headers are read by name: every value of ``name`` in order, or None
    when absent (the same values, the same way, as the ``Headers`` view made of it shows)."""

    def get(self, name: str, /) -> list[str] | None: ...


class ContextParts(Protocol):
    """Where a context made with ``parts=`` gets its request-dependent members: each is asked
    for the first time an expression reads it and kept, except ``response`` and
    ``last_error``, which change during a request and are asked for on every read. Each method
    is given the context's ``owner`` (what the context was made for: the pipeline's exchange),
    so that one ``parts`` object serves every context."""

    def request(self, owner: Any, /) -> Request | None: ...
    def request_headers(self, owner: Any, /) -> HeaderLookup:
        """Where ``request(owner).Headers`` reads, without making the request: asked on every
        read of a header by a constant name (see :func:`request_header_or_default`), never
        kept; for parts whose ``request`` is never None."""
        ...

    def response(self, owner: Any, /) -> Response | None: ...
    def last_error(self, owner: Any, /) -> LastError | None: ...
    def variables(self, owner: Any, /) -> Variables: ...
    def operation(self, owner: Any, /) -> Operation | None: ...
    def product(self, owner: Any, /) -> Product | None: ...
    def subscription(self, owner: Any, /) -> Subscription | None: ...
    def user(self, owner: Any, /) -> User | None: ...
    def timestamp(self, owner: Any, /) -> Instant: ...
    def request_id(self, owner: Any, /) -> uuid.UUID: ...


class _Unset(enum.Enum):
    """A member of a lazily made context that has not been asked for yet (an enum member, so
    that ``value is _UNSET`` narrows the member's type)."""

    UNSET = enum.auto()


_UNSET: Final = _Unset.UNSET


class ExpressionContext:
    """``context`` of policy expressions.

    Every argument is optional. ``timestamp`` (seconds since the epoch, a datetime or a
    DateTime) defaults to ``clock()`` at construction; ``clock`` defaults to the runtime CLOCK;
    ``trace`` receives the messages of ``context.Trace(message)``; ``request_id`` is a UUID or its
    text (default: a new uuid4). ``variables`` may be a mapping (copied) or a `Variables`.
    Attributes with the same names are the pipeline's to read and replace between steps.

    With ``parts`` (the pipeline's way), the request-dependent members (request, response,
    last error, variables, operation, product, subscription, user, timestamp, request id) are
    not given but asked of ``parts`` for ``owner`` when an expression first reads them (see
    :class:`ContextParts`): a policy that reads one header builds nothing else.
    """

    __slots__ = (
        "_last_error",
        "_operation",
        "_owner",
        "_parts",
        "_product",
        "_request",
        "_request_id",
        "_response",
        "_subscription",
        "_timestamp",
        "_user",
        "_variables",
        "api",
        "clock",
        "deployment",
        "trace",
        "tracing",
    )

    _request: Request | _Unset | None
    _response: Response | _Unset | None
    _last_error: LastError | _Unset | None
    _variables: Variables | _Unset
    _operation: Operation | _Unset | None
    _product: Product | _Unset | None
    _subscription: Subscription | _Unset | None
    _user: User | _Unset | None
    _timestamp: dotnet_time.DateTime | _Unset
    _request_id: Guid | _Unset

    def __init__(
        self,
        *,
        request: Request | None = None,
        response: Response | None = None,
        variables: Mapping[str, object] | Variables | None = None,
        api: Api | None = None,
        operation: Operation | None = None,
        product: Product | None = None,
        subscription: Subscription | None = None,
        user: User | None = None,
        deployment: Deployment | None = None,
        last_error: LastError | None = None,
        timestamp: TimeValue = None,
        request_id: uuid.UUID | str | None = None,
        tracing: bool = False,
        clock: Callable[[], float] | None = None,
        trace: Callable[[str], None] | None = None,
        parts: ContextParts | None = None,
        owner: object = None,
    ) -> None:
        self.api = api
        self.deployment = deployment if deployment is not None else Deployment()
        self.clock = clock
        self.tracing = tracing
        self.trace = trace
        self._parts = parts
        self._owner = owner
        if parts is not None:
            self._request = self._response = self._last_error = self._variables = _UNSET
            self._operation = self._product = self._subscription = self._user = _UNSET
            self._timestamp = self._request_id = _UNSET
            return
        self._request = request
        self._response = response
        self._variables = variables if isinstance(variables, Variables) else Variables(variables)
        self._operation = operation
        self._product = product
        self._subscription = subscription
        self._user = user
        self._last_error = last_error
        now = clock() if clock is not None else clr.CLOCK.get()()
        self._timestamp = _to_datetime(timestamp if timestamp is not None else now)
        if isinstance(request_id, str):
            request_id = uuid.UUID(request_id)
        self._request_id = Guid(request_id or uuid.uuid4())

    @classmethod
    def lazy(
        cls,
        parts: ContextParts,
        owner: object,
        api: Api | None,
        deployment: Deployment,
        clock: Callable[[], float] | None,
    ) -> ExpressionContext:
        """``ExpressionContext(parts=parts, owner=owner, api=api, deployment=deployment,
        clock=clock)``, made without the keyword arguments' work (the pipeline makes one per
        request whose policy runs an expression)."""
        self = cls.__new__(cls)
        self.api = api
        self.deployment = deployment
        self.clock = clock
        self.tracing = False
        self.trace = None
        self._parts = parts
        self._owner = owner
        self._request = self._response = self._last_error = self._variables = _UNSET
        self._operation = self._product = self._subscription = self._user = _UNSET
        self._timestamp = self._request_id = _UNSET
        return self

    # The members: plain attributes of an eagerly made context; asked of ``parts`` (and, but
    # for response and last_error, kept) in a lazily made one. Assigning one replaces it.

    @property
    def parts(self) -> ContextParts:
        assert self._parts is not None, "an eagerly made context has every member"
        return self._parts

    @property
    def request(self) -> Request | None:
        value = self._request
        if value is _UNSET:
            parts = self._parts  # (not .parts: a property's frame per member)
            assert parts is not None
            value = self._request = parts.request(self._owner)
        return value

    @request.setter
    def request(self, value: Request | None) -> None:
        self._request = value

    def built_request(self) -> Request | None:
        """``request`` if it was made already (a lazily made context may not have it yet)."""
        value = self._request
        return None if value is _UNSET else value

    @property
    def response(self) -> Response | None:
        value = self._response
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            return parts.response(self._owner)
        return value

    @response.setter
    def response(self, value: Response | None) -> None:
        self._response = value

    @property
    def last_error(self) -> LastError | None:
        value = self._last_error
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            return parts.last_error(self._owner)
        return value

    @last_error.setter
    def last_error(self, value: LastError | None) -> None:
        self._last_error = value

    @property
    def variables(self) -> Variables:
        value = self._variables
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._variables = parts.variables(self._owner)
        return value

    @variables.setter
    def variables(self, value: Variables) -> None:
        self._variables = value

    @property
    def operation(self) -> Operation | None:
        value = self._operation
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._operation = parts.operation(self._owner)
        return value

    @operation.setter
    def operation(self, value: Operation | None) -> None:
        self._operation = value

    @property
    def product(self) -> Product | None:
        value = self._product
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._product = parts.product(self._owner)
        return value

    @product.setter
    def product(self, value: Product | None) -> None:
        self._product = value

    @property
    def subscription(self) -> Subscription | None:
        value = self._subscription
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._subscription = parts.subscription(self._owner)
        return value

    @subscription.setter
    def subscription(self, value: Subscription | None) -> None:
        self._subscription = value

    @property
    def user(self) -> User | None:
        value = self._user
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._user = parts.user(self._owner)
        return value

    @user.setter
    def user(self, value: User | None) -> None:
        self._user = value

    @property
    def timestamp(self) -> dotnet_time.DateTime:
        value = self._timestamp
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._timestamp = _to_datetime(parts.timestamp(self._owner))
        return value

    @timestamp.setter
    def timestamp(self, value: dotnet_time.DateTime) -> None:
        self._timestamp = value

    @property
    def request_id(self) -> Guid:
        value = self._request_id
        if value is _UNSET:
            parts = self._parts
            assert parts is not None
            value = self._request_id = Guid(parts.request_id(self._owner))
        return value

    @request_id.setter
    def request_id(self, value: Guid) -> None:
        self._request_id = value

    def elapsed(self) -> dotnet_time.TimeSpan:
        now = self.clock() if self.clock is not None else clr.CLOCK.get()()
        ticks = (
            dotnet_time.EPOCH_TICKS
            + round(now * dotnet_time.TICKS_PER_SECOND)
            - self.timestamp.ticks
        )
        return dotnet_time.TimeSpan(max(ticks, 0))


def _trace(c: ExpressionContext, a: Sequence[object], t: Sequence[TypeRef]) -> None:
    arity("IProxyRequestContext", "Trace", a, 1, 2)
    message = to_string(a[-1])
    if c.trace is not None:
        c.trace(message)


CONTEXT = declare(
    "IProxyRequestContext",
    _NS + "IProxyRequestContext",
    (ExpressionContext,),
    aliases=("IContext",),
)
CONTEXT.members.update(
    {
        "Api": lambda c: c.api,
        "Deployment": lambda c: c.deployment,
        "Elapsed": ExpressionContext.elapsed,
        "LastError": lambda c: c.last_error,
        "Operation": lambda c: c.operation,
        "Product": lambda c: c.product,
        "Request": lambda c: c.request,
        "RequestId": lambda c: c.request_id,
        "Response": lambda c: c.response,
        "Subscription": lambda c: c.subscription,
        "Timestamp": lambda c: c.timestamp,
        "Tracing": lambda c: c.tracing,
        "User": lambda c: c.user,
        "Variables": lambda c: c.variables,
        "Workspace": lambda c: NO_WORKSPACE,
    }
)
CONTEXT.methods["Trace"] = _trace

# The members' C# types, as Microsoft's page lists them
# (https://learn.microsoft.com/azure/api-management/api-management-policy-expressions#ContextVariables):
# what the type checker reads when policies load, and what the reference lists.
CONTEXT.sign(
    "IApi Api { get; }",
    "IDeployment Deployment { get; }",
    "TimeSpan Elapsed { get; }",
    "ILastError LastError { get; }",
    "IOperation Operation { get; }",
    "IProduct Product { get; }",
    "IRequest Request { get; }",
    "Guid RequestId { get; }",
    "IResponse Response { get; }",
    "ISubscription Subscription { get; }",
    "DateTime Timestamp { get; }",
    "bool Tracing { get; }",
    "IUser User { get; }",
    "Variables Variables { get; }",
    "IWorkspace Workspace { get; }",
    "void Trace(string message)",
    "void Trace(string source, string message)",
)
REQUEST.sign(
    "IMessageBody Body { get; }",
    "X509Certificate2 Certificate { get; }",
    "IHeaderDictionary Headers { get; }",
    "string IpAddress { get; }",
    "IReadOnlyDictionary<string,string> MatchedParameters { get; }",
    "string Method { get; }",
    "IUrl OriginalUrl { get; }",
    "IUrl Url { get; }",
    "object PrivateEndpointConnection { get; }",
)
RESPONSE.sign(
    "IMessageBody Body { get; }",
    "IHeaderDictionary Headers { get; }",
    "int StatusCode { get; }",
    "string StatusReason { get; }",
)
BODY.sign(
    "T As<T>(bool preserveContent = false)",
    "IHeaderDictionary AsFormUrlEncodedContent(bool preserveContent = false)",
)
URL.sign(
    "string Host { get; }",
    "string Path { get; }",
    "int Port { get; }",
    "IHeaderDictionary Query { get; }",
    "string QueryString { get; }",
    "string Scheme { get; }",
    "string ToString()",
)
SVD.sign(
    "int Count { get; }",
    "IEnumerable<string> Keys { get; }",
    "IEnumerable<string[]> Values { get; }",
    "string[] this[string key] { get; }",
    "bool ContainsKey(string key)",
    "bool TryGetValue(string key, out string[] value)",
    "string GetValueOrDefault(string key)",
    "string GetValueOrDefault(string key, string defaultValue)",
)
SD.sign(
    "int Count { get; }",
    "IEnumerable<string> Keys { get; }",
    "IEnumerable<string> Values { get; }",
    "string this[string key] { get; }",
    "bool ContainsKey(string key)",
    "bool TryGetValue(string key, out string value)",
    "string GetValueOrDefault(string key)",
    "string GetValueOrDefault(string key, string defaultValue)",
)
VARIABLES.sign(
    "int Count { get; }",
    "IEnumerable<string> Keys { get; }",
    "IEnumerable<object> Values { get; }",
    "object this[string key] { get; }",
    "bool ContainsKey(string key)",
    "bool TryGetValue(string key, out object value)",
    "T GetValueOrDefault<T>(string variableName)",
    "T GetValueOrDefault<T>(string variableName, T defaultValue)",
)
SKPN.sign("string Header { get; }", "string Query { get; }")
API.sign(
    "string Id { get; }",
    "bool IsCurrentRevision { get; }",
    "string Name { get; }",
    "string Path { get; }",
    "IEnumerable<string> Protocols { get; }",
    "string Revision { get; }",
    "IUrl ServiceUrl { get; }",
    "ISubscriptionKeyParameterNames SubscriptionKeyParameterNames { get; }",
    "string Version { get; }",
)
OPERATION.sign(
    "string Id { get; }",
    "string Method { get; }",
    "string Name { get; }",
    "string UrlTemplate { get; }",
)
GROUP.sign("string Id { get; }", "string Name { get; }")
IDENTITY.sign("string Id { get; }", "string Provider { get; }")
USER.sign(
    "string Email { get; }",
    "string FirstName { get; }",
    "IEnumerable<IGroup> Groups { get; }",
    "string Id { get; }",
    "IEnumerable<IUserIdentity> Identities { get; }",
    "string LastName { get; }",
    "string Note { get; }",
    "DateTime RegistrationDate { get; }",
)
PRODUCT.sign(
    "IEnumerable<IApi> Apis { get; }",
    "bool ApprovalRequired { get; }",
    "IEnumerable<IGroup> Groups { get; }",
    "string Id { get; }",
    "string Name { get; }",
    "ProductState State { get; }",
    "int? SubscriptionLimit { get; }",
    "bool SubscriptionRequired { get; }",
)
SUBSCRIPTION.sign(
    "DateTime CreatedDate { get; }",
    "DateTime? EndDate { get; }",
    "string Id { get; }",
    "string Key { get; }",
    "string Name { get; }",
    "string PrimaryKey { get; }",
    "string SecondaryKey { get; }",
    "DateTime? StartDate { get; }",
)
DEPLOYMENT.sign(
    # IReadOnlyDictionary<string, X509Certificate2> on Microsoft's page; a Dictionary here
    "IDictionary<string, X509Certificate2> Certificates { get; }",
    "IGateway Gateway { get; }",
    "string GatewayId { get; }",
    "string Region { get; }",
    "string ServiceId { get; }",
    "string ServiceName { get; }",
)
GATEWAY.sign("string Id { get; }", "string InstanceId { get; }", "bool IsManaged { get; }")
WORKSPACE.sign("string Id { get; }", "string Name { get; }")
LAST_ERROR.sign(
    "string Message { get; }",
    "string Path { get; }",
    "string PolicyId { get; }",
    "string Reason { get; }",
    "string Scope { get; }",
    "string Section { get; }",
    "string Source { get; }",
    "string Location { get; }",
    "string ExpressionLocation { get; }",
)

strings.STRING.check = lambda v: type(v) is str
_ = time  # the default clock lives in clr.CLOCK (time.time)
