"""Attribute values: literals and constant expressions are constants; expression results are
converted to the declared type."""

from __future__ import annotations

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import compile_expression
from aiohttp_apim.pipeline.values import (
    as_bool,
    as_enum,
    as_int,
    as_str,
    compile_typed,
    compile_value,
)
from aiohttp_apim.policy.model import DownstreamCachingType, Expr, Literal, Location

HERE = Location("policy.xml", 1, 1)


def test_literal_and_constant_expression_are_constants() -> None:
    assert compile_value(Literal(60, "60", HERE), as_int).get_constant() == 60
    folded = compile_value(Expr(compile_expression("@(30 * 2)"), HERE), as_int)
    assert folded.is_constant
    assert folded.get_constant() == 60


def test_expression_reading_the_context_is_not_a_constant() -> None:
    value = compile_value(
        Expr(compile_expression('@(context.Variables.ContainsKey("x"))'), HERE), as_bool
    )
    assert not value.is_constant
    assert "Variables" in value.names


def test_typed_values_keep_the_type_of_a_folded_expression() -> None:
    assert compile_typed(Literal("7", "7", HERE)).get_constant() == "7"
    folded = compile_typed(Expr(compile_expression("@(3 + 4)"), HERE))
    assert folded.is_constant
    assert folded.get_constant() == 7
    computed = compile_typed(Expr(compile_expression('@(context.Variables["n"])'), HERE))
    assert not computed.is_constant
    assert "Variables" in computed.names
    with pytest.raises(AssertionError, match="not a constant"):
        computed.get_constant()


@pytest.mark.parametrize(("given", "expected"), [(True, True), (False, False), (" TRUE ", True)])
def test_bool(given: object, expected: bool) -> None:
    assert as_bool(given) is expected


@pytest.mark.parametrize("given", [1, 0, "yes", None])
def test_not_a_bool(given: object) -> None:
    with pytest.raises(ExpressionError):
        as_bool(given)


@pytest.mark.parametrize(("given", "expected"), [(5, 5), ("300", 300), (" -7 ", -7), ("+8", 8)])
def test_int_accepts_integers_and_integer_text(given: object, expected: int) -> None:
    assert as_int(given) == expected


def test_int_text_far_out_of_range_stays_out_of_range() -> None:
    assert as_int("9" * 40) > 2**31 - 1


@pytest.mark.parametrize("given", [True, 1.5, "1.5", "ten", "", "--1", None])
def test_not_an_int(given: object) -> None:
    with pytest.raises(ExpressionError):
        as_int(given)


@pytest.mark.parametrize(("given", "expected"), [("a", "a"), (None, ""), (True, "True"), (3, "3")])
def test_str_is_dotnet_tostring(given: object, expected: str) -> None:
    assert as_str(given) == expected


def test_enum_is_case_insensitive() -> None:
    convert = as_enum(DownstreamCachingType)
    assert convert("Public") is DownstreamCachingType.PUBLIC
    with pytest.raises(ExpressionError):
        convert("shared")
