"""Recursive-descent parser for APIM policy expressions (a C# 7 subset).

``parse(source)`` returns a ``nodes.Program`` for ``@(expression)`` or ``@{ statements }``.
Errors are ``ExpressionSyntaxError`` at the offending token, worded "expected X, got Y".

Binary operators use one precedence table (``_BINARY``, C#'s levels from ``||`` up to ``*``)
walked by precedence climbing instead of one method per level: that keeps the Python stack at
about seven frames per nesting level, so the nesting limit can be generous without risking
RecursionError.
The C#-specific ambiguities are resolved as the C# specification does:

* ``(T)x`` is a cast when ``T`` can only be a type (``int``, ``string[]``, ``List<string>``,
  ``int?``) or when the token after ``)`` is an identifier, a literal, ``(``, ``!``, ``~`` or a
  keyword other than ``is``/``as``; otherwise it is a parenthesised expression (``(a) - b``).
* ``M<T>(...)`` is a generic invocation when ``<...>`` parses as type arguments and is followed
  by one of ``( ) ] } : ; , . ? == != | ^ && || & [`` (C# spec §12.8.2 / 6.2.5).
* ``>`` ``>`` written without a gap is the shift operator (the lexer never makes ``>>``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError, HoleTokens, Token, tokenize

__all__ = ["MAX_DEPTH", "MAX_NESTING", "PREDEFINED_TYPES", "parse", "parse_tokens"]

MAX_NESTING: Final = 100
"""Parenthesis/unary/statement nesting allowed while parsing (bounds parser recursion)."""

MAX_DEPTH: Final = 256
"""Height of the finished syntax tree allowed (bounds compiler recursion: ``a+a+...+a`` chains)."""

PREDEFINED_TYPES: Final = frozenset(
    [
        "bool",
        "byte",
        "char",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "object",
        "sbyte",
        "short",
        "string",
        "uint",
        "ulong",
        "ushort",
    ]
)

# C# binary operator levels, lowest first. Relational also holds ``is``/``as`` (handled apart).
_BINARY: Final[dict[str, int]] = {
    "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
    "<": 7, ">": 7, "<=": 7, ">=": 7, "is": 7, "as": 7,
    "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}  # fmt: skip

_ASSIGN_OPS: Final = frozenset(
    ["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "??="]
)

# Tokens after which ``<...>`` is taken as a type-argument list (C# spec "grammar ambiguities").
_AFTER_TYPE_ARGS: Final = frozenset(
    [
        "(",
        ")",
        "]",
        "}",
        ":",
        ";",
        ",",
        ".",
        "?",
        "==",
        "!=",
        "|",
        "^",
        "&&",
        "||",
        "&",
        "[",
        "?.",
        "?[",
    ]
)

_UNSUPPORTED_KEYWORDS: Final = frozenset(
    [
        "sizeof",
        "this",
        "base",
        "stackalloc",
        "delegate",
        "operator",
        "goto",
        "lock",
        "unsafe",
        "fixed",
        "yield",
    ]
)

_LITERAL_KINDS: Final = frozenset(["int", "real", "char", "string", "interp"])

_QUERY_WORDS: Final = frozenset(
    [
        "from",
        "let",
        "where",
        "join",
        "on",
        "equals",
        "into",
        "orderby",
        "ascending",
        "descending",
        "select",
        "group",
        "by",
    ]
)


class _NotAType(Exception):
    """Internal: a speculative type parse failed (the caller backtracks)."""


class _Parser:
    def __init__(self, tokens: tuple[Token, ...]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0
        self.in_query = 0  # query expressions around the cursor (their clause words end casts)
        self.not_types: set[int] = set()  # token positions where no type starts
        self.not_targets: set[int] = set()  # ... and no deconstruction target

    # ------------------------------------------------------------------------- token stream

    @property
    def cur(self) -> Token:
        return self.toks[self.i]

    def peek(self, ahead: int = 1) -> Token:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def advance(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def is_op(self, value: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead) if ahead else self.cur
        return tok.kind == "op" and tok.value == value

    def is_kw(self, value: str, ahead: int = 0) -> bool:
        tok = self.peek(ahead) if ahead else self.cur
        return tok.kind == "keyword" and tok.value == value

    def is_name(self, ahead: int = 0, value: str | None = None) -> bool:
        tok = self.peek(ahead) if ahead else self.cur
        return tok.kind == "name" and (value is None or tok.value == value)

    def error(self, message: str, tok: Token | None = None) -> ExpressionSyntaxError:
        tok = tok or self.cur
        return ExpressionSyntaxError(message, tok.line, tok.column)

    def expect(self, value: str, opener: Token | None = None, what: str | None = None) -> Token:
        if self.is_op(value):
            return self.advance()
        wanted = what or f"'{value}'"
        if opener is not None:
            wanted += f" to close '{opener.text}' opened at {opener.line}:{opener.column}"
        raise self.error(f"expected {wanted}, got {self.cur.describe()}")

    def expect_name(self, what: str = "identifier") -> Token:
        if self.cur.kind == "name":
            return self.advance()
        if self.cur.kind == "keyword":
            raise self.error(
                f"expected {what}, got keyword '{self.cur.value}' "
                f"(write @{self.cur.value} to use it as a name)"
            )
        raise self.error(f"expected {what}, got {self.cur.describe()}")

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"expression is nested too deeply (more than {MAX_NESTING} levels)")

    def leave(self) -> None:
        self.depth -= 1

    def gt_gt(self) -> bool:
        """Two adjacent ``>`` tokens: the shift operator."""
        nxt = self.peek()
        return (
            self.is_op(">")
            and nxt.kind == "op"
            and nxt.value in (">", ">=")
            and nxt.offset == self.cur.end
        )

    # ------------------------------------------------------------------------------ program

    def program(self) -> n.Program:
        at = self.cur
        if not self.is_op("@"):
            raise self.error(f"a policy expression starts with '@(' or '@{{', got {at.describe()}")
        self.advance()
        body: n.Expr | n.Block
        if self.is_op("("):
            opener = self.advance()
            body = self.expression()
            self.expect(")", opener)
        elif self.is_op("{"):
            body = self.block()
        else:
            raise self.error(f"expected '(' or '{{' after '@', got {self.cur.describe()}")
        if self.cur.kind != "eof":
            raise self.error(f"unexpected {self.cur.describe()} after the end of the expression")
        return n.Program(at.line, at.column, body)

    # -------------------------------------------------------------------------------- types

    def try_type(self) -> n.TypeSyntax | None:
        """Parse a type here if there is one; otherwise leave the position unchanged."""
        save = self.i
        if save in self.not_types:
            return None
        try:
            return self.type_syntax()
        except _NotAType:
            # no type starts here, whoever asks again (nested parentheses ask at every level)
            self.not_types.add(save)
            self.i = save
            return None

    def type_syntax(self, *, allow_ranks: bool = True) -> n.TypeSyntax:
        tok = self.cur
        args: tuple[n.TypeSyntax, ...] = ()
        element_names: tuple[str | None, ...] | None = None
        if tok.kind == "op" and tok.value == "(":
            if not self.tuple_ahead()[0]:
                raise _NotAType  # no comma inside: not a tuple type (``(x)``, ``(a + b)``)
            name, keyword = "ValueTuple", False
            args, element_names = self.tuple_type()
        elif tok.kind == "keyword" and tok.value in PREDEFINED_TYPES:
            self.advance()
            name = str(tok.value)
            keyword = True
        elif tok.kind == "name":
            self.advance()
            parts = [str(tok.value)]
            keyword = False
            if self.is_op("<"):
                args = self.type_args()
            while self.is_op(".") and self.peek().kind == "name":
                if args:
                    raise _NotAType  # members of generic types: not supported
                self.advance()
                parts.append(str(self.advance().value))
                if self.is_op("<"):
                    args = self.type_args()
            name = ".".join(parts)
            if self.is_op("::"):
                raise self.error("'::' alias qualifiers are not supported")
        else:
            raise _NotAType
        nullable = False
        if self.is_op("?") and self.nullable_follows():
            self.advance()
            nullable = True
        ranks = 0
        while allow_ranks and self.is_op("[") and (self.is_op("]", 1) or self.is_op(",", 1)):
            if self.is_op(",", 1):
                raise self.error("multi-dimensional arrays are not supported", self.peek())
            self.advance()
            self.advance()
            ranks += 1
        return n.TypeSyntax(
            tok.line, tok.column, name, args, nullable, ranks, keyword, element_names
        )

    def tuple_type(self) -> tuple[tuple[n.TypeSyntax, ...], tuple[str | None, ...]]:
        """``(int a, string b)``: the element types and names (the cursor is on ``(``); raises
        _NotAType when it isn't one (``(a + b)``, or a single element)."""
        self.advance()
        self.enter()
        try:
            args: list[n.TypeSyntax] = []
            names: list[str | None] = []
            while True:
                element = self.try_type()
                if element is None:
                    raise _NotAType
                args.append(element)
                names.append(str(self.advance().value) if self.cur.kind == "name" else None)
                if not self.is_op(","):
                    break
                self.advance()
            if len(args) < 2 or not self.is_op(")"):
                raise _NotAType
            self.advance()
            return tuple(args), tuple(names)
        finally:
            self.leave()

    def nullable_follows(self) -> bool:
        """Is the ``?`` at the cursor a nullable-type marker rather than a ``?:`` operator?"""
        after = self.peek()
        if after.kind == "eof":
            return True
        if after.kind == "op":
            return after.value in (")", ",", ">", "]", ";", "=", "[")
        if after.kind == "name" or self.is_kw("in", 2):
            nxt = self.peek(2)
            return (nxt.kind == "op" and nxt.value in ("=", ";", ",", ")")) or (
                nxt.kind == "keyword" and nxt.value == "in"
            )
        return False

    def type_args(self) -> tuple[n.TypeSyntax, ...]:
        """``<T, U>`` (the cursor is on ``<``); raises _NotAType when it isn't one."""
        self.advance()
        self.enter()
        try:
            args = [self.type_syntax()]
            while self.is_op(","):
                self.advance()
                args.append(self.type_syntax())
            if not self.is_op(">"):
                raise _NotAType
            self.advance()
            return tuple(args)
        finally:
            self.leave()

    def type_required(self, what: str = "type") -> n.TypeSyntax:
        t = self.try_type()
        if t is None:
            raise self.error(f"expected {what}, got {self.cur.describe()}")
        return t

    def try_member_type_args(self) -> tuple[n.TypeSyntax, ...]:
        """``<...>`` after a member name, when C#'s disambiguation rule says it is one."""
        if not self.is_op("<"):
            return ()
        save = self.i
        try:
            args = self.type_args()
        except _NotAType:
            self.i = save
            return ()
        nxt = self.cur
        if nxt.kind == "eof" or (nxt.kind == "op" and nxt.value in _AFTER_TYPE_ARGS):
            return args
        self.i = save
        return ()

    # -------------------------------------------------------------------------- expressions

    def expression(self) -> n.Expr:
        self.enter()
        try:
            return self.assignment()
        finally:
            self.leave()

    def assignment(self) -> n.Expr:
        tok = self.cur
        if tok.kind == "name" and self.is_op("=>", 1):
            self.advance()
            self.advance()
            return n.Lambda(
                tok.line,
                tok.column,
                (n.Param(tok.line, tok.column, str(tok.value)),),
                self.lambda_body(),
            )
        if self.is_op("(") and self.lambda_ahead():
            return self.paren_lambda()
        left = self.conditional()
        op_tok = self.cur
        op = None
        if op_tok.kind == "op" and op_tok.value in _ASSIGN_OPS:
            op = str(op_tok.value)
            self.advance()
        elif self.gt_gt() and self.peek().value == ">=":
            op = ">>="
            self.advance()
            self.advance()
        if op is None:
            return left
        if op == "=" and isinstance(left, n.TupleLiteral):
            target = _tuple_target(left)
            if target is not None:
                return n.Deconstruct(left.line, left.column, target, self.expression())
        if not _assignable(left):
            raise self.error(
                "the left-hand side of an assignment must be a variable, property or indexer",
                op_tok,
            )
        value = self.expression()
        return n.Assign(left.line, left.column, op, left, value)

    def lambda_ahead(self) -> bool:
        """Cursor on ``(``: does the matching ``)`` precede ``=>``?"""
        after = self.tuple_ahead()[1]
        return after.kind == "op" and after.value == "=>"

    def tuple_ahead(self) -> tuple[bool, Token]:
        """Cursor on ``(``: is there a ``,`` directly inside its parentheses (a tuple's, not an
        argument list's), and which token follows the matching ``)``?"""
        depth = 0
        comma = False
        toks = self.toks
        j = self.i
        while j < len(toks):
            tok = toks[j]
            if tok.kind == "eof":
                break
            if tok.kind == "op":
                if tok.value in ("(", "[", "{", "?["):
                    depth += 1
                elif tok.value in (")", "]", "}"):
                    depth -= 1
                    if depth == 0:
                        return comma, toks[j + 1] if j + 1 < len(toks) else tok
                elif tok.value == "," and depth == 1:
                    comma = True
            j += 1
        return comma, toks[-1]

    def paren_lambda(self) -> n.Expr:
        opener = self.advance()
        params: list[n.Param] = []
        if not self.is_op(")"):
            while True:
                ptok = self.cur
                ptype: n.TypeSyntax | None = None
                if not (ptok.kind == "name" and (self.is_op(",", 1) or self.is_op(")", 1))):
                    ptype = self.type_required("lambda parameter")
                name = self.expect_name("lambda parameter name")
                params.append(n.Param(ptok.line, ptok.column, str(name.value), ptype))
                if self.is_op(","):
                    self.advance()
                    continue
                break
        self.expect(")", opener)
        self.expect("=>")
        return n.Lambda(opener.line, opener.column, tuple(params), self.lambda_body())

    def lambda_body(self) -> n.Expr | n.Block:
        if self.is_op("{"):
            self.enter()
            try:
                return self.block()
            finally:
                self.leave()
        return self.expression()

    def conditional(self) -> n.Expr:
        cond = self.coalesce()
        if not self.is_op("?"):
            return cond
        question = self.advance()
        then = self.throw_or_expression()
        self.expect(
            ":", what=f"':' of the conditional operator '?' at {question.line}:{question.column}"
        )
        otherwise = self.throw_or_expression()
        return n.Conditional(cond.line, cond.column, cond, then, otherwise)

    def throw_or_expression(self) -> n.Expr:
        if self.is_kw("throw"):
            tok = self.advance()
            return n.ThrowExpr(tok.line, tok.column, self.expression())
        return self.expression()

    def coalesce(self) -> n.Expr:
        operands = [self.binary(1)]
        while self.is_op("??"):
            self.advance()
            if self.is_kw("throw"):
                tok = self.advance()
                operands.append(n.ThrowExpr(tok.line, tok.column, self.binary(1)))
                break
            operands.append(self.binary(1))
        result = operands.pop()
        while operands:  # right-associative
            left = operands.pop()
            result = n.Coalesce(left.line, left.column, left, result)
        return result

    def binary_op(self) -> tuple[str, int] | None:
        """The binary operator at the cursor and how many tokens it spans."""
        tok = self.cur
        if tok.kind == "op":
            if self.gt_gt():
                return (">>", 2) if self.peek().value == ">" else None  # ">>=" is assignment
            if tok.value in _BINARY:
                return str(tok.value), 1
            return None
        if tok.kind == "keyword" and tok.value in ("is", "as"):
            return str(tok.value), 1
        return None

    def binary(self, min_level: int) -> n.Expr:
        left = self.unary()
        while True:
            found = self.binary_op()
            if found is None:
                if self.is_kw("switch"):
                    raise self.error(
                        "switch expressions ('x switch { ... }') are C# 8, and policy "
                        "expressions are C# 7: write a switch statement"
                    )
                return left
            op, width = found
            level = _BINARY[op]
            if level < min_level:
                return left
            for _ in range(width):
                self.advance()
            if op == "is":
                left = self.is_pattern(left)
                continue
            if op == "as":
                left = n.As(left.line, left.column, left, self.type_required())
                continue
            right = self.binary(level + 1)
            if op in ("&&", "||"):
                left = n.Logical(left.line, left.column, op, left, right)
            else:
                left = n.Binary(left.line, left.column, op, left, right)

    def is_pattern(self, left: n.Expr) -> n.Expr:
        negated = False
        if self.is_name(value="not"):
            self.advance()
            negated = True
        if self.is_kw("null"):
            self.advance()
            return n.IsNull(left.line, left.column, left, negated)
        if negated:
            raise self.error(f"expected 'null' after 'is not', got {self.cur.describe()}")
        t = self.type_required("type or 'null' after 'is'")
        name: str | None = None
        if self.cur.kind == "name" and not self.is_name(value="when"):
            name = str(self.advance().value)
        return n.Is(left.line, left.column, left, t, name)

    def unary(self) -> n.Expr:
        tok = self.cur
        if tok.kind == "op":
            if tok.value in ("!", "-", "+", "~"):
                self.advance()
                self.enter()
                try:
                    operand = self.unary()
                finally:
                    self.leave()
                return n.Unary(tok.line, tok.column, str(tok.value), operand)
            if tok.value in ("++", "--"):
                self.advance()
                self.enter()
                try:
                    target = self.unary()
                finally:
                    self.leave()
                if not _assignable(target):
                    raise ExpressionSyntaxError(
                        "the operand of an increment or decrement operator must be a variable, "
                        "property or indexer",
                        target.line,
                        target.column,
                    )
                return n.IncDec(tok.line, tok.column, str(tok.value), True, target)
            if tok.value == "(":
                cast = self.try_cast()
                if cast is not None:
                    return cast
        return self.postfix(self.primary())

    def try_cast(self) -> n.Expr | None:
        save = self.i
        opener = self.advance()
        t = self.try_type()
        if t is None or not self.is_op(")"):
            self.i = save
            return None
        self.advance()
        nxt = self.cur
        only_type = t.element_names is None and (
            t.keyword or t.ranks > 0 or t.nullable or bool(t.args)
        )
        if only_type:
            is_cast = not (nxt.kind == "op" and nxt.value in (")", ";", ",", "]", "}"))
        elif self.in_query and nxt.kind == "name" and nxt.value in _QUERY_WORDS:
            is_cast = False  # ``where (flag) select x``: the parenthesis ends the condition
        else:
            is_cast = (
                nxt.kind in ("name", *_LITERAL_KINDS)
                or (nxt.kind == "op" and nxt.value in ("~", "!", "("))
                or (nxt.kind == "keyword" and nxt.value not in ("as", "is"))
            )
        if not is_cast:
            self.i = save
            return None
        self.enter()
        try:
            operand = self.unary()
        finally:
            self.leave()
        return n.Cast(opener.line, opener.column, t, operand)

    def primary(self) -> n.Expr:
        tok = self.cur
        kind = tok.kind
        if kind == "name":
            if tok.value == "from" and self.query_ahead():
                return self.query()
            self.advance()
            if tok.value == "nameof" and self.is_op("("):
                return self.nameof(tok)
            return n.Name(tok.line, tok.column, str(tok.value))
        if kind == "int":
            self.advance()
            assert isinstance(tok.value, int)
            return n.Literal(tok.line, tok.column, "int", tok.value, tok.suffix)
        if kind == "real":
            self.advance()
            value = tok.value
            assert isinstance(value, float | Decimal)
            return n.Literal(tok.line, tok.column, "real", value, tok.suffix)
        if kind in ("string", "char"):
            self.advance()
            return n.Literal(
                tok.line, tok.column, "string" if kind == "string" else "char", str(tok.value)
            )
        if kind == "interp":
            self.advance()
            return self.interpolated(tok)
        if kind == "keyword":
            return self.keyword_primary(tok)
        if kind == "op" and tok.value == "(":
            return self.paren_or_tuple()
        if kind == "eof":
            raise self.error("expected an expression, got end of input")
        raise self.error(f"expected an expression, got {tok.describe()}")

    # -------------------------------------------------------------------------------- queries

    def query_ahead(self) -> bool:
        """Cursor on ``from``: does a query expression start here (``from x in``, ``from T x
        in``)? Otherwise ``from`` is an ordinary name."""
        if self.is_name(1) and self.is_kw("in", 2):
            return True
        save = self.i
        self.advance()
        try:
            return self.try_type() is not None and self.is_name() and self.is_kw("in", 1)
        finally:
            self.i = save

    def query(self) -> n.Query:
        tok = self.cur
        self.in_query += 1
        try:
            first = self.from_clause()
            return n.Query(tok.line, tok.column, first, self.query_body())
        finally:
            self.in_query -= 1

    def from_clause(self) -> n.FromClause:
        tok = self.advance()
        t: n.TypeSyntax | None = None
        if not (self.is_name() and self.is_kw("in", 1)):
            t = self.type_required("type or range variable")
        name = self.expect_name("range variable name")
        if not self.is_kw("in"):
            raise self.error(f"expected 'in', got {self.cur.describe()}")
        self.advance()
        return n.FromClause(tok.line, tok.column, t, str(name.value), self.expression())

    def contextual(self, word: str, what: str) -> Token:
        if not self.is_name(value=word):
            raise self.error(f"expected '{word}' {what}, got {self.cur.describe()}")
        return self.advance()

    def query_body(self) -> n.QueryBody:
        start = self.cur
        clauses: list[n.FromClause | n.LetClause | n.WhereClause | n.JoinClause | n.OrderByClause]
        clauses = []
        while True:
            tok = self.cur
            if self.is_name(value="from"):
                clauses.append(self.from_clause())
            elif self.is_name(value="let"):
                self.advance()
                name = self.expect_name("range variable name")
                self.expect("=")
                clauses.append(
                    n.LetClause(tok.line, tok.column, str(name.value), self.expression())
                )
            elif self.is_name(value="where"):
                self.advance()
                clauses.append(n.WhereClause(tok.line, tok.column, self.expression()))
            elif self.is_name(value="join"):
                clauses.append(self.join_clause())
            elif self.is_name(value="orderby"):
                self.advance()
                orderings = [self.ordering()]
                while self.is_op(","):
                    self.advance()
                    orderings.append(self.ordering())
                clauses.append(n.OrderByClause(tok.line, tok.column, tuple(orderings)))
            else:
                break
        tok = self.cur
        final: n.SelectClause | n.GroupClause
        if self.is_name(value="select"):
            self.advance()
            final = n.SelectClause(tok.line, tok.column, self.expression())
        elif self.is_name(value="group"):
            self.advance()
            element = self.expression()
            self.contextual("by", "after the grouped element")
            final = n.GroupClause(tok.line, tok.column, element, self.expression())
        else:
            raise self.error(
                f"expected 'select' or 'group' to end the query, got {self.cur.describe()}"
            )
        if not self.is_name(value="into"):
            return n.QueryBody(start.line, start.column, tuple(clauses), final)
        self.advance()
        into = str(self.expect_name("range variable name").value)
        continuation = self.query_body()
        return n.QueryBody(start.line, start.column, tuple(clauses), final, into, continuation)

    def join_clause(self) -> n.JoinClause:
        tok = self.advance()
        t: n.TypeSyntax | None = None
        if not (self.is_name() and self.is_kw("in", 1)):
            t = self.type_required("type or range variable")
        name = str(self.expect_name("range variable name").value)
        if not self.is_kw("in"):
            raise self.error(f"expected 'in', got {self.cur.describe()}")
        self.advance()
        source = self.expression()
        self.contextual("on", "after the joined sequence")
        left = self.expression()
        self.contextual("equals", "between the keys of a join")
        right = self.expression()
        into: str | None = None
        if self.is_name(value="into"):
            self.advance()
            into = str(self.expect_name("range variable name").value)
        return n.JoinClause(tok.line, tok.column, t, name, source, left, right, into)

    def ordering(self) -> n.Ordering:
        key = self.expression()
        descending = False
        if self.is_name(value="ascending") or self.is_name(value="descending"):
            descending = self.advance().value == "descending"
        return n.Ordering(key.line, key.column, key, descending)

    def nameof(self, tok: Token) -> n.Expr:
        """``nameof(name)`` / ``nameof(a.b.c)`` (the cursor is on the ``(``)."""
        opener = self.advance()
        start = self.cur
        target = self.expression()
        self.expect(")", opener)
        node = target
        while isinstance(node, n.Member) and not node.conditional:
            node = node.target
        if not isinstance(node, n.Name | n.TypeExpr):
            raise self.error("this expression does not have a name", start)
        return n.NameOf(tok.line, tok.column, target)

    def paren_or_tuple(self) -> n.Expr:
        """``(expr)``, or a tuple literal ``(a, b)`` / ``(x: 1, y: 2)``."""
        opener = self.advance()
        items: list[n.Expr] = []
        names: list[str | None] = []
        while True:
            name: str | None = None
            if self.cur.kind == "name" and self.is_op(":", 1):
                name = str(self.advance().value)
                self.advance()
            names.append(name)
            items.append(self.expression())
            if not self.is_op(","):
                break
            self.advance()
        self.expect(")", opener)
        if len(items) == 1:
            if names[0] is not None:
                raise ExpressionSyntaxError(
                    "a tuple must contain at least two elements", opener.line, opener.column
                )
            return n.Paren(opener.line, opener.column, items[0])
        return n.TupleLiteral(opener.line, opener.column, tuple(items), tuple(names))

    def keyword_primary(self, tok: Token) -> n.Expr:
        word = str(tok.value)
        if word in ("true", "false"):
            self.advance()
            return n.Literal(tok.line, tok.column, "bool", word == "true")
        if word == "null":
            self.advance()
            return n.Literal(tok.line, tok.column, "null", None)
        if word == "new":
            return self.new_expression()
        if word == "default":
            self.advance()
            if self.is_op("("):
                opener = self.advance()
                t = self.type_required()
                self.expect(")", opener)
                return n.Default(tok.line, tok.column, t)
            return n.Default(tok.line, tok.column, None)
        if word == "typeof":
            self.advance()
            opener = self.expect("(", what="'(' after 'typeof'")
            t = self.type_required()
            self.expect(")", opener)
            return n.TypeOf(tok.line, tok.column, t)
        if word in ("checked", "unchecked"):
            self.advance()
            opener = self.expect("(", what=f"'(' after '{word}'")
            inner = self.expression()
            self.expect(")", opener)
            return n.Checked(tok.line, tok.column, word == "checked", inner)
        if word in PREDEFINED_TYPES:
            self.advance()
            if not self.is_op("."):
                raise self.error(f"expected '.' after type '{word}', got {self.cur.describe()}")
            return n.TypeExpr(
                tok.line, tok.column, n.TypeSyntax(tok.line, tok.column, word, keyword=True)
            )
        if word in _UNSUPPORTED_KEYWORDS:
            raise self.error(f"'{word}' is not supported in policy expressions", tok)
        raise self.error(f"expected an expression, got keyword '{word}'", tok)

    def interpolated(self, tok: Token) -> n.Interpolated:
        parts: list[str | n.Hole] = []
        assert isinstance(tok.value, tuple)
        for part in tok.value:
            if isinstance(part, str):
                parts.append(part)
            else:
                assert isinstance(part, HoleTokens)
                expr = self.sub_expression(part.tokens, part)
                align = (
                    None if part.alignment is None else self.sub_expression(part.alignment, part)
                )
                parts.append(n.Hole(part.line, part.column, expr, align, part.format))
        return n.Interpolated(tok.line, tok.column, tuple(parts))

    def sub_expression(self, tokens: tuple[Token, ...], hole: HoleTokens) -> n.Expr:
        """Parse a hole's tokens with a nested parser sharing this one's depth budget."""
        sub = _Parser(tokens)
        sub.depth = self.depth
        if tokens[0].kind == "eof":
            raise sub.error(
                "expected an expression in the interpolation hole, got "
                + tokens[0].describe().replace("end of input", "'" + "}" + "'")
            )
        expr = sub.expression()
        if sub.cur.kind != "eof":
            raise sub.error(
                f"unexpected {sub.cur.describe()} in the interpolation hole opened at "
                f"{hole.line}:{hole.column}"
            )
        return expr

    def postfix(self, expr: n.Expr) -> n.Expr:
        while True:
            tok = self.cur
            if tok.kind != "op":
                return expr
            op = tok.value
            if op in (".", "?."):
                self.advance()
                name = self.expect_name("member name")
                type_args = self.try_member_type_args()
                expr = n.Member(
                    expr.line,
                    expr.column,
                    expr,
                    str(name.value),
                    type_args,
                    op == "?.",
                    (name.line, name.column),
                )
            elif op == "(":
                opener = self.advance()
                expr = n.Call(expr.line, expr.column, expr, self.arguments(")", opener))
            elif op in ("[", "?["):
                opener = self.advance()
                if self.is_op("]"):
                    raise self.error("expected an index value, got ']'")
                expr = n.Index(
                    expr.line, expr.column, expr, self.arguments("]", opener), op == "?["
                )
            elif op in ("++", "--"):
                if not _assignable(expr):
                    raise self.error(
                        "the operand of an increment or decrement operator must be a "
                        "variable, property or indexer",
                        tok,
                    )
                self.advance()
                expr = n.IncDec(expr.line, expr.column, str(op), False, expr)
            else:
                return expr

    def arguments(self, close: str, opener: Token) -> tuple[n.Argument, ...]:
        args: list[n.Argument] = []
        if self.is_op(close):
            self.advance()
            return ()
        while True:
            args.append(self.argument())
            if self.is_op(","):
                self.advance()
                continue
            self.expect(close, opener)
            return tuple(args)

    def argument(self) -> n.Argument:
        tok = self.cur
        name: str | None = None
        if tok.kind == "name" and self.is_op(":", 1):
            name = str(tok.value)
            self.advance()
            self.advance()
        modifier: str | None = None
        if self.cur.kind == "keyword" and self.cur.value in ("out", "ref", "in"):
            modifier = str(self.advance().value)
        start = self.cur
        if modifier == "out":
            if self.is_name(value="var") and self.is_name(1):
                self.advance()
                var = self.advance()
                return n.Argument(
                    tok.line,
                    tok.column,
                    n.OutVar(start.line, start.column, None, str(var.value)),
                    name,
                    modifier,
                )
            save = self.i
            t = self.try_type()
            if t is not None and self.cur.kind == "name":
                var = self.advance()
                return n.Argument(
                    tok.line,
                    tok.column,
                    n.OutVar(start.line, start.column, t, str(var.value)),
                    name,
                    modifier,
                )
            self.i = save
        value = self.expression()
        if modifier is not None and not _assignable(value):
            raise self.error(
                f"a '{modifier}' argument must be a variable, property or indexer", start
            )
        return n.Argument(tok.line, tok.column, value, name, modifier)

    def new_expression(self) -> n.Expr:
        new_tok = self.advance()
        if self.is_op("["):
            opener = self.advance()
            self.expect("]", opener)
            items = self.array_items()
            return n.NewArray(new_tok.line, new_tok.column, None, None, items)
        if self.is_op("{"):
            return self.anonymous(new_tok)
        t = self.type_required("type after 'new'")
        if t.ranks:
            # new string[] { ... } / new string[][] { ... }
            if not self.is_op("{"):
                raise self.error(f"expected '{{' (array initializer), got {self.cur.describe()}")
            return n.NewArray(new_tok.line, new_tok.column, t.element, None, self.array_items())
        if self.is_op("["):
            opener = self.advance()
            size = self.expression()
            if self.is_op(","):
                raise self.error("multi-dimensional arrays are not supported")
            self.expect("]", opener)
            ranks = 0
            while self.is_op("[") and self.is_op("]", 1):
                self.advance()
                self.advance()
                ranks += 1
            element = dataclasses.replace(t, ranks=ranks)
            sized_items = self.array_items() if self.is_op("{") else None
            return n.NewArray(new_tok.line, new_tok.column, element, size, sized_items)
        args: tuple[n.Argument, ...] = ()
        if self.is_op("("):
            opener = self.advance()
            args = self.arguments(")", opener)
        elif not self.is_op("{"):
            raise self.error(f"expected '(' after 'new {t}', got {self.cur.describe()}")
        init = self.initializer() if self.is_op("{") else None
        return n.New(new_tok.line, new_tok.column, t, args, init)

    def anonymous(self, new_tok: Token) -> n.Expr:
        opener = self.expect("{")
        members: list[tuple[str, n.Expr]] = []
        while not self.is_op("}"):
            tok = self.cur
            if tok.kind == "name" and self.is_op("=", 1):
                self.advance()
                self.advance()
                members.append((str(tok.value), self.expression()))
            else:
                value = self.expression()
                inner = value.inner if isinstance(value, n.Paren) else value
                if isinstance(inner, n.Member | n.Name):
                    members.append((inner.name, value))
                else:
                    raise ExpressionSyntaxError(
                        "invalid anonymous type member declarator", value.line, value.column
                    )
            if self.is_op(","):
                self.advance()
                continue
            break
        self.expect("}", opener)
        return n.Anonymous(new_tok.line, new_tok.column, tuple(members))

    def array_items(self) -> tuple[n.Expr, ...]:
        opener = self.expect("{")
        items: list[n.Expr] = []
        while not self.is_op("}"):
            items.append(self.expression())
            if self.is_op(","):
                self.advance()
                continue
            break
        self.expect("}", opener)
        return tuple(items)

    def initializer(self) -> n.Initializer:
        opener = self.expect("{")
        entries: list[n.InitEntry] = []
        while not self.is_op("}"):
            tok = self.cur
            if tok.kind == "name" and self.is_op("=", 1):
                self.advance()
                self.advance()
                entries.append(
                    n.InitEntry(
                        tok.line, tok.column, "member", str(tok.value), (), (self.expression(),)
                    )
                )
            elif self.is_op("["):
                br = self.advance()
                args = self.arguments("]", br)
                self.expect("=")
                entries.append(
                    n.InitEntry(tok.line, tok.column, "index", None, args, (self.expression(),))
                )
            elif self.is_op("{"):
                entries.append(
                    n.InitEntry(tok.line, tok.column, "add", None, (), self.array_items())
                )
            else:
                entries.append(
                    n.InitEntry(tok.line, tok.column, "add", None, (), (self.expression(),))
                )
            if self.is_op(","):
                self.advance()
                continue
            break
        self.expect("}", opener)
        return n.Initializer(opener.line, opener.column, tuple(entries))

    # --------------------------------------------------------------------------- statements

    def block(self) -> n.Block:
        opener = self.expect("{")
        body: list[n.Stmt] = []
        while not self.is_op("}"):
            if self.cur.kind == "eof":
                self.expect("}", opener)
            body.append(self.statement())
        close = self.advance()
        return n.Block(opener.line, opener.column, tuple(body), close.line, close.column)

    def statement(self) -> n.Stmt:
        self.enter()
        try:
            return self._statement()
        finally:
            self.leave()

    def _statement(self) -> n.Stmt:
        tok = self.cur
        if tok.kind == "op":
            if tok.value == "{":
                return self.block()
            if tok.value == ";":
                self.advance()
                return n.Empty(tok.line, tok.column)
        if tok.kind == "keyword":
            handler = _STATEMENTS.get(str(tok.value))
            if handler is not None:
                return handler(self)
            if tok.value in _UNSUPPORTED_KEYWORDS:
                raise self.error(
                    f"'{tok.value}' statements are not supported in policy expressions"
                )
            if tok.value == "const":
                self.advance()
            if tok.value in ("checked", "unchecked") and self.is_op("{", 1):
                self.advance()
                return n.CheckedBlock(tok.line, tok.column, tok.value == "checked", self.block())
        deconstruction = self.try_deconstruction()
        if deconstruction is not None:
            return deconstruction
        function = self.try_local_function()
        if function is not None:
            return function
        decl = self.try_local_declaration()
        if decl is not None:
            self.expect(";")
            return decl
        expr = self.expression()
        _check_statement_expression(expr)
        self.expect(";")
        return n.ExprStmt(tok.line, tok.column, expr)

    def try_deconstruction(self) -> n.Stmt | None:
        """``var (a, b) = e;`` or ``(var a, int b, c.D) = e;`` as a statement, if it is one."""
        tok = self.cur
        if self.is_name(value="var") and self.is_op("(", 1):
            self.advance()
            target = self.var_targets()
        elif self.is_op("(") and _is_op(self.tuple_ahead(), "="):
            save = self.i
            try:
                target = self.tuple_target()
                if not self.is_op("="):
                    raise _NotAType
            except (_NotAType, ExpressionSyntaxError):
                self.i = save
                return None
        else:
            return None
        self.expect("=", what="'=' after the deconstruction's variables")
        value = self.expression()
        self.expect(";")
        return n.ExprStmt(tok.line, tok.column, n.Deconstruct(tok.line, tok.column, target, value))

    def var_targets(self) -> n.TupleTarget:
        """``(a, (b, _))`` after ``var``: every name declares a variable."""
        opener = self.expect("(")
        items: list[n.VarTarget | n.TupleTarget | n.Expr] = []
        while True:
            if self.is_op("("):
                items.append(self.var_targets())
            else:
                name = self.expect_name("variable name")
                items.append(n.VarTarget(name.line, name.column, None, str(name.value)))
            if not self.is_op(","):
                break
            self.advance()
        self.expect(")", opener)
        if len(items) < 2:
            raise ExpressionSyntaxError(
                "a deconstruction must contain at least two variables", opener.line, opener.column
            )
        return n.TupleTarget(opener.line, opener.column, tuple(items))

    def tuple_target(self) -> n.TupleTarget:
        """``(var a, int b, c, (d, _))``: declarations, existing variables, nested targets."""
        if self.i in self.not_targets:
            raise _NotAType
        start = self.i
        try:
            return self.tuple_target_here()
        except _NotAType:
            self.not_targets.add(start)
            raise

    def tuple_target_here(self) -> n.TupleTarget:
        opener = self.expect("(")
        items: list[n.VarTarget | n.TupleTarget | n.Expr] = []
        while True:
            items.append(self.target_item())
            if not self.is_op(","):
                break
            self.advance()
        self.expect(")", opener)
        if len(items) < 2:
            raise _NotAType
        return n.TupleTarget(opener.line, opener.column, tuple(items))

    def target_item(self) -> n.VarTarget | n.TupleTarget | n.Expr:
        tok = self.cur
        ahead = self.tuple_ahead() if self.is_op("(") else None
        if ahead is not None and (_is_op(ahead, ",") or _is_op(ahead, ")")):
            save = self.i
            try:
                return self.tuple_target()
            except _NotAType:
                self.i = save
        if self.is_name(value="var") and self.is_name(1):
            self.advance()
            name = self.advance()
            return n.VarTarget(tok.line, tok.column, None, str(name.value))
        save = self.i
        t = self.try_type()
        if t is not None and self.cur.kind == "name" and (self.is_op(",", 1) or self.is_op(")", 1)):
            name = self.advance()
            return n.VarTarget(tok.line, tok.column, t, str(name.value))
        self.i = save
        value = self.conditional()
        if not _assignable(value):
            raise _NotAType
        return value

    def try_local_function(self) -> n.LocalFunction | None:
        """``Type Name(params) { ... }`` / ``void Name(params) => expr;`` (C# 7)."""
        tok = self.cur
        save = self.i
        returns: n.TypeSyntax | None = None
        if self.is_kw("void"):
            self.advance()
        else:
            returns = self.try_type()
            if returns is None:
                return None
        if not (self.cur.kind == "name" and self.is_op("(", 1)):
            self.i = save
            return None
        name = self.advance()
        opener = self.advance()
        params: list[n.Param] = []
        if not self.is_op(")"):
            while True:
                ptok = self.cur
                ptype = self.type_required("parameter type")
                pname = self.expect_name("parameter name")
                params.append(n.Param(ptok.line, ptok.column, str(pname.value), ptype))
                if not self.is_op(","):
                    break
                self.advance()
        self.expect(")", opener)
        body: n.Block | n.Expr
        if self.is_op("=>"):
            self.advance()
            body = self.expression()
            self.expect(";")
        else:
            body = self.block()
        return n.LocalFunction(tok.line, tok.column, str(name.value), returns, tuple(params), body)

    def try_local_declaration(self) -> n.LocalDecl | None:
        tok = self.cur
        decl_type: n.TypeSyntax | None
        if self.is_name(value="var") and self.is_name(1):
            self.advance()
            decl_type = None
        else:
            save = self.i
            decl_type = self.try_type()
            if decl_type is None:
                return None
            after = self.peek()
            if not (
                self.cur.kind == "name" and after.kind == "op" and after.value in ("=", ";", ",")
            ):
                self.i = save
                return None
        declarators: list[n.Declarator] = []
        while True:
            name = self.expect_name("variable name")
            init: n.Expr | None = None
            if self.is_op("="):
                self.advance()
                if self.is_op("{") and decl_type is not None and decl_type.ranks:
                    brace = self.cur
                    init = n.NewArray(
                        brace.line, brace.column, decl_type.element, None, self.array_items()
                    )
                else:
                    init = self.expression()
            elif decl_type is None:
                raise self.error(
                    "expected '=' (an implicitly typed variable needs an initializer), "
                    f"got {self.cur.describe()}"
                )
            declarators.append(n.Declarator(name.line, name.column, str(name.value), init))
            if not self.is_op(","):
                break
            self.advance()
        return n.LocalDecl(tok.line, tok.column, decl_type, tuple(declarators))

    def paren_condition(self, keyword: str) -> n.Expr:
        opener = self.expect("(", what=f"'(' after '{keyword}'")
        cond = self.expression()
        self.expect(")", opener)
        return cond

    def if_statement(self) -> n.Stmt:
        tok = self.advance()
        cond = self.paren_condition("if")
        then = self.embedded_statement()
        otherwise: n.Stmt | None = None
        if self.is_kw("else"):
            self.advance()
            otherwise = self.embedded_statement()
        return n.If(tok.line, tok.column, cond, then, otherwise)

    def embedded_statement(self) -> n.Stmt:
        if self.cur.kind in ("name", "keyword") and not self.is_op("{"):
            save = self.i
            if self.try_local_declaration() is not None:
                self.i = save
                raise self.error("a declaration is not allowed here (wrap it in braces)")
        return self.statement()

    def while_statement(self) -> n.Stmt:
        tok = self.advance()
        cond = self.paren_condition("while")
        return n.While(tok.line, tok.column, cond, self.embedded_statement())

    def do_statement(self) -> n.Stmt:
        tok = self.advance()
        body = self.embedded_statement()
        if not self.is_kw("while"):
            raise self.error(f"expected 'while' after the body of 'do', got {self.cur.describe()}")
        self.advance()
        cond = self.paren_condition("while")
        self.expect(";")
        return n.DoWhile(tok.line, tok.column, body, cond)

    def for_statement(self) -> n.Stmt:
        tok = self.advance()
        opener = self.expect("(", what="'(' after 'for'")
        init: list[n.Stmt] = []
        if not self.is_op(";"):
            decl = self.try_local_declaration()
            if decl is not None:
                init.append(decl)
            else:
                for expr in self.statement_expressions():
                    init.append(n.ExprStmt(expr.line, expr.column, expr))
        self.expect(";")
        cond = None if self.is_op(";") else self.expression()
        self.expect(";")
        update: tuple[n.Expr, ...] = ()
        if not self.is_op(")"):
            update = tuple(self.statement_expressions())
        self.expect(")", opener)
        return n.For(tok.line, tok.column, tuple(init), cond, update, self.embedded_statement())

    def statement_expressions(self) -> Iterator[n.Expr]:
        while True:
            expr = self.expression()
            _check_statement_expression(expr)
            yield expr
            if not self.is_op(","):
                return
            self.advance()

    def foreach_statement(self) -> n.Stmt:
        tok = self.advance()
        opener = self.expect("(", what="'(' after 'foreach'")
        var_type: n.TypeSyntax | None = None
        target: n.TupleTarget | None = None
        if self.is_name(value="var") and self.is_op("(", 1):
            self.advance()
            target = self.var_targets()
        elif (
            self.is_op("(")
            and self.tuple_ahead()[1].value == "in"
            and (target := self.try_foreach_target()) is not None
        ):
            pass
        elif self.is_name(value="var") and self.is_name(1):
            self.advance()
        else:
            var_type = self.type_required("type or 'var'")
        name = "" if target is not None else str(self.expect_name("loop variable name").value)
        if not self.is_kw("in"):
            raise self.error(f"expected 'in', got {self.cur.describe()}")
        self.advance()
        iterable = self.expression()
        self.expect(")", opener)
        return n.Foreach(
            tok.line, tok.column, var_type, name, iterable, self.embedded_statement(), target
        )

    def try_foreach_target(self) -> n.TupleTarget | None:
        """``foreach ((string k, int v) in ...)``: a deconstruction, when ``in`` follows."""
        save = self.i
        try:
            target = self.tuple_target()
        except (_NotAType, ExpressionSyntaxError):
            self.i = save
            return None
        if not self.is_kw("in"):
            self.i = save
            return None
        return target

    def simple_jump(self) -> n.Stmt:
        tok = self.advance()
        self.expect(";")
        if tok.value == "break":
            return n.Break(tok.line, tok.column)
        return n.Continue(tok.line, tok.column)

    def return_statement(self) -> n.Stmt:
        tok = self.advance()
        value = None if self.is_op(";") else self.expression()
        self.expect(";")
        return n.Return(tok.line, tok.column, value)

    def throw_statement(self) -> n.Stmt:
        tok = self.advance()
        value = None if self.is_op(";") else self.expression()
        self.expect(";")
        return n.Throw(tok.line, tok.column, value)

    def try_statement(self) -> n.Stmt:
        tok = self.advance()
        body = self.block()
        catches: list[n.Catch] = []
        while self.is_kw("catch"):
            ctok = self.advance()
            ctype: n.TypeSyntax | None = None
            cname: str | None = None
            if self.is_op("("):
                opener = self.advance()
                ctype = self.type_required("exception type")
                if self.cur.kind == "name":
                    cname = str(self.advance().value)
                self.expect(")", opener)
            cfilter: n.Expr | None = None
            if self.is_name(value="when"):
                self.advance()
                cfilter = self.paren_condition("when")
            catches.append(n.Catch(ctok.line, ctok.column, ctype, cname, self.block(), cfilter))
        final: n.Block | None = None
        if self.is_kw("finally"):
            self.advance()
            final = self.block()
        if not catches and final is None:
            raise self.error(f"expected 'catch' or 'finally', got {self.cur.describe()}")
        return n.Try(tok.line, tok.column, body, tuple(catches), final)

    def using_statement(self) -> n.Stmt:
        """``using (var r = ...) body``: a scoped declaration (nothing the sandbox creates holds a
        resource that Dispose would release, so the body simply runs)."""
        tok = self.advance()
        opener = self.expect("(", what="'(' after 'using'")
        first: n.Stmt
        decl = self.try_local_declaration()
        if decl is not None:
            first = decl
        else:
            value = self.expression()
            first = n.ExprStmt(value.line, value.column, value)
        self.expect(")", opener)
        body = self.embedded_statement()
        end = self.toks[self.i - 1]
        return n.Block(tok.line, tok.column, (first, body), end.line, end.column)

    def switch_statement(self) -> n.Stmt:
        tok = self.advance()
        subject = self.paren_condition("switch")
        opener = self.expect("{", what="'{' after 'switch (...)'")
        sections: list[n.SwitchSection] = []
        while not self.is_op("}"):
            if self.cur.kind == "eof":
                self.expect("}", opener)
            first = self.cur
            labels: list[n.CaseLabel] = []
            while self.is_kw("case") or (self.is_kw("default") and self.is_op(":", 1)):
                labels.append(self.case_label())
            if not labels:
                raise self.error(f"expected 'case' or 'default', got {self.cur.describe()}")
            body: list[n.Stmt] = []
            while not (
                self.is_op("}")
                or self.is_kw("case")
                or (self.is_kw("default") and self.is_op(":", 1))
            ):
                if self.cur.kind == "eof":
                    self.expect("}", opener)
                body.append(self.statement())
            if not body:
                raise self.error(
                    f"expected a statement after the case label, got {self.cur.describe()}"
                )
            sections.append(n.SwitchSection(first.line, first.column, tuple(labels), tuple(body)))
        self.advance()
        return n.Switch(tok.line, tok.column, subject, tuple(sections))

    def case_label(self) -> n.CaseLabel:
        tok = self.advance()
        if tok.value == "default":
            self.expect(":")
            return n.CaseLabel(tok.line, tok.column, None)
        pattern = self.pattern()
        guard: n.Expr | None = None
        if self.is_name(value="when"):
            self.advance()
            guard = self.expression()
        self.expect(":", what="':' after the case label")
        return n.CaseLabel(tok.line, tok.column, pattern, guard)

    def pattern(self) -> n.ConstantPattern | n.DeclarationPattern:
        """``var x``, ``T x``, ``T _`` (declaration patterns) or a constant expression."""
        start = self.cur
        if self.is_name(value="var") and self.is_name(1) and not self.is_name(1, "when"):
            self.advance()
            name = self.advance()
            return n.DeclarationPattern(start.line, start.column, None, str(name.value))
        save = self.i
        t = self.try_type()
        if t is not None and self.is_op("?") and self.is_name(1) and not self.is_name(1, "when"):
            raise self.error(
                f"it is not legal to use nullable type '{t}?' in a pattern; "
                f"use the underlying type '{t}' instead",
                start,
            )
        if t is not None and self.cur.kind == "name" and not self.is_name(value="when"):
            name = self.advance()
            return n.DeclarationPattern(start.line, start.column, t, str(name.value))
        self.i = save
        return n.ConstantPattern(start.line, start.column, self.conditional())

    def misplaced(self) -> n.Stmt:
        tok = self.cur
        raise self.error(f"unexpected '{tok.value}'")


_STATEMENTS: Final = {
    "if": _Parser.if_statement,
    "while": _Parser.while_statement,
    "do": _Parser.do_statement,
    "for": _Parser.for_statement,
    "foreach": _Parser.foreach_statement,
    "break": _Parser.simple_jump,
    "continue": _Parser.simple_jump,
    "return": _Parser.return_statement,
    "throw": _Parser.throw_statement,
    "try": _Parser.try_statement,
    "using": _Parser.using_statement,
    "switch": _Parser.switch_statement,
    "case": _Parser.misplaced,
    "else": _Parser.misplaced,
    "catch": _Parser.misplaced,
    "finally": _Parser.misplaced,
}


def _assignable(expr: n.Expr) -> bool:
    if isinstance(expr, n.Paren):
        return _assignable(expr.inner)
    return isinstance(expr, n.Name | n.Index) or (
        isinstance(expr, n.Member) and not expr.conditional and not expr.type_args
    )


def _is_op(ahead: tuple[bool, Token], value: str) -> bool:
    """A tuple in parentheses (a comma inside) followed by the operator ``value``."""
    comma, after = ahead
    return comma and after.kind == "op" and after.value == value


def _tuple_target(literal: n.TupleLiteral) -> n.TupleTarget | None:
    """``(a, b)`` on the left of ``=``: the variables it assigns (None if it cannot)."""
    items: list[n.VarTarget | n.TupleTarget | n.Expr] = []
    for name, item in zip(literal.names, literal.items, strict=True):
        if name is not None:
            return None
        if isinstance(item, n.TupleLiteral):
            nested = _tuple_target(item)
            if nested is None:
                return None
            items.append(nested)
        elif _assignable(item):
            items.append(item)
        else:
            return None
    return n.TupleTarget(literal.line, literal.column, tuple(items))


def _check_statement_expression(expr: n.Expr) -> None:
    if not isinstance(expr, n.Assign | n.Call | n.IncDec | n.New | n.Deconstruct):
        raise ExpressionSyntaxError(
            "only assignment, call, increment, decrement and new object expressions can be "
            "used as a statement",
            expr.line,
            expr.column,
        )


def _children(node: n.Node) -> Iterator[n.Node]:
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, n.Node):
            yield value
        elif isinstance(value, tuple):
            stack: list[object] = list(value)
            while stack:
                item = stack.pop()
                if isinstance(item, n.Node):
                    yield item
                elif isinstance(item, tuple):
                    stack.extend(item)


def _check_height(program: n.Program) -> None:
    """Reject trees taller than MAX_DEPTH without recursing (the compiler recurses on them)."""
    stack: list[tuple[n.Node, int]] = [(program, 1)]
    while stack:
        node, height = stack.pop()
        if height > MAX_DEPTH:
            raise ExpressionSyntaxError(
                f"expression is nested too deeply (more than {MAX_DEPTH} levels)",
                node.line,
                node.column,
            )
        stack.extend((child, height + 1) for child in _children(node))


def parse_tokens(tokens: tuple[Token, ...]) -> n.Program:
    """Parse lexed tokens (see ``parse``)."""
    try:
        program = _Parser(tokens).program()
    except RecursionError:
        raise ExpressionSyntaxError("expression is too complex", 1, 1) from None
    _check_height(program)
    return program


def parse(source: str) -> n.Program:
    """Parse a whole policy expression, ``@(expression)`` or ``@{ statements }``."""
    return parse_tokens(tokenize(source))
