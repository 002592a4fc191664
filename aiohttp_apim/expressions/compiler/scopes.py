"""Compile-time name resolution: generated functions, block scopes, locals, and .NET type names."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final, Literal

from aiohttp_apim.dotnet.core import LIBRARY
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = [
    "DELEGATE_TYPES",
    "NUMERIC_TYPES",
    "Func",
    "JumpTarget",
    "Local",
    "Scope",
    "err",
    "is_delegate",
    "non_nullable",
    "resolve",
    "resolve_required",
    "type_hint",
    "unconditional",
]

DELEGATE_TYPES: Final = frozenset(["Func", "Action", "Predicate", "Comparison", "Converter"])
NUMERIC_TYPES: Final = frozenset(
    [
        "sbyte",
        "byte",
        "short",
        "ushort",
        "int",
        "uint",
        "long",
        "ulong",
        "float",
        "double",
        "decimal",
        "char",
    ]
)


@dataclass(slots=True)
class JumpTarget:
    """What a ``break`` or ``continue`` may leave: a loop, or a switch (``wrapped``: compiled
    inside a ``while True:`` that its ``break`` leaves; ``flag``: the variable a ``continue``
    sets to leave it for the loop around it, once one needs it)."""

    kind: Literal["loop", "switch"]
    wrapped: bool = False
    flag: str | None = None


@dataclass(slots=True)
class Local:
    py: str
    func: Func
    convert: str | None  # constant holding a numeric TypeRef applied on assignment
    type: n.TypeSyntax | None = None  # as declared (None: ``var``, or not written)
    function: bool = False  # a local function (called directly)
    # tuple element names known at compile time (a local function: those of its return type)
    element_names: tuple[str | None, ...] | None = None


class Func:
    """One generated Python function: the expression itself or a C# lambda."""

    def __init__(self, parent: Func | None) -> None:
        self.parent = parent
        self.lines: list[tuple[int, str]] = []
        self.indent = 1
        self.nonlocals: set[str] = set()
        self.jumps: list[JumpTarget] = []  # enclosing loops and switches, innermost last
        self.in_finally = False
        self.in_catch = 0
        self.is_lambda = parent is not None  # a nested def (needs ``nonlocal`` to assign outside)
        # A loop body compiled as its own function (fresh locals per iteration, see
        # ``loop_function``): ``return x`` returns ``(x,)``, ``break`` returns BREAK, and
        # ``real`` is the C# function (expression, lambda or local function) it belongs to.
        self.loop_body = False
        self.real = self
        self.returns: n.TypeSyntax | None = None  # a local function's declared return type

    def emit(self, text: str) -> None:
        self.lines.append((self.indent, text))

    def definition(self, name: str, params: list[str]) -> list[tuple[int, str]]:
        """This function as a nested ``def name(params):``, at its parent's indent."""
        assert self.parent is not None
        base = self.parent.indent
        lines = [(base, f"def {name}({', '.join(params)}):")]
        if self.nonlocals:
            lines.append((base + 1, f"nonlocal {', '.join(sorted(self.nonlocals))}"))
        lines.extend((base + indent, text) for indent, text in self.lines)
        return lines


class Scope:
    def __init__(self, parent: Scope | None, func: Func) -> None:
        self.parent = parent
        self.func = func
        self.names: dict[str, Local] = {}
        self.hoist_at = 0

    def lookup(self, name: str) -> Local | None:
        scope: Scope | None = self
        while scope is not None:
            local = scope.names.get(name)
            if local is not None:
                return local
            scope = scope.parent
        return None


def err(message: str, node: n.Node) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(message, node.line, node.column)


def resolve(name: str) -> TypeRef | None:
    try:
        return runtime.resolve_type(name)
    except Exception:  # a runtime bug must not make the name "known"
        return None


def resolve_required(name: str, where: n.Node) -> TypeRef:
    ref = resolve(name)
    if ref is None:
        raise err(f"unknown type '{name}'{type_hint(name)}", where)
    return ref


@cache
def _type_names() -> list[str]:
    keywords = NUMERIC_TYPES | {"string", "bool", "object"}
    return sorted(
        name
        for name in LIBRARY.by_name
        if name.isidentifier() and (name[:1].isupper() or name in keywords)
    )


def type_hint(name: str) -> str:
    """``; did you mean 'X'?`` when a short type name is close to ``name`` (else "")."""
    short = name.split("<", 1)[0]
    if not short.isidentifier():
        return ""
    close = difflib.get_close_matches(short, _type_names(), n=1, cutoff=0.8)
    return f"; did you mean '{close[0]}'?" if close else ""


def unconditional(link: n.Member | n.Index) -> n.Member | n.Index:
    if isinstance(link, n.Member):
        return n.Member(link.line, link.column, link.target, link.name, link.type_args, False)
    return n.Index(link.line, link.column, link.target, link.args, False)


def is_delegate(t: n.TypeSyntax | None) -> bool:
    """A delegate type (``Func<string, int>``, ``Predicate<char>``...)."""
    return t is not None and not t.ranks and t.name.rsplit(".", 1)[-1] in DELEGATE_TYPES


def non_nullable(t: n.TypeSyntax) -> n.TypeSyntax:
    return n.TypeSyntax(t.line, t.column, t.name, t.args, False, t.ranks, t.keyword)
