"""The compiler: lex, parse, generate one Python function, and run it in the sandbox namespace."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import FunctionType
from typing import Final

from aiohttp_apim.expressions import nodes as n
from aiohttp_apim.expressions import runtime
from aiohttp_apim.expressions.compiler.codegen import Code
from aiohttp_apim.expressions.compiler.expressions import ExpressionGen
from aiohttp_apim.expressions.compiler.flow import completes, contains_loop
from aiohttp_apim.expressions.compiler.folding import NOTHING
from aiohttp_apim.expressions.compiler.helpers import FILENAME, HELPERS
from aiohttp_apim.expressions.compiler.members import MemberGen
from aiohttp_apim.expressions.compiler.result import CompiledExpression
from aiohttp_apim.expressions.compiler.scopes import err
from aiohttp_apim.expressions.compiler.sites import Sites
from aiohttp_apim.expressions.compiler.statements import STMT_HANDLERS, StatementGen
from aiohttp_apim.expressions.lexer import ExpressionSyntaxError, HoleTokens, Token, tokenize
from aiohttp_apim.expressions.parser import parse_tokens

__all__ = ["Compiler", "compile_program", "names_in"]


class Compiler(StatementGen, MemberGen, ExpressionGen):
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
        handler = STMT_HANDLERS.get(type(s))
        if handler is None:  # pragma: no cover - every statement node has a handler
            raise err(f"unsupported statement {type(s).__name__}", s)
        handler(self, s)

    def expr(self, e: n.Expr) -> Code:
        handler = EXPR_HANDLERS.get(type(e))
        if handler is None:  # pragma: no cover - every expression node has a handler
            raise err(f"unsupported expression {type(e).__name__}", e)
        return handler(self, e)


EXPR_HANDLERS: Final[dict[type, Callable[[Compiler, n.Expr], Code]]] = {
    n.Literal: ExpressionGen.e_literal,  # type: ignore[dict-item]
    n.Interpolated: ExpressionGen.e_interpolated,  # type: ignore[dict-item]
    n.Name: ExpressionGen.e_name,  # type: ignore[dict-item]
    n.TypeExpr: ExpressionGen.e_type,  # type: ignore[dict-item]
    n.Paren: ExpressionGen.e_paren,  # type: ignore[dict-item]
    n.Member: MemberGen.e_chain,
    n.Index: MemberGen.e_chain,
    n.Call: MemberGen.e_chain,
    n.Unary: ExpressionGen.e_unary,  # type: ignore[dict-item]
    n.Binary: ExpressionGen.e_binary,  # type: ignore[dict-item]
    n.Logical: ExpressionGen.e_logical,  # type: ignore[dict-item]
    n.Coalesce: ExpressionGen.e_coalesce,  # type: ignore[dict-item]
    n.Conditional: ExpressionGen.e_conditional,  # type: ignore[dict-item]
    n.Cast: ExpressionGen.e_cast,  # type: ignore[dict-item]
    n.Is: ExpressionGen.e_is,  # type: ignore[dict-item]
    n.IsNull: ExpressionGen.e_isnull,  # type: ignore[dict-item]
    n.As: ExpressionGen.e_as,  # type: ignore[dict-item]
    n.Default: ExpressionGen.e_default,  # type: ignore[dict-item]
    n.New: ExpressionGen.e_new,  # type: ignore[dict-item]
    n.Anonymous: ExpressionGen.e_anonymous,  # type: ignore[dict-item]
    n.NewArray: ExpressionGen.e_new_array,  # type: ignore[dict-item]
    n.Lambda: ExpressionGen.e_lambda,  # type: ignore[dict-item]
    n.ThrowExpr: ExpressionGen.e_throw,  # type: ignore[dict-item]
    n.OutVar: ExpressionGen.e_outvar,  # type: ignore[dict-item]
    n.Assign: ExpressionGen.e_assign,  # type: ignore[dict-item]
    n.IncDec: ExpressionGen.e_incdec,  # type: ignore[dict-item]
}


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


def compile_program(source: str) -> CompiledExpression:
    """Lex, parse and compile ``source`` (``@(...)`` or ``@{...}``)."""
    tokens = tokenize(source)
    program = parse_tokens(tokens)
    compiler = Compiler()
    try:
        python_source, result = compiler.program(program)
    except RecursionError:
        raise ExpressionSyntaxError("expression is too complex", 1, 1) from None
    namespace: dict[str, object] = {"__builtins__": {}}
    namespace.update(HELPERS)
    namespace["_dflt"] = runtime.default_of
    sites = Sites(namespace, compiler.sites)
    namespace["_fm"] = sites.member
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
    constant = result.const if result is not None else NOTHING
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
        constant=None if constant is NOTHING else constant,
        is_constant=constant is not NOTHING,
    )
