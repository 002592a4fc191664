"""The expression budget as a unit: steps, CPU time counted only while expressions run, the
budget shared by one request's evaluations, and the fallback outside a request."""

from __future__ import annotations

import time

import pytest

from aiohttp_apim.dotnet import budget as b
from aiohttp_apim.dotnet.budget import Budget, BudgetExceeded, BudgetLimits, using
from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def burn_cpu(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_steps_run_out_and_stay_out() -> None:
    budget = Budget(BudgetLimits(steps=10))
    assert budget.take(6) == 6
    with pytest.raises(BudgetExceeded, match="10 steps"):
        budget.take(6)
    with pytest.raises(BudgetExceeded):
        budget.take(1)


def test_cpu_time_counts_only_while_an_evaluation_runs() -> None:
    budget = Budget(BudgetLimits(seconds=0.05))
    budget.take(1)  # the first step starts the count
    burn_cpu(0.03)
    budget.pause()
    burn_cpu(0.06)  # between evaluations: someone else's time
    budget.take(1)
    assert budget.seconds_left() > 0
    burn_cpu(0.03)
    with pytest.raises(BudgetExceeded, match="50 ms of CPU time"):
        budget.seconds_left()


def test_the_clock_is_read_every_so_many_steps() -> None:
    budget = Budget(BudgetLimits(seconds=0.01, steps=10**9))
    budget.take(1)
    burn_cpu(0.02)

    def take_many() -> None:
        for _ in range(b.CLOCK_EVERY + 1):
            budget.take(1)

    with pytest.raises(BudgetExceeded, match="CPU time"):
        take_many()


def test_metered_charges_a_step_per_item_in_growing_slices() -> None:
    budget = Budget(BudgetLimits(steps=100))
    with using(budget):
        assert list(b.metered(range(3))) == [0, 1, 2]
        assert budget.steps_left == 100 - 16  # one small slice for a short enumeration
        with pytest.raises(BudgetExceeded):
            list(b.metered(range(1000)))


def test_long_strings_cost_steps_and_short_ones_nothing() -> None:
    budget = Budget(BudgetLimits(steps=1000))
    with using(budget):
        b.charge_chars(100)
        assert budget.steps_left == 1000
        b.charge_chars(512 * 1024)
        assert budget.steps_left == 1000 - 512


def test_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="seconds"):
        BudgetLimits(seconds=0)
    with pytest.raises(ValueError, match="steps"):
        BudgetLimits(steps=0)


def test_outside_a_request_each_evaluation_has_its_own_budget() -> None:
    compiled = compile_expression(
        "@{ var n = 0; for (var i = 0; i < 60000; i++) { n++; } return n; }"
    )
    assert compiled(ExpressionContext()) == 60000
    assert compiled(ExpressionContext()) == 60000


def test_evaluations_sharing_a_budget_share_its_steps() -> None:
    compiled = compile_expression(
        "@{ var n = 0; for (var i = 0; i < 60000; i++) { n++; } return n; }"
    )
    with using(Budget(BudgetLimits(seconds=60.0))):
        assert compiled(ExpressionContext()) == 60000
        with pytest.raises(ExpressionError) as caught:
            compiled(ExpressionContext())
    assert caught.value.exception_type == "TimeoutException"
    assert "100000 steps" in caught.value.message


def test_a_catch_cannot_swallow_the_budget() -> None:
    compiled = compile_expression(
        "@{ try { return Enumerable.Range(0, int.MaxValue).Count(); } catch (Exception) "
        "{ return -1; } }"
    )
    with pytest.raises(ExpressionError) as caught:
        compiled(ExpressionContext())
    assert caught.value.exception_type == "TimeoutException"


def test_a_long_pattern_draws_on_the_budget_before_it_compiles() -> None:
    # Compiling a regex cannot be interrupted: a pattern built from a long string (here 588,889
    # characters, which take the regex module about 1.7 s to compile) must fail on the budget
    # before compiling, not after.
    long_pattern = compile_expression(
        '@(Regex.IsMatch("x", string.Join(",", Enumerable.Range(0, 100000))))'
    )
    with using(Budget(BudgetLimits(steps=100_000))), pytest.raises(ExpressionError) as caught:
        long_pattern(ExpressionContext())
    assert caught.value.exception_type == "TimeoutException"
    assert "steps" in caught.value.message  # the steps ran out, not the CPU time: never compiled
    # an ordinary pattern costs no more than its one match
    short = compile_expression('@(Regex.IsMatch("abc", "^[a-c]+$"))')
    budget = Budget(BudgetLimits(steps=100_000))
    with using(budget):
        assert short(ExpressionContext()) is True
    assert budget.steps_left >= 100_000 - 8
