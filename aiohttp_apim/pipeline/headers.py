"""Header collections of the pipeline, and the rules of ``set-header``
(https://learn.microsoft.com/azure/api-management/set-header-policy).

A :class:`HeaderStore` wraps the multidict a request or response already has, so a request that
no policy touches is never copied: reads go straight to aiohttp's ``CIMultiDictProxy``, the first
write copies it. Once an expression needs ``context.Request.Headers`` (or ``Response.Headers``),
the store hands its contents over to the expression engine's ``StringValuesDictionary`` and
works through it from then on, so policies and expressions always see one and the same headers;
that dictionary too reads the multidict in place until the first write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from multidict import CIMultiDict, CIMultiDictProxy

from aiohttp_apim.errors import PolicyRuntimeError
from aiohttp_apim.expressions.context import StringValuesDictionary
from aiohttp_apim.policy.model import ExistsAction

__all__ = [
    "HOP_BY_HOP",
    "MULTI_LINE_HEADERS",
    "HeaderStore",
    "check_header",
    "set_header",
]

MULTI_LINE_HEADERS = frozenset(
    name.lower()
    for name in (
        "User-Agent",
        "WWW-Authenticate",
        "Proxy-Authenticate",
        "Cookie",
        "Set-Cookie",
        "Warning",
        "Date",
        "Expires",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "Last-Modified",
        "Retry-After",
    )
)
"""Headers whose several values go out as repeated lines (their values may hold commas: dates,
cookies, agents, challenges); others are comma-joined."""

_UNMODIFIABLE = frozenset({"connection", "content-length", "keep-alive", "transfer-encoding"})
_UNREMOVABLE = frozenset({"server"})

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    }
)
"""Headers that describe one connection, not the resource: never stored in a cache entry."""

# RFC 9110 token characters: what a header name may be made of.
_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

Headers = CIMultiDict[str] | CIMultiDictProxy[str]


class HeaderStore:
    """The live headers of a request or a response (case-insensitive, several values a name).

    ``source`` is a multidict; ``owned`` says whether the store may change it in place (a
    response's own headers) or must copy it first (a request's read-only headers).
    ``changed`` tells whether anything was written since the store was made.
    """

    __slots__ = ("_md", "_owned", "_svd", "changed")

    def __init__(self, source: Headers, *, owned: bool) -> None:
        self._md: Headers = source
        self._owned = owned
        self._svd: StringValuesDictionary | None = None
        self.changed = False

    # --- reading (also the ``ValuesLookup`` of pipeline.keys) --------------------------------

    def get(self, name: str, /) -> list[str] | None:
        """Every value of ``name`` in order, or None when absent."""
        svd = self._svd
        if svd is not None:
            return svd.get(name)
        return self._md.getall(name, None)

    def __contains__(self, name: str) -> bool:
        svd = self._svd
        return name in svd if svd is not None else name in self._md

    def joined(self, name: str) -> str | None:
        """The values of ``name`` joined with "," (as ``GetValueOrDefault`` joins them)."""
        values = self.get(name)
        return None if values is None else ",".join(values)

    def items(self) -> list[tuple[str, str]]:
        """Every header line, in order."""
        md = self.multidict
        if md is not None:
            return list(md.items())
        svd = self._svd
        assert svd is not None
        return [(name, value) for name, values in svd.items() for value in values]

    @property
    def multidict(self) -> Headers | None:
        """The multidict that still holds the headers (None once the expression engine's
        dictionary holds them: after a write made while an expression had them)."""
        svd = self._svd
        return self._md if svd is None else svd.live

    # --- writing ------------------------------------------------------------------------------

    def _writable(self) -> CIMultiDict[str]:
        self.changed = True
        md = self._md
        if not self._owned or not isinstance(md, CIMultiDict):
            md = CIMultiDict(md)
            self._md = md
            self._owned = True
        return md

    def set(self, name: str, values: Sequence[str]) -> None:
        """Replace every line of ``name`` with ``values`` (one line each)."""
        svd = self._svd
        if svd is not None:
            self.changed = True
            if values:
                svd.set(name, list(values))
            else:
                svd.remove(name)
            return
        md = self._writable()
        md.popall(name, None)
        for value in values:
            md.add(name, value)

    def add(self, name: str, values: Iterable[str]) -> None:
        """Add lines to ``name``."""
        svd = self._svd
        if svd is not None:
            self.changed = True
            for value in values:
                svd.add(name, value)
            return
        md = self._writable()
        for value in values:
            md.add(name, value)

    def remove(self, name: str) -> bool:
        svd = self._svd
        if svd is not None:
            removed = svd.remove(name)
        else:
            if name not in self._md:
                return False
            removed = self._writable().popall(name, None) is not None
        self.changed = self.changed or removed
        return removed

    # --- the expression engine's view ---------------------------------------------------------

    def dictionary(self) -> StringValuesDictionary:
        """The headers as ``context.*.Headers``; from now on the store works through it."""
        svd = self._svd
        if svd is None:
            # Built lazily from the multidict, which nothing writes to any more.
            svd = self._svd = StringValuesDictionary(self._md)
        return svd


def check_header(name: str, values: Sequence[str]) -> None:
    """Refuse a header that would corrupt the message (CR/LF injection, a name that is not a
    token): the policy fails instead of the connection."""
    if not name or not all(c in _TOKEN for c in name):
        raise PolicyRuntimeError(f"'{name}' is not a valid header name", reason="InvalidHeader")
    for value in values:
        if "\r" in value or "\n" in value or "\0" in value:
            raise PolicyRuntimeError(
                f"the value of header '{name}' contains a line break or NUL", reason="InvalidHeader"
            )


def set_header(store: HeaderStore, name: str, action: ExistsAction, values: Sequence[str]) -> None:
    """Apply one ``set-header`` to ``store``.

    ``override`` replaces, ``skip`` sets only an absent header, ``append`` adds to an existing
    one, ``delete`` removes. Several values -- given together or appended -- share one
    comma-joined line, except for the headers of :data:`MULTI_LINE_HEADERS`, which get a line
    each. ``Server`` cannot be removed; ``Connection``, ``Content-Length``, ``Keep-Alive`` and
    ``Transfer-Encoding`` cannot be changed at all: those statements do nothing, as in APIM.
    """
    lowered = name.lower()
    if lowered in _UNMODIFIABLE:
        return
    if action is ExistsAction.DELETE:
        if lowered not in _UNREMOVABLE:
            store.remove(name)
        return
    check_header(name, values)
    multi_line = lowered in MULTI_LINE_HEADERS
    new = list(values) if values else [""]
    existing = store.get(name)
    if existing is not None:
        if action is ExistsAction.SKIP:
            return
        if action is ExistsAction.APPEND:
            if multi_line:
                store.add(name, new)
            else:
                store.set(name, [",".join([*existing, *new])])
            return
    store.set(name, new if multi_line else [",".join(new)])
