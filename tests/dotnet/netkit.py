"""Shorthands for tests that drive the expression runtime directly (as compiled code does)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from aiohttp_apim.errors import ExpressionError
from aiohttp_apim.expressions import runtime as rt
from aiohttp_apim.expressions.runtime import OutRef, TypeRef


def T(name: str) -> TypeRef:
    t = rt.resolve_type(name)
    assert t is not None, name
    return t


def static(type_name: str, name: str, *args: object, targs: tuple[str, ...] = ()) -> object:
    return rt.call_static(T(type_name), name, list(args), [T(x) for x in targs])


def call(obj: object, name: str, *args: object, targs: tuple[str, ...] = ()) -> object:
    return rt.call_method(obj, name, list(args), [T(x) for x in targs])


def get(obj: object, *names: str) -> object:
    for n in names:
        obj = rt.get_member(obj, n)
    return obj


def new(type_name: str, *args: object, targs: tuple[str, ...] = ()) -> object:
    return rt.construct(T(type_name), list(args), [T(x) for x in targs])


def idx(obj: object, *keys: object) -> object:
    return rt.index(obj, list(keys))


def raises(
    exception_type: str, fn: Callable[[], object], match: str | None = None
) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        fn()
    assert info.value.exception_type == exception_type, str(info.value)
    if match is not None:
        assert match in info.value.message, info.value.message
    return info.value


def out() -> OutRef:
    return OutRef()
