"""Newtonsoft.Json.Linq as policy expressions see it: JToken, JObject, JArray, JProperty, JValue,
JsonConvert and Formatting.

Behaviour kept from Newtonsoft (what APIM runs):

* ``Parse`` is lenient like JsonTextReader (comments, single-quoted strings, unquoted names,
  NaN/Infinity), stops at depth 64, keeps integers as Int64 and floats as Double, and turns
  ISO-8601 date-time strings ("2024-01-02T03:04:05Z") into Date values (DateParseHandling.DateTime).
* ``ToString()`` of an object/array is indented JSON (2 spaces). Newtonsoft writes
  Environment.NewLine; we always write "\\n" (the gateway on Linux) — a documented choice.
  ``ToString(Formatting.None)`` is compact. ``ToString()`` of a JValue is the raw value text
  ("abc", "1.5", "True", "" for null).
* ``obj["missing"]`` is null; explicit conversions ``(string)tok``, ``(int)tok``, ``(bool)tok``...
  follow Newtonsoft (null → null for reference/nullable targets, JObject → ArgumentException).

The object model is json_model.py, JSON text json_text.py; this module declares what expressions
see (members, indexers, conversions, SelectToken, JsonConvert) and re-exports the rest.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator, Sequence

from aiohttp_apim.dotnet import core as clr
from aiohttp_apim.dotnet import dates, json_path, linq, numerics, strings
from aiohttp_apim.dotnet import primitives as dotnet
from aiohttp_apim.dotnet.conversions import cast
from aiohttp_apim.dotnet.core import Registry, TypeRef, arity, declare
from aiohttp_apim.dotnet.json_model import (
    MAX_DEPTH,
    Formatting,
    JArray,
    JObject,
    JProperty,
    JToken,
    JTokenType,
    JValue,
    adopt,
    content_token,
    deep_clone,
    deep_equals,
    from_object,
    value_token,
)
from aiohttp_apim.dotnet.json_text import (
    NEWLINE,
    parse,
    to_json,
    token_to_string,
    value_json,
    value_text,
)
from aiohttp_apim.dotnet.primitives import set_out, to_string
from aiohttp_apim.errors import ExpressionError

__all__ = [
    "MAX_DEPTH",
    "NEWLINE",
    "Formatting",
    "JArray",
    "JObject",
    "JProperty",
    "JToken",
    "JTokenType",
    "JValue",
    "content_token",
    "convert_token",
    "deep_clone",
    "deep_equals",
    "from_object",
    "parse",
    "to_json",
    "to_object",
    "token_to_string",
    "value_json",
    "value_text",
    "value_token",
]


# ---------------------------------------------------------------- conversions


def _type_name(t: JToken) -> str:
    return t.type.name.rstrip("_")


def convert_token(target: TypeRef, tok: JToken) -> object:
    """Newtonsoft's explicit conversion operators (JToken → string, int, bool, ...)."""
    nullable = target.nullable_of is not None
    base = target.nullable_of or target
    name = base.name
    if name in ("Object", "JToken", "JContainer", "IEnumerable") or (
        clr.lookup(name) in _TOKEN_TYPES
    ):
        return NotImplemented
    if isinstance(tok, JValue):
        v, k = tok.value, tok.kind
        if v is None:
            if base.value_type and not nullable:
                raise ExpressionError("ArgumentException", f"Can not convert Null to {name}.")
            return None
        if name == "String":
            if k == JTokenType.Bytes and isinstance(v, bytes):  # (a Bytes token holds bytes)
                return base64.b64encode(v).decode("ascii")
            return to_string(v)
        if name == "Boolean":
            if isinstance(v, bool):
                return v
            if isinstance(v, str):
                return dotnet.parse_bool(v)
            if type(v) in dotnet.NUMERIC_SET:
                return v != 0
        if type(v) in dotnet.INT_BITS or k in (
            JTokenType.Float,
            JTokenType.String,
            JTokenType.Boolean,
        ):
            conv = numerics.CONVERT.static_methods.get(f"To{name}")
            if conv is not None:
                return conv([v], ())
        if base.is_instance(v):
            return v
        if name == "DateTime" and isinstance(v, str):
            return dates.parse_datetime(v)
        if name == "Guid" and isinstance(v, str):
            return dotnet.parse_guid(v)
        if name == "TimeSpan" and isinstance(v, str):
            return dates.parse_timespan(v)
        if name == "Byte[]" and isinstance(v, str):
            from aiohttp_apim.dotnet import encoding

            return encoding.from_base64(v)
        raise ExpressionError("ArgumentException", f"Can not convert {_type_name(tok)} to {name}.")
    raise ExpressionError("ArgumentException", f"Can not convert {_type_name(tok)} to {name}.")


