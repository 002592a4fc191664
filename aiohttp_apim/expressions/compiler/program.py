"""The compiler: lex, parse, generate one Python function, and run it in the sandbox namespace."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from types import FunctionType
from typing import assert_never

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.codegen import Code
from aiohttp_apim.expressions.compiler.expressions import ExpressionGen
from aiohttp_apim.expressions.compiler.flow import completes, contains_loop
from aiohttp_apim.expressions.compiler.helpers import FILENAME, HELPERS
from aiohttp_apim.expressions.compiler.members import MemberGen
from aiohttp_apim.expressions.compiler.queries import QueryGen
from aiohttp_apim.expressions.compiler.result import CompiledExpression
from aiohttp_apim.expressions.compiler.scopes import err
from aiohttp_apim.expressions.compiler.sites import Sites
from aiohttp_apim.expressions.compiler.statements import StatementGen
from aiohttp_apim.expressions.compiler.switches import SwitchGen
from aiohttp_apim.expressions.compiler.tuples import TupleGen
from aiohttp_apim.expressions.compiler.typecheck import check_program
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError, HoleTokens, Token, tokenize
from aiohttp_apim.expressions.parser import parse_tokens

__all__ = ["Compiler", "compile_program", "names_in"]

log = logging.getLogger(__name__)


class Compiler(StatementGen, SwitchGen, TupleGen, QueryGen, MemberGen, ExpressionGen):
    """Compiles one program (``@(...)`` or ``@{...}``) to the source of a Python function."""

    def program(self, program: n.Program) -> tuple[str, Code | None]:
        body = program.body
        self.has_loops = contains_loop(program)
        result: Code | None = None
        if isinstance(body, n.Block):
            self.block(body)
            if completes(body):
                raise ExpressionSyntaxError(
                    "not all code paths return a value", body.end_line, body.end_column
                )
        else:
            result = self.expr(body)
            self.func.emit(f"return {result.src}")
        # The conversion of stray exceptions lives in the generated function itself, so that a
        # compiled expression is called with a single Python frame (see compile_program).
        lines = ["def e(c):", "    try:"]
        if self.uses_budget:
            # b: steps left in the slice taken; t0: the budget (fresh() never makes ``t0``)
            lines.append("        b = 0")
            lines.append("        t0 = None")
        lines.extend("    " * (indent + 1) + text for indent, text in self.func.lines)
        lines += [
            "    except _Err:",
            "        raise",
            "    except (_Exc, _Budget) as x0:",
            "        raise _top(x0) from None",
        ]
        return "\n".join(lines) + "\n", result

    def stmt(self, s: n.Stmt) -> None:
        match s:
            case n.ExprStmt():
                self.s_expr(s)
            case n.LocalDecl():
                self.s_local(s)
            case n.Return():
                self.s_return(s)
            case n.If():
                self.s_if(s)
            case n.Block():
                self.block(s)
            case n.Foreach():
                self.s_foreach(s)
            case n.For():
                self.s_for(s)
            case n.While():
                self.s_while(s)
            case n.DoWhile():
                self.s_do(s)
            case n.Break() | n.Continue():
                self.s_jump(s)
            case n.Throw():
                self.s_throw(s)
            case n.Try():
                self.s_try(s)
            case n.LocalFunction():
                self.s_function(s)
            case n.CheckedBlock():
                self.s_checked(s)
            case n.Switch():
                self.s_switch(s)
            case n.Empty():
                pass
            case _:
                assert_never(s)

    def expr(self, e: n.Expr) -> Code:
        # the most frequent nodes first: a match tries its cases in order
        match e:
            case n.Member() | n.Call() | n.Index():
                return self.e_chain(e)
            case n.Literal():
                return self.e_literal(e)
            case n.Name():
                return self.e_name(e)
            case n.Binary():
                return self.e_binary(e)
            case n.Interpolated():
                return self.e_interpolated(e)
            case n.Paren():
                return self.e_paren(e)
            case n.Cast():
                return self.e_cast(e)
            case n.Logical():
                return self.e_logical(e)
            case n.Coalesce():
                return self.e_coalesce(e)
            case n.Conditional():
                return self.e_conditional(e)
            case n.Unary():
                return self.e_unary(e)
            case n.Lambda():
                return self.e_lambda(e)
            case n.Assign():
                return self.assign(e, statement=False)
            case n.IncDec():
                return self.incdec(e, statement=False)
            case n.Is():
                return self.e_is(e)
            case n.IsNull():
                return self.e_isnull(e)
            case n.As():
                return self.e_as(e)
            case n.New():
                return self.e_new(e)
            case n.NewArray():
                return self.e_new_array(e)
            case n.Anonymous():
                return self.e_anonymous(e)
            case n.Default():
                return self.e_default(e)
            case n.TypeExpr():
                return self.e_type(e)
            case n.Checked():
                return self.e_checked(e)
            case n.NameOf():
                return self.e_nameof(e)
            case n.Query():
                return self.e_query(e)
            case n.TupleLiteral():
                return self.e_tuple(e)
            case n.Deconstruct():
                raise err("a deconstruction can only be a statement here", e)
            case n.TypeOf():
                return Code(self.k(runtime.type_object(self.type_ref(e.type))))
            case n.ThrowExpr():
                return Code(self.throw_code(e.value))
            case n.OutVar():
                # the parser makes ``out var x`` only as an argument, which members.py handles
                raise err("'out var' is only allowed as a method argument", e)
            case _:
                assert_never(e)


def names_in(tokens: tuple[Token, ...]) -> Iterator[str]:
    """Every identifier in ``tokens``, interpolation holes included."""
    for tok in tokens:
        if tok.kind == "name":
            yield str(tok.value)
        elif tok.kind == "interp":
            assert isinstance(tok.value, tuple)
            for part in tok.value:
                if isinstance(part, HoleTokens):
                    yield from names_in(part.tokens)
                    if part.alignment is not None:
                        yield from names_in(part.alignment)


def _type_problems(program: n.Program) -> list[ExpressionSyntaxError]:
    """The type checker's problems; none when it fails itself: a bug of the checker must not
    refuse a policy that runs (the runtime still checks every member it dispatches)."""
    try:
        return check_program(program)
    except RecursionError:
        return []
    except Exception:
        log.warning("type-checking a policy expression failed unexpectedly", exc_info=True)
        return []


def compile_program(source: str, *, check_types: bool = True) -> CompiledExpression:
    """Lex, parse and compile ``source`` (``@(...)`` or ``@{...}``). ``check_types=False``
    skips the type checker (typecheck.py), leaving what it refuses to the runtime."""
    tokens = tokenize(source)
    program = parse_tokens(tokens)
    compiler = Compiler()
    try:
        python_source, result = compiler.program(program)
    except RecursionError:
        raise ExpressionSyntaxError("expression is too complex", 1, 1) from None
    problems = _type_problems(program) if check_types else []
    if problems:
        first, *others = problems
        raise ExpressionSyntaxError(first.message, first.line, first.column, tuple(others))
    namespace: dict[str, object] = {"__builtins__": {}}
    namespace.update(HELPERS)
    namespace["_dflt"] = runtime.default_of
    sites = Sites(namespace, compiler.sites)
    namespace["_fm"] = sites.member
    namespace["_fmg"] = sites.member_or_group
    namespace["_fi"] = sites.index
    namespace["_fc"] = sites.method
    for i, value in enumerate(compiler.consts):
        namespace[f"k{i}"] = value
    try:
        code = compile(python_source, FILENAME, "exec")
        exec(code, namespace)
    except (SyntaxError, RecursionError, MemoryError, ValueError, OverflowError):
        # Python's own limits (nesting of parentheses/indentation) on pathological input
        raise ExpressionSyntaxError("expression is too complex", 1, 1) from None
    fn = namespace["e"]
    assert isinstance(fn, FunctionType)
    constant = result.const if result is not None else None
    # A subclass per expression whose __call__ is the generated function: calling the compiled
    # expression costs one Python frame instead of two.
    cls: type[CompiledExpression] = type(
        "CompiledExpression",
        (CompiledExpression,),
        {
            "__slots__": (),
            "__call__": staticmethod(fn),
            "__module__": CompiledExpression.__module__,
        },
    )
    return cls(
        source,
        is_block=isinstance(program.body, n.Block),
        names=frozenset(names_in(tokens)),
        fn=fn,
        python_source=python_source,
        constant=None if constant is None else constant.value,
        is_constant=constant is not None,
        header_read=compiler.fast_header_read is program.body,
    )
