"""Syntax tree of the C# subset used by APIM policy expressions.

Every node is a frozen, slotted dataclass carrying the 1-based ``line``/``column`` of the token
that starts it (relative to the expression source: the leading ``@`` is line 1, column 1), so the
compiler can report an unknown name or a missing ``return`` exactly where it is.

Expression nodes and statement nodes form two closed unions, `Expr` and `Stmt` (at the end of
the module): a pass over the tree matches on them and ends with ``typing.assert_never``, so that
mypy names every place a new node must be handled.

The tree is purely syntactic: names are not resolved here (``Regex.Match`` is a ``Call`` of a
``Member`` of a ``Name``); the compiler decides whether ``Regex`` is a local, ``context`` or a type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal as _L
from typing import TypeAlias

__all__ = [
    "Anonymous",
    "Argument",
    "As",
    "Assign",
    "Binary",
    "Block",
    "Break",
    "Call",
    "CaseLabel",
    "Cast",
    "Catch",
    "Checked",
    "CheckedBlock",
    "Coalesce",
    "Conditional",
    "ConstantPattern",
    "Continue",
    "DeclarationPattern",
    "Declarator",
    "Deconstruct",
    "Default",
    "DoWhile",
    "Empty",
    "Expr",
    "ExprStmt",
    "For",
    "Foreach",
    "FromClause",
    "GroupClause",
    "Hole",
    "If",
    "IncDec",
    "Index",
    "InitEntry",
    "Initializer",
    "Interpolated",
    "Is",
    "IsNull",
    "JoinClause",
    "Lambda",
    "LetClause",
    "Literal",
    "LiteralKind",
    "LocalDecl",
    "LocalFunction",
    "Logical",
    "Member",
    "Name",
    "NameOf",
    "New",
    "NewArray",
    "Node",
    "OrderByClause",
    "Ordering",
    "OutVar",
    "Param",
    "Paren",
    "Program",
    "Query",
    "QueryBody",
    "Return",
    "SelectClause",
    "Stmt",
    "Switch",
    "SwitchSection",
    "Throw",
    "ThrowExpr",
    "Try",
    "TupleLiteral",
    "TupleTarget",
    "TypeExpr",
    "TypeOf",
    "TypeSyntax",
    "Unary",
    "VarTarget",
    "WhereClause",
    "While",
]


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int


# --------------------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeSyntax(Node):
    """A type as written: ``string``, ``System.Text.Encoding``, ``List<string>``, ``int?``,
    ``string[]`` (``ranks`` counts the ``[]`` suffixes; multi-dimensional ranks are rejected),
    ``(int a, string b)`` (a tuple type: ``ValueTuple`` of the element types, ``element_names``
    as written, None where an element has none; ``element_names`` is None for other types)."""

    name: str  # dotted name or predefined keyword ("string", "int", ...)
    args: tuple[TypeSyntax, ...] = ()
    nullable: bool = False
    ranks: int = 0
    keyword: bool = False  # a predefined type keyword such as ``int``
    element_names: tuple[str | None, ...] | None = None

    def __str__(self) -> str:
        text = self.name
        if self.element_names is not None:
            text = (
                "("
                + ", ".join(
                    str(a) if name is None else f"{a} {name}"
                    for a, name in zip(self.args, self.element_names, strict=True)
                )
                + ")"
            )
        elif self.args:
            text += "<" + ", ".join(str(a) for a in self.args) + ">"
        if self.nullable:
            text += "?"
        return text + "[]" * self.ranks

    @property
    def element(self) -> TypeSyntax:
        """The element type of an array type (``string[]`` -> ``string``)."""
        return TypeSyntax(
            self.line,
            self.column,
            self.name,
            self.args,
            self.nullable,
            self.ranks - 1,
            self.keyword,
            self.element_names,
        )


# --------------------------------------------------------------------------------- expressions


LiteralKind = _L["null", "bool", "int", "real", "char", "string"]


@dataclass(frozen=True, slots=True)
class Literal(Node):
    kind: LiteralKind
    value: bool | int | float | Decimal | str | None
    suffix: str = ""  # numeric literal suffix, lower-cased ("l", "u", "ul", "f", "d", "m")


@dataclass(frozen=True, slots=True)
class Hole(Node):
    """``{expr,alignment:format}`` inside an interpolated string."""

    expr: Expr
    alignment: Expr | None
    format: str | None


@dataclass(frozen=True, slots=True)
class Interpolated(Node):
    parts: tuple[str | Hole, ...]


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class TypeExpr(Node):
    """A predefined type keyword used as an expression prefix: ``string.IsNullOrEmpty``."""

    type: TypeSyntax


@dataclass(frozen=True, slots=True)
class Paren(Node):
    """Kept so that ``(a?.b).c`` ends the null-conditional chain at the parenthesis, as in C#."""

    inner: Expr