def _token_value(tok: object, target: TypeRef | None) -> object:
    """Value<T>() / ToObject<T>()."""
    if target is None:
        return tok.value if isinstance(tok, JValue) else tok
    if tok is None:
        return None if not target.value_type else target.default
    if (
        isinstance(tok, JValue)
        and tok.value is None
        and target.value_type
        and not target.nullable_of
    ):
        return target.default
    if not isinstance(tok, JToken):
        return tok
    r = convert_token(target, tok)
    if r is NotImplemented:
        return cast(target, tok)
    return r


def to_object(tok: JToken, target: TypeRef | None, type_args: Sequence[TypeRef] = ()) -> object:
    """ToObject<T>() / DeserializeObject<T>() including Dictionary / List targets."""
    if target is None or target.name == "Object":
        return plain(tok)
    if target.name in ("Dictionary", "IDictionary"):
        if not isinstance(tok, JObject):
            raise ExpressionError(
                "JsonSerializationException",
                f"Cannot deserialize the current JSON {_type_name(tok).lower()} "
                "into type 'Dictionary'.",
            )
        vt = type_args[1] if len(type_args) > 1 else None
        return {k: to_object(p.value, vt) for k, p in tok.props.items()}
    if target.name in ("List", "Array", "IEnumerable") or target.element is not None:
        if not isinstance(tok, JArray):
            raise ExpressionError(
                "JsonSerializationException",
                f"Cannot deserialize the current JSON {_type_name(tok).lower()} into a list type.",
            )
        et = target.element or (type_args[0] if type_args else None)
        items = [to_object(x, et) for x in tok.items]
        return linq.NetList(items) if target.name == "List" else items
    return _token_value(tok, target)


def plain(tok: JToken) -> object:
    """DeserializeObject(text) without a type: JValue → its value, containers stay tokens."""
    return tok.value if isinstance(tok, JValue) else tok


def token_path(t: JToken) -> str:
    parts: list[str] = []
    cur: JToken | None = t
    while cur is not None and cur.parent is not None:
        par = cur.parent
        if isinstance(par, JProperty):
            n = par.name
            parts.append(f".{n}" if re.fullmatch(r"[A-Za-z_]\w*", n) else f"['{n}']")
            cur = par.parent
            continue
        if isinstance(par, JArray):
            parts.append(f"[{next(i for i, x in enumerate(par.items) if x is cur)}]")
        cur = par
    return "".join(reversed(parts)).lstrip(".")


# ---------------------------------------------------------------- declarations


def _index(t: JToken, args: Sequence[object]) -> object:
    if len(args) != 1:
        raise ExpressionError("ArgumentException", "Wrong number of indices inside []; expected 1")
    key = args[0]
    if isinstance(t, JObject):
        if not isinstance(key, str):
            raise ExpressionError(
                "ArgumentException",
                f"Accessed JObject values with invalid key value: {to_string(key)}. "
                "Object property name expected.",
            )
        return t.get(key)
    if isinstance(t, JArray):
        if not dotnet.is_integral(key):
            shown = f'"{key}"' if isinstance(key, str) else to_string(key)
            raise ExpressionError(
                "ArgumentException",
                f"Accessed JArray values with invalid key value: {shown}. "
                "Int32 array index expected.",
            )
        i = int(key)
        if i < 0 or i >= len(t.items):
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Index was out of range. Must be non-negative and less "
                "than the size of the collection. (Parameter 'index')",
            )
        return t.items[i]
    if isinstance(t, JProperty):
        raise ExpressionError(
            "InvalidOperationException",
            "Cannot access child value on Newtonsoft.Json.Linq.JProperty.",
        )
    raise ExpressionError(
        "InvalidOperationException", "Cannot access child value on Newtonsoft.Json.Linq.JValue."
    )


