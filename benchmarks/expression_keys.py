"""Compiled cache-key expressions against hand-written Python over the same context objects.

Run: ``python benchmarks/expression_keys.py``. The sides are timed in this one run, alternately
(best of several ``timeit`` repeats each, so machine speed and load swings cancel out), and the
ratio compiled/hand-written is printed per expression. Exits non-zero when a ratio exceeds
``LIMIT``: a key expression runs on every cacheable request, and the compiler exists to keep it
close to plain Python. For information, the expression is also timed as the pipeline calls it
(``Exchange.evaluate``: a method call, the request's expression budget made current, its CPU
clock paused when an evaluation read it).
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp_apim.dotnet.budget import Budget
from aiohttp_apim.dotnet.primitives import to_string
from aiohttp_apim.expressions import CompiledExpression, compile_expression
from aiohttp_apim.expressions.context import ExpressionContext, Request
from aiohttp_apim.pipeline.exchange import Exchange

LIMIT = 3.0
REPEAT = 7


def _context() -> ExpressionContext:
    return ExpressionContext(
        request=Request(
            method="GET",
            url="https://api.contoso.com/shop/items?color=red",
            headers={"Accept": "application/json", "Host": "api.contoso.com"},
        ),
        variables={"id": "42"},
    )


def _by_hand_user(ctx: ExpressionContext) -> object:
    return "user-" + to_string(ctx.variables.get("id"))


def _by_hand_accept_path(ctx: ExpressionContext) -> object:
    request = ctx.request
    assert request is not None
    return (request.headers.get_joined("Accept", "") or "") + "|" + request.url.parts()[3]


CASES: list[tuple[str, Callable[[ExpressionContext], object]]] = [
    ('@("user-" + context.Variables["id"])', _by_hand_user),
    (
        '@((string)context.Request.Headers.GetValueOrDefault("Accept","") + "|" + '
        "context.Request.Url.Path)",
        _by_hand_accept_path,
    ),
]


def _in_a_request(compiled: CompiledExpression) -> Callable[[ExpressionContext], object]:
    """``compiled`` evaluated by ``Exchange.evaluate`` itself, over an exchange whose context and
    budget are already made (what every evaluation after a request's first one costs)."""
    exchange = Exchange.__new__(Exchange)
    exchange._budget = Budget()

    def evaluate(ctx: ExpressionContext) -> object:
        exchange._context = ctx
        return exchange.evaluate(compiled)

    return evaluate


def _caller(
    fn: Callable[[ExpressionContext], object], ctx: ExpressionContext
) -> Callable[[], object]:
    return lambda: fn(ctx)


def _best(
    fns: tuple[Callable[[ExpressionContext], object], ...], ctx: ExpressionContext
) -> list[float]:
    """Seconds per call of each function: the best of REPEAT rounds, the functions timed in turn
    within each round (a burst of load on the machine hits both sides alike)."""
    # called from Python code, as the pipeline calls a compiled expression
    timers = [timeit.Timer(_caller(fn, ctx)) for fn in fns]
    numbers = [timer.autorange()[0] for timer in timers]
    best = [float("inf")] * len(fns)
    for _ in range(REPEAT):
        for i, (timer, number) in enumerate(zip(timers, numbers, strict=True)):
            best[i] = min(best[i], timer.timeit(number) / number)
    return best


def main() -> int:
    ctx = _context()
    worst = 0.0
    for source, by_hand in CASES:
        compiled = compile_expression(source)
        assert compiled(ctx) == by_hand(ctx), (compiled(ctx), by_hand(ctx))
        piped = _in_a_request(compiled)
        assert piped(ctx) == by_hand(ctx)
        compiled_s, piped_s, by_hand_s = _best((compiled, piped, by_hand), ctx)
        ratio, piped_ratio = compiled_s / by_hand_s, piped_s / by_hand_s
        worst = max(worst, ratio)
        print(
            f"{ratio:5.2f}x  compiled {compiled_s * 1e9:7.0f} ns  "
            f"{piped_ratio:5.2f}x  in a request {piped_s * 1e9:7.0f} ns  "
            f"hand-written {by_hand_s * 1e9:7.0f} ns  {source}"
        )
    print(f"worst ratio {worst:.2f}x (limit {LIMIT:.1f}x)")
    return 1 if worst > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