@dataclass(frozen=True, slots=True)
class Member(Node):
    target: Expr
    name: str
    type_args: tuple[TypeSyntax, ...] = ()
    conditional: bool = False  # ``?.``
    at: tuple[int, int] = field(default=(0, 0), compare=False)
    """Line and column of the member's name (where a problem with the member is reported;
    ``line``/``column`` are those of the whole chain); (0, 0) when made by the compiler."""


@dataclass(frozen=True, slots=True)
class OutVar(Node):
    """``out var x`` / ``out string[] x`` / ``out _``: declares a local at the call."""

    type: TypeSyntax | None  # None for ``var``
    name: str


@dataclass(frozen=True, slots=True)
class Argument(Node):
    value: Expr
    name: str | None = None  # named argument ``preserveContent: true``
    modifier: str | None = None  # "out" | "ref" | "in"


@dataclass(frozen=True, slots=True)
class Index(Node):
    target: Expr
    args: tuple[Argument, ...]
    conditional: bool = False  # ``?[``


@dataclass(frozen=True, slots=True)
class Call(Node):
    target: Expr  # a Member (method), or a Name (a local holding a lambda)
    args: tuple[Argument, ...]


@dataclass(frozen=True, slots=True)
class InitEntry(Node):
    """One entry of an object/collection initializer, in source order:
    ``kind == "member"``: ``Name = value``; ``"index"``: ``[args] = value``;
    ``"add"``: a collection element ``value`` or ``{v1, v2}`` (``Add(v1, v2)``)."""

    kind: _L["member", "index", "add"]
    name: str | None
    args: tuple[Argument, ...]
    values: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Initializer(Node):
    entries: tuple[InitEntry, ...]


@dataclass(frozen=True, slots=True)
class Anonymous(Node):
    """``new { typ = "JWT", x.Name }``: an anonymous type's instance (``members``: each
    property's name, written or taken from the projection, and value)."""

    members: tuple[tuple[str, Expr], ...]


@dataclass(frozen=True, slots=True)
class New(Node):
    type: TypeSyntax
    args: tuple[Argument, ...]
    initializer: Initializer | None = None


@dataclass(frozen=True, slots=True)
class NewArray(Node):
    """``new[] {..}``, ``new string[] {..}``, ``new string[n]``."""

    element: TypeSyntax | None
    size: Expr | None
    items: tuple[Expr, ...] | None


@dataclass(frozen=True, slots=True)
class Cast(Node):
    type: TypeSyntax
    operand: Expr


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "-", "+", "!", "~"
    operand: Expr