def _set_index(t: JToken, args: Sequence[object], value: object) -> None:
    if len(args) != 1:
        raise ExpressionError("ArgumentException", "Wrong number of indices inside []; expected 1")
    key = args[0]
    if isinstance(t, JObject):
        if not isinstance(key, str):
            raise ExpressionError(
                "ArgumentException",
                f"Set JObject values with invalid key value: {to_string(key)}. "
                "Object property name expected.",
            )
        t.set(key, value_token(value))
        return
    if isinstance(t, JArray):
        if not dotnet.is_integral(key):
            raise ExpressionError(
                "ArgumentException",
                f"Set JArray values with invalid key value: {to_string(key)}. "
                "Int32 array index expected.",
            )
        i = int(key)
        if i < 0 or i >= len(t.items):
            raise ExpressionError(
                "ArgumentOutOfRangeException",
                "Index was out of range. Must be non-negative and less "
                "than the size of the collection. (Parameter 'index')",
            )
        t.items[i].parent = None
        t.items[i] = adopt(value_token(value), t)
        return
    raise ExpressionError(
        "InvalidOperationException",
        f"Cannot set child value on Newtonsoft.Json.Linq.{type(t).__name__}.",
    )


def _children(t: JToken) -> list[object]:
    if isinstance(t, JObject):
        return list(t.props.values())
    if isinstance(t, JArray):
        return list(t.items)
    if isinstance(t, JProperty):
        return [t.value]
    return []


