"""Member signatures of .NET types, as data: what a type checker reads and the reference lists.

A type declares each member's signatures beside the implementation, in C# syntax::

    STRING.sign(
        "int Length { get; }",
        "string Substring(int startIndex)",
        "string Substring(int startIndex, int length)",
        "static string Join(string separator, params object[] values)",
        "static bool IsNullOrEmpty(string value)",
        "char this[int index] { get; }",
        "new(char c, int count)",
        "T Value<T>(object key)",
        "extension Jwt AsJwt()",
    )

`parse` reads one such line into a `Signature`: the member's kind (property, field, method,
constructor, indexer), name, return type, parameters (type, name, default, ``params``,
``out``/``ref``), ``static``, generic parameters and whether a property can be set. Types are
kept as written (``IEnumerable<T>``, ``Func<T, bool>``, ``string[]``, ``int?``): resolving them
is the type checker's job, through the registry's names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Final, Literal

__all__ = ["MemberKind", "Param", "Signature", "SignatureError", "parse", "split_top_level"]

MemberKind = Literal["property", "field", "method", "constructor", "indexer"]

CONSTRUCTOR: Final = ".ctor"
"""The member name constructors are filed under."""
INDEXER: Final = "this[]"
"""The member name indexers are filed under."""


class SignatureError(ValueError):
    """A signature line that does not parse (a bug in a declaration, found at import)."""


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``type name``, ``type name = default``, ``params type[] name``,
    ``out type name``."""

    type: str
    name: str
    default: str | None = None
    params: bool = False
    modifier: Literal["", "out", "ref", "in"] = ""

    @property
    def optional(self) -> bool:
        return self.default is not None or self.params

    def __str__(self) -> str:
        text = f"{self.type} {self.name}"
        if self.params:
            text = "params " + text
        if self.modifier:
            text = f"{self.modifier} {text}"
        if self.default is not None:
            text += f" = {self.default}"
        return text


@dataclass(frozen=True, slots=True)
class Signature:
    """One member signature (one overload of a method)."""

    kind: MemberKind
    name: str
    returns: str
    """The member's type: a property's or field's type, a method's return type (``void``), the
    declaring type's name for a constructor."""
    params: tuple[Param, ...] = ()
    static: bool = False
    generic: tuple[str, ...] = ()
    """Generic parameters of a method (``Value<T>``): ``("T",)``."""
    settable: bool = False
    """A property or indexer with a setter (``{ get; set; }``); fields are read only."""
    extension: bool = False
    """An extension method (LINQ's on IEnumerable, APIM's ``AsJwt`` on string), written
    ``extension T Name(...)`` in the receiver's form: C# finds it only when the receiver's own
    type has no member of that name that fits."""

    @property
    def min_args(self) -> int:
        return sum(1 for p in self.params if not p.optional)

    @property
    def max_args(self) -> int | None:
        """Most arguments accepted (None: a ``params`` array takes any number)."""
        if self.params and self.params[-1].params:
            return None
        return len(self.params)

    def accepts(self, count: int) -> bool:
        """Whether a call with ``count`` arguments can bind to this signature."""
        most = self.max_args
        return self.min_args <= count and (most is None or count <= most)

    def __str__(self) -> str:
        head = "extension " if self.extension else ("static " if self.static else "")
        generic = f"<{', '.join(self.generic)}>" if self.generic else ""
        params = ", ".join(str(p) for p in self.params)
        accessors = "{ get; set; }" if self.settable else "{ get; }"
        if self.kind == "constructor":
            return f"new({params})"
        if self.kind == "indexer":
            return f"{self.returns} this[{params}] {accessors}"
        if self.kind == "property":
            return f"{head}{self.returns} {self.name} {accessors}"
        if self.kind == "field":
            return f"{head}readonly {self.returns} {self.name}"
        return f"{head}{self.returns} {self.name}{generic}({params})"


_TYPE = r"[A-Za-z_][\w.]*(?:<[^()]*?>)?(?:\[,*\])*\??(?:\[\])*"
_MEMBER = re.compile(
    rf"""^(?P<static>static\s+(?:readonly\s+)?|const\s+)?
         (?:(?P<ctor>new)\s*\((?P<ctor_params>.*)\)
           |(?P<type>{_TYPE})\s+
            (?:this\[(?P<index_params>.*)\]\s*(?P<index_acc>\{{.*\}})
              |(?P<name>[A-Za-z_]\w*)
               (?:<(?P<generic>[^()]*)>)?
               (?:\((?P<params>.*)\)|\s*(?P<accessors>\{{.*\}}))?
            ))\s*$""",
    re.VERBOSE,
)
_PARAM = re.compile(
    rf"^(?P<modifier>(?:out|ref|in|params)\s+)?(?P<type>{_TYPE})\s+(?P<name>[A-Za-z_]\w*)"
    r"(?:\s*=\s*(?P<default>.+))?$"
)


def split_top_level(text: str) -> list[str]:
    """``text`` split at the commas outside ``<>``, ``()`` and ``[]``."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    tail = "".join(current).strip()
    if tail:
        parts.append(tail)
    return parts


_PASSING: dict[str, Literal["out", "ref", "in"]] = {"out": "out", "ref": "ref", "in": "in"}
"""The modifiers that say how an argument is passed (``params`` says how many there are)."""


def _params(text: str, line: str) -> tuple[Param, ...]:
    params: list[Param] = []
    for part in split_top_level(text):
        m = _PARAM.match(part)
        if m is None:
            raise SignatureError(f"cannot read parameter {part!r} of {line!r}")
        modifier = (m.group("modifier") or "").strip()
        params.append(
            Param(
                type=m.group("type"),
                name=m.group("name"),
                default=m.group("default"),
                params=modifier == "params",
                modifier=_PASSING.get(modifier, ""),
            )
        )
    if any(p.params for p in params[:-1]):
        raise SignatureError(f"only the last parameter can be 'params': {line!r}")
    return tuple(params)


def parse(line: str, declaring: str = "") -> Signature:
    """One signature line (see the module docstring); ``declaring`` names the type, for
    constructors."""
    text = line.strip()
    if text.startswith("extension "):
        found = parse(text[len("extension ") :], declaring)
        if found.kind != "method" or found.static:
            raise SignatureError(f"only instance methods can be extensions: {line!r}")
        return replace(found, extension=True)
    m = _MEMBER.match(text)
    if m is None:
        raise SignatureError(f"cannot read signature {line!r}")
    modifier = (m.group("static") or "").strip()
    static = bool(modifier)
    if m.group("ctor"):
        return Signature(
            "constructor", CONSTRUCTOR, declaring, _params(m.group("ctor_params"), line)
        )
    returns = m.group("type")
    if m.group("index_params") is not None:
        return Signature(
            "indexer",
            INDEXER,
            returns,
            _params(m.group("index_params"), line),
            settable="set;" in m.group("index_acc"),
        )
    name = m.group("name")
    generic = tuple(g.strip() for g in (m.group("generic") or "").split(",") if g.strip())
    if m.group("params") is not None:
        return Signature("method", name, returns, _params(m.group("params"), line), static, generic)
    accessors = m.group("accessors")
    if accessors is not None:
        return Signature("property", name, returns, static=static, settable="set;" in accessors)
    return Signature("field", name, returns, static=static)
