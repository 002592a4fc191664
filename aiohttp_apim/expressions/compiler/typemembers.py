"""The type checker's members: member reads, calls (overloads, argument counts and types,
generic arguments, lambdas typed from their delegate), indexers and constructors, with the state
the checker keeps (problems, scopes of typed locals). typecheck.py adds statements and
expressions."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from aiohttp_apim.dotnet.signatures import CONSTRUCTOR, INDEXER, Param, Signature, split_top_level
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.scopes import resolve
from aiohttp_apim.expressions.compiler.statictypes import (
    DELEGATES,
    Bindings,
    StaticType,
    SType,
    convertible,
    display,
    element_bindings,
    from_text,
)
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["MemberChecks", "delegate_parts"]

_ENUMERABLE_MEMBERS = frozenset(["Count", "Contains", "Add", "Remove", "Clear", "IsReadOnly"])
"""Members of the collection interfaces the library models as IEnumerable (ICollection<T>,
IReadOnlyCollection<T>...): allowed on a value typed IEnumerable, whose real type may have them."""


def context_type() -> SType:
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


def delegate_parts(text: str) -> tuple[list[str], str | None] | None:
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


class MemberChecks:
    """The checker's state and its checks of members (see the module docstring)."""

    def __init__(self) -> None:
        self.problems: list[ExpressionSyntaxError] = []
        self.scopes: list[dict[str, StaticType]] = [{}]
        self.functions: list[dict[str, StaticType]] = [{}]
        self.returns: list[tuple[bool, StaticType]] = []
        """Per enclosing function: (whether its return type is declared, that type)."""
        self.context = context_type()

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

    # ------------------------------------------------------------------ implemented in typecheck

    def expr(self, e: n.Expr, expected: StaticType = None) -> StaticType:
        raise NotImplementedError

    def lambda_(
        self, e: n.Lambda, params: Sequence[StaticType], *, expected_result: bool
    ) -> StaticType:
        raise NotImplementedError

    def exprs(self, items: Sequence[n.Expr]) -> None:
        for item in items:
            self.expr(item)

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
        if len(candidates) == 1:
            self.type_out_vars(e, first, bindings)
        for i, lam in lambdas.items():
            delegate = _param(first, i)
            parts = None if delegate is None else delegate_parts(delegate.type)
            if any(_param(s, i) != delegate for s in candidates[1:]):
                parts = None  # the overloads disagree on the delegate: its parameters are dynamic
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

    def type_out_vars(self, e: n.Call, sig: Signature, bindings: Bindings) -> None:
        """``out var x``: ``x`` has the type of the parameter it is passed to."""
        for i, arg in enumerate(e.args):
            value = arg.value.inner if isinstance(arg.value, n.Paren) else arg.value
            param = _param(sig, i)
            if isinstance(value, n.OutVar) and value.type is None and param is not None:
                self.declare(value.name, from_text(param.type, bindings))

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
    parts = delegate_parts(param.type)
    return parts is not None and len(parts[0]) == len(lam.params)