def _value_method(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> object:
    arity("JToken", "Value", a, 0, 1)
    target = ta[0] if ta else None
    tok: object = t
    if a:
        tok = _index(t, a)
    return _token_value(tok, target)


def _values_method(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> object:
    arity("JToken", "Values", a, 0)
    target = ta[0] if ta else None
    kids = [p.value for p in t.props.values()] if isinstance(t, JObject) else _children(t)
    if target is None:
        return linq.Seq(lambda: iter(kids), "JEnumerable")
    return linq.Seq(lambda: (_token_value(k, target) for k in kids), "JEnumerable")


def _remove_self(t: JToken, a: Sequence[object], ta: Sequence[TypeRef]) -> None:
    arity("JToken", "Remove", a, 0)
    par = t.parent
    if par is None:
        raise ExpressionError("InvalidOperationException", "The parent is missing.")
    if isinstance(par, JArray):
        par.items = [x for x in par.items if x is not t]
    elif isinstance(par, JObject) and isinstance(t, JProperty):
        par.props.pop(t.name, None)
    elif isinstance(par, JProperty):
        raise ExpressionError(
            "InvalidOperationException",
            "Cannot add or remove items from Newtonsoft.Json.Linq.JProperty.",
        )
    t.parent = None


JTOKEN_TYPE = dotnet.declare_enum("JTokenType", "Newtonsoft.Json.Linq.JTokenType", JTokenType)
JTOKEN_TYPE.statics["None"] = lambda: JTokenType.None_
JTOKEN_TYPE.sign("const JTokenType None")
FORMATTING = dotnet.declare_enum("Formatting", "Newtonsoft.Json.Formatting", Formatting)
FORMATTING.statics["None"] = lambda: Formatting.None_
FORMATTING.sign("const Formatting None")

JTOKEN = declare(
    "JToken",
    "Newtonsoft.Json.Linq.JToken",
    (JToken,),
    bases=(linq.IENUMERABLE,),
    aliases=("Newtonsoft.Json.Linq.JToken",),
)
JTOKEN.members.update(
    {
        "Type": lambda t: t.type,
        "HasValues": lambda t: bool(_children(t)) if not isinstance(t, JValue) else False,
        "Parent": lambda t: t.parent,
        "Path": token_path,
        "First": lambda t: (_children(t) or [None])[0],
        "Last": lambda t: (_children(t) or [None])[-1],
        "Root": lambda t: _root(t),
    }
)
JTOKEN.methods.update(
    {
        "ToString": lambda t, a, ta: token_to_string(t, a),
        "Value": _value_method,
        "Values": _values_method,
        "ToObject": lambda t, a, ta: to_object(t, ta[0] if ta else None, ()),
        "Children": lambda t, a, ta: linq.Seq(lambda: iter(_children(t)), "JEnumerable"),
        "DeepClone": lambda t, a, ta: deep_clone(t),
        **json_path.METHODS,
        "Remove": _remove_self,
        "Equals": lambda t, a, ta: t is a[0],
    }
)
JTOKEN.indexer = _index
JTOKEN.set_indexer = _set_index
JTOKEN.iterate = _children


def _root(t: JToken) -> JToken:
    while t.parent is not None:
        t = t.parent
    return t


def _parse_static(what: str) -> clr.StaticMethod:
    def impl(a: Sequence[object], ta: Sequence[TypeRef]) -> JToken:
        arity(what, "Parse", a, 1, 2)
        return parse(a[0], what)

    return impl


def _from_object(what: str) -> clr.StaticMethod:
    def impl(a: Sequence[object], ta: Sequence[TypeRef]) -> JToken:
        arity(what, "FromObject", a, 1, 2)
        if a[0] is None:
            raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'o')")
        tok = from_object(a[0])
        if what == "JObject" and not isinstance(tok, JObject):
            raise ExpressionError(
                "ArgumentException",
                f"Object serialized to {_type_name(tok)}. JObject instance expected.",
            )
        if what == "JArray" and not isinstance(tok, JArray):
            raise ExpressionError(
                "ArgumentException",
                f"Object serialized to {_type_name(tok)}. JArray instance expected.",
            )
        return tok

    return impl


JTOKEN.static_methods.update(
    {
        "Parse": _parse_static("JToken"),
        "FromObject": _from_object("JToken"),
        "DeepEquals": lambda a, ta: deep_equals(a[0], a[1]),
    }
)

JCONTAINER = declare(
    "JContainer", "Newtonsoft.Json.Linq.JContainer", (), bases=(JTOKEN,), owns=False
)
JCONTAINER.check = lambda v: isinstance(v, JObject | JArray | JProperty)
JCONTAINER.members["Count"] = lambda t: len(_children(t))


def _obj_add(o: JObject, a: Sequence[object], ta: Sequence[TypeRef]) -> None:
    arity("JObject", "Add", a, 1, 2)
    if len(a) == 2:
        name = strings._str_arg(a[0], "propertyName", "Add")
        o.add_property(JProperty(name, content_token(a[1])))
        return
    item = a[0]
    if isinstance(item, JProperty):
        o.add_property(item)
    elif isinstance(item, list | linq.Seq):
        for x in linq.items_of(item):
            _obj_add(o, [x], ta)
    else:
        raise ExpressionError(
            "ArgumentException",
            f"Can not add {clr.net_name(item, full=True)} to Newtonsoft.Json.Linq.JObject.",
        )


def _obj_ctor(a: Sequence[object], ta: Sequence[TypeRef]) -> JObject:
    o = JObject()
    if len(a) == 1 and isinstance(a[0], JObject):
        for name, p in a[0].props.items():
            o.set(name, deep_clone(p.value))
        return o
    for x in a:
        if x is None:
            continue
        _obj_add(o, [x], ta)
    return o


def _obj_try_get(o: JObject, a: Sequence[object], ta: Sequence[TypeRef]) -> bool:
    arity("JObject", "TryGetValue", a, 2)
    v = o.get(strings._str_arg(a[0], "propertyName", "TryGetValue"))
    set_out(a, 1, v)
    return v is not None


def _obj_property(o: JObject, a: Sequence[object], ta: Sequence[TypeRef]) -> object:
    arity("JObject", "Property", a, 1, 2)
    name = strings._str_arg(a[0], "name", "Property")
    if len(a) == 2:
        key = dotnet.comparison_key(a[1])
        return next((p for n, p in o.props.items() if key(n) == key(name)), None)
    return o.props.get(name)


def _obj_get_value(o: JObject, a: Sequence[object], ta: Sequence[TypeRef]) -> object:
    p = _obj_property(o, a, ta)
    return p.value if isinstance(p, JProperty) else None


def _obj_remove(o: JObject, a: Sequence[object], ta: Sequence[TypeRef]) -> bool:
    if not a:
        _remove_self(o, a, ta)
        return True
    arity("JObject", "Remove", a, 1)
    p = o.props.pop(strings._str_arg(a[0], "propertyName", "Remove"), None)
    if p is None:
        return False
    p.parent = None
    return True


JOBJECT = declare("JObject", "Newtonsoft.Json.Linq.JObject", (JObject,), bases=(JCONTAINER,))
JOBJECT.construct = _obj_ctor
JOBJECT.members["Count"] = lambda o: len(o.props)
JOBJECT.members["Keys"] = lambda o: linq.CollectionView(o.props.keys())
JOBJECT.iterate = lambda o: [linq.KeyValuePair(k, p.value) for k, p in o.props.items()]
JOBJECT.methods.update(
    {
        "Add": _obj_add,
        "ContainsKey": lambda o, a, ta: (
            strings._str_arg(a[0], "propertyName", "ContainsKey") in o.props
        ),
        "TryGetValue": _obj_try_get,
        "Remove": _obj_remove,
        "Property": _obj_property,
        "GetValue": _obj_get_value,
        "Properties": lambda o, a, ta: linq.Seq(
            lambda: iter(list(o.props.values())), "JEnumerable"
        ),
    }
)
JOBJECT.static_methods.update(
    {
        "Parse": _parse_static("JObject"),
        "FromObject": _from_object("JObject"),
    }
)


def _arr_ctor(a: Sequence[object], ta: Sequence[TypeRef]) -> JArray:
    arr = JArray()
    for x in a:
        if isinstance(x, list | linq.Seq | linq.NetHashSet) or (
            isinstance(x, JArray) and len(a) == 1
        ):
            for y in linq.items_of(x):
                arr.append(content_token(y))
        else:
            arr.append(content_token(x))
    return arr


def _arr_remove(arr: JArray, a: Sequence[object], ta: Sequence[TypeRef]) -> bool:
    if not a:
        _remove_self(arr, a, ta)
        return True
    arity("JArray", "Remove", a, 1)
    for i, x in enumerate(arr.items):
        if x is a[0]:
            del arr.items[i]
            x.parent = None
            return True
    return False


def _arr_insert(arr: JArray, a: Sequence[object], ta: Sequence[TypeRef]) -> None:
    arity("JArray", "Insert", a, 2)
    i = strings._int_arg(a[0], "index")
    if i < 0 or i > len(arr.items):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index is greater than the number of items. (Parameter 'index')",
        )
    clr.check_items(len(arr.items) + 1)
    arr.items.insert(i, adopt(content_token(a[1]), arr))