@dataclass(frozen=True, slots=True)
class IncDec(Node):
    op: str  # "++" | "--"
    prefix: bool
    target: Expr


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # arithmetic, shift, relational, equality, bitwise
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Logical(Node):
    op: str  # "&&" | "||"
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Coalesce(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Is(Node):
    operand: Expr
    type: TypeSyntax
    name: str | None = None  # declaration pattern ``x is JObject o``


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    operand: Expr
    negated: bool  # ``is not null``


@dataclass(frozen=True, slots=True)
class As(Node):
    operand: Expr
    type: TypeSyntax


@dataclass(frozen=True, slots=True)
class Param(Node):
    name: str
    type: TypeSyntax | None = None


@dataclass(frozen=True, slots=True)
class Lambda(Node):
    params: tuple[Param, ...]
    body: Expr | Block


@dataclass(frozen=True, slots=True)
class Default(Node):
    type: TypeSyntax | None  # None: the ``default`` literal


@dataclass(frozen=True, slots=True)
class Assign(Node):
    op: str  # "=", "+=", ..., "??="
    target: Expr
    value: Expr


@dataclass(frozen=True, slots=True)
class ThrowExpr(Node):
    value: Expr


@dataclass(frozen=True, slots=True)
class TypeOf(Node):
    """``typeof(T)``: the ``System.Type`` value of a type."""

    type: TypeSyntax


@dataclass(frozen=True, slots=True)
class NameOf(Node):
    """``nameof(x)``, ``nameof(context.Request)``, ``nameof(string.Length)``: the last name, as
    a constant string (``target`` is a Name or a Member chain of names)."""

    target: Expr


@dataclass(frozen=True, slots=True)
class TupleLiteral(Node):
    """``(1, "a")``, ``(a: 1, b: x)``: a value tuple; ``names`` as written (None where an element
    has none)."""

    items: tuple[Expr, ...]
    names: tuple[str | None, ...]


@dataclass(frozen=True, slots=True)
class VarTarget(Node):
    """A variable a deconstruction declares: ``var a``, ``int a`` (``type`` None for ``var``),
    or ``_`` (discarded)."""

    type: TypeSyntax | None
    name: str


@dataclass(frozen=True, slots=True)
class TupleTarget(Node):
    """The left side of a deconstruction: ``(a, b)``, ``var (a, b)``, ``(int a, (x, _))``;
    each item declares a variable, is a nested target, or is an existing variable, property or
    indexer (an expression)."""

    items: tuple[VarTarget | TupleTarget | Expr, ...]


@dataclass(frozen=True, slots=True)
class Deconstruct(Node):
    """``(a, b) = value`` / ``var (a, b) = value``: the tuple's items (or what ``Deconstruct``
    gives, for a KeyValuePair) into the targets, in order."""

    target: TupleTarget
    value: Expr


@dataclass(frozen=True, slots=True)
class FromClause(Node):
    """``from T x in source``: a range variable over ``source`` (``type``: ``Cast<T>()`` it)."""

    type: TypeSyntax | None
    name: str
    source: Expr


@dataclass(frozen=True, slots=True)
class LetClause(Node):
    """``let x = value``."""

    name: str
    value: Expr


@dataclass(frozen=True, slots=True)
class WhereClause(Node):
    """``where condition``."""

    condition: Expr


@dataclass(frozen=True, slots=True)
class JoinClause(Node):
    """``join T x in source on left equals right`` (``into g``: a group join)."""

    type: TypeSyntax | None
    name: str
    source: Expr
    left: Expr
    right: Expr
    into: str | None


@dataclass(frozen=True, slots=True)
class Ordering(Node):
    key: Expr
    descending: bool


@dataclass(frozen=True, slots=True)
class OrderByClause(Node):
    """``orderby a, b descending``."""

    orderings: tuple[Ordering, ...]


@dataclass(frozen=True, slots=True)
class SelectClause(Node):
    value: Expr


@dataclass(frozen=True, slots=True)
class GroupClause(Node):
    """``group element by key``."""

    element: Expr
    key: Expr


@dataclass(frozen=True, slots=True)
class QueryBody(Node):
    """The clauses after the first ``from``, the ``select``/``group`` that ends them, and a
    continuation (``into name`` and the query body that uses it)."""

    clauses: tuple[FromClause | LetClause | WhereClause | JoinClause | OrderByClause, ...]
    final: SelectClause | GroupClause
    into: str | None = None
    continuation: QueryBody | None = None


@dataclass(frozen=True, slots=True)
class Query(Node):
    """A LINQ query expression: ``from x in xs where ... select ...``."""

    first: FromClause
    body: QueryBody


@dataclass(frozen=True, slots=True)
class Checked(Node):
    """``checked(inner)`` / ``unchecked(inner)``: the overflow-checking context of ``inner``."""

    checked: bool
    inner: Expr


# ---------------------------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class Block(Node):
    body: tuple[Stmt, ...]
    end_line: int  # of the closing brace: where "not all code paths return a value" points
    end_column: int


@dataclass(frozen=True, slots=True)
class Declarator(Node):
    name: str
    init: Expr | None


@dataclass(frozen=True, slots=True)
class LocalDecl(Node):
    type: TypeSyntax | None  # None for ``var``
    declarators: tuple[Declarator, ...]


@dataclass(frozen=True, slots=True)
class ExprStmt(Node):
    expr: Expr


@dataclass(frozen=True, slots=True)
class If(Node):
    cond: Expr
    then: Stmt
    otherwise: Stmt | None


@dataclass(frozen=True, slots=True)
class While(Node):
    cond: Expr
    body: Stmt


@dataclass(frozen=True, slots=True)
class DoWhile(Node):
    body: Stmt
    cond: Expr


@dataclass(frozen=True, slots=True)
class For(Node):
    init: tuple[Stmt, ...]  # one LocalDecl, or expression statements
    cond: Expr | None
    update: tuple[Expr, ...]
    body: Stmt


@dataclass(frozen=True, slots=True)
class Foreach(Node):
    type: TypeSyntax | None  # None for ``var``
    name: str  # "" when ``target`` deconstructs each item
    iterable: Expr
    body: Stmt
    target: TupleTarget | None = None  # ``foreach (var (k, v) in ...)``


@dataclass(frozen=True, slots=True)
class Break(Node):
    pass


@dataclass(frozen=True, slots=True)
class Continue(Node):
    pass


@dataclass(frozen=True, slots=True)
class Return(Node):
    value: Expr | None


@dataclass(frozen=True, slots=True)
class Throw(Node):
    value: Expr | None  # None: rethrow inside a catch


@dataclass(frozen=True, slots=True)
class Catch(Node):
    """``catch (T name) when (filter) { body }`` (each part but the body optional)."""

    type: TypeSyntax | None
    name: str | None
    body: Block
    filter: Expr | None = None


@dataclass(frozen=True, slots=True)
class Try(Node):
    body: Block
    catches: tuple[Catch, ...]
    final: Block | None


@dataclass(frozen=True, slots=True)
class Empty(Node):
    pass


@dataclass(frozen=True, slots=True)
class CheckedBlock(Node):
    """``checked { ... }`` / ``unchecked { ... }``."""

    checked: bool
    body: Block


@dataclass(frozen=True, slots=True)
class ConstantPattern(Node):
    """``case 1:``, ``case "a":``, ``case null:``, ``case DayOfWeek.Monday:``."""

    value: Expr


@dataclass(frozen=True, slots=True)
class DeclarationPattern(Node):
    """``case string s:`` (the type test and a variable), ``case int _:`` (a discard), or
    ``case var x:`` (``type`` None: matches anything, null included)."""

    type: TypeSyntax | None
    name: str  # "_" discards the value


@dataclass(frozen=True, slots=True)
class CaseLabel(Node):
    """``case pattern when guard:`` or ``default:`` (``pattern`` None)."""

    pattern: ConstantPattern | DeclarationPattern | None
    guard: Expr | None = None


@dataclass(frozen=True, slots=True)
class SwitchSection(Node):
    """The labels of one switch section and its statements (whose end must not be reachable:
    C# has no implicit fall-through)."""

    labels: tuple[CaseLabel, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Switch(Node):
    """``switch (subject) { sections }`` (the C# 7 statement; switch expressions are C# 8)."""

    subject: Expr
    sections: tuple[SwitchSection, ...]


@dataclass(frozen=True, slots=True)
class LocalFunction(Node):
    """A C# 7 local function: ``int F(int x) { ... }`` or ``string G(string s) => s + "!";``."""

    name: str
    returns: TypeSyntax | None  # None for ``void``
    params: tuple[Param, ...]
    body: Block | Expr


@dataclass(frozen=True, slots=True)
class Program(Node):
    """The whole ``@(expr)`` (``body`` is an Expr) or ``@{ ... }`` (``body`` is a Block)."""

    body: Expr | Block


# ------------------------------------------------------------------------------- closed unions
# Every expression and statement node, by name: code that dispatches on nodes matches on these
# unions, so that mypy (``typing.assert_never``) points at each place a new node must be handled.

Expr: TypeAlias = (
    Literal
    | Interpolated
    | Name
    | TypeExpr
    | Paren
    | Member
    | Index
    | Call
    | OutVar
    | Anonymous
    | New
    | NewArray
    | Cast
    | Unary
    | IncDec
    | Binary
    | Logical
    | Coalesce
    | Conditional
    | Is
    | IsNull
    | As
    | Lambda
    | Default
    | Assign
    | ThrowExpr
    | Checked
    | NameOf
    | TypeOf
    | TupleLiteral
    | Deconstruct
    | Query
)
"""An expression node."""

Stmt: TypeAlias = (
    Block
    | LocalDecl
    | ExprStmt
    | If
    | While
    | DoWhile
    | For
    | Foreach
    | Break
    | Continue
    | Return
    | Throw
    | Try
    | Empty
    | LocalFunction
    | CheckedBlock
    | Switch
)
"""A statement node."""
