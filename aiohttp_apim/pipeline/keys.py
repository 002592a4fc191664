"""Response-cache keys: pure functions over plain data, unit-tested without a server.

A key names everything a cached response may depend on: the policy generation (a policy change
rotates every key, as APIM does), product, API and revision, operation, the request's host name
(unless the gateway leaves it out), the request URL without its query, the developer and their
groups when the policy varies by them, and each vary-by header and query parameter. An absent
header or parameter is distinct from one present with an empty value. Unlisted query parameters
are ignored, as in APIM (https://learn.microsoft.com/azure/api-management/cache-lookup-policy).

The key is readable (it shows up in logs) and injective: values are escaped so that no value can
imitate a separator, whatever bytes a client sends. Each value of a repeated header or query
parameter is escaped on its own, so ``?a=1&a=2`` and ``?a=1,2`` -- which a handler reads
differently -- never share an entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "KEY_MEMO_ENTRIES",
    "KEY_MEMO_MAX_CHARS",
    "RATE_LIMIT_NAMESPACE",
    "RESPONSE_NAMESPACE",
    "VALUE_NAMESPACE",
    "KeyShape",
    "ValuesLookup",
    "escape",
    "host_name",
    "key_of",
    "plain_key",
    "rate_limit_key",
    "remember_key",
    "response_cache_key",
    "value_cache_key",
]

RESPONSE_NAMESPACE = "resp|"
"""Where response entries live: every response-cache key starts with it."""
VALUE_NAMESPACE = "val:"
"""Where cache-*-value keys live (APIM's ``2_<key>``): apart from response entries (``resp|``)
and rate-limit counters (``rl:``), so no policy key can name one of those."""
RATE_LIMIT_NAMESPACE = "rl:"


def value_cache_key(key: str) -> str:
    """The cache key of a cache-*-value ``key``: the policy's key as it is, in its namespace.

    Neither the policy generation nor the scope is part of it: a value is shared by every
    policy, policy version, gateway and process that uses the same key on the same cache, as
    APIM's values are (the key is the author's to scope)."""
    return VALUE_NAMESPACE + key


def rate_limit_key(counter_key: str) -> str:
    """The counter of a rate-limit-by-key ``counter-key``: one counter per key value for every
    scope and policy using it (as APIM documents), shared by all gateways on the cache."""
    return RATE_LIMIT_NAMESPACE + counter_key


class ValuesLookup(Protocol):
    """Where the key reads header or query values: ``get(name)`` is every value of ``name`` in
    arrival order, or None when absent. A ``Mapping[str, Sequence[str]]`` is one; the pipeline
    passes its live header store and query view, so nothing is copied for the key."""

    def get(self, name: str, /) -> Sequence[str] | None: ...


# "|" separates components, "=" introduces a value, "!" marks an absent one and "," separates
# the values of a repeated header or parameter; "%" escapes.
_ESCAPES = str.maketrans({"%": "%25", "|": "%7C", "=": "%3D", "!": "%21", ",": "%2C", "\n": "%0A"})


def escape(text: str) -> str:
    """``text`` with the key's separators escaped (identity, without copying, for plain text)."""
    # str.translate with a str -> str table looks every character up in a dict (4k
    # instructions for "/item", 13k for a 28-character path); six scans for the separators
    # cost a fraction of that, and nearly every path and value has none of them.
    if "%" in text or "|" in text or "=" in text or "!" in text or "," in text or "\n" in text:
        return text.translate(_ESCAPES)
    return text


