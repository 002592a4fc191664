"""LINQ query expressions, translated as the C# specification translates them: to calls of the
LINQ operators (``Where``, ``Select``, ``SelectMany``, ``Join``, ``GroupJoin``, ``OrderBy``,
``ThenBy``, ``GroupBy``, ``Cast``), whose lambdas are generated here.

Between clauses, the range variables in scope travel together as one value, the *row*: the value
itself while there is one variable, a Python tuple of them once ``from``, ``let`` or ``join`` add
more (C#'s transparent identifiers). Each clause's lambda takes the row and unpacks it into its
variables, so the clause's expression sees them as locals. Rows never leave the query: what
``select`` and ``group`` produce is the user's. The operators draw on the expression budget for
every element they pass on, as when they are called directly.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions.compiler.codegen import Code, CodeGen
from aiohttp_apim.expressions.compiler.scopes import Func, Scope

__all__ = ["QueryGen"]

Row = list[tuple[str, n.Node]]
"""The range variables in scope, in order, with where each was declared."""


class QueryGen(CodeGen):
    """Generates query expressions."""

    def e_query(self, e: n.Query) -> Code:
        sequence, row = self.from_source(e.first)
        body: n.QueryBody | None = e.body
        while body is not None:
            sequence, row = self.query_body(body, sequence, row)
            if body.into is None:
                break
            row = [(body.into, body)]
            body = body.continuation
        return sequence

    def from_source(self, clause: n.FromClause) -> tuple[Code, Row]:
        source = self.expr(clause.source)
        if clause.type is not None:  # ``from string s in xs``: xs.Cast<string>()
            source = self.linq(source, "Cast", [], clause.type)
        return source, [(clause.name, clause)]

    def query_body(self, body: n.QueryBody, sequence: Code, row: Row) -> tuple[Code, Row]:
        """The clauses and the final select/group of one query body (not its continuation)."""
        for clause in body.clauses:
            match clause:
                case n.FromClause():
                    added = [*row, (clause.name, clause)]
                    inner = self.row_expr(row, clause.source, clause.type)
                    result = self.row_lambda([row, [(clause.name, clause)]], self.packer(added))
                    sequence = self.linq(sequence, "SelectMany", [inner, result])
                    row = added
                case n.LetClause():
                    added = [*row, (clause.name, clause)]
                    project = self.row_lambda([row], self.let_packer(added, clause.value))
                    sequence = self.linq(sequence, "Select", [project])
                    row = added
                case n.WhereClause():
                    sequence = self.linq(sequence, "Where", [self.row_expr(row, clause.condition)])
                case n.JoinClause():
                    sequence, row = self.join(clause, sequence, row)
                case n.OrderByClause():
                    for position, ordering in enumerate(clause.orderings):
                        key = self.row_expr(row, ordering.key)
                        name = ("OrderBy" if position == 0 else "ThenBy") + (
                            "Descending" if ordering.descending else ""
                        )
                        sequence = self.linq(sequence, name, [key])
        final = body.final
        if isinstance(final, n.SelectClause):
            if _is_variable(final.value, row) and body.clauses:
                return sequence, row  # a degenerate ``select x`` after other clauses: as C#
            return self.linq(sequence, "Select", [self.row_expr(row, final.value)]), row
        key = self.row_expr(row, final.key)
        if _is_variable(final.element, row):
            return self.linq(sequence, "GroupBy", [key]), row
        return self.linq(sequence, "GroupBy", [key, self.row_expr(row, final.element)]), row

    def join(self, clause: n.JoinClause, sequence: Code, row: Row) -> tuple[Code, Row]:
        """``join x in xs on a equals b [into g]``: Join (GroupJoin) with the row's key, the
        joined element's key, and a result that adds ``x`` (``g``) to the row."""
        inner = self.cast_source(clause.source, clause.type)
        outer_key = self.row_expr(row, clause.left)
        joined: Row = [(clause.name, clause)]
        inner_key = self.row_expr(joined, clause.right)
        if clause.into is None:
            added = [*row, (clause.name, clause)]
            result = self.row_lambda([row, joined], self.packer(added))
            return self.linq(sequence, "Join", [inner.src, outer_key, inner_key, result]), added
        added = [*row, (clause.into, clause)]
        result = self.row_lambda([row, [(clause.into, clause)]], self.packer(added))
        return self.linq(sequence, "GroupJoin", [inner.src, outer_key, inner_key, result]), added

    def cast_source(self, source: n.Expr, t: n.TypeSyntax | None) -> Code:
        code = self.expr(source)
        return code if t is None else self.linq(code, "Cast", [], t)

    def linq(
        self, sequence: Code, name: str, args: list[str], type_arg: n.TypeSyntax | None = None
    ) -> Code:
        """``sequence.name<type_arg>(args)``, through an inline-cache site like any call."""
        items = "(" + ", ".join(args) + ("," if len(args) == 1 else "") + ")"
        type_args = None if type_arg is None else self.type_args((type_arg,))
        return Code(self.cached_call(sequence, self.k(name), items, type_args))

    def packer(self, row: Row) -> Callable[[], str]:
        """The body of a lambda that returns ``row``'s variables as the next row."""
        return lambda: self.pack([self.variable(name) for name, _ in row])

    def let_packer(self, row: Row, value: n.Expr) -> Callable[[], str]:
        """The body of a lambda that returns ``row`` whose last variable is ``value`` (``let``)."""
        return lambda: self.pack(
            [*(self.variable(name) for name, _ in row[:-1]), self.expr(value).src]
        )

    def row_expr(self, row: Row, e: n.Expr, cast: n.TypeSyntax | None = None) -> str:
        """A lambda of the row that returns ``e`` (``Cast<T>()`` of it, given ``cast``)."""
        if cast is None:
            return self.row_lambda([row], lambda: self.expr(e).src)
        return self.row_lambda([row], lambda: self.cast_source(e, cast).src)

    def pack(self, values: list[str]) -> str:
        return values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"

    def variable(self, name: str) -> str:
        local = self.scope.lookup(name)
        assert local is not None
        return self.local_ref(local)

    def row_lambda(self, rows: list[Row], body: Callable[[], str]) -> str:
        """A ``def`` with one parameter per row, each unpacked into its range variables, that
        returns ``body()`` (compiled where those variables are locals); its name."""
        name = self.fresh("f")
        outer_func, outer_scope = self.func, self.scope
        func = Func(outer_func)
        self.func = func
        self.scope = Scope(outer_scope, func)
        try:
            params = []
            for row in rows:
                if len(row) == 1:
                    params.append(self.declare(row[0][0], row[0][1]).py)
                    continue
                param = self.fresh("t")
                params.append(param)
                names = [self.declare(variable, node).py for variable, node in row]
                func.emit(f"{', '.join(names)} = {param}")
            func.emit(f"return {body()}")
        finally:
            self.func, self.scope = outer_func, outer_scope
        outer_func.lines.extend(func.definition(name, params))
        return name


def _is_variable(e: n.Expr, row: Row) -> bool:
    """Is ``e`` just the one range variable of the row (``select x``, ``group x by ...``)?"""
    return len(row) == 1 and isinstance(e, n.Name) and e.name == row[0][0]
