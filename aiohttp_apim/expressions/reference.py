"""The reference of what policy expressions can use, generated from the registry.

    python -m aiohttp_apim.expressions.reference > docs/expressions.md

Every type expressions can name or meet (the .NET library and APIM's ``context`` model), with its
members as the library declares them, then the types of Microsoft's allowed-types table
(https://learn.microsoft.com/azure/api-management/api-management-policy-expressions) that are
not supported, each with the reason. A test keeps the committed file equal to this output.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import Final

from aiohttp_apim.dotnet import library
from aiohttp_apim.dotnet.core import LIBRARY, Registry, TypeRef
from aiohttp_apim.dotnet.signatures import CONSTRUCTOR, INDEXER, Signature
from aiohttp_apim.expressions import context, runtime

__all__ = ["NOT_SUPPORTED", "main", "render"]

_XML_NODES = (
    "not implemented: documents with a DTD are refused (as .NET does by default), and nodes "
    "compare by reference and document order through LINQ instead of these comparers"
)

NOT_SUPPORTED: Final[dict[str, str]] = {
    "Newtonsoft.Json.Linq.Extensions": (
        "Value<T>() and Values<T>() are supported as JToken members; the same names as "
        "extension methods of IEnumerable<JToken> are not"
    ),
    "Newtonsoft.Json.Linq.JConstructor": (
        "JavaScript constructor tokens (new Date(...)) are not JSON; the reader never makes them"
    ),
    "Newtonsoft.Json.Linq.JRaw": "raw JSON tokens are only made by code, never by the reader",
    "System.Collections.Generic.IEnumerator<T>": (
        "GetEnumerator() is not exposed: foreach and the LINQ operators enumerate"
    ),
    "System.Nullable": (
        "T? and Nullable<T> are supported (HasValue, Value, GetValueOrDefault); the static "
        "System.Nullable class (Compare, Equals, GetUnderlyingType) is not"
    ),
    "System.Text.RegularExpressions.CaptureCollection": (
        "Group.Captures is supported (Count, an indexer, LINQ); the type itself cannot be named"
    ),
    "System.TimeZone": "not implemented yet (obsolete in .NET: TimeZoneInfo replaces it)",
    "System.TimeZoneInfo.AdjustmentRule": (
        "TimeZoneInfo is supported (conversions, offsets, daylight saving time from the tz "
        "database); its rules are not modelled as objects: GetAdjustmentRules() is empty"
    ),
    "System.TimeZoneInfo.TransitionTime": (
        "TimeZoneInfo is supported; its rules' transition times are not modelled as objects"
    ),
    "System.Xml.Linq.Extensions": (
        "its axis methods (Elements, Descendants, DescendantsAndSelf, Attributes, Ancestors) "
        "are supported as extension methods of IEnumerable; the static class cannot be named"
    ),
    "System.Xml.Linq.XDocumentType": _XML_NODES,
    "System.Xml.Linq.XNodeDocumentOrderComparer": _XML_NODES,
    "System.Xml.Linq.XNodeEqualityComparer": _XML_NODES,
}
"""Types of Microsoft's allowed-types table that expressions cannot use, and why."""

_KINDS: Final[tuple[tuple[str, Callable[[Signature], bool]], ...]] = (
    ("Constructors", lambda s: s.kind == "constructor"),
    ("Static members", lambda s: s.static and s.kind != "constructor"),
    ("Properties and indexers", lambda s: not s.static and s.kind in ("property", "indexer")),
    ("Methods", lambda s: not s.static and s.kind == "method" and not s.extension),
    ("Extension methods", lambda s: s.extension),
)


def _display_name(t: TypeRef) -> str:
    name = t.full_name
    if "`" in name and "[" not in name:
        base, count = name.split("`", 1)
        params = ["T"] if count == "1" else ["TKey", "TValue"] if count == "2" else ["T..."]
        name = f"{base}<{', '.join(params)}>"
    return name


def _own(t: TypeRef) -> list[Signature]:
    return [s for sigs in t.signatures.values() for s in sigs]


def _undeclared(t: TypeRef) -> list[str]:
    """Members the type implements itself with no signature declared (for it or a base)."""
    names = {n for n in (*t.members, *t.methods) if not t.signatures_of(n, static=False)}
    names |= {
        f"static {n}"
        for n in (*t.statics, *t.static_methods)
        if not t.signatures_of(n, static=True) and not n.endswith("_")
    }
    if t.construct is not None and not t.signatures_of(CONSTRUCTOR, static=False):
        names.add("constructor")
    if t.indexer is not None and not t.signatures_of(INDEXER, static=False):
        names.add("indexer")
    return sorted(names)


def _section(t: TypeRef) -> Iterator[str]:
    yield f"### `{_display_name(t)}`"
    yield ""
    facts = []
    aliases = [a for a in (t.name, *t.aliases) if a != t.full_name]
    if aliases:
        facts.append("also written " + ", ".join(f"`{a}`" for a in aliases))
    bases = [b.name for b in t.bases if b.name != "Object"]
    if bases:
        facts.append("derives from " + ", ".join(f"`{b}`" for b in bases))
    if facts:
        text = "; ".join(facts)
        yield text[0].upper() + text[1:] + "."
        yield ""
    signatures = _own(t)
    for title, wanted in _KINDS:
        chosen = {str(s): s.name for s in signatures if wanted(s)}
        if chosen:
            yield f"{title}:"
            yield ""
            for line in sorted(chosen, key=lambda text: (chosen[text], len(text), text)):
                yield f"- `{line}`"
            yield ""
    undeclared = _undeclared(t)
    if undeclared:
        yield "Members without a declared signature: " + ", ".join(f"`{n}`" for n in undeclared)
        yield ""
    if not signatures and not undeclared:
        yield "No members of its own (see its base types)."
        yield ""


def render(registry: Registry = LIBRARY) -> str:
    """The reference, as Markdown: the library's types, then those of APIM's model."""
    declared = {id(t) for layer in library.LAYERS for m in layer for t in getattr(m, "TYPES", ())}
    ordered = sorted(registry.types, key=lambda t: (t.full_name.lower(), t.name))
    dotnet = [t for t in ordered if id(t) in declared]
    apim = [t for t in ordered if id(t) not in declared]
    lines = [
        "# Policy expressions: types and members",
        "",
        "<!-- Generated by `python -m aiohttp_apim.expressions.reference > docs/expressions.md`;"
        " do not edit: a test compares this file with the registry. -->",
        "",
        "What a policy expression can use: the .NET types and members of the library, APIM's",
        "`context` model, and the types of Microsoft's",
        "[allowed-types table](https://learn.microsoft.com/azure/api-management/"
        "api-management-policy-expressions#CLRTypes) that are not supported, with the reason.",
        "Signatures are C#; `extension` marks an extension method, called as an instance method.",
        "",
        f"## The .NET library ({len(dotnet)} types)",
        "",
    ]
    for t in dotnet:
        lines.extend(_section(t))
    lines += [
        f"## APIM's context model ({len(apim)} types)",
        "",
        "Declared by the `context` model (``aiohttp_apim/expressions/context.py``); their member",
        "signatures are not declared yet, so only the names are listed.",
        "",
    ]
    for t in apim:
        lines.extend(_section(t))
    lines += [
        "## Types of the allowed-types table that are not supported",
        "",
        "| Type | Why |",
        "| --- | --- |",
        *(f"| `{name}` | {why} |" for name, why in sorted(NOT_SUPPORTED.items())),
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    _ = runtime, context  # the registry as expressions see it: library and APIM model loaded
    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