@dataclass(frozen=True, slots=True)
class KeyShape:
    """The parts of a response-cache key fixed at setup for one cache-lookup in one scope.

    ``prefix`` holds the namespace, policy generation, product, API and operation, already
    escaped; ``headers`` the lower-cased vary-by header names (de-duplicated, declaration order);
    ``query`` the vary-by query parameter names (as declared, order kept); ``host`` whether the
    request's host name is part of the key.
    """

    prefix: str
    headers: tuple[str, ...]
    query: tuple[str, ...]
    host: bool = False
    # Precomputed per name: (name, the component's text before an escaped value, the
    # component of an absent one), so that a request only escapes its own values.
    header_parts: tuple[tuple[str, str, str], ...] = field(init=False, repr=False, compare=False)
    query_parts: tuple[tuple[str, str, str], ...] = field(init=False, repr=False, compare=False)
    memo: dict[str, str] = field(init=False, repr=False, compare=False)
    """The keys of the requests seen lately, by what of the request they depend on (see
    :func:`remember_key`): a rebuilt shape (a purge) starts with an empty one."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "header_parts", _parts("h:", self.headers))
        object.__setattr__(self, "query_parts", _parts("q:", self.query))
        object.__setattr__(self, "memo", {})

    @classmethod
    def build(
        cls,
        *,
        generation: str,
        product: str | None,
        api: str | None,
        revision: str,
        operation: str | None,
        vary_by_headers: Iterable[str],
        vary_by_query_parameters: Iterable[str],
        vary_by_host: bool = False,
    ) -> KeyShape:
        headers: list[str] = []
        for name in vary_by_headers:
            lowered = name.strip().lower()
            if lowered and lowered not in headers:
                headers.append(lowered)
        query: list[str] = []
        for name in vary_by_query_parameters:
            if name and name not in query:
                query.append(name)
        prefix = "|".join(
            [
                RESPONSE_NAMESPACE.rstrip("|"),
                escape(generation),
                "p=" + ("!" if product is None else escape(product)),
                "a=" + ("!" if api is None else escape(api)) + ";rev=" + escape(revision),
                "o=" + ("!" if operation is None else escape(operation)),
            ]
        )
        return cls(prefix, tuple(headers), tuple(query), vary_by_host)

    @property
    def varied_headers(self) -> frozenset[str]:
        """The request headers (lower-cased) whose values are part of the key: what a response's
        ``Vary`` may name and still be stored."""
        return frozenset(self.headers + (("host",) if self.host else ()))


KEY_MEMO_ENTRIES = 512
"""How many keys one shape remembers (then it forgets them all and starts again)."""
KEY_MEMO_MAX_CHARS = 256
"""Requests whose request target (or host) is longer than this are not remembered: with
:data:`KEY_MEMO_ENTRIES`, a shape's memo stays within a few hundred KiB whatever clients send."""


def remember_key(memo: dict[str, str], request: str, key: str) -> None:
    """Remember ``key`` in a shape's ``memo`` as the key of ``request`` -- the raw request target
    (with the host, as a pair, for a shape varying by host; with the vary-by header values for
    one varying by headers), which the key is a pure function of for a shape that does not vary
    by the caller. Building a key parses the query string and escapes every value: about 14k
    instructions a request that a repeated request does not have to spend."""
    if len(memo) >= KEY_MEMO_ENTRIES:
        # Forgotten all at once: popping the oldest one at a time would leave the dict's
        # deleted slots at its front for every later oldest-first scan to step over.
        memo.clear()
    memo[request] = key


def host_name(host: str) -> str:
    """``host`` (a Host header, or what ``request.host`` reports) as the key holds it: lower-cased,
    without a port. An IPv6 literal keeps its brackets (``[::1]:8080`` -> ``[::1]``)."""
    name = host.lower()
    if name.startswith("["):
        end = name.find("]")
        if end != -1:
            name = name[: end + 1]
    else:
        before, colon, port = name.rpartition(":")
        if colon and ":" not in before and (not port or port.isdigit()):
            name = before
    return name


# The key component of the hosts seen lately: a hit does not redo the string work. Cleared when
# full, so a client sending a new Host on every request cannot grow it.
_HOST_PARTS: dict[str, str] = {}
_HOST_PARTS_MAX = 1024


def _host_part(host: str) -> str:
    part = _HOST_PARTS.get(host)
    if part is None:
        if len(_HOST_PARTS) >= _HOST_PARTS_MAX:
            _HOST_PARTS.clear()
        part = _HOST_PARTS[host] = "H=" + escape(host_name(host))
    return part


