"""Newtonsoft's editing of token trees: ``JContainer.Merge(content[, JsonMergeSettings])`` and
``JToken.Replace(value)``, with JsonMergeSettings, MergeArrayHandling and MergeNullValueHandling
(https://www.newtonsoft.com/json/help/html/MergeJson.htm).

Merging an object copies each property of the content: a new one is added, an existing one is
merged into when both values are containers of the same kind, and replaced otherwise (a null
only when MergeNullValueHandling.Merge). Arrays are concatenated (Concat, the default), joined
without duplicates (Union), replaced (Replace) or merged item by item (Merge). Content that has
a parent is copied, as Newtonsoft does; one step of the expression budget per property or item.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp_apim.dotnet import json as js
from aiohttp_apim.dotnet import linq
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.budget import metered
from aiohttp_apim.dotnet.core import Registry, Setter, TypeRef, arity, declare
from aiohttp_apim.dotnet.json_model import (
    JArray,
    JObject,
    JProperty,
    JToken,
    JTokenType,
    JValue,
    content_token,
    deep_clone,
    deep_equals,
)
from aiohttp_apim.dotnet.primitives import NetEnum, StringComparison
from aiohttp_apim.errors import ExpressionError

__all__ = ["MergeArrayHandling", "MergeNullValueHandling", "MergeSettings", "merge"]


class MergeArrayHandling(NetEnum):
    Concat = 0
    Union = 1
    Replace = 2
    Merge = 3


class MergeNullValueHandling(NetEnum):
    Ignore = 0
    Merge = 1


class MergeSettings:
    """JsonMergeSettings."""

    __slots__ = ("arrays", "names", "nulls")

    def __init__(self) -> None:
        self.arrays = MergeArrayHandling.Concat
        self.nulls = MergeNullValueHandling.Ignore
        self.names = StringComparison.Ordinal


def _is_null(t: JToken) -> bool:
    return isinstance(t, JValue) and t.kind == JTokenType.Null


def _copy(t: JToken) -> JToken:
    return deep_clone(t) if t.parent is not None else t


def _find(o: JObject, name: str, settings: MergeSettings) -> JProperty | None:
    found = o.props.get(name)
    if found is not None or settings.names not in (
        StringComparison.OrdinalIgnoreCase,
        StringComparison.CurrentCultureIgnoreCase,
        StringComparison.InvariantCultureIgnoreCase,
    ):
        return found
    folded = name.casefold()
    return next((p for n, p in o.props.items() if n.casefold() == folded), None)


def _replaces(value: JToken, settings: MergeSettings) -> bool:
    return not _is_null(value) or settings.nulls == MergeNullValueHandling.Merge


def merge(target: JToken, content: object, settings: MergeSettings) -> None:
    """``target.Merge(content, settings)``."""
    if isinstance(target, JObject):
        if not isinstance(content, JObject):
            return
        for name, prop in metered(list(content.props.items())):
            value = prop.value
            existing = _find(target, name, settings)
            if existing is None:
                target.set(name, _copy(value))
            elif isinstance(existing.value, JObject | JArray) and (
                existing.value.type == value.type
            ):
                merge(existing.value, value, settings)
            elif _replaces(value, settings):
                existing.set_value(_copy(value))
    elif isinstance(target, JArray):
        _merge_items(target, content, settings)
    elif isinstance(target, JProperty) and isinstance(content, JProperty):
        if content.name != target.name:
            return
        if isinstance(target.value, JObject | JArray) and target.value.type == content.value.type:
            merge(target.value, content.value, settings)
        elif _replaces(content.value, settings):
            target.set_value(_copy(content.value))


def _merge_items(target: JArray, content: object, settings: MergeSettings) -> None:
    if isinstance(content, JArray):
        items = list(content.items)
    elif isinstance(content, list | linq.Seq):
        items = [content_token(x) for x in linq.items_of(content)]
    else:
        return
    handling = settings.arrays
    if handling == MergeArrayHandling.Replace:
        target.items = []
        handling = MergeArrayHandling.Concat
    for i, item in enumerate(metered(items)):
        if handling == MergeArrayHandling.Concat:
            target.append(_copy(item))
        elif handling == MergeArrayHandling.Union:
            if not any(deep_equals(x, item) for x in target.items):
                target.append(_copy(item))
        elif i < len(target.items):  # Merge: item by item
            existing = target.items[i]
            if isinstance(existing, JObject | JArray) and existing.type == item.type:
                merge(existing, item, settings)
            elif _replaces(item, settings):
                _replace(existing, _copy(item))
        else:
            target.append(_copy(item))


def _replace(t: JToken, value: JToken) -> None:
    """``t.Replace(value)``: ``value`` (copied when it has a parent) takes ``t``'s place."""
    parent = t.parent
    if parent is None:
        raise ExpressionError("InvalidOperationException", "The parent is missing.")
    if value is t:
        return
    value = _copy(value)
    if isinstance(parent, JProperty):
        parent.set_value(value)
    elif isinstance(parent, JArray):
        items = parent.items
        index = next(i for i, x in enumerate(items) if x is t)
        value.parent = parent
        items[index] = value
        t.parent = None
    elif isinstance(parent, JObject) and isinstance(t, JProperty):
        if not isinstance(value, JProperty):
            raise ExpressionError(
                "ArgumentException",
                f"Can not add {value.type.name} to Newtonsoft.Json.Linq.JObject.",
            )
        props = parent.props
        rebuilt = {
            (value.name if name == t.name else name): (value if p is t else p)
            for name, p in props.items()
        }
        props.clear()
        props.update(rebuilt)
        value.parent = parent
        t.parent = None