def _arr_remove_at(arr: JArray, a: Sequence[object], ta: Sequence[TypeRef]) -> None:
    arity("JArray", "RemoveAt", a, 1)
    i = strings._int_arg(a[0], "index")
    if i < 0 or i >= len(arr.items):
        raise ExpressionError(
            "ArgumentOutOfRangeException",
            "Index is equal to or greater than Count. (Parameter 'index')",
        )
    arr.items.pop(i).parent = None


JARRAY = declare("JArray", "Newtonsoft.Json.Linq.JArray", (JArray,), bases=(JCONTAINER,))
JARRAY.construct = _arr_ctor
JARRAY.members["Count"] = lambda arr: len(arr.items)
JARRAY.methods.update(
    {
        "Add": lambda arr, a, ta: (arity("JArray", "Add", a, 1), arr.append(content_token(a[0])))[
            1
        ],
        "Remove": _arr_remove,
        "RemoveAt": _arr_remove_at,
        "Insert": _arr_insert,
        "Clear": lambda arr, a, ta: arr.items.clear(),
        "IndexOf": lambda arr, a, ta: next((i for i, x in enumerate(arr.items) if x is a[0]), -1),
        "Contains": lambda arr, a, ta: any(x is a[0] for x in arr.items),
    }
)
JARRAY.static_methods.update(
    {
        "Parse": _parse_static("JArray"),
        "FromObject": _from_object("JArray"),
    }
)


def _prop_ctor(a: Sequence[object], ta: Sequence[TypeRef]) -> JProperty:
    if not a:
        arity("JProperty", ".ctor", a, 1, 2)
    name = strings._str_arg(a[0], "name", "JProperty")
    if len(a) == 1:
        return JProperty(name, JValue(None, JTokenType.Null))
    if len(a) == 2:
        return JProperty(name, content_token(a[1]))
    return JProperty(name, _arr_ctor(a[1:], ta))


def _prop_set_value(p: JProperty, v: object) -> None:
    p.set_value(value_token(v))


