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

``object`` -- an uncast ``context.Variables["x"]`` -- and whatever the checker cannot tell are
dynamic: everything is allowed on them and the runtime decides, so that no valid expression is
refused.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from aiohttp_apim.dotnet.signatures import CONSTRUCTOR, INDEXER, Param, Signature, split_top_level
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.flow import completes
from aiohttp_apim.expressions.compiler.scopes import resolve
from aiohttp_apim.expressions.compiler.statictypes import (
    DELEGATES,
    Bindings,
    StaticType,
    SType,
    builtin,
    convertible,
    display,
    element_bindings,
    from_text,
    is_numeric,
    promote,
)
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["check_program"]

_ENUMERABLE_MEMBERS = frozenset(["Count", "Contains", "Add", "Remove", "Clear", "IsReadOnly"])
"""Members of the collection interfaces the library models as IEnumerable (ICollection<T>,
IReadOnlyCollection<T>...): allowed on a value typed IEnumerable, whose real type may have them."""


def check_program(program: n.Program) -> list[ExpressionSyntaxError]:
    """Every type problem of ``program``, in source order."""
    checker = TypeChecker()
    if isinstance(program.body, n.Block):
        checker.block(program.body)
    else:
        checker.expr(program.body)
    return sorted(checker.problems, key=lambda p: (p.line, p.column))


def _context_type() -> SType:
    ref = runtime.resolve_type("IProxyRequestContext")
    assert ref is not None
    return SType(ref)


def _dotted(e: n.Expr) -> list[str] | None:
    """``A.B.C`` as names, when ``e`` is only names and plain member reads."""
    names: list[str] = []
    while isinstance(e, n.Member):
        if e.type_args or e.conditional:
            return None
        names.append(e.name)
        e = e.target
    if not isinstance(e, n.Name):
        return None
    names.append(e.name)
    names.reverse()
    return names


def _where(member: n.Member) -> tuple[int, int]:
    return member.at if member.at != (0, 0) else (member.line, member.column)


def _delegate_parts(text: str) -> tuple[list[str], str | None] | None:
    """A delegate type's parameter types and result type (``Func<T, bool>``: ``[T]``, ``bool``)."""
    text = text.strip()
    if "<" not in text or not text.endswith(">"):
        return None
    base = text[: text.index("<")].rsplit(".", 1)[-1]
    if base not in DELEGATES:
        return None
    args = split_top_level(text[text.index("<") + 1 : -1])
    if base == "Func":
        return args[:-1], args[-1]
    if base == "Comparison":
        return [args[0], args[0]], "int"
    if base == "Predicate":
        return args, "bool"
    if base == "Converter":
        return args[:1], args[1] if len(args) > 1 else None
    return args, None  # Action


