"""Work bounds that must hold *before* memory is spent: each expression here once allocated
hundreds of megabytes (or looped billions of times) before a limit noticed. Peak memory is
measured with tracemalloc; nothing is timed."""

from __future__ import annotations

import tracemalloc

import pytest

from aiohttp_apim.dotnet.budget import Budget, BudgetLimits, using
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext

# MAX_ITEMS (2**20) boxed items may be materialised (~42 MB) before the bound stops them.
PEAK_LIMIT = 64 * 1024 * 1024
GENEROUS = BudgetLimits(seconds=600.0, steps=10**9)


@pytest.mark.parametrize(
    ("source", "exception_type"),
    [
        (
            "@{ var sb = new StringBuilder(); sb.Length = int.MaxValue; return sb.Length; }",
            "OutOfMemoryException",
        ),
        ("@(new StringBuilder().Append('x', int.MaxValue).Length)", "OutOfMemoryException"),
        ('@(string.Format("{0,500000000}", 1))', "OutOfMemoryException"),
        ('@((1).ToString("D500000000"))', "OutOfMemoryException"),
        ('@(string.Format("{0:D500000000}", 1))', "OutOfMemoryException"),
        ('@(Enumerable.Repeat("x", int.MaxValue).Count())', "OutOfMemoryException"),
        ("@(Enumerable.Range(0, int.MaxValue).Sum())", "OutOfMemoryException"),
    ],
)
def test_huge_requests_fail_before_spending_memory(source: str, exception_type: str) -> None:
    expression = compile_expression(source)
    tracemalloc.start()
    try:
        # a budget large enough that the size bounds, not the time budget, stop each one
        with using(Budget(GENEROUS)), pytest.raises(ExpressionError) as caught:
            expression(ExpressionContext())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.exception_type == exception_type
    assert peak < PEAK_LIMIT


@pytest.mark.parametrize(
    "source",
    [
        '@(Enumerable.Repeat("x", int.MaxValue).Count())',
        "@(Enumerable.Range(0, int.MaxValue).Sum())",
        "@(Enumerable.Range(0, 10000).SelectMany(x => Enumerable.Range(0, 10000)).Count())",
    ],
)
def test_the_default_budget_stops_runaway_linq_even_earlier(source: str) -> None:
    expression = compile_expression(source)
    tracemalloc.start()
    try:
        with pytest.raises(ExpressionError) as caught:
            expression(ExpressionContext())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.exception_type == "TimeoutException"
    assert "budget" in caught.value.message
    assert peak < PEAK_LIMIT


def test_lazy_sequences_still_work_within_the_bound() -> None:
    expression = compile_expression("@(Enumerable.Range(0, int.MaxValue).Take(3).Sum())")
    assert expression(ExpressionContext()) == 3