JPROPERTY = declare(
    "JProperty", "Newtonsoft.Json.Linq.JProperty", (JProperty,), bases=(JCONTAINER,)
)
JPROPERTY.construct = _prop_ctor
JPROPERTY.members["Name"] = lambda p: p.name
JPROPERTY.members["Value"] = lambda p: p.value
JPROPERTY.setters["Value"] = _prop_set_value


def _jvalue_ctor(a: Sequence[object], ta: Sequence[TypeRef]) -> JValue:
    arity("JValue", ".ctor", a, 1)
    tok = value_token(a[0])
    if not isinstance(tok, JValue):
        raise ExpressionError(
            "ArgumentException",
            f"Could not determine JSON object type for type {clr.net_name(a[0], full=True)}.",
        )
    return JValue(tok.value, tok.kind) if tok.parent is not None else tok


def _jvalue_set(v: JValue, x: object) -> None:
    tok = value_token(x)
    if not isinstance(tok, JValue):
        raise ExpressionError("ArgumentException", "Value must be a primitive value")
    v.value, v.kind = tok.value, tok.kind


JVALUE = declare("JValue", "Newtonsoft.Json.Linq.JValue", (JValue,), bases=(JTOKEN,))
JVALUE.construct = _jvalue_ctor
JVALUE.members["Value"] = lambda v: v.value
JVALUE.setters["Value"] = _jvalue_set
JVALUE.methods["CompareTo"] = lambda v, a, ta: dotnet.compare(
    v.value, a[0].value if isinstance(a[0], JValue) else a[0]
)
JVALUE.methods["Equals"] = lambda v, a, ta: _jvalue_equals(v, a[0])
JVALUE.static_methods.update(
    {
        "CreateNull": lambda a, ta: JValue(None, JTokenType.Null),
        "CreateString": lambda a, ta: JValue(
            a[0], JTokenType.String if a[0] is not None else JTokenType.Null
        ),
        "CreateUndefined": lambda a, ta: JValue(None, JTokenType.Undefined),
    }
)


def _jvalue_equals(a: object, b: object) -> bool:
    """JValue compares by value (also with a plain value on the other side of ==)."""
    if isinstance(a, JValue) and isinstance(b, JValue):
        return deep_equals(a, b)
    if isinstance(a, JValue):
        return a.value is None if b is None else dotnet.op_equals(a.value, b)
    if isinstance(b, JValue):
        return _jvalue_equals(b, a)
    return False


_TOKEN_TYPES = {JTOKEN, JCONTAINER, JOBJECT, JARRAY, JPROPERTY, JVALUE}


# ---------------------------------------------------------------- JsonConvert


def _serialize(a: Sequence[object], ta: Sequence[TypeRef]) -> str:
    arity("JsonConvert", "SerializeObject", a, 1, 2)
    indented = len(a) == 2 and a[1] == Formatting.Indented
    v = a[0]
    if v is None:
        return "null"
    return to_json(from_object(v) if not isinstance(v, JToken) else v, indented)


def _deserialize(a: Sequence[object], ta: Sequence[TypeRef]) -> object:
    arity("JsonConvert", "DeserializeObject", a, 1, 2)
    text = a[0]
    if text is None:
        raise ExpressionError("ArgumentNullException", "Value cannot be null. (Parameter 'value')")
    tok = parse(text)
    target = ta[0] if ta else None
    if target is None:
        return plain(tok)
    if target in _TOKEN_TYPES:
        if isinstance(tok, JValue) and tok.kind == JTokenType.Null:
            return None
        if not target.is_instance(tok):
            raise ExpressionError(
                "InvalidCastException",
                f"Unable to cast object of type 'Newtonsoft.Json.Linq.{type(tok).__name__}' "
                f"to type '{target.full_name}'.",
            )
        return tok
    inner = list(ta[1:])
    return to_object(tok, target, inner)


def _json_to_string(a: Sequence[object], ta: Sequence[TypeRef]) -> str:
    tok = value_token(a[0])
    if isinstance(tok, JValue):
        return value_json(tok)
    if isinstance(tok, (JObject, JArray)):
        return to_json(tok, False)
    raise ExpressionError(
        "ArgumentException",
        f"Unsupported type: {clr.net_name(tok, full=True)}. "
        "Use the JsonSerializer class to get the object's JSON representation.",
    )


