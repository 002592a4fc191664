"""Attribute values as steps read them: a constant fixed at compile time, or an expression
evaluated per request and converted to the attribute's declared type.

A literal (and an expression the compiler folded to a constant, such as ``@(1800)``) becomes a
constant once, at plan compilation, so the common case costs an attribute read per request and
never builds the expression ``context``.

Conversions: a bool attribute takes a bool (or "true"/"false" text); an int attribute
takes an integer (or text that parses as one, as a published snippet relies on); a string
attribute turns null into "" and anything else into its .NET ``ToString()``; an enumeration
attribute takes its text case-insensitively. Anything else is an ``InvalidCastException``, which
the pipeline reports as ``ExpressionValueEvaluationFailure`` like any expression failure.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions.runtime import to_string
from aiohttp_apim.policy.model import Expr, Literal, Location

if TYPE_CHECKING:
    from aiohttp_apim.expressions import CompiledExpression
    from aiohttp_apim.pipeline.exchange import Exchange

__all__ = [
    "EXPRESSION_LOCATION",
    "Computed",
    "Constant",
    "Evaluated",
    "Val",
    "as_bool",
    "as_cache_key",
    "as_enum",
    "as_int",
    "as_str",
    "compile_typed",
    "compile_value",
    "constant",
]

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

EXPRESSION_LOCATION = "expression_location"
"""The attribute a failing expression's :class:`Location` is left in, on the exception."""


class Val(Generic[T]):
    """One attribute value of a compiled step: ``get(x)`` is its value for the request ``x``.

    A `Constant` was fixed when the plan was compiled; a `Computed` value evaluates its
    expression per request and converts the result to ``T``; an `Evaluated` one keeps what the
    expression returns. An expression that fails leaves its ``location`` on the exception
    (``expression_location``), so that the error says which expression of the step it was."""

    __slots__ = ()

    is_constant: ClassVar[bool] = False

    def get(self, x: Exchange) -> T:
        raise NotImplementedError

    def get_constant(self) -> T:
        """The value of a constant (check :attr:`is_constant` first)."""
        raise AssertionError("not a constant")

    @property
    def names(self) -> frozenset[str]:
        """The names the expression mentions (none for a constant)."""
        return frozenset()

    def cannot_fail(self) -> bool:
        """Whether ``get`` can neither fail nor change anything, whatever the request: a
        constant, or a kept expression result that is one read of a request header by literal
        name (:attr:`CompiledExpression.header_read`)."""
        return False


class Constant(Val[T]):
    """A value fixed at plan compilation (a literal, or an expression folded to a constant)."""

    __slots__ = ("value",)

    is_constant: ClassVar[bool] = True

    def __init__(self, value: T) -> None:
        self.value = value

    def get(self, x: Exchange) -> T:
        return self.value

    def get_constant(self) -> T:
        return self.value

    def cannot_fail(self) -> bool:
        return True


class Computed(Val[T]):
    """An expression evaluated per request, its result converted by ``convert``."""

    __slots__ = ("convert", "expression", "location")

    def __init__(
        self,
        expression: CompiledExpression,
        convert: Callable[[object], T],
        location: Location | None = None,
    ) -> None:
        self.expression = expression
        self.convert = convert
        self.location = location

    def get(self, x: Exchange) -> T:
        try:
            return self.convert(x.evaluate(self.expression))
        except Exception as error:  # free until raised (zero-cost try)
            _locate(error, self.location)
            raise

    @property
    def names(self) -> frozenset[str]:
        return self.expression.names


class Evaluated(Val[object]):
    """An expression evaluated per request, its result kept as it is (``set-variable``)."""

    __slots__ = ("expression", "location")

    def __init__(self, expression: CompiledExpression, location: Location | None = None) -> None:
        self.expression = expression
        self.location = location

    def get(self, x: Exchange) -> object:
        try:
            return x.evaluate(self.expression)
        except Exception as error:  # free until raised (zero-cost try)
            _locate(error, self.location)
            raise

    def cannot_fail(self) -> bool:
        return self.expression.header_read

    @property
    def names(self) -> frozenset[str]:
        return self.expression.names


def _locate(error: Exception, location: Location | None) -> None:
    """Leave ``location`` on ``error`` unless an inner expression already left its own."""
    if getattr(error, EXPRESSION_LOCATION, None) is None:
        setattr(error, EXPRESSION_LOCATION, location)


def constant(value: T) -> Val[T]:
    return Constant(value)


def compile_value(value: Literal[Any] | Expr, convert: Callable[[object], T]) -> Val[T]:
    """A model value as a :class:`Val`; constant expressions are folded (and converted) now, so a
    bad constant (``duration="@("x")"``) fails on every request exactly as it would at run time."""
    if value.is_literal:
        assert isinstance(value, Literal)
        return Constant(value.value)
    assert isinstance(value, Expr)
    expression = value.expression
    if expression.is_constant:
        try:
            return Constant(convert(expression.constant))
        except ExpressionError:
            pass  # keep it an expression: the failure is reported where and when it runs
    return Computed(expression, convert, value.location)


def compile_typed(value: Literal[Any] | Expr) -> Val[object]:
    """A value whose expression result keeps its type (``set-variable``); a literal is text."""
    if value.is_literal:
        assert isinstance(value, Literal)
        return Constant(value.value)
    assert isinstance(value, Expr)
    if value.expression.is_constant:
        return Constant(value.expression.constant)
    return Evaluated(value.expression, value.location)


def _cast_error(value: object, target: str) -> ExpressionError:
    from aiohttp_apim.dotnet import core as clr

    return ExpressionError(
        "InvalidCastException",
        f"Unable to cast object of type '{clr.net_name(value, full=True)}' to type '{target}'.",
    )


def as_bool(value: object) -> bool:
    if type(value) is bool:
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _cast_error(value, "System.Boolean")


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def as_int(value: object) -> int:
    """An integer attribute: any .NET integer type, or text that parses as a decimal integer.
    The range check is the caller's (``duration`` clamps, others refuse)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text.lstrip("+-")
        if digits.isascii() and digits.isdigit() and len(text) - len(digits) <= 1:
            if len(digits.lstrip("0")) > 12:  # far outside int32 either way; int() stays cheap
                return _INT32_MAX + 1 if not text.startswith("-") else _INT32_MIN - 1
            return int(text)
        raise ExpressionError(
            "FormatException", f"The input string '{value}' was not in a correct format."
        )
    raise _cast_error(value, "System.Int32")


def as_str(value: object) -> str:
    if type(value) is str:
        return value
    return to_string(value)


def as_cache_key(value: object) -> str:
    """A cache or counter key: a string attribute, except that null is an error rather than
    "" -- a key that comes out null (a missing variable cast to string) would otherwise make
    every such request share one entry, e.g. one caller's profile served to all."""
    if value is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'key')")
    return as_str(value)


def as_enum(enum_type: type[E]) -> Callable[[object], E]:
    by_text = {str(member.value).lower(): member for member in enum_type}
    allowed = ", ".join(str(member.value) for member in enum_type)

    def convert(value: object) -> E:
        member = by_text.get(as_str(value).strip().lower())
        if member is None:
            raise ExpressionError(
                "ArgumentException", f"'{as_str(value)}' is not one of: {allowed}"
            )
        return member

    return convert
