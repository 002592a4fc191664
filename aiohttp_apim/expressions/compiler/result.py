"""The compiled result: `CompiledExpression`."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions.compiler.helpers import BudgetExceeded, top_level_error

__all__ = ["CompiledExpression"]


class CompiledExpression:
    """A policy expression compiled once; call it with an ``ExpressionContext``.

    ``names`` holds every identifier and member name the source mentions (the pipeline uses it,
    e.g., to know whether the request body is read). ``is_constant``/``constant`` tell whether the
    whole expression folded to a value at compile time (``@(1800)``, ``@("a" + "b")``).
    ``header_read`` tells that it is one read of a request header by literal name and nothing
    else (``context.Request.Headers.GetValueOrDefault("X-Tenant", "none")``, with a literal or
    null default or none, or ``ContainsKey("X-Tenant")``): against a context that has a request
    -- every context the pipeline makes -- it cannot fail, takes no budget and changes nothing,
    so the pipeline may run it later than its place (see ``Plan.early_prelude``)."""

    __slots__ = (
        "_fn",
        "constant",
        "header_read",
        "is_block",
        "is_constant",
        "names",
        "python_source",
        "source",
    )

    def __init__(
        self,
        source: str,
        *,
        is_block: bool,
        names: frozenset[str],
        fn: Callable[[object], object],
        python_source: str,
        constant: object = None,
        is_constant: bool = False,
        header_read: bool = False,
    ) -> None:
        self.source = source
        self.is_block = is_block
        self.names = names
        self._fn = fn
        self.python_source = python_source
        self.constant = constant
        self.is_constant = is_constant
        self.header_read = header_read

    def __call__(self, context: object) -> object:
        """Evaluate; raises ``errors.ExpressionError`` and nothing else.

        (Instances made by the compiler replace this with the generated function itself, which
        does the same conversion, to save a Python frame per evaluation.)"""
        try:
            return self._fn(context)
        except ExpressionError:
            raise
        except (Exception, BudgetExceeded) as exc:
            raise top_level_error(exc) from None

    def __repr__(self) -> str:
        return f"CompiledExpression({self.source!r})"