JSONCONVERT = declare("JsonConvert", "Newtonsoft.Json.JsonConvert", ())
JSONCONVERT.static_methods.update(
    {
        "SerializeObject": _serialize,
        "DeserializeObject": _deserialize,
        "ToString": _json_to_string,
    }
)


def _cast_hook(target: TypeRef, tok: object) -> object:
    assert isinstance(tok, JToken)
    return convert_token(target, tok)


JTOKEN.sign(
    "JToken this[object key] { get; set; }",
    "JToken First { get; }",
    "JToken Last { get; }",
    "bool HasValues { get; }",
    "JContainer Parent { get; }",
    "string Path { get; }",
    "JToken Root { get; }",
    "JTokenType Type { get; }",
    "JEnumerable<JToken> Children()",
    "JToken DeepClone()",
    "bool Equals(object obj)",
    "void Remove()",
    "JToken SelectToken(string path)",
    "JToken SelectToken(string path, bool errorWhenNoMatch)",
    *json_path.SIGNATURES,
    "T ToObject<T>()",
    "object ToObject(Type objectType)",
    "string ToString()",
    "string ToString(Formatting formatting, params JsonConverter[] converters)",
    "T Value<T>(object key)",
    # Newtonsoft's Extensions.Value<U>(this IEnumerable<JToken>): the token itself converted
    "extension T Value<T>()",
    "IEnumerable<T> Values<T>()",
    "IEnumerable<T> Values<T>(object key)",
    "static bool DeepEquals(JToken t1, JToken t2)",
    "static JToken FromObject(object o)",
    "static JToken Parse(string json)",
)
JCONTAINER.sign("int Count { get; }")
JOBJECT.sign(
    "new()",
    "new(params object[] content)",
    "ICollection<string> Keys { get; }",
    "void Add(string propertyName, JToken value)",
    "void Add(object content)",
    "bool ContainsKey(string propertyName)",
    "JToken GetValue(string propertyName)",
    "JToken GetValue(string propertyName, StringComparison comparison)",
    "IEnumerable<JProperty> Properties()",
    "JProperty Property(string name)",
    "JProperty Property(string name, StringComparison comparison)",
    "bool Remove(string propertyName)",
    "bool TryGetValue(string propertyName, out JToken value)",
    "static JObject FromObject(object o)",
    "static JObject Parse(string json)",
)
JARRAY.sign(
    "new()",
    "new(params object[] content)",
    "void Add(object item)",
    "void Clear()",
    "bool Contains(JToken item)",
    "int IndexOf(JToken item)",
    "void Insert(int index, JToken item)",
    "bool Remove(JToken item)",
    "void RemoveAt(int index)",
    "static JArray FromObject(object o)",
    "static JArray Parse(string json)",
)
JPROPERTY.sign(
    "new(string name, object content)",
    "string Name { get; }",
    "JToken Value { get; set; }",
)
JVALUE.sign(
    "new(object value)",
    "object Value { get; set; }",
    "int CompareTo(JValue obj)",
    "bool Equals(JValue other)",
    "static JValue CreateNull()",
    "static JValue CreateString(string value)",
    "static JValue CreateUndefined()",
)
JSONCONVERT.sign(
    "static string SerializeObject(object value)",
    "static string SerializeObject(object value, Formatting formatting)",
    "static object DeserializeObject(string value)",
    "static T DeserializeObject<T>(string value)",
    "static string ToString(object value)",
)

TYPES: tuple[TypeRef, ...] = (
    JTOKEN_TYPE,
    FORMATTING,
    JTOKEN,
    JCONTAINER,
    JOBJECT,
    JARRAY,
    JPROPERTY,
    JVALUE,
    JSONCONVERT,
)


def register(registry: Registry) -> None:
    """JValue equality, ordering and Convert.ToX by its value; explicit conversions of tokens."""
    dotnet.EQUALITY_HOOKS[JValue] = _jvalue_equals
    dotnet.add_compare_hook(JValue, lambda a, b: dotnet.compare(a.value, b.value))
    numerics.add_convert_hook(JValue, lambda v, cls: v.value)
    for cls in (JToken, JObject, JArray, JProperty, JValue):
        registry.cast_hooks[cls] = _cast_hook
    registry.add(*TYPES)


def iter_tokens(t: JToken) -> Iterator[JToken]:
    yield t
    for c in _children(t):
        assert isinstance(c, JToken)
        yield from iter_tokens(c)