def _m_merge(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> None:
    arity("JContainer", "Merge", a, 1, 2)
    settings = a[1] if len(a) == 2 and isinstance(a[1], MergeSettings) else MergeSettings()
    content = a[0]
    if content is None:
        return
    if not isinstance(content, JToken):
        content = content_token(content)
    merge(t, content, settings)


def _m_replace(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> None:
    arity("JToken", "Replace", a, 1)
    _replace(t, content_token(a[0]))


def _set_enum(cls: type[NetEnum], attr: str) -> Setter:
    def setter(s: MergeSettings, v: object) -> None:
        if not isinstance(v, cls):
            raise ExpressionError(
                "InvalidCastException", f"Specified cast is not valid ({cls.__name__})."
            )
        setattr(s, attr, v)

    return setter


ARRAYS = dotnet.declare_enum(
    "MergeArrayHandling", "Newtonsoft.Json.Linq.MergeArrayHandling", MergeArrayHandling
)
NULLS = dotnet.declare_enum(
    "MergeNullValueHandling", "Newtonsoft.Json.Linq.MergeNullValueHandling", MergeNullValueHandling
)
SETTINGS = declare("JsonMergeSettings", "Newtonsoft.Json.Linq.JsonMergeSettings", (MergeSettings,))
SETTINGS.construct = lambda a, t: (arity("JsonMergeSettings", ".ctor", a, 0), MergeSettings())[1]
SETTINGS.members.update(
    {
        "MergeArrayHandling": lambda s: s.arrays,
        "MergeNullValueHandling": lambda s: s.nulls,
        "PropertyNameComparison": lambda s: s.names,
    }
)
SETTINGS.setters.update(
    {
        "MergeArrayHandling": _set_enum(MergeArrayHandling, "arrays"),
        "MergeNullValueHandling": _set_enum(MergeNullValueHandling, "nulls"),
        "PropertyNameComparison": _set_enum(StringComparison, "names"),
    }
)
SETTINGS.sign(
    "new()",
    "MergeArrayHandling MergeArrayHandling { get; set; }",
    "MergeNullValueHandling MergeNullValueHandling { get; set; }",
    "StringComparison PropertyNameComparison { get; set; }",
)

TYPES: tuple[TypeRef, ...] = (ARRAYS, NULLS, SETTINGS)


def register(registry: Registry) -> None:
    """Merge joins JContainer, Replace joins JToken."""
    js.JCONTAINER.methods["Merge"] = _m_merge
    js.JCONTAINER.sign(
        "void Merge(object content)", "void Merge(object content, JsonMergeSettings settings)"
    )
    js.JTOKEN.methods["Replace"] = _m_replace
    js.JTOKEN.sign("void Replace(JToken value)")
    registry.add(*TYPES)
