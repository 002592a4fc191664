"""default(T) of value types where .NET gives it: FirstOrDefault/LastOrDefault/SingleOrDefault/
ElementAtOrDefault of an empty sequence of ints is 0, of bools false, of DateTimes
DateTime.MinValue; of strings or objects null
(https://learn.microsoft.com/dotnet/api/system.linq.enumerable.firstordefault)."""

from __future__ import annotations

import pytest

from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.expressions.context import ExpressionContext


def ev(source: str) -> object:
    return compile_expression(source)(ExpressionContext())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("new[] { 1, 2 }.Where(x => x > 5).FirstOrDefault()", 0),
        ("new[] { 1, 2 }.FirstOrDefault(x => x > 5)", 0),
        ("new[] { 1, 2 }.LastOrDefault(x => x > 5)", 0),
        ("new[] { 1, 2 }.SingleOrDefault(x => x > 5)", 0),
        ("new[] { 1, 2 }.Skip(5).ElementAtOrDefault(0)", 0),
        ("new List<int> { 3 }.Where(x => x > 5).OrderBy(x => x).FirstOrDefault()", 0),
        ("new[] { true }.Where(x => !x).FirstOrDefault()", False),
        ("new[] { 1.5 }.Where(x => x > 5).FirstOrDefault()", 0.0),
        ('new[] { "a" }.Where(x => x == "b").FirstOrDefault()', None),
        ("new[] { 1, 2 }.FirstOrDefault(x => x > 5, -1)", -1),
        ("new int[0].FirstOrDefault()", None),  # no element to tell the type: null
        ("new[] { 7 }.FirstOrDefault()", 7),
    ],
)
def test_default_of_an_empty_sequence(expression: str, expected: object) -> None:
    result = ev(f"@({expression})")
    assert result == expected
    assert type(result) is type(expected)


def test_datetime_default_is_min_value() -> None:
    assert (
        ev(
            "@(new[] { DateTime.UtcNow }.Where(d => d.Year < 2000).FirstOrDefault() == "
            "DateTime.MinValue)"
        )
        is True
    )
