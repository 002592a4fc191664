""".NET exceptions as values: what ``catch (Exception e)`` binds and ``new FormatException(..)``
makes -- ``e.Message``, ``e.InnerException``, ``e is ArgumentException``, ``throw e;``.

Every failure inside the sandbox travels as `errors.ExpressionError` (type name + message); a
`NetException` is its value form. The class hierarchy lives in `BASES` (the compiler's ``catch``
matching uses it too), so ``catch (ArgumentException)`` also catches ArgumentNullException and
``catch (SystemException)`` does not catch Newtonsoft's JsonException. ``GetType()`` stays out:
reflection is not part of the sandbox.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet.core import TypeRef, arity, declare
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "BASES",
    "TYPES",
    "NetException",
    "ThrownError",
    "convert_exception",
    "exception_info",
    "exception_object",
    "is_subclass",
]

BASES: dict[str, str] = {
    "SystemException": "Exception",
    "ArgumentException": "SystemException",
    "ArgumentNullException": "ArgumentException",
    "ArgumentOutOfRangeException": "ArgumentException",
    "ArithmeticException": "SystemException",
    "DivideByZeroException": "ArithmeticException",
    "OverflowException": "ArithmeticException",
    "FormatException": "SystemException",
    "UriFormatException": "FormatException",
    "IndexOutOfRangeException": "SystemException",
    "InvalidCastException": "SystemException",
    "InvalidOperationException": "SystemException",
    "ObjectDisposedException": "InvalidOperationException",
    "KeyNotFoundException": "SystemException",
    "NullReferenceException": "SystemException",
    "NotSupportedException": "SystemException",
    "NotImplementedException": "SystemException",
    "TimeoutException": "SystemException",
    "RegexMatchTimeoutException": "TimeoutException",
    "MemberAccessException": "SystemException",
    "MissingMemberException": "MemberAccessException",
    "MissingMethodException": "MissingMemberException",
    "OutOfMemoryException": "SystemException",
    "InsufficientExecutionStackException": "SystemException",
    "CryptographicException": "SystemException",
    "TimeZoneNotFoundException": "Exception",
    "SocketException": "SystemException",
    "InvalidTimeZoneException": "Exception",
    "XmlException": "SystemException",
    "JsonException": "Exception",
    "JsonReaderException": "JsonException",
    "JsonSerializationException": "JsonException",
    "JsonWriterException": "JsonException",
}
"""Each exception type's base class. Names not listed derive from SystemException (the runtime's
own failures), except ``Exception`` itself."""

_NAMESPACES = {
    "KeyNotFoundException": "System.Collections.Generic",
    "RegexMatchTimeoutException": "System.Text.RegularExpressions",
    "CryptographicException": "System.Security.Cryptography",
    "XmlException": "System.Xml",
    "JsonException": "Newtonsoft.Json",
    "JsonReaderException": "Newtonsoft.Json",
    "JsonSerializationException": "Newtonsoft.Json",
    "JsonWriterException": "Newtonsoft.Json",
}

_DEFAULT_MESSAGES = {
    "Exception": "Exception of type 'System.Exception' was thrown.",
    "SystemException": "System error.",
    "ArgumentException": "Value does not fall within the expected range.",
    "ArgumentNullException": "Value cannot be null.",
    "ArgumentOutOfRangeException": "Specified argument was out of the range of valid values.",
    "ArithmeticException": "Overflow or underflow in the arithmetic operation.",
    "DivideByZeroException": "Attempted to divide by zero.",
    "OverflowException": "Arithmetic operation resulted in an overflow.",
    "FormatException": "One of the identified items was in an invalid format.",
    "IndexOutOfRangeException": "Index was outside the bounds of the array.",
    "InvalidCastException": "Specified cast is not valid.",
    "InvalidOperationException": "Operation is not valid due to the current state of the object.",
    "KeyNotFoundException": "The given key was not present in the dictionary.",
    "NullReferenceException": "Object reference not set to an instance of an object.",
    "NotSupportedException": "Specified method is not supported.",
    "NotImplementedException": "The method or operation is not implemented.",
    "TimeoutException": "The operation has timed out.",
}

_WITH_PARAM_FIRST = frozenset(["ArgumentNullException", "ArgumentOutOfRangeException"])
"""Whose one-string constructor takes the parameter name, not the message."""


def is_subclass(kind: str, base: str) -> bool:
    """Is the .NET exception type ``kind`` ``base`` or derived from it?"""
    while True:
        if kind == base:
            return True
        parent = BASES.get(kind)
        if parent is None:
            return base == "Exception" or (base == "SystemException" and kind != "Exception")
        kind = parent


def _full_name(kind: str) -> str:
    return f"{_NAMESPACES.get(kind, 'System')}.{kind}"


class NetException:
    """A .NET exception object (``exception_type`` is its short type name)."""

    __slots__ = ("exception_type", "inner", "message", "param_name")

    def __init__(
        self,
        exception_type: str,
        message: str,
        inner: NetException | None = None,
        param_name: str | None = None,
    ) -> None:
        self.exception_type = exception_type
        self.message = message
        self.inner = inner
        self.param_name = param_name

    def to_string(self) -> str:
        text = f"{_full_name(self.exception_type)}: {self.message}"
        if self.inner is not None:
            text += f" ---> {self.inner.to_string()}\n   --- End of inner exception stack trace ---"
        return text


class ThrownError(ExpressionError):
    """What ``throw`` of an exception object raises: it keeps the object, for ``catch`` to bind
    the very object that was thrown."""

    def __init__(self, thrown: NetException) -> None:
        super().__init__(thrown.exception_type, thrown.message)
        self.thrown = thrown


def exception_object(error: ExpressionError) -> NetException:
    """What ``catch (X e)`` binds ``e`` to for ``error`` (the very object, when it was thrown)."""
    if isinstance(error, ThrownError):
        return error.thrown
    return NetException(error.exception_type, error.message)


def exception_info(value: object) -> ExpressionError | None:
    """The error that ``throw value`` raises, when ``value`` is an exception object."""
    if not isinstance(value, NetException):
        return None
    return ThrownError(value)


def _text(v: object, param: str, ctor: str) -> str | None:
    if v is None or isinstance(v, str):
        return v
    raise ExpressionError(
        "ArgumentException",
        f"Argument '{param}' of '{ctor}': cannot convert from '{clr.net_name(v)}' to 'string'",
    )


def _with_param(message: str, param: str | None) -> str:
    return message if param is None else f"{message} (Parameter '{param}')"


def _constructor(kind: str) -> clr.Constructor:
    default = _DEFAULT_MESSAGES.get(kind, f"Exception of type '{_full_name(kind)}' was thrown.")
    argument = is_subclass(kind, "ArgumentException")

    def construct(a: Sequence[object], t: Sequence[TypeRef]) -> NetException:
        arity(kind, ".ctor", a, 0, 1, 2)
        if not a:
            return NetException(kind, default)
        if len(a) == 1:
            text = _text(a[0], "message", kind)
            if kind in _WITH_PARAM_FIRST:
                return NetException(kind, _with_param(default, text), param_name=text)
            return NetException(kind, default if text is None else text)
        first = _text(a[0], "message", kind)
        second = a[1]
        if argument and (second is None or isinstance(second, str)):
            # (message, paramName); Null/OutOfRange take (paramName, message)
            if kind in _WITH_PARAM_FIRST:
                param, message = first, _text(second, "message", kind)
            else:
                message, param = first, second
            return NetException(kind, _with_param(message or default, param), param_name=param)
        if second is not None and not isinstance(second, NetException):
            raise ExpressionError(
                "ArgumentException",
                f"Argument 'innerException' of '{kind}': cannot convert from "
                f"'{clr.net_name(second)}' to 'Exception'",
            )
        return NetException(kind, default if first is None else first, second)

    return construct


def _param_name(e: NetException) -> object:
    if not is_subclass(e.exception_type, "ArgumentException"):
        raise ExpressionError(
            "MissingMemberException",
            f"'{e.exception_type}' does not contain a definition for 'ParamName'",
        )
    return e.param_name


EXCEPTION = declare("Exception", "System.Exception", (NetException,))
EXCEPTION.check = lambda v: isinstance(v, NetException)
EXCEPTION.construct = _constructor("Exception")
EXCEPTION.members.update(
    {
        "Message": lambda e: e.message,
        "InnerException": lambda e: e.inner,
        "ParamName": _param_name,
        "Source": lambda e: None,
        "StackTrace": lambda e: None,
        "HelpLink": lambda e: None,
    }
)
EXCEPTION.methods.update(
    {
        "ToString": lambda e, a, t: (arity("Exception", "ToString", a, 0), e.to_string())[1],
        "GetBaseException": lambda e, a, t: _innermost(e),
    }
)


EXCEPTION.sign(
    "string Message { get; }",
    "Exception InnerException { get; }",
    "string Source { get; }",
    "string StackTrace { get; }",
    "string HelpLink { get; }",
    "string ToString()",
    "Exception GetBaseException()",
)


def _sign_constructors(t: TypeRef, kind: str) -> None:
    t.sign("new()", "new(string message)")
    if kind in _WITH_PARAM_FIRST:
        t.sign("new(string paramName, string message)", "string ParamName { get; }")
    elif is_subclass(kind, "ArgumentException"):
        t.sign("new(string message, string paramName)", "string ParamName { get; }")
    t.sign("new(string message, Exception innerException)")


def _innermost(e: NetException) -> NetException:
    while e.inner is not None:
        e = e.inner
    return e


_sign_constructors(EXCEPTION, "Exception")


def _declare_all() -> tuple[TypeRef, ...]:
    declared = {"Exception": EXCEPTION}

    def declare_kind(kind: str) -> TypeRef:
        found = declared.get(kind)
        if found is not None:
            return found
        base = declare_kind(BASES[kind])
        t = declare(kind, _full_name(kind), (NetException,), bases=(base,), owns=False)
        t.check = lambda v, kind=kind: (
            isinstance(v, NetException) and is_subclass(v.exception_type, kind)
        )
        t.construct = _constructor(kind)
        _sign_constructors(t, kind)
        declared[kind] = t
        return t

    for kind in BASES:
        declare_kind(kind)
    return tuple(declared.values())


TYPES: tuple[TypeRef, ...] = _declare_all()
"""System.Exception and every exception type expressions can throw, catch and construct."""


def convert_exception(e: BaseException) -> ExpressionError:
    """A Python exception escaping a member/method implementation, as the .NET exception it
    means (the dispatchers below apply it; the compiler's inline caches call implementations
    directly and apply it where the exception is caught)."""
    if isinstance(e, ExpressionError):
        return e
    if isinstance(e, RecursionError):
        return ExpressionError(
            "InsufficientExecutionStackException",
            "Insufficient stack to continue executing the program safely.",
        )
    if isinstance(e, MemoryError):
        return ExpressionError(
            "OutOfMemoryException", "Insufficient memory to continue the execution of the program."
        )
    if isinstance(e, ZeroDivisionError):
        return ExpressionError("DivideByZeroException", "Attempted to divide by zero.")
    if isinstance(e, OverflowError | decimal.Overflow):
        return ExpressionError("OverflowException", "Arithmetic operation resulted in an overflow.")
    if isinstance(e, IndexError):
        return ExpressionError(
            "IndexOutOfRangeException", "Index was outside the bounds of the array."
        )
    if isinstance(e, KeyError):
        return ExpressionError(
            "KeyNotFoundException", "The given key was not present in the dictionary."
        )
    if isinstance(e, TimeoutError):
        return ExpressionError("RegexMatchTimeoutException", "The Regex engine has timed out.")
    if isinstance(e, TypeError | AttributeError):
        return ExpressionError("InvalidCastException", f"Specified cast is not valid. ({e})")
    if isinstance(e, ValueError | UnicodeError):
        return ExpressionError(
            "ArgumentException", f"Value does not fall within the expected range. ({e})"
        )
    return ExpressionError("Exception", f"{type(e).__name__}: {e}")
