"""What generated code may call besides runtime.py: the sandbox namespace (`HELPERS`), the loop
budget, the conversion of stray Python exceptions, and the few helpers for ``throw``, ``catch``,
delegate invocation and sized arrays. They only check shapes and delegate values to runtime.py."""

from __future__ import annotations

import logging
from types import FunctionType
from typing import TYPE_CHECKING, Final, NoReturn

from aiohttp_apim.dotnet.budget import (
    DEFAULT_LIMITS,
    Budget,
    BudgetExceeded,
    charge_chars,
    current,
)
from aiohttp_apim.errors import ApimRuntimeError, ExpressionError
from aiohttp_apim.expressions import context, runtime

if TYPE_CHECKING:
    from aiohttp_apim.expressions.runtime import TypeRef

__all__ = [
    "BREAK",
    "FILENAME",
    "HELPERS",
    "MAX_ITERATIONS",
    "MAX_STRING_LENGTH",
    "BudgetExceeded",
    "convert_python_error",
    "to_expression_error",
    "top_level_error",
]

log = logging.getLogger(__name__)

MAX_ITERATIONS: Final = DEFAULT_LIMITS.steps
"""The default step budget: loop iterations (and other steps, see dotnet/budget.py) that the
expressions of one request -- or one evaluation outside a request -- may run before they fail."""

FILENAME: Final = "<apim-expression>"
"""The code objects of generated functions carry it: `_invoke` calls nothing else."""

BREAK: Final = object()  # what a loop body compiled as a function returns for ``break``
MAX_STRING_LENGTH: Final[int] = runtime.MAX_STRING_LENGTH

PY_ERRORS: Final[tuple[tuple[type[BaseException], str], ...]] = (
    (RecursionError, "InsufficientExecutionStackException"),
    (MemoryError, "OutOfMemoryException"),
    (ZeroDivisionError, "DivideByZeroException"),
    (OverflowError, "OverflowException"),
    (IndexError, "IndexOutOfRangeException"),
    (KeyError, "KeyNotFoundException"),
    (TypeError, "InvalidCastException"),
    (AttributeError, "InvalidCastException"),
    (ValueError, "FormatException"),
)


# ------------------------------------------------------------------------------ run-time helpers


def _take(budget: Budget | None) -> tuple[int, Budget]:
    """A loop counted down its slice of steps: take the next one from the evaluation's budget
    (``t0`` in generated code: the request's, or a fresh one outside a request). BudgetExceeded
    is deliberately not an ExpressionError, so that a ``catch`` in the expression cannot swallow
    it, and not an Exception, so that the conversion of a lambda's exceptions
    (``Select(x => { while (true) {} })``) cannot either."""
    if budget is None:
        budget = current()
    return budget.take() - 1, budget


def _long_string(s: str) -> str:
    """A long string built by a concatenation: refused above the limit, else charged."""
    if len(s) > MAX_STRING_LENGTH:
        raise ExpressionError(
            "OutOfMemoryException",
            f"the string built by the expression is longer than {MAX_STRING_LENGTH} characters",
        )
    charge_chars(len(s))
    return s


def _invoke(target: object, args: tuple[object, ...]) -> object:
    """``f(x)`` where ``f`` is a local: only lambdas compiled by this package, and method groups
    converted to delegates, can be invoked."""
    if target is None:
        raise ExpressionError(
            "NullReferenceException", "Object reference not set to an instance of an object."
        )
    if type(target) is FunctionType and target.__code__.co_filename == FILENAME:
        return target(*args)
    if type(target) is runtime.MethodGroup or type(target) is runtime.StaticMethodGroup:
        return target(*args)
    raise ExpressionError("InvalidCastException", "the value is not a delegate")


def _new_sized(element: TypeRef | None, size: object) -> object:
    if type(size) is not int and not (isinstance(size, int) and not isinstance(size, bool)):
        raise ExpressionError("InvalidCastException", "array size must be an integer")
    if size < 0:
        raise ExpressionError("OverflowException", "Arithmetic operation resulted in an overflow.")
    if size > MAX_STRING_LENGTH:
        raise ExpressionError("OutOfMemoryException", "array too large")
    fill = None if element is None else runtime.default_of(element)
    return runtime.new_array(element, [fill] * int(size))