class TypeChecker:
    """Walks one program; ``problems`` collects what it finds."""

    def __init__(self) -> None:
        self.problems: list[ExpressionSyntaxError] = []
        self.scopes: list[dict[str, StaticType]] = [{}]
        self.functions: list[dict[str, StaticType]] = [{}]
        self.returns: list[tuple[bool, StaticType]] = []
        """Per enclosing function: (whether its return type is declared, that type)."""
        self.context = _context_type()

    # ------------------------------------------------------------------ problems and scopes

    def problem(self, message: str, line: int, column: int) -> None:
        self.problems.append(ExpressionSyntaxError(message, line, column))

    def declare(self, name: str, t: StaticType) -> None:
        if name and name != "_":
            if t is not None and (t.null or t.integer_constant):
                t = None if t.null else SType(t.ref)
            self.scopes[-1][name] = t

    def lookup(self, name: str) -> tuple[bool, StaticType]:
        for scope in reversed(self.scopes):
            if name in scope:
                return True, scope[name]
        return False, None

    def function_returns(self, name: str) -> tuple[bool, StaticType]:
        for scope in reversed(self.functions):
            if name in scope:
                return True, scope[name]
        return False, None

    def push(self) -> None:
        self.scopes.append({})
        self.functions.append({})

    def pop(self) -> None:
        self.scopes.pop()
        self.functions.pop()

    def syntax_type(self, t: n.TypeSyntax | None) -> StaticType:
        """The static type a declaration names (tuples and delegates are dynamic)."""
        if t is None or t.element_names is not None:
            return None
        if t.name.rsplit(".", 1)[-1] in DELEGATES:
            return None
        return from_text(str(t), {})

    def convert(self, source: StaticType, target: StaticType, where: n.Node) -> None:
        if not convertible(source, target):
            if source is not None and source.null:
                self.problem(
                    f"cannot convert null to '{display(target)}' because it is a non-nullable "
                    "value type",
                    where.line,
                    where.column,
                )
                return
            self.problem(
                f"cannot implicitly convert type '{display(source)}' to '{display(target)}'",
                where.line,
                where.column,
            )

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
                    if d.init is not None:
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

    def exprs(self, items: Sequence[n.Expr]) -> None:
        for item in items:
            self.expr(item)

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

    # ------------------------------------------------------------------ members

    def static_receiver(self, target: n.Expr) -> TypeRef | None:
        """The type ``target`` names, when it names one (``Regex``, ``System.Math``)."""
        if isinstance(target, n.TypeExpr):
            return resolve(str(target.type)) if not target.type.args else None
        names = _dotted(target)
        if names is None or self.lookup(names[0])[0] or names[0] == "context":
            return None
        return resolve(".".join(names))

    def member(self, e: n.Member) -> StaticType:
        static = self.static_receiver(e.target)
        if static is not None:
            return self.static_member(static, e)
        receiver = self.expr(e.target)
        if receiver is None or receiver.null:
            return None
        sigs = self.instance_signatures(receiver, e, invoked=False)
        if sigs is None:
            return None
        values = [s for s in sigs if s.kind in ("property", "field")]
        if not values:
            return None  # a method group (a delegate), or undeclared: dynamic
        t = from_text(values[0].returns, element_bindings(receiver))
        if e.conditional and t is not None and t.ref.value_type:
            return SType(t.ref, t.args, nullable=True)
        return t

    def allowed(self, t: SType) -> set[str]:
        ref = t.ref
        names = ref.member_names(static=False)
        for base in ref.linearized():
            names.update(
                n for n, sigs in base.signatures.items() if any(not s.static for s in sigs)
            )
        if runtime.resolve_type("IEnumerable") in ref.linearized():
            names |= _ENUMERABLE_MEMBERS if ref is runtime.resolve_type("IEnumerable") else set()
        if t.nullable:
            names |= {"HasValue", "Value", "GetValueOrDefault"}
        names.discard(CONSTRUCTOR)
        names.discard(INDEXER)
        return names

    def instance_signatures(
        self, receiver: SType, e: n.Member, *, invoked: bool
    ) -> list[Signature] | None:
        """The declared signatures of ``e.name`` on ``receiver`` (None: reported or unknown)."""
        names = self.allowed(receiver)
        line, column = _where(e)
        if e.name not in names:
            self.unknown_member(display(receiver), e.name, names, line, column)
            return None
        if receiver.nullable and e.name in ("HasValue", "Value", "GetValueOrDefault"):
            return None  # Nullable<T>'s own (the runtime reads them off the value)
        # every overload of the type and its bases: C# looks in a base when none of the
        # derived type's fits (``XText.ToString()`` beside ``XNode.ToString(SaveOptions)``)
        found: list[Signature] = []
        for t in reversed(receiver.ref.linearized()):
            found.extend(
                s for s in t.signatures.get(e.name, ()) if not s.static and not s.extension
            )
        found.extend(s for s in receiver.ref.signatures_of(e.name, static=False) if s.extension)
        return found

    def unknown_member(
        self, type_name: str, name: str, names: set[str], line: int, column: int
    ) -> None:
        close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        self.problem(
            f"'{type_name}' does not contain a definition for '{name}'{hint}", line, column
        )

    def static_names(self, t: TypeRef) -> set[str]:
        names = t.member_names(static=True)
        names.update(n for n, sigs in t.signatures.items() if any(s.static for s in sigs))
        return names

    def static_member(self, t: TypeRef, e: n.Member) -> StaticType:
        names = self.static_names(t)
        line, column = _where(e)
        if e.name not in names:
            if resolve(f"{t.full_name}.{e.name}") is not None:
                return None  # a nested type (``TimeZoneInfo.AdjustmentRule``)
            if e.name in self.allowed(SType(t)):
                self.problem(
                    f"an object reference is required for the non-static member "
                    f"'{display(SType(t))}.{e.name}'",
                    line,
                    column,
                )
                return None
            self.unknown_member(display(SType(t)), e.name, names, line, column)
            return None
        values = [
            s for s in t.signatures_of(e.name, static=True) if s.kind in ("property", "field")
        ]
        return from_text(values[0].returns, {}) if values else None

    # ------------------------------------------------------------------ calls

    def call(self, e: n.Call) -> StaticType:
        target = e.target
        if not isinstance(target, n.Member):
            if isinstance(target, n.Name):
                known, returns = self.function_returns(target.name)
                self.args(e.args)
                return returns if known else None
            self.expr(target)
            self.args(e.args)
            return None
        static = self.static_receiver(target.target)
        bindings: Bindings = {}
        line, column = _where(target)
        if static is not None:
            names = self.static_names(static)
            if target.name not in names:
                self.static_member(static, target)  # reports it
                self.args(e.args)
                return None
            sigs = static.signatures_of(target.name, static=True)
            owner = display(SType(static))
        else:
            receiver = self.expr(target.target)
            if receiver is None or receiver.null:
                self.args(e.args)
                return None
            found = self.instance_signatures(receiver, target, invoked=True)
            if found is None:
                self.args(e.args)
                return None
            sigs = found
            bindings = element_bindings(receiver)
            owner = display(receiver)
        methods = [s for s in sigs if s.kind == "method"]
        if sigs and not methods:
            self.problem(
                f"non-invocable member '{owner}.{target.name}' cannot be used like a method",
                line,
                column,
            )
            self.args(e.args)
            return None
        if not methods:
            self.args(e.args)
            return None  # implemented without a declaration: the runtime decides
        count = len(e.args)
        candidates = [s for s in methods if s.accepts(count)]
        if not candidates:
            self.problem(
                f"no overload for method '{target.name}' takes {count} arguments", line, column
            )
            self.args(e.args)
            return None
        return self.overload(e, target, candidates, bindings)

    def args(self, args: Sequence[n.Argument]) -> list[StaticType]:
        return [self.expr(a.value) for a in args]

    def overload(
        self,
        e: n.Call,
        target: n.Member,
        candidates: list[Signature],
        receiver: Bindings,
    ) -> StaticType:
        """Check the arguments against the overloads that take their number; the call's type
        when the overloads agree on it."""
        explicit = [self.syntax_type(t) for t in target.type_args]
        if explicit:
            candidates = [s for s in candidates if len(s.generic) == len(explicit)] or candidates
        # lambdas: keep the overloads whose delegate takes as many parameters as written
        lambdas = {i: a.value for i, a in enumerate(e.args) if isinstance(a.value, n.Lambda)}
        fitting = [s for s in candidates if all(_fits(s, i, lam) for i, lam in lambdas.items())]
        candidates = fitting or candidates
        types: list[StaticType] = [None] * len(e.args)
        for i, a in enumerate(e.args):
            if i not in lambdas:
                types[i] = self.expr(a.value)
        first = candidates[0]
        bindings = dict(receiver)
        if explicit and len(first.generic) == len(explicit):
            bindings.update(zip(first.generic, explicit, strict=True))
        if not any(a.name for a in e.args):
            for param, t in zip(first.params, types, strict=False):
                if param.type in first.generic and param.type not in bindings and t is not None:
                    bindings[param.type] = None if t.null else SType(t.ref, t.args, t.nullable)
        for i, lam in lambdas.items():
            delegate = _param(first, i)
            parts = None if delegate is None else _delegate_parts(delegate.type)
            params = [] if parts is None else [from_text(p, bindings) for p in parts[0]]
            result = self.lambda_(lam, params, expected_result=True)
            if parts is not None and parts[1] in first.generic and parts[1] not in bindings:
                bindings[parts[1]] = (
                    None
                    if result is None or result.null
                    else SType(result.ref, result.args, result.nullable)
                )
        if not any(a.name for a in e.args):
            self.check_arguments(e, target, candidates, types, receiver, bindings)
        returns = (
            {sig.returns for sig in candidates if sig.returns != "void"}
            if len({len(s.generic) for s in candidates}) <= 1
            else set()
        )
        if len(returns) != 1 or any(s.returns == "void" for s in candidates):
            return None
        return from_text(first.returns, bindings)

    def check_arguments(
        self,
        e: n.Call,
        target: n.Member,
        candidates: list[Signature],
        types: list[StaticType],
        receiver: Bindings,
        bindings: Bindings,
    ) -> None:
        """Refuse arguments of built-in types that no overload converts."""

        def mismatches(sig: Signature) -> Iterator[tuple[int, StaticType, StaticType]]:
            known: Bindings = {**receiver, **dict.fromkeys(sig.generic)}
            if sig is candidates[0]:
                known.update(bindings)
            for i, (arg, t) in enumerate(zip(e.args, types, strict=False)):
                param = _param(sig, i)
                if param is None or param.params or arg.modifier or t is None:
                    continue
                wanted = from_text(param.type, known)
                if not convertible(t, wanted):
                    yield i, t, wanted

        bad = [next(mismatches(sig), None) for sig in candidates]
        if any(b is None for b in bad):
            return
        if len(candidates) == 1:
            found = bad[0]
            assert found is not None
            i, t, wanted = found
            where = e.args[i]
            self.problem(
                f"argument {i + 1}: cannot convert from '{display(t)}' to '{display(wanted)}'",
                where.line,
                where.column,
            )
            return
        line, column = _where(target)
        shown = ", ".join(display(t) for t in types)
        self.problem(
            f"no overload of method '{target.name}' takes arguments ({shown})", line, column
        )

    def index(self, e: n.Index) -> StaticType:
        receiver = self.expr(e.target)
        self.args(e.args)
        if receiver is None or receiver.null:
            return None
        ref = receiver.ref
        sigs = [s for s in ref.signatures_of(INDEXER, static=False) if s.accepts(len(e.args))]
        if not sigs:
            if ref.table().indexer is None and ref is not runtime.resolve_type("IEnumerable"):
                self.problem(
                    f"cannot apply indexing with [] to an expression of type '{display(receiver)}'",
                    e.line,
                    e.column,
                )
            return None
        t = from_text(sigs[0].returns, element_bindings(receiver))
        if e.conditional and t is not None and t.ref.value_type:
            return SType(t.ref, t.args, nullable=True)
        return t

    def new(self, e: n.New) -> StaticType:
        t = self.syntax_type(e.type)
        self.args(e.args)
        if e.initializer is not None:
            for entry in e.initializer.entries:
                self.args(entry.args)
                self.exprs(entry.values)
        if t is None:
            return None
        ctors = t.ref.signatures_of(CONSTRUCTOR, static=False)
        if ctors and not any(s.accepts(len(e.args)) for s in ctors):
            self.problem(
                f"'{display(t)}' does not contain a constructor that takes {len(e.args)} arguments",
                e.type.line,
                e.type.column,
            )
        return t


def _param(sig: Signature, i: int) -> Param | None:
    """The parameter argument ``i`` binds to (a ``params`` array takes the rest)."""
    if i < len(sig.params) and not sig.params[i].params:
        return sig.params[i]
    if sig.params and sig.params[-1].params:
        return sig.params[-1]
    return None


def _fits(sig: Signature, i: int, lam: n.Lambda) -> bool:
    """Whether the lambda argument ``i`` has as many parameters as the delegate there takes."""
    param = _param(sig, i)
    if param is None:
        return False
    parts = _delegate_parts(param.type)
    return parts is None or len(parts[0]) == len(lam.params)