def _parts(tag: str, names: tuple[str, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple((name, tag + escape(name) + "=", tag + escape(name) + "!") for name in names)


def response_cache_key(
    shape: KeyShape,
    *,
    url: str,
    headers: ValuesLookup,
    query: ValuesLookup,
    host: str = "",
    vary_by_developer: bool = False,
    developer: str | None = None,
    vary_by_groups: bool = False,
    groups: Iterable[str] = (),
) -> str:
    """The key of one request.

    ``url`` names the resource as the backend sees it: APIM's ``scheme://host:port/path``
    of the backend URL; the gateway passes the path alone, its backend being the app itself.
    ``host`` is the request's host as ``request.host`` reports it, part of the key when the
    shape says so, as :func:`host_name` makes it (lower-cased, without a port). ``developer`` is the caller's user id (``None`` for an anonymous caller) and counts only
    when ``vary_by_developer``; ``groups`` are the caller's group ids and count only when
    ``vary_by_groups``. ``headers`` looks values up by lower-cased name (it may be
    case-insensitive itself); ``query`` by name. The values of a repeated header or parameter are
    each escaped and joined with ``,`` in arrival order.
    """
    return key_of(
        shape, url, headers, query, host, vary_by_developer, developer, vary_by_groups, groups
    )


def key_of(
    shape: KeyShape,
    url: str,
    headers: ValuesLookup,
    query: ValuesLookup,
    host: str,
    vary_by_developer: bool,
    developer: str | None,
    vary_by_groups: bool,
    groups: Iterable[str],
) -> str:
    """:func:`response_cache_key` with positional arguments (the hit path's: a call by
    keywords costs the interpreter matching each name)."""
    parts = [shape.prefix]
    if shape.host:
        parts.append(_host_part(host))
    parts.append("u=" + escape(url))
    if vary_by_developer:
        parts.append("d!" if developer is None else "d=" + escape(developer))
    if vary_by_groups:
        # "g" then "=<id>" per group: no groups ("g") and one empty id ("g=") stay distinct.
        parts.append("g" + "".join("=" + escape(g) for g in sorted(groups)))
    for name, present, absent in shape.header_parts:
        values = headers.get(name)
        if values is None:
            parts.append(absent)
        elif len(values) == 1:
            parts.append(present + escape(values[0]))
        else:
            parts.append(present + ",".join([escape(value) for value in values]))
    for name, present, absent in shape.query_parts:
        values = query.get(name)
        if values is None:
            parts.append(absent)
        elif len(values) == 1:
            parts.append(present + escape(values[0]))
        else:
            parts.append(present + ",".join([escape(value) for value in values]))
    return "|".join(parts)


def plain_key(shape: KeyShape, target: str, host: str) -> str | None:
    """:func:`key_of` for a shape that varies by neither headers nor the caller, read straight
    from the request ``target`` as the client sent it (origin form: the path, then ``?`` and the
    query string) and ``host``; None when the target is not that plain (not in origin form, or
    holding a percent-escape to decode or a fragment): :func:`key_of` then makes it. The same
    key in one call instead of several layers, as a miss makes a new key every time (a test
    holds the two to the same keys).

    aiohttp makes ``request.rel_url`` of an origin-form target by splitting it at the first
    ``?`` without decoding; the query values are yarl's for a string without escapes: ``+`` is
    a space, fields split on ``&``, a field without ``=`` an empty
    value."""
    if shape.header_parts or target[:1] != "/" or "%" in target or "#" in target:
        return None
    path, _, query = target.partition("?")
    parts = (
        [shape.prefix, _host_part(host), "u=" + escape(path)]
        if shape.host
        else [
            shape.prefix,
            "u=" + escape(path),
        ]
    )
    query_parts = shape.query_parts
    if query_parts:
        fields = query.replace("+", " ").split("&")
        for name, present, absent in query_parts:
            values: list[str] = []
            for field in fields:  # (an empty field names "", which no shape varies by)
                field_name, _, value = field.partition("=")
                if field_name == name:
                    values.append(escape(value))
            if not values:
                parts.append(absent)
            else:
                parts.append(present + ",".join(values))
    return "|".join(parts)
