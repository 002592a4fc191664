"""Explicit conversions, ``(T)value``: what C#'s cast operator does to library values, offered
to the language (``runtime.cast``) and used by the library itself (``JToken.ToObject<T>()``).

Reference casts, unboxing, explicit numeric conversions (a type's ``convert``) and user-defined
explicit conversions by source class (the registry's ``cast_hooks``, e.g. JToken → int).
Numeric leniency (expressions have no static types yet): numeric → numeric explicit conversions
are allowed with C# unchecked semantics, except Int64 → Int32, which fails with
InvalidCastException as unboxing a boxed long does.
"""

from __future__ import annotations

from aiohttp_apim.dotnet import core
from aiohttp_apim.dotnet.core import CAST_HOOKS, TypeRef
from aiohttp_apim.dotnet.exceptions import convert_exception
from aiohttp_apim.dotnet.strings import STRING
from aiohttp_apim.errors import ExpressionError

__all__ = ["cast"]

_NRE = "Object reference not set to an instance of an object."


def cast(t: TypeRef, value: object) -> object:
    """``(T)value``; raises ExpressionError only."""
    if t is STRING and (type(value) is str or value is None):
        return value  # the common (string)x
    try:
        hook = CAST_HOOKS.get(type(value))
        if hook is not None:
            r = hook(t, value)
            if r is not NotImplemented:
                return r
        if t.nullable_of is not None:
            if value is None:
                return None
            t = t.nullable_of
        if value is None:
            if t.value_type:
                raise ExpressionError("NullReferenceException", _NRE)
            return None
        if t.convert is not None:
            return t.convert(value)
        if t.is_instance(value):
            return value
        raise ExpressionError(
            "InvalidCastException",
            f"Unable to cast object of type '{core.net_name(value, full=True)}' "
            f"to type '{t.full_name}'.",
        )
    except ExpressionError:
        raise
    except Exception as e:
        raise convert_exception(e) from None