def _throw(value: object, type_name: str) -> NoReturn:
    """``throw value``: an exception object raises itself; anything else (an ExpressionError for
    an exception type the runtime does not model) takes the type from the ``new X(...)`` syntax."""
    if value is None:
        raise ExpressionError(
            "NullReferenceException", "Object reference not set to an instance of an object."
        )
    if isinstance(value, ExpressionError):
        raise ExpressionError(value.exception_type, value.message)
    error = runtime.exception_info(value)
    if error is not None:
        raise error
    try:
        message = runtime.to_string(runtime.get_member(value, "Message"))
    except ExpressionError:
        message = runtime.to_string(value)
    raise ExpressionError(type_name, message)


def _catches(error: ExpressionError, names: tuple[str, ...]) -> bool:
    return any(runtime.exception_is(error.exception_type, name) for name in names)


def to_expression_error(exc: BaseException) -> BaseException:
    """A Python exception raised by a runtime implementation, as the .NET exception it means
    (budget, recursion and memory exhaustion stay what they are: a catch must not stop them)."""
    if isinstance(exc, ExpressionError | BudgetExceeded | RecursionError | MemoryError):
        return exc
    try:
        converted = runtime.convert_exception(exc)
    except Exception:  # a runtime bug must not leak a Python exception
        converted = None
    if isinstance(converted, ExpressionError):
        return converted
    return convert_python_error(exc)


def top_level_error(exc: BaseException) -> ExpressionError:
    """What a stray exception leaving an expression becomes (never anything but ExpressionError)."""
    if isinstance(exc, BudgetExceeded):
        return ExpressionError("TimeoutException", exc.message)
    if isinstance(exc, ApimRuntimeError) and not isinstance(exc, ExpressionError):
        return ExpressionError("Exception", exc.message)
    converted = to_expression_error(exc)
    return converted if isinstance(converted, ExpressionError) else convert_python_error(exc)


HELPERS: Final[dict[str, object]] = {
    "_gm": runtime.get_member,
    "_sm": runtime.set_member,
    "_cm": runtime.call_method,
    "_gs": runtime.get_static,
    "_cs": runtime.call_static,
    "_ct": runtime.construct,
    "_na": runtime.new_array,
    "_ix": runtime.index,
    "_si": runtime.set_index,
    "_cast": runtime.cast,
    "_isi": runtime.is_instance,
    "_ts": runtime.to_string,
    "_tsh": runtime.concat_head,
    "_bin": runtime.binary,
    "_un": runtime.unary,
    "_binc": runtime.checked_binary,
    "_unc": runtime.checked_unary,
    "_castc": runtime.checked_cast,
    "_swm": runtime.switch_matches,
    "_dec": runtime.deconstruct,
    "_tb": runtime.to_bool,
    "_it": runtime.iterate,
    "_Out": runtime.OutRef,
    "_len": len,
    "_type": type,
    "_str": str,
    "_conv": to_expression_error,
    "_top": top_level_error,
    "_Err": ExpressionError,
    "_Budget": BudgetExceeded,
    "_brk": BREAK,
    "isinstance": isinstance,
    "_Exc": Exception,
    "_take": _take,
    "_long": _long_string,
    "_invoke": _invoke,
    "_newsized": _new_sized,
    "_throw": _throw,
    "_catches": _catches,
    "_excobj": runtime.exception_object,
    "_rhd": context.request_header_or_default,
    "_rhas": context.request_has_header,
    "_unserved": context.NOT_SERVED,
}


def convert_python_error(exc: BaseException) -> ExpressionError:
    net_type = next((net for py, net in PY_ERRORS if isinstance(exc, py)), "Exception")
    if not isinstance(exc, RecursionError | MemoryError):
        log.debug("unexpected %s in a policy expression", type(exc).__name__, exc_info=exc)
    if isinstance(exc, RecursionError):
        message = "the expression recursed too deeply"
    elif isinstance(exc, MemoryError):
        message = "Insufficient memory to continue the execution of the program."
    else:
        message = f"the expression failed ({type(exc).__name__})"
    return ExpressionError(net_type, message)
