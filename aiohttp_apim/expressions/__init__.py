"""APIM policy expressions: the C# subset of ``@(...)`` and ``@{...}``, compiled to Python.

    compiled = compile_expression('@("user-" + context.Variables["id"])')
    compiled(context)        # -> "user-42"; raises errors.ExpressionError only

``compile_expression`` lexes (lexer.py), parses (parser.py, nodes.py) and compiles (compiler.py)
once; syntax errors, unknown names, missing returns and what C#'s type checker refuses (unknown
members, argument counts, conversions) raise ``ExpressionSyntaxError`` with a 1-based
line/column relative to the expression source (its leading ``@`` is 1:1), further problems of
the same expression in its ``others``. Compiled code
touches values only through runtime.py, the sandbox's allow-listed .NET surface.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

from aiohttp_apim.expressions.lexer import ExpressionSyntaxError
from aiohttp_apim.expressions.parser import MAX_DEPTH, MAX_NESTING

if TYPE_CHECKING:
    from aiohttp_apim.expressions.compiler import MAX_ITERATIONS, CompiledExpression

log = logging.getLogger(__name__)

__all__ = [
    "MAX_DEPTH",
    "MAX_ITERATIONS",
    "MAX_NESTING",
    "CompiledExpression",
    "ExpressionSyntaxError",
    "compile_expression",
]


def __getattr__(name: str) -> object:
    # The compiler imports runtime.py and with it the whole .NET surface: load it on first use
    # so that the lexer/parser (and runtime's own modules) import without that weight or cycles.
    if name in ("CompiledExpression", "MAX_ITERATIONS"):
        from aiohttp_apim.expressions import compiler

        return getattr(compiler, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CompiledExpression:
    """Compile ``source`` -- the whole ``@(...)`` or ``@{...}`` text -- once.

    Raises ``ExpressionSyntaxError`` for syntax errors, unknown names or types, statement
    blocks where not every code path returns a value, and type errors (the first problem; the
    rest in ``others``) -- and nothing else, whatever the text.
    The result is immutable and cached per source text (policies repeat the same expressions
    across scopes)."""
    from aiohttp_apim.expressions.compiler import compile_program

    try:
        return compile_program(source)
    except ExpressionSyntaxError:
        raise
    except RecursionError:
        raise ExpressionSyntaxError("expression is nested too deeply", 1, 1) from None
    except Exception as error:  # a compiler bug must not escape as a bare Python error
        log.warning("compiling a policy expression failed unexpectedly", exc_info=True)
        raise ExpressionSyntaxError(
            f"the expression cannot be compiled ({type(error).__name__}: {error})", 1, 1
        ) from None
