"""Compiled cache-key expressions against hand-written Python over the same context objects.

Run: ``python benchmarks/expression_keys.py``. Both sides are timed in this one run (best of
several ``timeit`` repeats, so machine speed cancels out) and the ratio compiled/hand-written is
printed per expression. Exits non-zero when a ratio exceeds ``LIMIT``: a key expression runs on
every cacheable request, and the compiler exists to keep it close to plain Python.
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext, Request
from aiohttp_apim.expressions.runtime import to_string

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


def _best(fn: Callable[[ExpressionContext], object], ctx: ExpressionContext) -> float:
    timer = timeit.Timer(lambda: fn(ctx))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=REPEAT, number=number)) / number


def main() -> int:
    ctx = _context()
    worst = 0.0
    for source, by_hand in CASES:
        compiled = compile_expression(source)
        assert compiled(ctx) == by_hand(ctx), (compiled(ctx), by_hand(ctx))
        compiled_s = _best(compiled, ctx)
        by_hand_s = _best(by_hand, ctx)
        ratio = compiled_s / by_hand_s
        worst = max(worst, ratio)
        print(f"{ratio:5.2f}x  compiled {compiled_s * 1e9:7.0f} ns  "
              f"hand-written {by_hand_s * 1e9:7.0f} ns  {source}")
    print(f"worst ratio {worst:.2f}x (limit {LIMIT:.1f}x)")
    return 1 if worst > LIMIT else 0


if __name__ == "__main__":
    sys.exit(main())
