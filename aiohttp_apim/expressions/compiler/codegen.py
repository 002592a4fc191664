"""The code generator's state and shared utilities: the constants table, fresh names, the generated
expression fragments (`Code`), declarations, type references and conversions. The statement,
member and expression generators build on `CodeGen`; `program.Compiler` combines them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeAlias

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.folding import Constant, constant, fold
from aiohttp_apim.expressions.compiler.scopes import (
    DELEGATE_TYPES,
    NUMERIC_TYPES,
    Func,
    Local,
    Scope,
    err,
    resolve,
    resolve_required,
    type_hint,
)

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = ["Code", "CodeGen"]


Overflow: TypeAlias = Literal["default", "checked", "unchecked"]
"""The overflow-checking context: ``checked``/``unchecked`` as written, or C#'s default (constant
expressions checked at compile time, everything else unchecked)."""

Piece: TypeAlias = tuple[str, str | None]
"""One operand of a flattened string concatenation: its source, or its constant text (whose
source is then made from the text when the concatenation is finished)."""


@dataclass(slots=True)
class Code:
    """A generated Python expression. ``kind`` is what it is statically known to produce:
    ``"str"`` (a str), ``"str?"`` (str or None), ``"bool"``, ``"null"`` or ``"any"``.
    ``const`` is its value when known at compile time. ``pieces`` is set for string
    concatenations so that ``a + b + c`` flattens into one."""

    src: str
    kind: str = "any"
    const: Constant | None = None
    pieces: tuple[Piece, ...] | None = None

    @property
    def is_const(self) -> bool:
        return self.const is not None


class CodeGen:
    """State and utilities shared by the generators (see the module docstring)."""

    def __init__(self) -> None:
        self.consts: list[object] = []
        self._const_ids: dict[tuple[type, object], str] = {}
        self.counter = 0
        self.func = Func(None)
        self.scope = Scope(None, self.func)
        self.uses_budget = False
        self.has_loops = False
        self.sites = 0
        self.overflow: Overflow = "default"
        # the member read compiled as a method group when it names a method (see `delegate`)
        self.method_group: n.Member | None = None
        # the last call compiled to a fast read of a request header (see `header_read`)
        self.fast_header_read: n.Expr | None = None

    # ------------------------------------------------------------- implemented by the generators

    def expr(self, e: n.Expr) -> Code:
        raise NotImplementedError

    def stmt(self, s: n.Stmt) -> None:
        raise NotImplementedError

    def block(self, block: n.Block) -> None:
        raise NotImplementedError

    def function_def(
        self,
        name: str,
        params: tuple[n.Param, ...],
        body: n.Expr | n.Block,
        *,
        returns: n.TypeSyntax | None,
    ) -> list[tuple[int, str]]:
        raise NotImplementedError

    def target_typed(self, e: n.Expr, t: n.TypeSyntax | None) -> n.Expr:
        raise NotImplementedError

    def emit_continue(self, where: n.Node) -> None:
        raise NotImplementedError

    def member_target(self, target: n.Member) -> Code:
        raise NotImplementedError

    def cached_call(self, target: Code, name: str, args: str, type_args: str | None) -> str:
        raise NotImplementedError

    def element_names_of(self, e: n.Expr) -> tuple[str | None, ...] | None:
        raise NotImplementedError

    def deconstruct(self, e: n.Deconstruct) -> None:
        raise NotImplementedError

    def deconstruct_into(self, target: n.TupleTarget, value: str) -> None:
        raise NotImplementedError

    def throw_code(self, value: n.Expr) -> str:
        raise NotImplementedError

    def assign(self, e: n.Assign, *, statement: bool) -> Code:
        raise NotImplementedError

    def incdec(self, e: n.IncDec, *, statement: bool) -> Code:
        raise NotImplementedError

    # ---------------------------------------------------------------------------- utilities

    def k(self, value: object) -> str:
        """The generated name of a constant (deduplicated when hashable)."""
        # Only str/int/bool/None are shared: 0.0 == -0.0 and Decimal("1.0") == Decimal("1")
        # compare equal but must stay distinct constants.
        key = (type(value), value) if type(value) in (str, int, bool, type(None)) else None
        if key is not None:
            found = self._const_ids.get(key)
            if found is not None:
                return found
        name = f"k{len(self.consts)}"
        self.consts.append(value)
        if key is not None:
            self._const_ids[key] = name
        return name

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def const_code(self, value: object) -> Code:
        """The code of a value known at compile time (a constant when it is a scalar)."""
        if value is None:
            return Code("None", "null", Constant(None))
        if value is True or value is False:
            return Code("True" if value else "False", "bool", Constant(value))
        kind = "str" if type(value) is str else "any"
        return Code(self.k(value), kind, constant(value))

    def type_ref(self, t: n.TypeSyntax) -> TypeRef:
        """Resolve a type at compile time; unknown types are compile errors."""
        name = str(n.TypeSyntax(t.line, t.column, t.name, (), False, t.ranks, t.keyword))
        ref = resolve(name)
        if ref is None and t.ranks == 0 and t.args:
            ref = resolve(f"{t.name}`{len(t.args)}")
        if ref is None:
            raise err(f"unknown type '{t}'{type_hint(t.name)}", t)
        return ref

    def type_args(self, args: tuple[n.TypeSyntax, ...]) -> str | None:
        if not args:
            return None
        return self.k(tuple(self.type_argument(a) for a in args))

    def type_argument(self, t: n.TypeSyntax) -> TypeRef:
        """A type argument (``List<Func<int>>``: delegates are plain callables, objects)."""
        if t.name.rsplit(".", 1)[-1] in DELEGATE_TYPES and not t.ranks:
            return resolve_required("object", t)
        return self.type_ref(t)

    def declare(
        self,
        name: str,
        node: n.Node,
        convert: str | None = None,
        declared: n.TypeSyntax | None = None,
    ) -> Local:
        if name == "_":
            raise err("'_' cannot be used as a variable name here", node)
        if name == "context" or self.scope.lookup(name) is not None:
            raise err(
                f"a local named '{name}' is already defined in this or an enclosing scope", node
            )
        local = Local(self.fresh("v"), self.func, convert, declared)
        if declared is not None:
            local.element_names = declared.element_names
        self.scope.names[name] = local
        return local

    def conversion(self, t: n.TypeSyntax | None) -> str | None:
        """Typed numeric locals convert on assignment (``double d = 1`` holds 1.0, as in C#), and
        so do locals of types with an implicit conversion (``XNamespace ns = "urn:x"``)."""
        if t is None or t.nullable or t.ranks:
            return None
        if t.keyword:
            return self.k(self.type_ref(t)) if t.name in NUMERIC_TYPES else None
        ref = resolve(t.name) if not t.args else None
        return self.k(ref) if ref is not None and ref.implicit else None

    def check_type(self, t: n.TypeSyntax) -> None:
        """Types of declarations must exist, except delegate types (lambdas are plain callables)."""
        base = t.name.rsplit(".", 1)[-1]
        if base in DELEGATE_TYPES:
            return
        for arg in t.args:
            self.check_type(arg)
        self.type_ref(t)

    def local_ref(self, local: Local) -> str:
        if local.func is not self.func:
            # assigned from a lambda: Python needs ``nonlocal`` in every function in between
            func: Func | None = self.func
            while func is not None and func is not local.func:
                func.nonlocals.add(local.py)
                func = func.parent
        return local.py

    def push_scope(self) -> None:
        self.scope = Scope(self.scope, self.func)

    def pop_scope(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def converted(self, code: Code, convert: str | None) -> str:
        if convert is None:
            return code.src
        const = code.const
        if const is not None:
            ref = self.consts[int(convert[1:])]
            assert isinstance(ref, runtime.TypeRef)
            folded = fold(lambda: runtime.cast(ref, const.value))
            if folded is not None:
                return self.const_code(folded.value).src
        return f"_cast({convert}, {code.src})"

    def operator(self, op: str) -> str:
        """The run-time helper of a binary arithmetic operator in the current context."""
        return "_binc" if self.overflow == "checked" and op in ("+", "-", "*") else "_bin"

    def fold_operation(self, thunk: Callable[[], object], where: n.Node) -> Constant | None:
        """Evaluate an operation on constants at compile time. As C# does, an overflow is an
        error there unless the expression is in an ``unchecked`` context, and so is an integral
        division by constant zero; other failures are left for run time (None)."""
        try:
            value = thunk()
        except ExpressionError as error:
            if error.exception_type == "OverflowException" and self.overflow != "unchecked":
                raise err(
                    "the operation overflows at compile time in checked mode "
                    "(use 'unchecked' to allow it)",
                    where,
                ) from None
            if error.exception_type == "DivideByZeroException":
                raise err("division by constant zero", where) from None
            return None
        except Exception:
            return None
        return constant(value)

    def delegate(self, e: n.Expr) -> Code:
        """A value where C# may convert a method group to a delegate (an argument, the value of
        a delegate-typed variable): ``Select(int.Parse)``, ``Where(allowed.Contains)``."""
        if not isinstance(e, n.Member) or e.type_args:
            return self.expr(e)
        outer, self.method_group = self.method_group, e
        try:
            return self.expr(e)
        finally:
            self.method_group = outer

    def condition(self, e: n.Expr) -> Code:
        code = self.expr(e)
        if code.kind == "bool":
            return code
        if code.is_const:
            raise err("cannot implicitly convert this constant to bool", e)
        return Code(f"_tb({code.src})", "bool")

    def argument_tuple(self, args: tuple[n.Argument, ...], where: n.Node) -> str:
        """The Python source of an argument tuple; a constant when every argument is one."""
        codes: list[Code] = []
        for arg in args:
            if arg.modifier in ("out", "ref"):
                raise err(f"'{arg.modifier}' arguments are only allowed in method calls", arg)
            codes.append(self.delegate(arg.value))
        values = [c.const.value for c in codes if c.const is not None]
        if len(values) == len(codes):
            return self.k(tuple(values))
        return "(" + ", ".join(c.src for c in codes) + ("," if len(codes) == 1 else "") + ")"

    def site(self) -> tuple[int, str, str]:
        """A new inline-cache site: its number and the names of its type and implementation."""
        i = self.sites
        self.sites += 1
        return i, f"T{i}", f"K{i}"
