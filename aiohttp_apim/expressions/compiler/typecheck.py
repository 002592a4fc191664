"""The type checker: what APIM's C# compiler refuses when a policy is saved, found when policies
load instead of on the first request.

It runs over a program the code generator accepted (so names, types and syntax are known good)
and gives every expression a static type where C# has one (statictypes.py): ``context`` and its
members, casts, literals, ``var`` from its initializer, members' declared types, explicit and
inferred generic arguments (``As<JObject>()``, ``GetValueOrDefault<int>``, ``T`` of ``Select``'s
lambda from the sequence it is called on). It reports, all at once:

* a member a type does not have (with a "did you mean" when one name is close), static or not;
* a method called with a number of arguments none of its overloads takes, a property called;
* an argument, an initializer, an assignment or a local function's return of a built-in type
  that C# does not convert implicitly (``int x = "a"``);
* indexing a type that has no indexer;
* a local function that does not return a value on every path.

Statements and expressions are walked here; members, calls, indexers and constructors are
checked in typemembers.py.

``object`` -- an uncast ``context.Variables["x"]`` -- and whatever the checker cannot tell are
dynamic: everything is allowed on them and the runtime decides, so that no valid expression is
refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions.compiler.flow import completes
from aiohttp_apim.expressions.compiler.statictypes import (
    StaticType,
    SType,
    builtin,
    convertible,
    element_bindings,
    from_text,
    is_numeric,
    promote,
)
from aiohttp_apim.expressions.compiler.typemembers import MemberChecks, delegate_parts
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError

__all__ = ["check_program"]


def check_program(program: n.Program) -> list[ExpressionSyntaxError]:
    """Every type problem of ``program``, in source order."""
    checker = TypeChecker()
    if isinstance(program.body, n.Block):
        checker.block(program.body)
    else:
        checker.expr(program.body)
    return sorted(checker.problems, key=lambda p: (p.line, p.column))


class TypeChecker(MemberChecks):
    """Walks one program; ``problems`` collects what it finds."""

    # ------------------------------------------------------------------ statements

    def block(self, b: n.Block) -> None:
        self.push()
        for s in b.body:
            if isinstance(s, n.LocalFunction):
                self.functions[-1][s.name] = self.syntax_type(s.returns)
        for s in b.body:
            self.stmt(s)
        self.pop()

    def stmt(self, s: n.Stmt) -> None:
        match s:
            case n.ExprStmt():
                self.expr(s.expr)
            case n.LocalDecl():
                declared = self.syntax_type(s.type)
                for d in s.declarators:
                    t: StaticType = declared
                    if isinstance(d.init, n.Lambda) and s.type is not None:
                        # ``Func<string, int> f = s => ...``: the lambda's parameters typed
                        parts = delegate_parts(str(s.type))
                        params = [] if parts is None else [from_text(p, {}) for p in parts[0]]
                        self.lambda_(d.init, params, expected_result=False)
                    elif d.init is not None:
                        value = self.expr(d.init, expected=declared)
                        if s.type is not None:
                            self.convert(value, declared, d.init)
                        else:
                            t = value
                    self.declare(d.name, t)
            case n.Return():
                if s.value is not None:
                    declared_at, returns = self.returns[-1] if self.returns else (False, None)
                    value = self.expr(s.value, expected=returns)
                    if declared_at:
                        self.convert(value, returns, s.value)
            case n.If():
                self.expr(s.cond)
                self.stmt(s.then)
                if s.otherwise is not None:
                    self.stmt(s.otherwise)
            case n.While():
                self.expr(s.cond)
                self.stmt(s.body)
            case n.DoWhile():
                self.stmt(s.body)
                self.expr(s.cond)
            case n.For():
                self.push()
                for init in s.init:
                    self.stmt(init)
                if s.cond is not None:
                    self.expr(s.cond)
                for update in s.update:
                    self.expr(update)
                self.stmt(s.body)
                self.pop()
            case n.Foreach():
                self.push()
                element = element_bindings(self.expr(s.iterable)).get("T")
                if s.target is not None:
                    self.tuple_target(s.target)
                elif s.type is not None:
                    self.declare(s.name, self.syntax_type(s.type))
                else:
                    self.declare(s.name, element)
                self.stmt(s.body)
                self.pop()
            case n.Throw():
                if s.value is not None:
                    self.expr(s.value)
            case n.Try():
                self.block(s.body)
                for c in s.catches:
                    self.push()
                    if c.name is not None:
                        self.declare(c.name, self.syntax_type(c.type))
                    if c.filter is not None:
                        self.expr(c.filter)
                    self.block(c.body)
                    self.pop()
                if s.final is not None:
                    self.block(s.final)
            case n.LocalFunction():
                self.local_function(s)
            case n.CheckedBlock():
                self.block(s.body)
            case n.Switch():
                self.expr(s.subject)
                for section in s.sections:
                    self.push()
                    for label in section.labels:
                        pattern = label.pattern
                        if isinstance(pattern, n.ConstantPattern):
                            self.expr(pattern.value)
                        elif isinstance(pattern, n.DeclarationPattern):
                            self.declare(pattern.name, self.syntax_type(pattern.type))
                        if label.guard is not None:
                            self.expr(label.guard)
                    for body in section.body:
                        self.stmt(body)
                    self.pop()
            case n.Block():
                self.block(s)
            case _:
                pass  # break, continue, empty

    def local_function(self, s: n.LocalFunction) -> None:
        returns = self.syntax_type(s.returns)
        self.push()
        for p in s.params:
            self.declare(p.name, self.syntax_type(p.type))
        self.returns.append((s.returns is not None, returns))
        try:
            if isinstance(s.body, n.Block):
                self.block(s.body)
                if s.returns is not None and completes(s.body):
                    self.problem(
                        f"'{s.name}': not all code paths return a value",
                        s.body.end_line,
                        s.body.end_column,
                    )
            else:
                value = self.expr(s.body, expected=returns)
                if s.returns is not None:
                    self.convert(value, returns, s.body)
        finally:
            self.returns.pop()
            self.pop()

    def tuple_target(self, target: n.TupleTarget) -> None:
        for item in target.items:
            if isinstance(item, n.VarTarget):
                self.declare(item.name, self.syntax_type(item.type))
            elif isinstance(item, n.TupleTarget):
                self.tuple_target(item)
            else:
                self.expr(item)

    # ------------------------------------------------------------------ expressions

    def expr(self, e: n.Expr, expected: StaticType = None) -> StaticType:
        match e:
            case n.Member():
                return self.member(e)
            case n.Call():
                return self.call(e)
            case n.Index():
                return self.index(e)
            case n.Literal():
                return self.literal(e)
            case n.Name():
                if e.name == "context" and not self.lookup("context")[0]:
                    return self.context
                return self.lookup(e.name)[1]
            case n.Binary():
                return self.binary(e)
            case n.Interpolated():
                for part in e.parts:
                    if isinstance(part, n.Hole):
                        self.expr(part.expr)
                        if part.alignment is not None:
                            self.expr(part.alignment)
                return builtin("string")
            case n.Paren():
                return self.expr(e.inner, expected)
            case n.Cast():
                self.expr(e.operand)
                return self.syntax_type(e.type)
            case n.Logical():
                self.expr(e.left)
                self.expr(e.right)
                return builtin("bool")
            case n.Coalesce():
                left = self.expr(e.left)
                right = self.expr(e.right)
                if left is None or left.null:
                    return right
                return SType(left.ref, left.args)
            case n.Conditional():
                self.expr(e.cond)
                return self.common(self.expr(e.then, expected), self.expr(e.otherwise, expected))
            case n.Unary():
                operand = self.expr(e.operand)
                if e.op == "!":
                    return builtin("bool")
                return promote(operand, operand)
            case n.Lambda():
                return self.lambda_(e, [], expected_result=False)
            case n.Assign():
                return self.assign(e)
            case n.IncDec():
                return self.expr(e.target)
            case n.Is():
                self.expr(e.operand)
                if e.name is not None:
                    self.declare(e.name, self.syntax_type(e.type))
                return builtin("bool")
            case n.IsNull():
                self.expr(e.operand)
                return builtin("bool")
            case n.As():
                self.expr(e.operand)
                return self.syntax_type(e.type)
            case n.New():
                return self.new(e)
            case n.NewArray():
                return self.new_array(e)
            case n.Anonymous():
                self.exprs([value for _, value in e.members])
                return None
            case n.Default():
                return None if e.type is None else self.syntax_type(e.type)
            case n.Checked():
                return self.expr(e.inner, expected)
            case n.NameOf():
                return builtin("string")
            case n.TypeOf():
                return from_text("Type", {})
            case n.Query():
                self.query(e)
                return None
            case n.TupleLiteral():
                self.exprs(e.items)
                return None
            case n.Deconstruct():
                self.expr(e.value)
                self.tuple_target(e.target)
                return None
            case n.ThrowExpr():
                self.expr(e.value)
                return None
            case n.OutVar():
                self.declare(e.name, self.syntax_type(e.type))
                return None
            case _:
                return None  # TypeExpr: a type is no value

    def new_array(self, e: n.NewArray) -> StaticType:
        """``new T[n]``, ``new T[] { ... }``, or ``new[] { ... }`` (of its items' common type)."""
        if e.size is not None:
            self.expr(e.size)
        items = [self.expr(item) for item in e.items or ()]
        element: StaticType = None
        if e.element is not None:
            element = self.syntax_type(e.element)
        elif items:
            element = items[0]
            for t in items[1:]:
                element = self.common(element, t)
        if element is None or element.null or element.nullable:
            return None
        return from_text(f"{element.ref.full_name}[]", {})

    def literal(self, e: n.Literal) -> StaticType:
        value = e.value
        match e.kind:
            case "string":
                return builtin("string")
            case "bool":
                return builtin("bool")
            case "char":
                return builtin("char")
            case "null":
                return SType(builtin("object").ref, null=True)
            case "real":
                name = {"f": "float", "m": "decimal"}.get(e.suffix, "double")
                return builtin(name)
            case _:  # "int"
                assert isinstance(value, int)
                suffix = e.suffix
                if "l" in suffix:
                    name = "ulong" if "u" in suffix or value >= 2**63 else "long"
                elif "u" in suffix:
                    name = "uint" if value < 2**32 else "ulong"
                elif value < 2**31:
                    name = "int"
                elif value < 2**32:
                    name = "uint"
                elif value < 2**63:
                    name = "long"
                else:
                    name = "ulong"
                return SType(builtin(name).ref, integer_constant=True)

    def common(self, a: StaticType, b: StaticType) -> StaticType:
        """The type of ``c ? a : b``."""
        if a is None or b is None:
            return None
        if a.null:
            return b if not b.ref.value_type else None
        if b.null:
            return a if not a.ref.value_type else None
        if a.ref is b.ref and a.args == b.args and a.nullable == b.nullable:
            return SType(a.ref, a.args, a.nullable)
        if is_numeric(a) and is_numeric(b):
            if convertible(a, b):
                return SType(b.ref)
            if convertible(b, a):
                return SType(a.ref)
        return None

    def binary(self, e: n.Binary) -> StaticType:
        left = self.expr(e.left)
        right = self.expr(e.right)
        op = e.op
        if op in ("==", "!=", "<", ">", "<=", ">="):
            return builtin("bool")
        string = builtin("string").ref
        if op == "+" and (
            (left is not None and left.ref is string and not left.null)
            or (right is not None and right.ref is string and not right.null)
        ):
            return builtin("string")
        if op in ("&", "|", "^"):
            boolean = builtin("bool").ref
            if left is not None and right is not None and left.ref is right.ref is boolean:
                return builtin("bool")
        if op in ("<<", ">>"):
            return promote(left, left)
        if op in ("+", "-", "*", "/", "%", "&", "|", "^"):
            return promote(left, right)
        return None

    def assign(self, e: n.Assign) -> StaticType:
        target = self.expr(e.target)
        value = self.expr(e.value, expected=target)
        if e.op == "=" and isinstance(e.target, n.Name):
            known, declared = self.lookup(e.target.name)
            if known:
                self.convert(value, declared, e.value)
        return target

    def lambda_(
        self, e: n.Lambda, params: Sequence[StaticType], *, expected_result: bool
    ) -> StaticType:
        """Check a lambda with its parameters typed; its body's type (the delegate's result,
        for inferring ``TResult``) when ``expected_result``."""
        self.push()
        for i, p in enumerate(e.params):
            t = self.syntax_type(p.type) if p.type is not None else None
            if p.type is None and i < len(params):
                t = params[i]
            self.declare(p.name, t)
        self.returns.append((False, None))
        result: StaticType = None
        try:
            if isinstance(e.body, n.Block):
                self.block(e.body)
            else:
                result = self.expr(e.body)
        finally:
            self.returns.pop()
            self.pop()
        return result if expected_result else None

    def query(self, e: n.Query) -> None:
        self.push()
        self.declare(e.first.name, self.range_variable(e.first.type, e.first.source))
        body: n.QueryBody | None = e.body
        while body is not None:
            for clause in body.clauses:
                match clause:
                    case n.FromClause():
                        self.declare(clause.name, self.range_variable(clause.type, clause.source))
                    case n.LetClause():
                        self.declare(clause.name, self.expr(clause.value))
                    case n.WhereClause():
                        self.expr(clause.condition)
                    case n.JoinClause():
                        self.declare(clause.name, self.range_variable(clause.type, clause.source))
                        self.expr(clause.left)
                        self.expr(clause.right)
                        if clause.into is not None:
                            self.declare(clause.into, None)
                    case n.OrderByClause():
                        for ordering in clause.orderings:
                            self.expr(ordering.key)
            final = body.final
            if isinstance(final, n.SelectClause):
                self.expr(final.value)
            else:
                self.expr(final.element)
                self.expr(final.key)
            if body.into is not None:
                self.declare(body.into, None)
            body = body.continuation
        self.pop()

    def range_variable(self, declared: n.TypeSyntax | None, source: n.Expr) -> StaticType:
        element = element_bindings(self.expr(source)).get("T")
        return self.syntax_type(declared) if declared is not None else element
